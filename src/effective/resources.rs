//! JobManager and TaskManager resources, read once (FO §2.3): memory and cpu from the new
//! `resources` block (Kubernetes `ResourceRequirements`) or the deprecated `resource` block,
//! limit factors from `limits` ÷ `requests`, and every other resource handed to the main
//! container. What cannot be read is kept as a [`ResourceIssue`]; `validate` reports it with
//! upstream's message (FO §6 rules 19–21, 25–27).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::flink::quantity::{MemorySize, Quantity, parse_resource_memory};
use crate::parse::spec::{QuantityText, RawResource, RawResourceRequirements};

/// Which Flink process a value is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Process {
    /// The JobManager.
    JobManager,
    /// The TaskManagers.
    TaskManager,
}

impl Process {
    /// `spec.jobManager` / `spec.taskManager`.
    pub fn spec_field(self) -> &'static str {
        match self {
            Process::JobManager => "spec.jobManager",
            Process::TaskManager => "spec.taskManager",
        }
    }

    /// `JobManager` / `TaskManager`, as upstream's messages say.
    pub fn title(self) -> &'static str {
        match self {
            Process::JobManager => "JobManager",
            Process::TaskManager => "TaskManager",
        }
    }

    /// `jobmanager` / `taskmanager`, as configuration keys say.
    pub fn config_name(self) -> &'static str {
        match self {
            Process::JobManager => "jobmanager",
            Process::TaskManager => "taskmanager",
        }
    }
}

/// cpu and memory of one process as the spec gives them.
#[derive(Debug, Clone, Default)]
pub struct ProcessResources {
    /// Where the spec gives memory, if it does (`…resources.requests.memory`, `…resource.memory`).
    pub memory_path: Option<String>,
    /// The memory, when it reads.
    pub memory: Option<MemorySize>,
    /// cpu cores, when given.
    pub cpu: Option<f64>,
    /// `limits.cpu ÷ requests.cpu`.
    pub cpu_limit_factor: Option<f64>,
    /// `limits.memory ÷ requests.memory`.
    pub memory_limit_factor: Option<f64>,
    /// Resources other than cpu and memory, for the main container's requests.
    pub extra_requests: Vec<(String, String)>,
    /// … and its limits.
    pub extra_limits: Vec<(String, String)>,
    /// `resources.claims`, handed to the main container as written.
    pub claims: Option<Value>,
    /// The deprecated `resource` block is set but `resources` wins.
    pub deprecated_block_ignored: bool,
    /// Values that could not be read, in the order found.
    pub issues: Vec<ResourceIssue>,
}

impl ProcessResources {
    /// Whether the spec gives memory at all (readable or not).
    pub fn memory_given(&self) -> bool {
        self.memory_path.is_some()
    }
}

/// A resource value that cannot be used, at its field path.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceIssue {
    /// The field, e.g. `spec.taskManager.resources.requests.memory`.
    pub path: String,
    /// What is wrong.
    pub kind: IssueKind,
}

