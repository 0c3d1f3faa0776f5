//! The resolved model: what `emit` needs, with every default applied and no `Option`
//! left where a value is always known. Only this model reaches `emit` (STYLE §3).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::flink::config::FlinkConfig;
use crate::flink::memory_model::ProcessMemory;
use crate::flink::version::FlinkVersion;

pub use crate::effective::cluster::{DeploymentMode, HighAvailability};
pub use crate::effective::ingress::IngressTarget as Ingress;
pub use crate::effective::job::UpgradeMode;
pub use crate::effective::ports::Ports;

/// A Flink cluster (a FlinkDeployment) ready to emit.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// `metadata.name`: the Flink cluster id and the base of every object name.
    pub name: String,
    /// Native (the JobManager creates the TaskManager pods) or standalone (every pod declared).
    pub mode: DeploymentMode,
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
    /// `kubernetes.internal-service.annotations`, the internal Service's annotations.
    pub internal_service_annotations: BTreeMap<String, String>,
    /// `kubernetes.secrets` mounts: secret name → mount path.
    pub secrets: Vec<(String, String)>,
    /// `kubernetes.hostnetwork.enabled`.
    pub host_network: bool,
    /// `kubernetes.container.image.pull-secrets`.
    pub image_pull_secrets: Vec<String>,
    /// `user.artifacts.base-dir`, where the entrypoint fetches a remote jar.
    pub artifacts_dir: String,
    /// `kubernetes.flink.log.dir`, exported as `FLINK_LOG_DIR` when set.
    pub flink_log_dir: Option<String>,
    /// The Ingress, when `spec.ingress` is set and managed.
    pub ingress: Option<Ingress>,
    /// ServiceAccounts to render for the pods (none with `flink-render.dev/service-account:
    /// existing`); a compile renders each once.
    pub service_accounts: Vec<String>,
    /// The NetworkPolicy, when `flink-render.dev/network-policy: enabled`.
    pub network_policy: Option<NetworkPolicy>,
    /// The chart template Helm 4 rendered the spec from: every object of the cluster carries it
    /// (`postrenderer.helm.sh/postrender-filename`), so that Helm files them under it.
    pub template_file: Option<String>,
    /// Whether its lifecycle Jobs carry Helm's hook annotations: not for Helm 3's
    /// post-renderer, which would only create them as plain Jobs.
    pub helm_hooks: bool,
    /// The ConfigMap's files and their hash, computed by `emit` on first use, so that the
    /// configuration file is rendered and hashed once per cluster however many objects
    /// need it (a cache of a pure function of the fields above; equality ignores it).
    pub config_files: Memo<ConfigFiles>,
    /// A native cluster's TaskManager pod template file and its hash, rendered once.
    pub taskmanager_template_file: Memo<TemplateFile>,
}

/// A rendered file and its hash.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateFile {
    /// The file's text.
    pub text: String,
    /// Its hash.
    pub hash: String,
}

/// The ConfigMap's data and its content hash.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigFiles {
    /// File name → content.
    pub data: BTreeMap<String, String>,
    /// The hash the pods carry.
    pub hash: String,
}

/// A value computed once from the rest of its owner. Two memos always compare equal: the
/// value is a function of fields that are compared.
#[derive(Debug, Clone)]
pub struct Memo<T>(std::cell::OnceCell<T>);

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo(std::cell::OnceCell::new())
    }
}

impl<T> Memo<T> {
    /// The value, computed by `compute` the first time.
    pub fn get_or_init(&self, compute: impl FnOnce() -> T) -> &T {
        self.0.get_or_init(compute)
    }
}

impl<T> PartialEq for Memo<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
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
    /// Where the job's jar comes from, when the spec names one.
    pub jar: Option<Jar>,
    /// How the job is upgraded when the spec changes.
    pub upgrade_mode: UpgradeMode,
    /// The state the job should be in.
    pub state: DesiredState,
    /// The lifecycle triggers the spec carries (FO §1.3).
    pub nonces: Nonces,
    /// Where and how savepoints are taken.
    pub snapshots: Snapshots,
}

/// Where and how the lifecycle steps take savepoints (FO §7.0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshots {
    /// The savepoint directory (`execution.checkpointing.savepoint-dir`, or the older
    /// `state.savepoints.dir`), when set.
    pub savepoint_dir: Option<String>,
    /// `kubernetes.operator.savepoint.format.type`: `CANONICAL` (the default) or `NATIVE`.
    pub format: String,
}

/// Where an application's jar comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Jar {
    /// A path inside the image, read through `pipeline.classpaths`.
    Image(String),
    /// A remote URI the entrypoint fetches (`--jars`) into the artifacts directory.
    Remote(String),
}

/// The state a job should be in (`job.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesiredState {
    /// Running.
    Running,
    /// Suspended: stopped, TaskManagers scaled to zero.
    Suspended,
}

/// The lifecycle triggers of a job or cluster (FO §1.3): a new value asks for the action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Nonces {
    /// `restartNonce`: restart without any other change.
    pub restart: Option<i64>,
    /// `job.savepointTriggerNonce`: take a savepoint.
    pub savepoint_trigger: Option<i64>,
    /// `job.checkpointTriggerNonce`: take a checkpoint.
    pub checkpoint_trigger: Option<i64>,
    /// `job.savepointRedeployNonce`: redeploy from `initialSavepointPath`.
    pub savepoint_redeploy: Option<i64>,
}

