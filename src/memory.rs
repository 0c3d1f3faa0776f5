//! The memory report, shared by `flink-render memory` and the WASM preview: per cluster, the
//! memory Flink gives each JobManager and TaskManager: every component in bytes, the total
//! process size (what the container requests), and the exact JVM arguments Flink's start-up
//! script computes (`-Xmx`, `-XX:MaxDirectMemorySize`, …).

use serde_json::{Value, json};

use crate::flink::memory_model::ProcessMemory;
use crate::resolve::model::Cluster;

/// The memory Flink gives the processes of one cluster.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClusterMemory {
    /// The FlinkDeployment's name.
    pub name: String,
    /// Its namespace, when known.
    pub namespace: Option<String>,
    /// The JobManager breakdown.
    pub jobmanager: ProcessMemory,
    /// The TaskManager breakdown.
    pub taskmanager: ProcessMemory,
}

impl ClusterMemory {
    /// The breakdown of a resolved cluster.
    pub fn of(cluster: &Cluster) -> ClusterMemory {
        ClusterMemory {
            name: cluster.name.clone(),
            namespace: cluster.namespace.clone(),
            jobmanager: cluster.jobmanager.memory,
            taskmanager: cluster.taskmanager.memory,
        }
    }
}

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
