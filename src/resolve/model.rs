//! The resolved model: what `emit` needs, with every default applied and no `Option`
//! left where a value is always known. Only this model reaches `emit` (STYLE §3).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::flink::config::FlinkConfig;
use crate::flink::memory_model::{JobManagerMemory, TaskManagerMemory};
use crate::flink::version::FlinkVersion;

/// A FlinkDeployment ready to emit, in standalone mode.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    /// `metadata.name`: the Flink cluster id and the base of every object name.
    pub name: String,
    /// The namespace, when one is known (metadata, `--namespace` or the plugin environment).
    pub namespace: Option<String>,
    /// `spec.flinkVersion`.
    pub flink_version: FlinkVersion,
    /// The container image.
    pub image: String,
    /// `imagePullPolicy`, when set.
    pub image_pull_policy: Option<String>,
    /// The configuration written into the ConfigMap (operator keys already stripped).
    pub config: FlinkConfig,
    /// Log configuration files for the ConfigMap, by file name.
    pub log_files: BTreeMap<String, String>,
    /// `kubernetes.flink.conf.dir`, where the ConfigMap is mounted.
    pub conf_dir: String,
    /// `kubernetes.entry.path`, the container command.
    pub entry_path: String,
    /// The job, for application clusters; `None` for session clusters.
    pub application: Option<Application>,
    /// `job.state: suspended`: Deployments are scaled to zero.
    pub suspended: bool,
    /// High availability, when enabled.
    pub high_availability: Option<HighAvailability>,
    /// The JobManager.
    pub jobmanager: Component,
    /// The TaskManagers.
    pub taskmanager: Component,
    /// Fixed ports (FO §4.1).
    pub ports: Ports,
    /// The REST Service.
    pub rest_service: RestService,
    /// `kubernetes.secrets` mounts: secret name → mount path.
    pub secrets: Vec<(String, String)>,
    /// `kubernetes.hostnetwork.enabled`.
    pub host_network: bool,
    /// `kubernetes.container.image.pull-secrets`.
    pub image_pull_secrets: Vec<String>,
    /// `kubernetes.flink.log.dir`, exported as `FLINK_LOG_DIR` when set.
    pub flink_log_dir: Option<String>,
    /// The Ingress, when `spec.ingress` is set and managed.
    pub ingress: Option<Ingress>,
}

/// The job of an application cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    /// The deterministic job id passed as `--job-id`.
    pub job_id: String,
    /// `entryClass`.
    pub entry_class: Option<String>,
    /// `args`, passed verbatim after the entrypoint's own options.
    pub args: Vec<String>,
    /// `allowNonRestoredState`.
    pub allow_non_restored_state: bool,
    /// The savepoint to start from (`execution.savepoint.path`).
    pub savepoint_path: Option<String>,
    /// Whether `pipeline.classpaths` is set (the user-lib emptyDir depends on it).
    pub has_classpaths: bool,
}

/// High availability settings the objects depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HighAvailability {
    /// Kubernetes HA (needs ConfigMap access: RBAC is emitted).
    pub kubernetes: bool,
}

/// One Flink process kind (JobManager or TaskManager).
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// The merged pod template (FO §3), with resources injected and, for the JobManager,
    /// the startup probe.
    pub pod_template: Value,
    /// Deployment replicas.
    pub replicas: i32,
    /// Flink's memory breakdown of the process (the container gets its total).
    pub memory: ProcessMemory,
    /// Container memory request in MiB.
    pub memory_mib: u64,
    /// Container memory limit in MiB.
    pub memory_limit_mib: u64,
    /// Container cpu request in cores.
    pub cpu: f64,
    /// Container cpu limit in cores.
    pub cpu_limit: f64,
    /// The pod's service account.
    pub service_account: String,
    /// `kubernetes.<component>.labels`.
    pub labels: BTreeMap<String, String>,
    /// `kubernetes.<component>.annotations`.
    pub annotations: BTreeMap<String, String>,
    /// `kubernetes.<component>.node-selector`.
    pub node_selector: BTreeMap<String, String>,
    /// `kubernetes.<component>.tolerations`.
    pub tolerations: Vec<BTreeMap<String, String>>,
    /// `containerized.master.env.*` / `containerized.taskmanager.env.*`.
    pub env: Vec<(String, String)>,
}

/// Ports of the cluster (FO §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    /// `jobmanager.rpc.port`.
    pub jobmanager_rpc: i32,
    /// `blob.server.port`.
    pub blob_server: i32,
    /// `taskmanager.rpc.port`.
    pub taskmanager_rpc: i32,
    /// `rest.port`.
    pub rest: i32,
    /// `rest.bind-port`.
    pub rest_bind: i32,
}

/// The `<name>-rest` Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestService {
    /// `kubernetes.rest-service.exposed.type`.
    pub exposed_type: String,
    /// `kubernetes.rest-service.annotations`.
    pub annotations: BTreeMap<String, String>,
}

/// The Ingress (FO §4.6).
#[derive(Debug, Clone, PartialEq)]
pub struct Ingress {
    /// Rule host, when the template has one.
    pub host: Option<String>,
    /// Rule path, when the template has one.
    pub path: Option<String>,
    /// `className`.
    pub class_name: Option<String>,
    /// `annotations`.
    pub annotations: BTreeMap<String, String>,
    /// `labels`.
    pub labels: BTreeMap<String, String>,
    /// `tls`, as written.
    pub tls: Vec<Value>,
}

/// The memory breakdown of one Flink process, as Flink computes it at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase", tag = "process")]
pub enum ProcessMemory {
    /// A JobManager.
    JobManager(JobManagerMemory),
    /// A TaskManager.
    TaskManager(TaskManagerMemory),
}

impl ProcessMemory {
    /// Total process memory, in bytes.
    pub fn total_process(&self) -> u64 {
        match self {
            ProcessMemory::JobManager(memory) => memory.total_process(),
            ProcessMemory::TaskManager(memory) => memory.total_process(),
        }
    }

    /// The JVM arguments Flink's start-up script passes.
    pub fn jvm_args(&self) -> String {
        match self {
            ProcessMemory::JobManager(memory) => memory.jvm_args(),
            ProcessMemory::TaskManager(memory) => memory.jvm_args(),
        }
    }
}
