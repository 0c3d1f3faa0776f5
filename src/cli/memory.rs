//! `flink-render memory`: the memory Flink will give each JobManager and TaskManager, as
//! JSON — every component in bytes, the totals, and the exact JVM arguments Flink's start-up
//! script computes (`-Xmx`, `-XX:MaxDirectMemorySize`, …). Invalid input exits 1 like `render`.

use std::process::ExitCode;

use serde_json::{Value, json};

use flink_render::resolve::model::ProcessMemory;

use super::{CommonArgs, compile_valid, write_stdout};

/// Arguments of `memory`.
#[derive(clap::Args)]
pub struct MemoryArgs {
    #[command(flatten)]
    common: CommonArgs,
}

fn process(memory: &ProcessMemory) -> Value {
    let mut value = serde_json::to_value(memory).expect("memory breakdowns serialize");
    value["totalProcess"] = json!(memory.total_process());
    value["jvmArgs"] = json!(memory.jvm_args());
    value
}

/// Run `memory`.
pub fn run(args: MemoryArgs) -> ExitCode {
    let run = match compile_valid(&args.common) {
        Ok(run) => run,
        Err(code) => return code,
    };
    let clusters: Vec<Value> = run
        .compiled
        .memory
        .iter()
        .map(|cluster| {
            json!({
                "name": cluster.name,
                "namespace": cluster.namespace,
                "jobmanager": process(&cluster.jobmanager),
                "taskmanager": process(&cluster.taskmanager),
            })
        })
        .collect();
    write_stdout(&(serde_json::to_string_pretty(&clusters).expect("JSON values serialize") + "\n"))
}
