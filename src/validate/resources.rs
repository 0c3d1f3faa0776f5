//! Resources, replicas and memory (FO §6 rules 16–28): every resource value reads and is in
//! range, replica counts are positive, standby JobManagers have HA, and Flink's memory model
//! can size both processes (what Flink would refuse at start-up is an error with Flink's
//! own message). Also flink-render's own: Kubernetes HA needs a namespace, and a TaskManager
//! without cpu gets the slot count.

use crate::diagnostics::{Code, Diagnostic};
use crate::effective::cluster::ProcessView;
use crate::effective::resources::{IssueKind, Process, ResourceIssue};
use crate::effective::{ClusterView, DeploymentMode};
use crate::flink::memory_model::{MemoryError, MemoryErrorKind};

use super::findings::{at, config_path};

/// FO §6 rules 19–21: the JobManager's `resource` / `resources` values read and are in range.
pub fn jobmanager_resources(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    resource_findings(view, &view.jobmanager)
}

/// FO §6 rules 25–27: the same for the TaskManager.
pub fn taskmanager_resources(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    resource_findings(view, &view.taskmanager)
}

fn resource_findings(view: &ClusterView<'_>, process: &ProcessView) -> Vec<Diagnostic> {
    let base = process.process.spec_field();
    let mut found = Vec::new();
    if process.resources.deprecated_block_ignored {
        found.push(at(
            view.parsed,
            Code::DeprecatedField,
            &format!("{base}.resource"),
            format!("ignored: {base}.resources is set and overrides the deprecated `resource`"),
        ));
    }
    let title = process.process.title();
    found.extend(process.resources.issues.iter().map(|issue| {
        let (code, message) = issue_message(title, issue);
        at(view.parsed, code, &issue.path, message)
    }));
    found
}

/// Upstream's words for a resource issue (`FlinkConfigBuilder`, `DefaultValidator`).
fn issue_message(title: &str, issue: &ResourceIssue) -> (Code, String) {
    match &issue.kind {
        IssueKind::MemoryUnreadable { section, error } => {
            (Code::InvalidMemory, format!("{title} resource requirements {section} memory parse error: {error}"))
        }
        IssueKind::MemoryNotPositive => {
            (Code::InvalidMemory, format!("{title} resource requirements requests memory must be positive"))
        }
        IssueKind::QuantityUnreadable { section, name, error } => {
            (Code::InvalidQuantity, format!("{title} resource requirements {section} {name} parse error: {error}"))
        }
        IssueKind::CpuNotPositive { section, text } => {
            (Code::InvalidCpu, format!("{title} resource requirements {section} cpu must be positive: {text}"))
        }
        IssueKind::QuantityNegative { section, name, text } => (
            Code::InvalidQuantity,
            format!("{title} resource requirements {section} {name} must not be negative: {text}"),
        ),
        IssueKind::RequestExceedsLimit { name, request, limit } => (
            Code::RequestExceedsLimit,
            format!("{title} resource requirements {name} request ({request}) must not exceed its limit ({limit})"),
        ),
        IssueKind::DeprecatedMemoryUnreadable { error } => {
            (Code::InvalidMemory, format!("{title} resource memory parse error: {error}"))
        }
        IssueKind::DeprecatedCpuNotPositive { cpu } => {
            (Code::InvalidCpu, format!("{title} resource cpu must be positive: {cpu}"))
        }
        IssueKind::EphemeralStorageUnreadable { error } => {
            (Code::InvalidQuantity, format!("{title} resource ephemeral storage parse error: {error}"))
        }
    }
}

/// FO §6 rule 22: at least one JobManager.
pub fn jobmanager_replicas(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    if view.jobmanager.replicas >= 1 {
        return Vec::new();
    }
    vec![at(
        view.parsed,
        Code::InvalidReplicas,
        "spec.jobManager.replicas",
        "JobManager replicas should not be configured less than one.",
    )]
}