/// What is wrong with a resource value; `validate` words it as upstream does. `section` is
/// `requests` or `limits`, `name` the resource (`ephemeral-storage`), `text` the value as
/// written, `error` why it does not parse.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub enum IssueKind {
    /// `resources.<section>.memory` does not read (FO §2.3).
    MemoryUnreadable { section: &'static str, error: String },
    /// `resources.requests.memory` is zero bytes.
    MemoryNotPositive,
    /// A quantity in `resources.<section>` does not parse.
    QuantityUnreadable { section: &'static str, name: String, error: String },
    /// `resources.<section>.cpu` is zero or negative.
    CpuNotPositive { section: &'static str, text: String },
    /// Another quantity is negative.
    QuantityNegative { section: &'static str, name: String, text: String },
    /// A request above its limit.
    RequestExceedsLimit { name: &'static str, request: String, limit: String },
    /// The deprecated `resource.memory` does not read.
    DeprecatedMemoryUnreadable { error: String },
    /// The deprecated `resource.cpu` is zero or negative.
    DeprecatedCpuNotPositive { cpu: f64 },
    /// The deprecated `resource.ephemeralStorage` does not parse.
    EphemeralStorageUnreadable { error: String },
}

type Quantities = BTreeMap<String, QuantityText>;

/// Read a process's resources: the `resources` block when it has requests or limits,
/// otherwise the deprecated `resource` block.
pub fn read(
    process: Process,
    resource: Option<&RawResource>,
    resources: Option<&RawResourceRequirements>,
) -> ProcessResources {
    let empty = Quantities::new();
    let requests = resources.and_then(|r| r.requests.as_ref()).unwrap_or(&empty);
    let limits = resources.and_then(|r| r.limits.as_ref()).unwrap_or(&empty);
    let mut read = ProcessResources { claims: resources.and_then(|r| r.claims.clone()), ..ProcessResources::default() };
    if !requests.is_empty() || !limits.is_empty() {
        read.deprecated_block_ignored = resource.is_some();
        read_requirements(process, requests, limits, &mut read);
    } else if let Some(resource) = resource {
        read_deprecated(process, resource, &mut read);
    }
    read
}

fn read_requirements(process: Process, requests: &Quantities, limits: &Quantities, read: &mut ProcessResources) {
    let base = process.spec_field();
    for (section, entries) in [("requests", requests), ("limits", limits)] {
        for (name, quantity) in entries {
            read_quantity(&format!("{base}.resources.{section}.{name}"), section, name, &quantity.0, read);
        }
    }
    let memory_request = requests.get("memory").and_then(|q| parse_resource_memory(&q.0).ok());
    let memory_limit = limits.get("memory").and_then(|q| parse_resource_memory(&q.0).ok());
    if memory_request.is_some_and(|memory| memory.bytes == 0) {
        read.issues.push(ResourceIssue {
            path: format!("{base}.resources.requests.memory"),
            kind: IssueKind::MemoryNotPositive,
        });
    }
    let section = if requests.contains_key("memory") { "requests" } else { "limits" };
    if requests.contains_key("memory") || limits.contains_key("memory") {
        read.memory_path = Some(format!("{base}.resources.{section}.memory"));
    }
    read.memory = memory_request.or(memory_limit);
    let cpu = |entries: &Quantities| entries.get("cpu").and_then(|q| Quantity::parse(&q.0).ok()).map(|q| q.to_f64());
    let (cpu_request, cpu_limit) = (cpu(requests), cpu(limits));
    read.cpu = cpu_request.or(cpu_limit);
    if let (Some(request), Some(limit)) = (cpu_request, cpu_limit) {
        if request > 0.0 {
            read.cpu_limit_factor = Some(limit / request);
        }
        if request > limit {
            read.issues.push(exceeds(base, "cpu", requests, limits));
        }
    }
    if let (Some(request), Some(limit)) = (requests.get("memory"), limits.get("memory")) {
        if let (Some(request), Some(limit)) = (memory_amount(&request.0), memory_amount(&limit.0))
            && request > 0.0
        {
            read.memory_limit_factor = Some(limit / request);
        }
        if let (Some(request), Some(limit)) = (memory_request, memory_limit)
            && request.bytes > limit.bytes
        {
            read.issues.push(exceeds(base, "memory", requests, limits));
        }
    }
}

/// The amount of a memory quantity for the limit factor: a Kubernetes quantity's value, or
/// the byte count Flink's syntax gives.
fn memory_amount(text: &str) -> Option<f64> {
    Quantity::parse(text).map(|q| q.to_f64()).ok().or_else(|| parse_resource_memory(text).ok().map(|m| m.bytes as f64))
}

fn exceeds(base: &str, name: &'static str, requests: &Quantities, limits: &Quantities) -> ResourceIssue {
    ResourceIssue {
        path: format!("{base}.resources.requests.{name}"),
        kind: IssueKind::RequestExceedsLimit { name, request: requests[name].0.clone(), limit: limits[name].0.clone() },
    }
}

/// One `requests` / `limits` entry: memory reads the Flink way then as a quantity (FO §2.3),
/// cpu must be positive, every other quantity non-negative and handed to the container.
fn read_quantity(path: &str, section: &'static str, name: &str, text: &str, read: &mut ProcessResources) {
    let issue = |kind| ResourceIssue { path: path.to_string(), kind };
    if name == "memory" {
        if let Err(error) = parse_resource_memory(text) {
            read.issues.push(issue(IssueKind::MemoryUnreadable { section, error: error.to_string() }));
        }
        return;
    }
    match Quantity::parse(text) {
        Err(error) => read.issues.push(issue(IssueKind::QuantityUnreadable { section, name: name.into(), error })),
        Ok(parsed) if name == "cpu" && (parsed.is_negative() || parsed.is_zero()) => {
            read.issues.push(issue(IssueKind::CpuNotPositive { section, text: text.into() }))
        }
        Ok(parsed) if parsed.is_negative() => {
            read.issues.push(issue(IssueKind::QuantityNegative { section, name: name.into(), text: text.into() }))
        }
        Ok(_) if name == "cpu" => {}
        Ok(_) => {
            let target = if section == "requests" { &mut read.extra_requests } else { &mut read.extra_limits };
            target.push((name.to_string(), text.to_string()));
        }
    }
}

/// The deprecated `resource` block (FO §1.4): memory, cpu and ephemeral storage.
fn read_deprecated(process: Process, resource: &RawResource, read: &mut ProcessResources) {
    let base = process.spec_field();
    if let Some(memory) = resource.memory.as_deref().filter(|memory| !memory.trim().is_empty()) {
        read.memory_path = Some(format!("{base}.resource.memory"));
        match parse_resource_memory(memory) {
            Ok(size) => read.memory = Some(size),
            Err(error) => read.issues.push(ResourceIssue {
                path: format!("{base}.resource.memory"),
                kind: IssueKind::DeprecatedMemoryUnreadable { error: error.to_string() },
            }),
        }
    }
    if let Some(cpu) = resource.cpu {
        if cpu <= 0.0 {
            read.issues.push(ResourceIssue {
                path: format!("{base}.resource.cpu"),
                kind: IssueKind::DeprecatedCpuNotPositive { cpu },
            });
        }
        read.cpu = Some(cpu);
    }
    if let Some(storage) = resource.ephemeral_storage.as_deref() {
        match Quantity::parse(storage) {
            Ok(_) => {
                read.extra_requests.push(("ephemeral-storage".into(), storage.to_string()));
                read.extra_limits.push(("ephemeral-storage".into(), storage.to_string()));
            }
            Err(error) => read.issues.push(ResourceIssue {
                path: format!("{base}.resource.ephemeralStorage"),
                kind: IssueKind::EphemeralStorageUnreadable { error },
            }),
        }
    }
}
