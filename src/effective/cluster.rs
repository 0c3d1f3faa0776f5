//! The effective view of a FlinkDeployment with a spec: every value the rules and the
//! lowering need, read once, with what could not be read kept as data. The configuration
//! is built in the operator's `FlinkConfigBuilder` order (FO §2.2):
//!
//! 1. the operator defaults for the namespace and Flink version (FO §2.0), then the user's
//!    `flinkConfiguration` ([`EffectiveConfig::layered`]);
//! 2. fixed defaults, image, pull policy and service account ([`Builder::images_and_accounts`]);
//! 3. memory, cpu and limit factors per process ([`Builder::process`], FO §2.3);
//! 4. replicas, high availability, slots ([`Builder::replicas`], [`Builder::slots`]);
//! 5. the job or the session ([`Builder::job`], FO §2.4 parallelism);
//! 6. identity and HA keys, the generation annotation ([`Builder::identity`]);
//! 7. ports and the rpc address ([`ports::read`], FO §4.1, §11.6);
//! 8. in native mode, the keys Flink's own client adds when it deploys the cluster
//!    ([`Builder::native_client`], reference native-mode.md §1);
//! 9. Flink's memory model over the result ([`memory_model`]).
//!
//! The mode decides steps 5 and 8: `spec.mode`, else the compile's setting for an omitted mode
//! ([`Settings::omitted_mode`]), native by default as in the operator.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::flink::config::{ConfigValue, parse_flat_map};
use crate::flink::image::in_user_lib;
use crate::flink::java::java_double_text;
use crate::flink::memory_model::{self, MemoryError, ProcessMemory};
use crate::flink::options::{HIGH_AVAILABILITY, parse_bool};
use crate::flink::version::FlinkVersion;
use crate::parse::ParsedDeployment;
use crate::parse::defaults::BUILTIN_LOG4J_CONSOLE;
use crate::parse::spec::{RawDeploymentSpec, RawJobSpec};
use crate::provenance::{Derivation, Origin};

use super::config::EffectiveConfig;
use super::helm::{self, HelmHooks};
use super::ingress::{self, IngressRead};
use super::job::{JobState, UpgradeMode, UpgradeModeRead, job_state, upgrade_mode};
use super::job_id::job_id;
pub use super::mode::DeploymentMode;
use super::pod_template::{ArrayMerge, as_template, merge_templates};
use super::ports::{self, PortProblem, Ports};
use super::render_settings::{self, RenderSettings};
use super::resources::{self, Process, ProcessResources};
use super::settings::Settings;

/// A FlinkDeployment with a spec, as the rules and the lowering see it.
#[derive(Debug, Clone)]
pub struct ClusterView<'a> {
    /// The resource as read.
    pub parsed: &'a ParsedDeployment,
    /// Its spec.
    pub spec: &'a RawDeploymentSpec,
    /// `metadata.name` (empty when missing): the cluster id.
    pub name: &'a str,
    /// `metadata.namespace`, else the namespace of the compile.
    pub namespace: Option<&'a str>,
    /// The mode the cluster is rendered in.
    pub mode: DeploymentMode,
    /// Whether `spec.mode` chose it (otherwise the compile's setting for an omitted mode did;
    /// an unknown `spec.mode` counts as omitted here and is reported by `validate`).
    pub mode_written: bool,
    /// `spec.flinkVersion`, when it is set and a version the CRD knows.
    pub flink_version: Option<FlinkVersion>,
    /// The version the configuration is built for: `flink_version`, else the newest known.
    pub version: FlinkVersion,
    /// The image: `spec.image`, or `flink:<major>.<minor>` of the version.
    pub image: String,
    /// Whether `spec.image` was missing and the image was derived.
    pub image_derived: bool,
    /// `spec.imagePullPolicy`, trimmed, when set.
    pub image_pull_policy: Option<&'a str>,
    /// Log configuration files, and the field that gave them (`None`: the built-in log4j).
    pub log_files: BTreeMap<String, String>,
    /// `spec.logConfiguration` or its FLIP-212 spelling `spec.logging`.
    pub log_files_field: Option<&'static str>,
    /// The JobManager.
    pub jobmanager: ProcessView,
    /// The TaskManagers.
    pub taskmanager: ProcessView,
    /// `taskmanager.numberOfTaskSlots` (1 when unreadable or below 1).
    pub slots: i64,
    /// The slots value as written, when it is not a usable slot count.
    pub slots_problem: Option<String>,
    /// The job, for application clusters.
    pub job: Option<JobView<'a>>,
    /// High availability, when enabled.
    pub high_availability: Option<HighAvailability>,
    /// The ports (FO §4.1).
    pub ports: Ports,
    /// Port options that are not single port numbers.
    pub port_problems: Vec<PortProblem>,
    /// `kubernetes.rest-service.exposed.type`.
    pub rest_service_type: String,
    /// The Ingress, when the spec asks for one and the operator would manage it.
    pub ingress: Option<IngressRead>,
    /// flink-render's own settings, from the resource's annotations.
    pub render: RenderSettings,
    /// The chart template Helm 4 rendered the spec from ([`helm::template_file`]).
    pub template_file: Option<&'a str>,
    /// What Helm does with the hook annotations of its lifecycle Jobs.
    pub helm_hooks: HelmHooks,
    /// The effective configuration, operator keys still in it.
    pub config: EffectiveConfig,
}

