//! One Flink process kind (JobManager or TaskManager) assembled for `emit` (FO §4.4, §4.5):
//! its pod template, replicas, Flink's memory breakdown and the container sizes derived from
//! it (limit factors applied), cpu, and what the configuration says about its pods:
//! service account, labels, annotations, node selector, tolerations and environment.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::effective::ClusterView;
use crate::effective::cluster::ProcessView;
use crate::effective::resources::Process;
use crate::flink::config::{parse_flat_list, parse_flat_map};
use crate::flink::memory_model::{JobManagerMemory, ProcessMemory, TaskManagerMemory};

use super::model::Component;

/// Assemble one process kind from its view and merged pod template.
pub fn component(view: &ClusterView<'_>, process: &ProcessView, pod_template: Value) -> Component {
    let name = process.process.config_name();
    let map = |key: String| {
        view.config
            .get(&key)
            .map(|text| parse_flat_map(&text).into_iter().collect::<BTreeMap<_, _>>())
            .unwrap_or_default()
    };
    let memory = process.memory.clone().unwrap_or_else(|_| unresolved_memory(process.process));
    let memory_mib = memory.total_process() / (1 << 20);
    Component {
        pod_template,
        replicas: process.replicas.clamp(0, i32::MAX as i64) as i32,
        memory,
        memory_field: process.resources.memory_path.clone(),
        memory_mib,
        memory_limit_mib: (memory_mib as f64 * process.memory_limit_factor).floor() as u64,
        cpu: process.cpu,
        cpu_limit: process.cpu * process.cpu_limit_factor,
        service_account: view.service_account(process.process).unwrap_or_default(),
        labels: map(format!("kubernetes.{name}.labels")),
        annotations: process.annotations.clone(),
        node_selector: map(format!("kubernetes.{name}.node-selector")),
        tolerations: view
            .config
            .get(&format!("kubernetes.{name}.tolerations"))
            .map(|text| parse_flat_list(&text).iter().map(|item| parse_flat_map(item).into_iter().collect()).collect())
            .unwrap_or_default(),
        env: environment(view, process.process),
    }
}

/// `containerized.master.env.*` / `containerized.taskmanager.env.*`, by variable name.
fn environment(view: &ClusterView<'_>, process: Process) -> Vec<(String, String)> {
    let prefix = match process {
        Process::JobManager => "containerized.master.env.",
        Process::TaskManager => "containerized.taskmanager.env.",
    };
    view.config
        .iter()
        .filter_map(|(key, value)| Some((key.strip_prefix(prefix)?.to_string(), value.to_flat_string())))
        .collect()
}

/// A zero breakdown standing in where the memory model failed; a failure is always
/// reported by `validate`, and a cluster with errors is never lowered.
fn unresolved_memory(process: Process) -> ProcessMemory {
    match process {
        Process::JobManager => ProcessMemory::JobManager(JobManagerMemory::default()),
        Process::TaskManager => ProcessMemory::TaskManager(TaskManagerMemory::default()),
    }
}
