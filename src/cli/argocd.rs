//! `flink-render argocd`: the `generate` (and `discover`) command of the Argo CD config
//! management plugin, sidecar style (reference ecosystem.md §1.1; `deploy/argocd/plugin.yaml`).
//!
//! The CMP server runs it in a fresh copy of the repository, with the Application's path as the
//! working directory and no stdin. It renders every FlinkDeployment and FlinkSessionJob under
//! that directory and passes the other objects through. stdout carries the YAML stream and
//! nothing else.
//!
//! **Files read.** The directory tree is walked recursively, each directory's entries in
//! byte order of their names. Only `*.yaml`, `*.yml` and `*.json` files are read. Hidden files
//! and directories (`.git`, Argo CD's `.argocd-source-<app>.yaml`) are skipped. So is the
//! defaults file itself. Symlinked files are read when they resolve inside the repository
//! (anything else is refused, unread); symlinked directories are not followed, because they
//! could loop. A `kustomization.yaml` is an error: such a directory belongs to
//! Argo CD's kustomize, where `flink-render krm` is the function to use. The files the
//! settings name (defaults, references) are read as what they are, not as specs of the app.
//!
//! **Settings** are the library's ([`flink_render::argocd::Settings`]).
//!
//! **Failure is never empty.** Argo CD treats empty output as "the app has no resources" and,
//! with auto-prune, deletes everything. So any error exits non-zero with the message on stderr
//! and nothing on stdout. This includes an app with no Flink resources, and one whose Flink
//! resources render to nothing.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use flink_render::argocd::Settings;
use flink_render::to_yaml;

use super::{
    CommonArgs, HelmPostRenderer, INVALID_INPUT, OmittedMode, compile_paths, inputs, io_error, print_text_diagnostics,
    write_stdout,
};

/// Options of `flink-render argocd` (everything else comes from the environment).
#[derive(clap::Args)]
pub struct ArgocdArgs {
    /// Only list the files that hold a FlinkDeployment or FlinkSessionJob, then exit 0: the
    /// plugin's `discover` command (the app matches when the list is not empty).
    #[arg(long)]
    discover: bool,
}

/// Render the app directory (the working directory) for Argo CD.
pub fn run(args: ArgocdArgs) -> ExitCode {
    let environment: BTreeMap<String, String> = std::env::vars().collect();
    let settings = match Settings::from_environment(&environment) {
        Ok(settings) => settings,
        Err(message) => return invalid(&message),
    };
    let files = match spec_files(Path::new("")) {
        Ok(files) => files,
        Err(message) => return io_error(&message),
    };
    let settings_files: Vec<&PathBuf> = settings.defaults.iter().chain(&settings.references).collect();
    let files: Vec<PathBuf> = files.into_iter().filter(|file| !settings_files.contains(&file)).collect();
    if let Err(message) = inside_repository(files.iter().chain(settings_files.iter().copied()), settings.app_depth) {
        return invalid(&message);
    }
    if args.discover {
        return discover(&files);
    }
    for warning in &settings.warnings {
        eprintln!("warning: {warning}");
    }
    if let Some(kustomization) = files.iter().find(|file| is_kustomization(file)) {
        return invalid(&format!(
            "{} makes this a kustomize directory; let Argo CD's kustomize build it and use `flink-render krm` as its function",
            kustomization.display()
        ));
    }
    let common = CommonArgs {
        paths: files,
        namespace: settings.namespace,
        defaults: settings.defaults,
        references: settings.references,
        helm_post_renderer: Some(HelmPostRenderer::None),
        omitted_mode: settings.omitted_mode.map(OmittedMode::from),
    };
    let run = match compile_paths(&common, None) {
        Ok(run) => run,
        Err(code) => return code,
    };
    print_text_diagnostics(run.compiled.diagnostics.iter(), &run.sources);
    if run.compiled.diagnostics.has_errors() {
        return ExitCode::from(INVALID_INPUT);
    }
    if !run.sources.iter().any(|(_, text)| flink_render::parse::holds_flink_resource(text)) {
        return invalid(
            "no FlinkDeployment or FlinkSessionJob in the app directory; refusing to render, since an empty or Flink-less output could make Argo CD prune the app",
        );
    }
    if run.compiled.objects.is_empty() {
        return invalid(
            "the app's Flink resources render to no objects; refusing an empty output, which would make Argo CD prune every resource of the app",
        );
    }
    write_stdout(&to_yaml(&run.compiled.objects))
}

fn invalid(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(INVALID_INPUT)
}

/// Every file must resolve (symlinks followed) inside the repository, `app_depth` directories
/// above the app directory: a symlink may not make the plugin read the repo-server's own
/// files. A refused file is never read, so no message shows any of it.
fn inside_repository<'a>(files: impl Iterator<Item = &'a PathBuf>, app_depth: usize) -> Result<(), String> {
    let root: PathBuf = std::iter::repeat_n("..", app_depth).collect();
    let root = fs::canonicalize(if app_depth == 0 { Path::new(".") } else { &root })
        .map_err(|error| format!("cannot resolve the repository root: {error}"))?;
    for file in files {
        let real = fs::canonicalize(file).map_err(|error| format!("cannot resolve {}: {error}", file.display()))?;
        if !real.starts_with(&root) {
            return Err(format!(
                "{} resolves outside the repository (a symlink?); flink-render does not read it",
                file.display()
            ));
        }
    }
    Ok(())
}

/// `--discover`: print the files holding Flink resources, one per line.
fn discover(files: &[PathBuf]) -> ExitCode {
    let loaded = match inputs::load(files) {
        Ok(loaded) => loaded,
        Err(error) => return io_error(&error.0),
    };
    let matches: String = loaded
        .iter()
        .filter(|input| input.text.as_deref().is_ok_and(flink_render::parse::holds_flink_resource))
        .map(|input| format!("{}\n", input.name))
        .collect();
    write_stdout(&matches)
}

/// Every `*.yaml`, `*.yml` and `*.json` under `dir`, recursively, in the order documented above.
fn spec_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let shown = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let read = |error: std::io::Error| format!("cannot read directory {}: {error}", shown.display());
    let mut entries = fs::read_dir(shown).map_err(read)?.collect::<Result<Vec<_>, _>>().map_err(read)?;
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = dir.join(&name);
        let file_type = entry.file_type().map_err(read)?;
        if file_type.is_dir() {
            walk(&path, files)?;
        } else if (file_type.is_file() || (file_type.is_symlink() && path.is_file()))
            && (inputs::is_spec_file(&path) || is_kustomization(&path))
        {
            files.push(path);
        }
    }
    Ok(())
}

fn is_kustomization(path: &Path) -> bool {
    matches!(
        path.file_name().and_then(|name| name.to_str()),
        Some("kustomization.yaml" | "kustomization.yml" | "Kustomization")
    )
}