/// One Flink process kind.
#[derive(Debug, Clone)]
pub struct ProcessView {
    /// Which process.
    pub process: Process,
    /// Its resources as the spec gives them.
    pub resources: ProcessResources,
    /// Deployment replicas (TaskManagers: from the parallelism when `replicas` is unset).
    pub replicas: i64,
    /// cpu cores: the spec's, else `kubernetes.<process>.cpu.amount`, else the default.
    pub cpu: f64,
    /// Whether TaskManager cpu fell back to the slot count.
    pub cpu_defaulted: bool,
    /// `kubernetes.<process>.cpu.limit-factor`.
    pub cpu_limit_factor: f64,
    /// `kubernetes.<process>.memory.limit-factor`.
    pub memory_limit_factor: f64,
    /// `kubernetes.<process>.annotations` (the JobManager's with the generation annotation).
    pub annotations: BTreeMap<String, String>,
    /// Flink's memory model over the effective configuration.
    pub memory: Result<ProcessMemory, MemoryError>,
    /// The pod template: the operator defaults' beneath the spec's, component over common
    /// (FO §3.1), each read as a template ([`pod_template::as_template`]); `null` when none.
    pub pod_template: Value,
}

/// High availability settings the objects depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HighAvailability {
    /// Kubernetes HA (needs ConfigMap access, so RBAC is emitted, and a namespace).
    pub kubernetes: bool,
    /// ZooKeeper HA.
    pub zookeeper: bool,
}

/// The job of an application cluster.
#[derive(Debug, Clone)]
pub struct JobView<'a> {
    /// `spec.job`.
    pub spec: &'a RawJobSpec,
    /// The upgrade mode.
    pub upgrade_mode: UpgradeModeRead,
    /// The desired state.
    pub state: JobState,
    /// The deterministic job id (DESIGN §3).
    pub job_id: String,
    /// What identifies the job's graph: the id it would have if every change of the job started a
    /// new one (the job id of the other upgrade modes), whatever its upgrade mode.
    pub graph_id: String,
    /// The effective parallelism P (FO §2.4), when it can be known.
    pub parallelism: Option<i64>,
    /// `job.parallelism` is set to something else than what `taskManager.replicas` decides.
    pub parallelism_ignored: bool,
    /// Where the job's jar comes from, when `jarURI` is set.
    pub jar: Option<JarSource<'a>>,
}

/// Where an application's jar comes from (`jarURI`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JarSource<'a> {
    /// A path inside the image (`local://` or `file://`), on `pipeline.classpaths` (FO §2.2).
    Image(String),
    /// A remote URI (`https://`, `s3://`, …), fetched by the entrypoint's `--jars` into
    /// `user.artifacts.base-dir` (Flink's `ArtifactFetchManager`); the operator's
    /// `pipeline.classpaths` would not fetch it (FO §4.8).
    Remote(&'a str),
    /// No scheme: nothing can read it.
    NoScheme(&'a str),
}

/// The configuration flags flink-render reads to render; their values must be booleans
/// Flink can read.
pub const RENDERING_FLAGS: [(&str, bool); 4] = [
    ("kubernetes.operator.pod-template.merge-arrays-by-name", false),
    ("kubernetes.operator.jm-deployment.startup.probe.enabled", true),
    ("kubernetes.operator.ingress.manage", true),
    ("kubernetes.hostnetwork.enabled", false),
];

impl ClusterView<'_> {
    /// Whether the user wrote configuration `key`.
    pub fn user_wrote(&self, key: &str) -> bool {
        self.parsed.user_keys.iter().any(|user| user.key == key)
    }

    /// A configuration flag, read as Flink reads booleans; an unreadable value counts as
    /// `default` here (and is reported by `validate`).
    pub fn flag(&self, key: &str, default: bool) -> bool {
        flag(&self.config, key, default)
    }

    /// The ServiceAccount a process runs as: `kubernetes.<process>.service-account`, else
    /// `spec.serviceAccount`.
    pub fn service_account(&self, process: Process) -> Option<String> {
        let key = format!("kubernetes.{}.service-account", process.config_name());
        self.config.get(&key).or_else(|| self.spec.service_account.clone())
    }
}

fn flag(config: &EffectiveConfig, key: &str, default: bool) -> bool {
    config.get(key).and_then(|text| parse_bool(&text).ok()).unwrap_or(default)
}

