//! The command-line shell: argument parsing, reading inputs, printing, exit codes
//! (0 success, 1 invalid input, 2 usage or IO error). Everything else is the library's.

mod argocd;
mod diff;
mod explain;
mod inputs;
mod krm;
mod memory;
mod output_dir;
mod report;
mod schema;
mod stream;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use flink_render::diagnostics::{Code, Diagnostic, Diagnostics};
use flink_render::effective::DeploymentMode;
use flink_render::helm::{self, PostRenderer};
use flink_render::parse::defaults::OperatorDefaults;
use flink_render::{Compiled, Input, Options, compile, compile_each};
use serde_json::Value;

/// flink-render: compile Flink Kubernetes Operator resources into standalone-mode Kubernetes manifests.
#[derive(Parser)]
#[command(name = "flink-render", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render FlinkDeployments into Kubernetes objects (YAML on stdout).
    Render(RenderArgs),
    /// Check FlinkDeployments and print every problem found.
    Validate(ValidateArgs),
    /// Print the memory Flink gives each JobManager and TaskManager, part by part, and their JVM arguments.
    Memory(memory::MemoryArgs),
    /// Explain where rendered values come from: --config lists each cluster's Flink configuration with every key's origin.
    Explain(explain::ExplainArgs),
    /// Render and compare with committed output (a --output-dir directory or a YAML stream).
    Diff(diff::DiffArgs),
    /// Print the JSON Schema of the accepted input, or its CustomResourceDefinition.
    Schema(schema::SchemaArgs),
    /// Argo CD config management plugin: render the working directory (settings: ARGOCD_ENV_*, PARAM_*).
    Argocd(argocd::ArgocdArgs),
    /// kustomize / kpt KRM function: read a ResourceList on stdin, write the rendered one on stdout.
    Krm,
}

#[derive(clap::Args)]
struct CommonArgs {
    /// Files or directories (their *.yaml, *.yml, *.json), or - for stdin.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Namespace for resources that do not set metadata.namespace.
    #[arg(long, value_name = "NS")]
    namespace: Option<String>,
    /// Operator defaults file replacing the built-in Helm profile.
    #[arg(long, value_name = "FILE")]
    defaults: Option<PathBuf>,
    /// The spec of a session cluster rendered elsewhere (file or directory, repeatable): read
    /// and checked so that session jobs find it, not rendered.
    #[arg(long = "reference", value_name = "PATH")]
    references: Vec<PathBuf>,
    /// The output goes to a Helm post-renderer: 3 (Helm 3's --post-renderer, which runs no hooks
    /// from it: the lifecycle Jobs are plain Jobs, stop-on-delete is an error), 4 (Helm 4's plugin,
    /// deploy/helm: hooks run), or none. Either version's output is never empty. Unset: stdin that
    /// looks like Helm 3's input (# Source: comments) makes stop-on-delete an error.
    #[arg(long, value_enum, value_name = "VERSION")]
    helm_post_renderer: Option<HelmPostRenderer>,
    /// How to render a FlinkDeployment without spec.mode: native (the operator's default: the
    /// JobManager creates its TaskManager pods) or standalone (every pod declared).
    #[arg(long, value_enum, value_name = "MODE")]
    omitted_mode: Option<OmittedMode>,
}

/// `--omitted-mode`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OmittedMode {
    /// As the operator deploys it.
    Native,
    /// Every pod declared.
    Standalone,
}

impl From<DeploymentMode> for OmittedMode {
    fn from(mode: DeploymentMode) -> OmittedMode {
        match mode {
            DeploymentMode::Native => OmittedMode::Native,
            DeploymentMode::Standalone => OmittedMode::Standalone,
        }
    }
}

impl OmittedMode {
    fn lower(self) -> DeploymentMode {
        match self {
            OmittedMode::Native => DeploymentMode::Native,
            OmittedMode::Standalone => DeploymentMode::Standalone,
        }
    }
}

/// `--helm-post-renderer`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum HelmPostRenderer {
    /// Helm 3's exec post-renderer.
    #[value(name = "3")]
    Helm3,
    /// Helm 4's post-renderer plugin.
    #[value(name = "4")]
    Helm4,
    /// Not a Helm post-renderer.
    None,
}