/// A FlinkSessionJob resolved against its session cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionJob {
    /// `metadata.name`.
    pub name: String,
    /// The namespace, when known.
    pub namespace: Option<String>,
    /// `spec.deploymentName`: the session cluster's name.
    pub deployment_name: String,
    /// The session cluster (among the inputs: validation makes sure).
    pub cluster: SessionCluster,
    /// The deterministic job id the job is submitted with.
    pub job_id: String,
    /// `jarURI`.
    pub jar_uri: Option<String>,
    /// `entryClass`.
    pub entry_class: Option<String>,
    /// `args`.
    pub args: Vec<String>,
    /// `parallelism`.
    pub parallelism: i64,
    /// `initialSavepointPath`.
    pub savepoint_path: Option<String>,
    /// `allowNonRestoredState`.
    pub allow_non_restored_state: bool,
    /// How the job is upgraded when the spec changes.
    pub upgrade_mode: UpgradeMode,
    /// The state the job should be in.
    pub state: DesiredState,
    /// The lifecycle triggers the spec carries.
    pub nonces: Nonces,
    /// The job's own configuration, submitted with it (FO §7.2): its `flinkConfiguration`
    /// without the operator's keys, and the operator's job defaults.
    pub configuration: BTreeMap<String, String>,
    /// The ConfigMap with the CA bundle the jar is downloaded with
    /// (`flink-render.dev/artifact-ca-bundle`).
    pub artifact_ca_bundle: Option<String>,
    /// Where and how savepoints are taken.
    pub snapshots: Snapshots,
    /// Whether the job is stopped before its application or release is deleted
    /// (`flink-render.dev/stop-on-delete: enabled`).
    pub stop_on_delete: bool,
    /// The chart template Helm 4 rendered the spec from, which its Jobs carry.
    pub template_file: Option<String>,
    /// Whether its Jobs carry Helm's hook annotations (not for Helm 3's post-renderer).
    pub helm_hooks: bool,
}

/// What a session job needs to know of its session cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCluster {
    /// The cluster's image (the submitter runs on it).
    pub image: String,
    /// The cluster's `imagePullPolicy`, when set.
    pub image_pull_policy: Option<String>,
    /// The ServiceAccount the JobManager runs as, when one is named.
    pub service_account: Option<String>,
    /// The cluster's Flink version.
    pub flink_version: FlinkVersion,
    /// The REST Service, `<deploymentName>-rest`.
    pub rest_service: String,
    /// The REST port.
    pub rest_port: i32,
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
    /// The spec field that gives the process size (`spec.taskManager.resources.requests.memory`,
    /// `…resource.memory`), when one does.
    pub memory_field: Option<String>,
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

/// Who may reach the cluster's pods under its NetworkPolicy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkPolicy {
    /// Labels of the pods (same namespace) that may reach the REST port.
    pub rest_allowed_from: BTreeMap<String, String>,
}

/// The `<name>-rest` Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestService {
    /// `kubernetes.rest-service.exposed.type`.
    pub exposed_type: String,
    /// `kubernetes.rest-service.annotations`.
    pub annotations: BTreeMap<String, String>,
}

impl Cluster {
    /// Kubernetes HA: the pods call the Kubernetes API (a token, RBAC, the HA ConfigMaps).
    pub fn kubernetes_ha(&self) -> bool {
        self.high_availability.is_some_and(|ha| ha.kubernetes)
    }

    /// Native mode: the JobManager creates its TaskManager pods through the Kubernetes API.
    pub fn native(&self) -> bool {
        self.mode == DeploymentMode::Native
    }

    /// Whether the JobManager calls the Kubernetes API: always in native mode, and with
    /// Kubernetes HA.
    pub fn jobmanager_calls_the_api(&self) -> bool {
        self.native() || self.kubernetes_ha()
    }
}

/// The memory Flink gives the processes of one cluster.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClusterMemory {
    /// The FlinkDeployment's name.
    pub name: String,
    /// Its namespace, when known.
    pub namespace: Option<String>,
    /// The JobManager breakdown.
    pub jobmanager: ProcessMemory,
    /// The TaskManager breakdown.
    pub taskmanager: ProcessMemory,
    /// The spec field that gives the JobManager's process size, when one does.
    pub jobmanager_field: Option<String>,
    /// The spec field that gives the TaskManager's process size, when one does.
    pub taskmanager_field: Option<String>,
}

impl ClusterMemory {
    /// The breakdown of a resolved cluster.
    pub fn of(cluster: &Cluster) -> ClusterMemory {
        ClusterMemory {
            name: cluster.name.clone(),
            namespace: cluster.namespace.clone(),
            jobmanager: cluster.jobmanager.memory,
            taskmanager: cluster.taskmanager.memory,
            jobmanager_field: cluster.jobmanager.memory_field.clone(),
            taskmanager_field: cluster.taskmanager.memory_field.clone(),
        }
    }
}