/// Build the view of a FlinkDeployment with a spec.
pub(super) fn build<'a>(
    parsed: &'a ParsedDeployment,
    spec: &'a RawDeploymentSpec,
    settings: &Settings<'a>,
) -> ClusterView<'a> {
    let mut builder = Builder::new(parsed, spec, settings);
    builder.seed_task_slots();
    builder.images_and_accounts();
    let jobmanager = builder.process(Process::JobManager);
    let taskmanager = builder.process(Process::TaskManager);
    let jobmanager_replicas = builder.replicas();
    let high_availability = builder.high_availability();
    let (slots, slots_problem) = builder.slots();
    let job = builder.job(slots);
    builder.identity(high_availability, job.as_ref());
    let (ports, port_problems) = ports::read(&mut builder.config, high_availability.is_some());
    let rpc_address = match builder.namespace {
        Some(namespace) => format!("{}.{namespace}", builder.name),
        None => builder.name.to_string(),
    };
    let origin = Origin::rule(Derivation::RpcAddress, builder.identity_inputs());
    builder.config.derive("jobmanager.rpc.address", rpc_address, origin);
    if builder.mode == DeploymentMode::Native {
        builder.native_client(high_availability, job.as_ref(), ports);
    }
    let taskmanager_replicas = builder.taskmanager_replicas();
    let log_files = log_files(spec);
    let ingress = spec
        .ingress
        .as_ref()
        .filter(|_| flag(&builder.config, "kubernetes.operator.ingress.manage", true))
        .map(|ingress| ingress::read(ingress, builder.name, builder.namespace));
    let [jobmanager_template, taskmanager_template] = pod_templates(spec, settings, &builder.config);
    let config = builder.config;
    let mut jobmanager = process_view(Process::JobManager, jobmanager, jobmanager_replicas, &config, slots);
    if let Some(annotations) = builder.jobmanager_annotations {
        jobmanager.annotations = annotations;
    }
    jobmanager.pod_template = jobmanager_template;
    let mut taskmanager = process_view(Process::TaskManager, taskmanager, taskmanager_replicas, &config, slots);
    taskmanager.pod_template = taskmanager_template;
    ClusterView {
        jobmanager,
        taskmanager,
        rest_service_type: config.get("kubernetes.rest-service.exposed.type").unwrap_or_else(|| "ClusterIP".into()),
        parsed,
        spec,
        name: builder.name,
        namespace: builder.namespace,
        mode: builder.mode,
        mode_written: builder.mode_written,
        flink_version: builder.flink_version,
        version: builder.version,
        image: builder.image,
        image_derived: builder.image_derived,
        image_pull_policy: builder.image_pull_policy,
        log_files: log_files.0,
        log_files_field: log_files.1,
        slots,
        slots_problem,
        job,
        high_availability,
        ports,
        port_problems,
        ingress,
        render: render_settings::read(&parsed.raw.metadata, render_settings::Owner::Deployment),
        template_file: helm::template_file(&parsed.raw.metadata),
        helm_hooks: settings.helm_hooks,
        config,
    }
}

/// What the builder knows while it writes the configuration.
struct Builder<'a> {
    parsed: &'a ParsedDeployment,
    spec: &'a RawDeploymentSpec,
    name: &'a str,
    namespace: Option<&'a str>,
    mode: DeploymentMode,
    mode_written: bool,
    flink_version: Option<FlinkVersion>,
    version: FlinkVersion,
    image: String,
    image_derived: bool,
    image_pull_policy: Option<&'a str>,
    taskmanager_replicas: Option<i64>,
    jobmanager_annotations: Option<BTreeMap<String, String>>,
    config: EffectiveConfig,
}