impl HelmPostRenderer {
    fn lower(self) -> PostRenderer {
        match self {
            HelmPostRenderer::Helm3 => PostRenderer::Helm3,
            HelmPostRenderer::Helm4 => PostRenderer::Helm4,
            HelmPostRenderer::None => PostRenderer::NotHelm,
        }
    }
}

#[derive(clap::Args)]
struct RenderArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "yaml")]
    format: RenderFormat,
    /// Write one file per object into DIR instead of printing.
    #[arg(long, value_name = "DIR")]
    output_dir: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ValidateArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    format: ReportFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum RenderFormat {
    Yaml,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Text,
    Json,
}

/// Exit codes of the command line.
const INVALID_INPUT: u8 = 1;
const USAGE_OR_IO: u8 = 2;

/// Run the command line; returns the process exit code.
pub fn run() -> ExitCode {
    if krm::invoked_as_function() {
        return krm::run();
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Render(args) => render(args),
        Command::Validate(args) => validate(args),
        Command::Memory(args) => memory::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Argocd(args) => argocd::run(args),
        Command::Krm => krm::run(),
    }
}

struct Run {
    compiled: Compiled,
    sources: Vec<(String, String)>,
}

/// One input text, or a reference's (`--reference`).
struct Source {
    name: String,
    text: String,
    reference: bool,
}

/// Read the inputs and the references; what cannot be read is a finding.
fn load_sources(common: &CommonArgs) -> Result<(Vec<Source>, Diagnostics), ExitCode> {
    let inputs = inputs::load(&common.paths).map_err(|error| io_error(&error.0))?;
    let references = inputs::load(&common.references).map_err(|error| io_error(&error.0))?;
    let reference = std::iter::repeat_n(false, inputs.len()).chain(std::iter::repeat_n(true, references.len()));
    let mut sources = Vec::new();
    let mut unreadable = Diagnostics::default();
    for (input, reference) in inputs.into_iter().chain(references).zip(reference) {
        match input.text {
            Ok(text) => sources.push(Source { name: input.name, text, reference }),
            Err(message) => {
                let mut diagnostic = Diagnostic::new(Code::UnreadableInput, "", message);
                diagnostic.source = input.name;
                unreadable.push(diagnostic);
            }
        }
    }
    Ok((sources, unreadable))
}

/// Compile the inputs. With a `sink`, objects go there as they are emitted (and only when
/// nothing is an error) instead of into the result.
fn compile_paths(common: &CommonArgs, sink: Option<&mut dyn FnMut(Value, usize)>) -> Result<Run, ExitCode> {
    let (mut compiled, sources, mut unreadable) = with_inputs(common, |inputs, options, all_read| match sink {
        Some(sink) if all_read => compile_each(inputs, options, sink),
        _ => compile(inputs, options),
    })?;
    if !unreadable.is_empty() {
        unreadable.extend(compiled.diagnostics);
        compiled.diagnostics = unreadable;
        compiled.objects.clear();
    }
    Ok(Run { compiled, sources })
}

/// Every input's name and text, for showing diagnostics.
type Sources = Vec<(String, String)>;

