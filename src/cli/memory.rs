//! `flink-render memory`: the memory Flink will give each JobManager and TaskManager, as a
//! breakdown for people ([`flink_render::memory::text_report`]) or, with `--format json`, as
//! JSON ([`flink_render::memory::report`]). Invalid input exits 1 like `render`.

use std::process::ExitCode;

use flink_render::memory::{report, text_report};

use super::{CommonArgs, ReportFormat, compile_valid, write_stdout};

/// Arguments of `memory`.
#[derive(clap::Args)]
pub struct MemoryArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    format: ReportFormat,
}

/// Run `memory`.
pub fn run(args: MemoryArgs) -> ExitCode {
    match compile_valid(&args.common, None) {
        Ok(run) => write_stdout(&match args.format {
            ReportFormat::Text => text_report(&run.compiled.memory),
            ReportFormat::Json => report(&run.compiled.memory),
        }),
        Err(code) => code,
    }
}