impl<'a> Builder<'a> {
    /// Identity, version, and the defaults layered under the user's keys (FO §2.0, steps 1–3).
    fn new(parsed: &'a ParsedDeployment, spec: &'a RawDeploymentSpec, settings: &Settings<'a>) -> Builder<'a> {
        let metadata = &parsed.raw.metadata;
        let namespace = metadata.namespace.as_deref().or(settings.namespace);
        let flink_version = spec.flink_version.as_deref().and_then(FlinkVersion::parse);
        let version = flink_version.unwrap_or(FlinkVersion::NEWEST);
        let written = spec.mode.as_deref().and_then(DeploymentMode::parse);
        Builder {
            parsed,
            spec,
            name: metadata.name.as_deref().unwrap_or_default(),
            namespace,
            mode: written.unwrap_or(settings.omitted_mode),
            mode_written: written.is_some(),
            flink_version,
            version,
            image: String::new(),
            image_derived: false,
            image_pull_policy: None,
            taskmanager_replicas: None,
            jobmanager_annotations: None,
            config: EffectiveConfig::layered(
                settings.defaults.layers(namespace, version),
                &parsed.user_keys,
                settings.provenance,
            ),
        }
    }

    /// The FLIP-212 `taskManager.taskSlots` counts where the user wrote no slot key (FO §1.6).
    fn seed_task_slots(&mut self) {
        let slots = self.spec.task_manager.as_ref().and_then(|tm| tm.task_slots);
        let written = self.parsed.user_keys.iter().any(|user| user.key == "taskmanager.numberOfTaskSlots");
        if let Some(slots) = slots.filter(|_| !written) {
            let origin = self.by(Derivation::TaskSlots, &["spec.taskManager.taskSlots"]);
            self.config.derive("taskmanager.numberOfTaskSlots", slots.to_string(), origin);
        }
    }

    /// Fixed defaults, the image (derived from the version when missing), the pull policy
    /// and the service account.
    fn images_and_accounts(&mut self) {
        self.config.derive_default(
            "kubernetes.rest-service.exposed.type",
            "ClusterIP",
            self.by(Derivation::RestServiceType, &[]),
        );
        self.config.derive_default("web.cancel.enable", "false", self.by(Derivation::WebCancel, &[]));
        let version = self.by(Derivation::FlinkVersionKey, &["spec.flinkVersion"]);
        self.config.derive("$internal.flink.version", self.version.to_string(), version);
        let image = match self.spec.image.as_deref().map(str::trim).filter(|image| !image.is_empty()) {
            Some(image) => {
                self.image = image.to_string();
                self.by(Derivation::Image, &["spec.image"])
            }
            None => {
                self.image = format!("flink:{}.{}", self.version.major, self.version.minor);
                self.image_derived = true;
                self.by(Derivation::Image, &["spec.flinkVersion"])
            }
        };
        let image_key = if self.version.has_cpu_amount_keys() {
            "kubernetes.container.image.ref"
        } else {
            "kubernetes.container.image"
        };
        self.config.derive(image_key, self.image.clone(), image);
        self.image_pull_policy = self.spec.image_pull_policy.as_deref().map(str::trim).filter(|p| !p.is_empty());
        if let Some(policy) = self.image_pull_policy {
            let origin = self.by(Derivation::ImagePullPolicy, &["spec.imagePullPolicy"]);
            self.config.derive("kubernetes.container.image.pull-policy", policy, origin);
        }
        if let Some(account) = &self.spec.service_account {
            let origin = self.by(Derivation::ServiceAccount, &["spec.serviceAccount"]);
            self.config.derive("kubernetes.service-account", account.clone(), origin);
        }
    }

    /// Read one process's resources and write its memory, cpu and limit factors (FO §2.2).
    fn process(&mut self, process: Process) -> ProcessResources {
        let (resource, requirements) = match process {
            Process::JobManager => {
                let jm = self.spec.job_manager.as_ref();
                (jm.and_then(|jm| jm.resource.as_ref()), jm.and_then(|jm| jm.resources.as_ref()))
            }
            Process::TaskManager => {
                let tm = self.spec.task_manager.as_ref();
                (tm.and_then(|tm| tm.resource.as_ref()), tm.and_then(|tm| tm.resources.as_ref()))
            }
        };
        let read = resources::read(process, resource, requirements);
        let name = process.config_name();
        let field = match process {
            Process::JobManager => "spec.jobManager",
            Process::TaskManager => "spec.taskManager",
        };
        // requests over limits, and either over the deprecated `resource` block
        let fields = |what: &str| {
            [
                format!("{field}.resources.requests.{what}"),
                format!("{field}.resources.limits.{what}"),
                format!("{field}.resource.{what}"),
            ]
        };
        let [memory_fields, cpu_fields] = [fields("memory"), fields("cpu")];
        let memory_fields: Vec<&str> = memory_fields.iter().map(String::as_str).collect();
        let cpu_fields: Vec<&str> = cpu_fields.iter().map(String::as_str).collect();
        if let Some(memory) = read.memory {
            let path = read.memory_path.as_deref().unwrap_or(memory_fields[0]);
            let origin = self.by(Derivation::ProcessMemory, &[path]);
            self.config.derive(&format!("{name}.memory.process.size"), memory.config_text(), origin);
        }
        if let Some(cpu) = read.cpu {
            let inputs = self.fields(&cpu_fields).into_iter().take(1).collect();
            let origin = Origin::rule(Derivation::ProcessCpu, inputs);
            self.config.derive(&format!("kubernetes.{name}.cpu.amount"), java_double_text(cpu), origin.clone());
            if !self.version.has_cpu_amount_keys() {
                self.config.derive(&format!("kubernetes.{name}.cpu"), java_double_text(cpu), origin);
            }
        }
        if let Some(factor) = read.cpu_limit_factor {
            let origin = self.by(Derivation::LimitFactor, &cpu_fields[..2]);
            self.config.derive(&format!("kubernetes.{name}.cpu.limit-factor"), java_double_text(factor), origin);
        }
        if let Some(factor) = read.memory_limit_factor {
            let origin = self.by(Derivation::LimitFactor, &memory_fields[..2]);
            self.config.derive(&format!("kubernetes.{name}.memory.limit-factor"), java_double_text(factor), origin);
        }
        read
    }

    /// JobManager replicas (1 when unset) and the TaskManager replicas the spec fixes.
    fn replicas(&mut self) -> i64 {
        let jobmanager = self.spec.job_manager.as_ref().and_then(|jm| jm.replicas).unwrap_or(1);
        let origin = self.by(Derivation::JobManagerReplicas, &["spec.jobManager.replicas"]);
        self.config.derive("kubernetes.jobmanager.replicas", jobmanager.to_string(), origin);
        if let Some(replicas) = self.taskmanager_spec_replicas().filter(|replicas| *replicas >= 1) {
            let origin = self.by(Derivation::TaskManagerReplicas, &["spec.taskManager.replicas"]);
            self.derive_taskmanager_replicas(replicas, origin);
        }
        jobmanager
    }

    fn derive_taskmanager_replicas(&mut self, replicas: i64, origin: Origin) {
        self.config.derive("kubernetes.internal.taskmanager.replicas", replicas.to_string(), origin);
        self.taskmanager_replicas = Some(replicas);
    }

    /// TaskManager replicas: what the builder derived (the spec's, or `ceil(P / slots)`), else
    /// a value written by hand for the internal key, else 1.
    fn taskmanager_replicas(&self) -> i64 {
        self.taskmanager_replicas
            .or_else(|| self.config.get("kubernetes.internal.taskmanager.replicas")?.trim().parse().ok())
            .unwrap_or(1)
    }

    fn taskmanager_spec_replicas(&self) -> Option<i64> {
        self.spec.task_manager.as_ref().and_then(|tm| tm.replicas)
    }

    /// High availability from `high-availability.type` or its older keys (FO §2.2).
    fn high_availability(&self) -> Option<HighAvailability> {
        let (_, kind) = HIGH_AVAILABILITY.lookup(&self.config)?;
        let kind = kind.trim();
        (!kind.eq_ignore_ascii_case("none")).then(|| HighAvailability {
            kubernetes: kind.eq_ignore_ascii_case("kubernetes")
                || kind == "org.apache.flink.kubernetes.highavailability.KubernetesHaServicesFactory",
            zookeeper: kind.eq_ignore_ascii_case("zookeeper")
                || kind == "org.apache.flink.runtime.highavailability.zookeeper.ZooKeeperHaServicesFactory",
        })
    }

    /// `taskmanager.numberOfTaskSlots` as Flink's `ConfigurationParserUtils.getSlot` reads it:
    /// an integer, `-1` meaning 1, at least 1. An unusable value counts as 1 here.
    fn slots(&self) -> (i64, Option<String>) {
        let Some(text) = self.config.get("taskmanager.numberOfTaskSlots") else { return (1, None) };
        match text.trim().parse::<i64>() {
            Ok(-1) => (1, None),
            Ok(slots) if slots >= 1 => (slots, None),
            _ => (1, Some(text)),
        }
    }

    /// The job (application cluster) or the session (FO §2.2, §2.4). Native mode deploys
    /// through Flink's Kubernetes targets, and its JobManager asks for as many TaskManagers as
    /// the job needs; standalone overrides the target to `remote`, names the cluster mode, and
    /// fixes the TaskManager count from the parallelism.
    fn job(&mut self, slots: i64) -> Option<JobView<'a>> {
        let standalone = self.mode == DeploymentMode::Standalone;
        let target = match (standalone, self.spec.job.is_some()) {
            (true, _) => "remote",
            (false, true) => "kubernetes-application",
            (false, false) => "kubernetes-session",
        };
        let shape = self.by(Derivation::ExecutionTarget, &["spec.mode", "spec.job"]);
        self.config.derive("execution.target", target, shape);
        let cluster_mode = self.by(Derivation::ClusterMode, &["spec.mode", "spec.job"]);
        let Some(job) = self.spec.job.as_ref() else {
            if standalone {
                self.config.derive("kubernetes.internal.cluster-mode", "SESSION", cluster_mode);
            }
            return None;
        };
        if standalone {
            self.config.derive("kubernetes.internal.cluster-mode", "APPLICATION", cluster_mode);
        }
        let (parallelism, parallelism_ignored, inputs) = self.parallelism(job, slots);
        if let Some(parallelism) = parallelism {
            self.config.derive(
                "parallelism.default",
                parallelism.to_string(),
                Origin::rule(Derivation::Parallelism, inputs.clone()),
            );
            if standalone && !self.config.contains("kubernetes.internal.taskmanager.replicas") {
                let mut inputs = inputs;
                if parallelism > 1 {
                    // ceil(1 / slots) is 1 whatever the slots
                    inputs.extend(self.key_origins(&["taskmanager.numberOfTaskSlots"]));
                }
                let origin = Origin::rule(Derivation::TaskManagerReplicas, inputs);
                self.derive_taskmanager_replicas((parallelism + slots - 1) / slots, origin);
            }
        }
        let defaults = self.by(Derivation::ApplicationDefaults, &[]);
        self.config.derive("execution.shutdown-on-application-finish", "false", defaults.clone());
        self.config.derive_default("execution.submit-failed-job-on-application-error", "true", defaults);
        let named = self.by(Derivation::ApplicationDefaults, &["metadata.name"]);
        self.config.derive_default("pipeline.name", self.name, named);
        let upgrade_mode = upgrade_mode(job);
        self.job_options(job, upgrade_mode.effective());
        let jar = job.jar_uri.as_deref().map(|uri| self.jar(uri));
        let user: Vec<(String, String)> =
            self.parsed.user_keys.iter().map(|key| (key.key.clone(), key.value.clone())).collect();
        let spec_json = self.parsed.document.get("spec").map(|spec| spec.to_json()).unwrap_or_default();
        let last_state = upgrade_mode.effective() == UpgradeMode::LastState;
        Some(JobView {
            spec: job,
            job_id: job_id(self.namespace, self.name, &spec_json, &user, last_state),
            graph_id: job_id(self.namespace, self.name, &spec_json, &user, false),
            state: job_state(job),
            upgrade_mode,
            parallelism,
            parallelism_ignored,
            jar,
        })
    }

