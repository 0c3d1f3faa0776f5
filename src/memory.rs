//! The memory report, shared by `flink-render memory` and the WASM preview: per cluster, the
//! memory Flink gives each JobManager and TaskManager: every component in bytes, the total
//! process size (what the container requests), and the exact JVM arguments Flink's start-up
//! script computes (`-Xmx`, `-XX:MaxDirectMemorySize`, …). Two forms of the same report:
//! [`text_report`] for people (what configured or derived each part, and a bar), [`report`]
//! as JSON for tools and the preview page.

mod text;

use serde_json::{Value, json};

use crate::flink::memory_model::ProcessMemory;
use crate::resolve::model::ClusterMemory;

pub use text::text_report;

/// The report as pretty-printed JSON: an array with one entry per cluster.
pub fn report(clusters: &[ClusterMemory]) -> String {
    let clusters: Vec<Value> = clusters
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
    serde_json::to_string_pretty(&clusters).expect("JSON values serialize") + "\n"
}

fn process(memory: &ProcessMemory) -> Value {
    let mut value = serde_json::to_value(memory).expect("memory breakdowns serialize");
    value["totalProcess"] = json!(memory.total_process());
    value["jvmArgs"] = json!(memory.jvm_args());
    value
}
