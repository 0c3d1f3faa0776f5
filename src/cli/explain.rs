//! `flink-render explain --config`: the Flink configuration file of every cluster the inputs
//! render, key by key with where each value comes from ([`flink_render::explain`]), as text
//! for people or, with `--format json`, JSON. Invalid input exits 1 like `render`.

use std::process::ExitCode;

use flink_render::explain::{configs, json, text};

use super::{CommonArgs, INVALID_INPUT, ReportFormat, print_text_diagnostics, with_inputs, write_stdout};

/// Arguments of `explain`.
#[derive(clap::Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Explain the Flink configuration: every key of each cluster's configuration file with its
    /// value and origin (the spec field or configuration key and its line, the operator
    /// defaults' layer, or the rule that derived it), and what it overrode.
    #[arg(long, required = true)]
    config: bool,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    format: ReportFormat,
}

/// Run `explain`.
pub fn run(args: ExplainArgs) -> ExitCode {
    let ((clusters, diagnostics), sources, unreadable) =
        match with_inputs(&args.common, |inputs, options, _| configs(inputs, options)) {
            Ok(done) => done,
            Err(code) => return code,
        };
    print_text_diagnostics(unreadable.iter().chain(diagnostics.iter()), &sources);
    if !unreadable.is_empty() || diagnostics.has_errors() {
        return ExitCode::from(INVALID_INPUT);
    }
    let defaults = args.common.defaults.as_ref().map(|path| path.display().to_string());
    write_stdout(&match args.format {
        ReportFormat::Text => text(&clusters, defaults.as_deref()),
        ReportFormat::Json => json(&clusters),
    })
}