    /// `flinkdeployment.flink.apache.org/generation` among the JobManager's annotations, as the
    /// operator writes it when the resource has a generation.
    fn annotate_generation(&mut self, generation: i64) {
        const GENERATION: &str = "flinkdeployment.flink.apache.org/generation";
        let key = "kubernetes.jobmanager.annotations";
        let mut annotations = self.config.get(key).map(|text| parse_flat_map(&text)).unwrap_or_default();
        annotations.retain(|(name, _)| name != GENERATION);
        annotations.push((GENERATION.into(), generation.to_string()));
        self.jobmanager_annotations = Some(annotations.iter().cloned().collect());
        let mut inputs = self.fields(&["metadata.generation"]);
        inputs.extend(self.key_origins(&[key]));
        self.config.derive_value(
            key,
            ConfigValue::Map(annotations),
            Origin::rule(Derivation::GenerationAnnotation, inputs),
        );
    }

    /// Effective parallelism P (FO §2.4): TaskManager replicas × slots when replicas are set,
    /// else, when the spec says `mode: standalone` (the literal field), the largest vertex
    /// override, else `job.parallelism`. Also whether
    /// `job.parallelism` is overridden by the replicas, and what the parallelism was read from.
    fn parallelism(&self, job: &RawJobSpec, slots: i64) -> (Option<i64>, bool, Vec<Origin>) {
        let job_parallelism = job.parallelism;
        match self.taskmanager_spec_replicas() {
            Some(replicas) if replicas > 0 => {
                let parallelism = replicas * slots;
                let ignored = job_parallelism.is_some_and(|written| written > 0 && written != parallelism);
                let mut inputs = self.fields(&["spec.taskManager.replicas"]);
                inputs.extend(self.key_origins(&["taskmanager.numberOfTaskSlots"]));
                return (Some(parallelism), ignored, inputs);
            }
            Some(_) => return (None, false, Vec::new()),
            None => {}
        }
        const OVERRIDES: &str = "pipeline.jobvertex-parallelism-overrides";
        let overrides = self.config.get(OVERRIDES);
        if let Some(overrides) = overrides.filter(|_| self.spec.mode.as_deref() == Some("standalone")) {
            let max = parse_flat_map(&overrides).iter().filter_map(|(_, value)| value.trim().parse::<i64>().ok()).max();
            if let Some(max) = max.filter(|max| *max > 0) {
                return (Some(max), false, self.key_origins(&[OVERRIDES]));
            }
        }
        (job_parallelism.filter(|parallelism| *parallelism >= 1), false, self.fields(&["spec.job.parallelism"]))
    }

