//! `flink-render memory`: the memory Flink will give each JobManager and TaskManager, as
//! JSON — every component in bytes, the totals, and the exact JVM arguments Flink's start-up
//! script computes (`-Xmx`, `-XX:MaxDirectMemorySize`, …). Invalid input exits 1 like `render`.

use std::process::ExitCode;

use flink_render::output::memory_json;

use super::{CommonArgs, compile_valid, write_stdout};

/// Arguments of `memory`.
#[derive(clap::Args)]
pub struct MemoryArgs {
    #[command(flatten)]
    common: CommonArgs,
}

/// Run `memory`.
pub fn run(args: MemoryArgs) -> ExitCode {
    let run = match compile_valid(&args.common) {
        Ok(run) => run,
        Err(code) => return code,
    };
    write_stdout(&memory_json(&run.compiled.memory))
}