/// Read the defaults file and the inputs as `common` names them, and run `step` over them:
/// its result, the sources by name, and the inputs that could not be read (when there are
/// some, `step` sees only the readable ones, is told so, and must not hand objects out).
fn with_inputs<T>(
    common: &CommonArgs,
    step: impl FnOnce(&[Input<'_>], &Options<'_>, bool) -> T,
) -> Result<(T, Sources, Diagnostics), ExitCode> {
    let defaults = match &common.defaults {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|error| io_error(&format!("cannot read {}: {error}", path.display())))?;
            match OperatorDefaults::parse(&text) {
                Ok(defaults) => Some(defaults),
                Err(diagnostics) => {
                    let name = path.display().to_string();
                    let sources = vec![(name.clone(), text)];
                    let diagnostics = diagnostics
                        .into_iter()
                        .map(|mut d| {
                            d.source = name.clone();
                            d
                        })
                        .collect::<Vec<_>>();
                    print_text_diagnostics(diagnostics.iter(), &sources);
                    return Err(ExitCode::from(INVALID_INPUT));
                }
            }
        }
    };
    let (sources, unreadable) = load_sources(common)?;
    let mut inputs = Vec::new();
    let mut references = Vec::new();
    for source in &sources {
        let input = Input { name: &source.name, text: &source.text };
        if source.reference { references.push(input) } else { inputs.push(input) }
    }
    let stdin = sources.iter().find(|source| source.name == "-" && !source.reference);
    let helm_hooks = helm::helm_hooks(
        common.helm_post_renderer.map(HelmPostRenderer::lower),
        stdin.map(|source| source.text.as_str()),
    );
    let options = Options {
        namespace: common.namespace.as_deref(),
        defaults: defaults.as_ref(),
        references: &references,
        helm_hooks,
        omitted_mode: common.omitted_mode.map(OmittedMode::lower),
        provenance: false,
    };
    let result = step(&inputs, &options, unreadable.is_empty());
    let sources = sources.into_iter().map(|source| (source.name, source.text)).collect();
    Ok((result, sources, unreadable))
}

/// Compile, print the diagnostics, and stop with exit 1 when any of them is an error.
fn compile_valid(common: &CommonArgs, sink: Option<&mut dyn FnMut(Value, usize)>) -> Result<Run, ExitCode> {
    let run = compile_paths(common, sink)?;
    print_text_diagnostics(run.compiled.diagnostics.iter(), &run.sources);
    if run.compiled.diagnostics.has_errors() {
        return Err(ExitCode::from(INVALID_INPUT));
    }
    Ok(run)
}

fn render(args: RenderArgs) -> ExitCode {
    let target = match (&args.output_dir, args.format) {
        (Some(dir), _) => stream::Target::Dir(dir),
        (None, RenderFormat::Yaml) => stream::Target::Yaml,
        (None, RenderFormat::Json) => stream::Target::Json,
    };
    let mut writer = stream::Writer::new(target);
    if let Err(code) = compile_valid(&args.common, Some(&mut |object, _| writer.object(&object))) {
        return code;
    }
    if matches!(args.common.helm_post_renderer, Some(HelmPostRenderer::Helm3 | HelmPostRenderer::Helm4)) {
        writer.when_empty(helm::NO_OBJECTS);
    }
    match writer.finish() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => io_error(&message),
    }
}

fn validate(args: ValidateArgs) -> ExitCode {
    let run = match compile_paths(&args.common, None) {
        Ok(run) => run,
        Err(code) => return code,
    };
    let diagnostics = &run.compiled.diagnostics;
    let code = match args.format {
        ReportFormat::Text => {
            print_text_diagnostics(diagnostics.iter(), &run.sources);
            ExitCode::SUCCESS
        }
        ReportFormat::Json => {
            let text = serde_json::to_string_pretty(diagnostics).expect("diagnostics serialize") + "\n";
            write_stdout(&text)
        }
    };
    if diagnostics.has_errors() { ExitCode::from(INVALID_INPUT) } else { code }
}

/// Diagnostics on stderr for people: each input's lines indexed once, repeats of a warning
/// folded ([`report::Folding`]).
fn print_text_diagnostics<'a>(diagnostics: impl Iterator<Item = &'a Diagnostic>, sources: &[(String, String)]) {
    let mut stderr = std::io::stderr().lock();
    let mut lines: Vec<Option<report::Lines<'_>>> = sources.iter().map(|_| None).collect();
    let mut folding = report::Folding::default();
    for diagnostic in diagnostics {
        if folding.folds(diagnostic) {
            continue;
        }
        let line = sources.iter().position(|(name, _)| *name == diagnostic.source).and_then(|index| {
            lines[index].get_or_insert_with(|| report::Lines::new(&sources[index].1)).get(diagnostic.line)
        });
        let _ = writeln!(stderr, "{}", report::render(diagnostic, line));
    }
    for summary in folding.summary() {
        let _ = writeln!(stderr, "{summary}");
    }
}

fn write_stdout(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => io_error(&format!("cannot write stdout: {error}")),
    }
}

fn io_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(USAGE_OR_IO)
}