    /// Keys that follow from the upgrade mode and the job fields (FO §2.2 second table).
    fn job_options(&mut self, job: &RawJobSpec, mode: UpgradeMode) {
        if mode == UpgradeMode::LastState {
            let origin = self.by(Derivation::CheckpointDefaults, &["spec.job.upgradeMode"]);
            self.config.derive_default("execution.checkpointing.interval", "5 min", origin);
        }
        let retention = self.by(Derivation::CheckpointDefaults, &[]);
        self.config.derive_default(
            "execution.checkpointing.externalized-checkpoint-retention",
            "RETAIN_ON_CANCELLATION",
            retention,
        );
        if let Some(allow) = job.allow_non_restored_state {
            let origin = self.by(Derivation::JobFields, &["spec.job.allowNonRestoredState"]);
            self.config.derive("execution.savepoint.ignore-unclaimed-state", allow.to_string(), origin);
        }
        if let Some(entry_class) = &job.entry_class {
            let origin = self.by(Derivation::JobFields, &["spec.job.entryClass"]);
            self.config.derive("$internal.application.main", entry_class.clone(), origin);
        }
        let args = job.args.clone().unwrap_or_default();
        let origin = self.by(Derivation::JobFields, &["spec.job.args"]);
        self.config.derive_value("$internal.application.program-args", ConfigValue::List(args), origin);
        if let Some(path) = job.initial_savepoint_path.as_deref().filter(|path| !path.trim().is_empty()) {
            let origin = self.by(Derivation::JobFields, &["spec.job.initialSavepointPath"]);
            self.config.derive("execution.savepoint.path", path.to_string(), origin);
        } else if mode == UpgradeMode::Stateless {
            self.config.remove("execution.savepoint.path");
        }
    }