/// FO §6 rules 16 and 28: TaskManager replicas, when set, are at least one.
pub fn taskmanager_replicas(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    match view.spec.task_manager.as_ref().and_then(|tm| tm.replicas) {
        Some(replicas) if replicas < 1 => vec![at(
            view.parsed,
            Code::InvalidReplicas,
            "spec.taskManager.replicas",
            "TaskManager replicas must be larger than 0",
        )],
        _ => Vec::new(),
    }
}

/// FO §6 rule 23: more than one JobManager needs high availability.
pub fn standby_jobmanagers_need_ha(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    if view.jobmanager.replicas <= 1 || view.high_availability.is_some() {
        return Vec::new();
    }
    vec![at(
        view.parsed,
        Code::StandbyNeedsHa,
        "spec.jobManager.replicas",
        "High availability should be enabled when starting standby JobManagers.",
    )]
}

/// FO §6 rules 18 and 24, then Flink's memory model (`ProcessMemoryUtils`,
/// `TaskExecutorFlinkMemoryUtils`, `JobManagerFlinkMemoryUtils`): each process needs memory,
/// and the sizes must be ones Flink would start with. An unreadable memory value is
/// reported by the resources rules alone.
pub fn memory(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    [&view.jobmanager, &view.taskmanager].into_iter().filter_map(|process| memory_finding(view, process)).collect()
}

fn memory_finding(view: &ClusterView<'_>, process: &ProcessView) -> Option<Diagnostic> {
    let error = process.memory.as_ref().err()?;
    let resources = &process.resources;
    if resources.memory_given() && resources.memory.is_none() {
        return None;
    }
    let (title, base, name) = (process.process.title(), process.process.spec_field(), process.process.config_name());
    if !resources.memory_given() && error.kind == MemoryErrorKind::NotConfigured {
        let message = format!(
            "{title} resource memory must be defined using `{base}.resource.memory` or `{base}.resources.requests.memory`"
        );
        return Some(
            at(view.parsed, Code::MissingMemory, &format!("{base}.resource.memory"), message)
                .with_hint(format!("or set flinkConfiguration `{name}.memory.process.size`")),
        );
    }
    let user_key = error.key.clone().or_else(|| {
        let prefix = format!("{name}.memory.");
        view.config.iter().map(|(key, _)| key).find(|key| key.starts_with(&prefix) && view.user_wrote(key)).cloned()
    });
    let path = match (&resources.memory_path, &user_key) {
        (Some(path), None) => path.clone(),
        (_, Some(key)) => config_path(key),
        (None, None) => base.to_string(),
    };
    let span = match &user_key {
        Some(key) if resources.memory_path.is_none() || error.key.is_some() => view.parsed.config_span(&[key]),
        _ => view.parsed.span(&path),
    };
    let message = format!("Flink would not start the {title}: {}", error.message);
    Some(Diagnostic::new(Code::FlinkMemory, path, message).at(span).with_hint(memory_hint(title, error)))
}

fn memory_hint(title: &str, error: &MemoryError) -> String {
    match error.kind {
        MemoryErrorKind::Inconsistent => "set only one of the overlapping memory options, or make them add up".into(),
        MemoryErrorKind::Unreadable => {
            "write a value Flink reads: a memory size such as `1024m` or `2 gb`, a fraction such as `0.1`".into()
        }
        MemoryErrorKind::NotConfigured | MemoryErrorKind::TooSmall => {
            format!("give the {title} more memory, or lower its fixed parts (framework, network, managed, metaspace)")
        }
    }
}

/// Ours: standalone Flink would request `-1.0` cpu for a TaskManager without any; the slot
/// count is used, as native mode does, with a warning.
pub fn taskmanager_cpu(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    if !view.taskmanager.cpu_defaulted || view.mode == DeploymentMode::Native {
        return Vec::new();
    }
    let message = format!(
        "TaskManager cpu is not set; using the slot count ({}) as native mode does (standalone Flink would request -1.0 cpu)",
        view.slots
    );
    vec![
        at(
            view.parsed,
            Code::TaskmanagerCpuDefaulted,
            &format!("{}.resources.requests.cpu", Process::TaskManager.spec_field()),
            message,
        )
        .with_hint("set spec.taskManager.resources.requests.cpu"),
    ]
}
