//! `flink-render memory`: the memory Flink will give each JobManager and TaskManager, as
//! JSON ([`flink_render::memory::report`]). Invalid input exits 1 like `render`.

use std::process::ExitCode;

use flink_render::memory::report;

use super::{CommonArgs, compile_valid, write_stdout};

/// Arguments of `memory`.
#[derive(clap::Args)]
pub struct MemoryArgs {
    #[command(flatten)]
    common: CommonArgs,
}

/// Run `memory`.
pub fn run(args: MemoryArgs) -> ExitCode {
    match compile_valid(&args.common, None) {
        Ok(run) => write_stdout(&report(&run.compiled.memory)),
        Err(code) => code,
    }
}