    /// Where the jar comes from, and its keys. Native mode: `pipeline.jars` holds the URI as
    /// written (FO §2.2), which Flink's application entrypoint reads or fetches. Standalone:
    /// `pipeline.classpaths` for a jar in the image (`local://` becomes `file://`) unless it is
    /// in the user-lib directory, whose jars the entrypoint puts on the classpath itself (listed
    /// twice, the entrypoint refuses to start: "Multiple JAR archives with entry classes found
    /// on classpath"). Both: for a remote jar, `user.artifacts.raw-http-enabled` when it is
    /// plain `http://` (Flink refuses it otherwise).
    fn jar(&mut self, uri: &'a str) -> JarSource<'a> {
        let Some((scheme, rest)) = uri.split_once("://").filter(|(scheme, _)| !scheme.is_empty()) else {
            return JarSource::NoScheme(uri);
        };
        let native = self.mode == DeploymentMode::Native;
        let origin = self.by(Derivation::JarKeys, &["spec.job.jarURI"]);
        if native {
            self.config.derive_value("pipeline.jars", ConfigValue::List(vec![uri.to_string()]), origin.clone());
        }
        match scheme {
            "local" | "file" => {
                if !native && !in_user_lib(rest) {
                    let classpath = if scheme == "local" { format!("file://{rest}") } else { uri.to_string() };
                    self.config.derive_value("pipeline.classpaths", ConfigValue::List(vec![classpath]), origin);
                }
                JarSource::Image(rest.to_string())
            }
            _ => {
                if scheme.eq_ignore_ascii_case("http") {
                    self.config.derive_default("user.artifacts.raw-http-enabled", "true", origin);
                }
                JarSource::Remote(uri)
            }
        }
    }

    /// The cluster's identity and HA keys (build step), and the generation annotation.
    fn identity(&mut self, high_availability: Option<HighAvailability>, job: Option<&JobView<'_>>) {
        if let Some(namespace) = self.namespace {
            let origin = Origin::rule(Derivation::ClusterIdentity, self.namespace_inputs());
            self.config.derive("kubernetes.namespace", namespace, origin);
        }
        let named = self.by(Derivation::ClusterIdentity, &["metadata.name"]);
        self.config.derive("kubernetes.cluster-id", self.name, named.clone());
        if high_availability.is_some() {
            self.config.derive("high-availability.cluster-id", self.name, named);
            const STORAGE_DIR: [&str; 2] = ["high-availability.storageDir", "high-availability.zookeeper.storageDir"];
            let storage_dir = self.config.get_any(&STORAGE_DIR);
            if let Some(storage_dir) = storage_dir {
                if let Some(job) = job {
                    // Upstream appends a random UUID; ours is the job id (FO §4.8).
                    let path =
                        format!("{}/job-result-store/{}/{}", storage_dir.trim_end_matches('/'), self.name, job.job_id);
                    let mut path_inputs = self.key_origins(&STORAGE_DIR[..1]);
                    if path_inputs.is_empty() {
                        path_inputs = self.key_origins(&STORAGE_DIR[1..]);
                    }
                    path_inputs.extend(self.fields(&["metadata.name"]));
                    path_inputs.push(self.job_id_origin());
                    let origin = Origin::rule(Derivation::JobResultStore, path_inputs);
                    self.config.derive_default("job-result-store.storage-path", path, origin);
                }
                let origin = Origin::rule(Derivation::JobResultStore, Vec::new());
                self.config.derive_default("job-result-store.delete-on-commit", "false", origin);
            }
            if let Some(job) =
                job.filter(|job| high_availability.is_some_and(|ha| ha.zookeeper) && job.job_id != job.graph_id)
            {
                self.graph_path(job);
            }
        }
        if let Some(generation) = self.parsed.raw.metadata.generation {
            self.annotate_generation(generation);
        }
    }
}

impl Builder<'_> {
    /// The fields among `paths` the user wrote, as a rule's inputs (none with provenance off:
    /// no origin is built then).
    fn fields(&self, paths: &[&str]) -> Vec<Origin> {
        if !self.config.traced() {
            return Vec::new();
        }
        paths.iter().filter_map(|path| self.parsed.written(path)).collect()
    }

    /// A rule over the fields among `paths` the user wrote.
    fn by(&self, rule: Derivation, paths: &[&str]) -> Origin {
        Origin::rule(rule, self.fields(paths))
    }

    /// The origins of the configuration keys among `keys` that are set, as a rule's inputs.
    fn key_origins(&self, keys: &[&str]) -> Vec<Origin> {
        keys.iter().filter_map(|key| self.config.origin(key)).map(|traced| traced.origin.clone()).collect()
    }

    /// Where the namespace comes from: `metadata.namespace`, else `--namespace`.
    fn namespace_inputs(&self) -> Vec<Origin> {
        if !self.config.traced() {
            return Vec::new();
        }
        match self.parsed.written("metadata.namespace") {
            Some(written) => vec![written],
            None if self.namespace.is_some() => vec![Origin::Setting { name: "--namespace" }],
            None => Vec::new(),
        }
    }

    /// The name and namespace.
    fn identity_inputs(&self) -> Vec<Origin> {
        let mut inputs = self.fields(&["metadata.name"]);
        inputs.extend(self.namespace_inputs());
        inputs
    }

    /// The job id: a hash of the identity and the job's spec.
    fn job_id_origin(&self) -> Origin {
        let mut inputs = self.identity_inputs();
        inputs.extend(self.fields(&["spec.job"]));
        Origin::rule(Derivation::JobId, inputs)
    }

    /// What Flink's `KubernetesClusterDescriptor` adds to the configuration it ships when it
    /// deploys a native cluster (native-mode.md §1, step 3), and the job id the operator gives
    /// an application (`$internal.pipeline.job-id`): the entrypoint class, the execution mode,
    /// and with HA the JobManager's HA port (the rpc port when unset or 0), where the JobManager
    /// itself takes its pod address as the rpc address, so none is written.
    fn native_client(&mut self, high_availability: Option<HighAvailability>, job: Option<&JobView<'_>>, ports: Ports) {
        let entrypoint = if job.is_some() {
            "org.apache.flink.kubernetes.entrypoint.KubernetesApplicationClusterEntrypoint"
        } else {
            "org.apache.flink.kubernetes.entrypoint.KubernetesSessionClusterEntrypoint"
        };
        let client = self.by(Derivation::NativeClient, &["spec.job"]);
        self.config.derive("kubernetes.internal.jobmanager.entrypoint.class", entrypoint, client.clone());
        self.config.derive("internal.cluster.execution-mode", "NORMAL", client);
        if let Some(job) = job {
            self.config.derive("$internal.pipeline.job-id", job.job_id.clone(), self.job_id_origin());
        }
        if high_availability.is_some() {
            self.config.remove("jobmanager.rpc.address");
            let key = "high-availability.jobmanager.port";
            if self.config.get(key).is_none_or(|text| text.trim() == "0") {
                let inputs = self.key_origins(&[key, "jobmanager.rpc.port"]);
                self.config.derive(
                    key,
                    ports.jobmanager_rpc.to_string(),
                    Origin::rule(Derivation::NativeClient, inputs),
                );
            }
        }
    }

    /// ZooKeeper HA and a job id that outlives changes of the job (last-state): the job's graph
    /// is stored under a path of its own per version of the job, so that a new JobManager finds
    /// no graph for a changed job and runs it from the jar under the same id, restoring the
    /// latest checkpoint HA keeps for that id (the checkpoints' paths are the id's), where it would
    /// otherwise recover the previous graph. The operator deletes the graph's node before every
    /// deploy (`FlinkUtils#deleteJobGraphInZookeeperHA`); here no node is deleted: Flink watches
    /// these nodes, and a removed one suspends the job that still runs during a hand-over. An
    /// unchanged job keeps its path, and HA recovers its graph. The previous versions' nodes are
    /// left in ZooKeeper (one small node per upgrade of the job).
    fn graph_path(&mut self, job: &JobView<'_>) {
        const KEYS: [&str; 2] =
            ["high-availability.zookeeper.path.jobgraphs", "high-availability.zookeeper.path.execution-plans"];
        if KEYS.iter().any(|key| self.config.contains(key)) {
            return;
        }
        // Flink 2.3 renamed the option; the old key stays its deprecated name
        let key = if (self.version.major, self.version.minor) >= (2, 3) { KEYS[1] } else { KEYS[0] };
        let origin = Origin::rule(Derivation::JobGraphPath, vec![self.job_id_origin()]);
        self.config.derive(key, format!("/jobgraphs-{}", &job.graph_id[..16]), origin);
    }
}

/// A process's cpu, limit factors and memory, from its resources and the configuration.
fn process_view(
    process: Process,
    resources: ProcessResources,
    replicas: i64,
    config: &EffectiveConfig,
    slots: i64,
) -> ProcessView {
    let name = process.config_name();
    let number = |key: String| config.get(&key).and_then(|text| text.trim().parse::<f64>().ok());
    let configured_cpu = number(format!("kubernetes.{name}.cpu.amount")).filter(|cpu| *cpu > 0.0);
    let (cpu, cpu_defaulted) = match (resources.cpu, configured_cpu, process) {
        (Some(cpu), _, _) | (None, Some(cpu), _) => (cpu, false),
        (None, None, Process::JobManager) => (1.0, false),
        (None, None, Process::TaskManager) => (slots as f64, true),
    };
    let memory = match process {
        Process::JobManager => memory_model::jobmanager(config.values()).map(ProcessMemory::JobManager),
        Process::TaskManager => memory_model::taskmanager(config.values()).map(ProcessMemory::TaskManager),
    };
    ProcessView {
        process,
        replicas,
        cpu,
        cpu_defaulted,
        cpu_limit_factor: resources
            .cpu_limit_factor
            .or_else(|| number(format!("kubernetes.{name}.cpu.limit-factor")))
            .unwrap_or(1.0),
        memory_limit_factor: resources
            .memory_limit_factor
            .or_else(|| number(format!("kubernetes.{name}.memory.limit-factor")))
            .unwrap_or(1.0),
        pod_template: Value::Null,
        annotations: config
            .get(&format!("kubernetes.{name}.annotations"))
            .map(|text| parse_flat_map(&text).into_iter().collect())
            .unwrap_or_default(),
        memory,
        resources,
    }
}

/// The JobManager and TaskManager pod templates (FO §3.1): the operator defaults' templates
/// beneath the spec's, each component's over the common one, arrays merged by position or,
/// with `kubernetes.operator.pod-template.merge-arrays-by-name`, by name.
fn pod_templates(spec: &RawDeploymentSpec, settings: &Settings<'_>, config: &EffectiveConfig) -> [Value; 2] {
    let arrays = if flag(config, MERGE_ARRAYS_BY_NAME, false) { ArrayMerge::ByName } else { ArrayMerge::ByPosition };
    let defaults = &settings.defaults.pod_templates;
    let read = |template: Option<&Value>| template.map(as_template);
    let merged = |default: Option<&Value>, own: Option<&Value>| {
        merge_templates(read(default).as_ref(), read(own).as_ref(), arrays)
    };
    let common = merged(defaults.common.as_ref(), spec.pod_template.as_ref());
    let own = [
        merged(defaults.jobmanager.as_ref(), spec.job_manager.as_ref().and_then(|jm| jm.pod_template.as_ref())),
        merged(defaults.taskmanager.as_ref(), spec.task_manager.as_ref().and_then(|tm| tm.pod_template.as_ref())),
    ];
    own.map(|own| merge_templates(common.as_ref(), own.as_ref(), arrays).unwrap_or(Value::Null))
}

/// The switch for merging pod-template arrays by name (FO §3.2).
pub const MERGE_ARRAYS_BY_NAME: &str = "kubernetes.operator.pod-template.merge-arrays-by-name";

/// Log configuration files (FO §5.1, rule 10): `logConfiguration`, its FLIP-212 spelling
/// `logging`, or the operator's built-in `log4j-console.properties`.
fn log_files(spec: &RawDeploymentSpec) -> (BTreeMap<String, String>, Option<&'static str>) {
    match (&spec.log_configuration, &spec.logging) {
        (Some(files), _) => (files.clone(), Some("spec.logConfiguration")),
        (None, Some(files)) => (files.clone(), Some("spec.logging")),
        (None, None) => {
            (BTreeMap::from([("log4j-console.properties".to_string(), BUILTIN_LOG4J_CONSOLE.to_string())]), None)
        }
    }
}
