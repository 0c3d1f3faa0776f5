//! Stage 3, **resolve**: a raw FlinkDeployment → the [`model::Deployment`] that `emit`
//! renders. Applies the operator defaults (FO §2.0), builds the effective Flink
//! configuration in the operator's builder order (FO §2.2), merges pod templates (FO §3),
//! fixes ports (FO §4.1), and computes the job id. Every problem found on the way is a
//! diagnostic pointing at the spec line it came from.

pub mod job_id;
pub mod model;
pub mod pod_template;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::diagnostics::{Code, Diagnostic, Diagnostics, Span};
use crate::flink::config::{ConfigValue, FlinkConfig, parse_flat_list, parse_flat_map};
use crate::flink::memory_model;
use crate::flink::quantity::{Quantity, parse_resource_memory};
use crate::flink::version::FlinkVersion;
use crate::parse::ParsedDeployment;
use crate::parse::defaults::{BUILTIN_LOG4J_CONSOLE, OperatorDefaults};
use crate::parse::document::{Node, path_steps};
use crate::parse::flink_configuration::flatten;
use crate::parse::spec::{RawResource, RawResourceRequirements};
use model::{Application, Component, Deployment, HighAvailability, Ingress, Ports, ProcessMemory, RestService};
use pod_template::{ArrayMerge, add_startup_probe, inject_claims, inject_resources, merge_templates};

/// Settings that do not come from the spec.
#[derive(Debug, Clone, Copy)]
pub struct ResolveOptions<'a> {
    /// Namespace for resources that do not set `metadata.namespace`.
    pub namespace: Option<&'a str>,
    /// The operator-defaults profile.
    pub defaults: &'a OperatorDefaults,
}

/// The outcome of resolving one FlinkDeployment.
#[derive(Debug, Clone)]
pub enum Resolved {
    /// A cluster to emit.
    Cluster(Box<Deployment>),
    /// Nothing to emit (the operator's health canary), with the reason as a warning.
    Nothing,
}

/// Log configuration files the operator ships (FO §1.2, rule 10).
pub const LOG_CONFIG_FILES: [&str; 2] = ["log4j-console.properties", "logback-console.xml"];

/// Keys removed before the configuration file is written (FO §5.1), plus the
/// operator-local pod-template paths that mean nothing in the cluster (FO §4.8).
const REMOVED_KEYS: [&str; 6] = [
    "kubernetes.config.file",
    "$internal.deployment.config-dir",
    "rest.bind-address",
    "jobmanager.bind-host",
    "taskmanager.bind-host",
    "taskmanager.host",
];

/// Keys the user may not set: the operator owns them (FO §6 rule 5).
pub const FORBIDDEN_KEYS: [&str; 3] = ["kubernetes.namespace", "kubernetes.cluster-id", "high-availability.cluster-id"];

/// Resolve one FlinkDeployment. Errors and warnings go to `diagnostics`; `None` when an
/// error makes rendering impossible.
pub fn resolve_deployment(
    parsed: &ParsedDeployment,
    options: ResolveOptions<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<Resolved> {
    let user_keys =
        parsed.document.get("spec").and_then(|spec| spec.get("flinkConfiguration")).map(flatten).unwrap_or_default();
    Resolver { parsed, document: &parsed.document, user_keys, diagnostics, errors: 0 }.resolve(options)
}

struct Resolver<'a> {
    parsed: &'a ParsedDeployment,
    document: &'a Node,
    /// The user's `flinkConfiguration`, flattened, with positions.
    user_keys: Vec<crate::flink::config::UserKey>,
    diagnostics: &'a mut Diagnostics,
    errors: usize,
}

/// Which Flink process a rule is about.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Process {
    JobManager,
    TaskManager,
}

impl Process {
    fn spec_field(self) -> &'static str {
        match self {
            Process::JobManager => "spec.jobManager",
            Process::TaskManager => "spec.taskManager",
        }
    }
    fn title(self) -> &'static str {
        match self {
            Process::JobManager => "JobManager",
            Process::TaskManager => "TaskManager",
        }
    }
    fn config_name(self) -> &'static str {
        match self {
            Process::JobManager => "jobmanager",
            Process::TaskManager => "taskmanager",
        }
    }
}

/// cpu and memory of one process, read from `resources` or the deprecated `resource`.
struct ProcessResources {
    /// Whether the spec gave a memory value at all (parse errors are reported once).
    memory_given: bool,
    /// Where the spec gave it.
    memory_path: Option<String>,
    memory: Option<crate::flink::quantity::MemorySize>,
    cpu: Option<f64>,
    cpu_limit_factor: Option<f64>,
    memory_limit_factor: Option<f64>,
    extra_requests: Vec<(String, String)>,
    extra_limits: Vec<(String, String)>,
    /// `resources.claims`, handed to the main container as written.
    claims: Option<Value>,
}

impl Resolver<'_> {
    /// Whether the user wrote configuration `key`.
    fn user_config_key(&self, key: &str) -> bool {
        self.user_keys.iter().any(|user| user.key == key)
    }

    /// Where the user wrote configuration `key`, else where `flinkConfiguration` is.
    fn user_config_span(&self, key: &str) -> Span {
        crate::flink::config::user_key_span(&self.user_keys, key)
            .unwrap_or_else(|| self.span("spec.flinkConfiguration"))
    }

    fn span(&self, path: &str) -> Span {
        self.document.span_of(&path_steps(path))
    }

    fn error(&mut self, code: Code, path: &str, message: impl Into<String>) -> &mut Diagnostic {
        self.errors += 1;
        let diagnostic = Diagnostic::new(code, path, message).at(self.span(path));
        self.diagnostics.push(diagnostic);
        self.diagnostics.iter_mut().last().expect("just pushed")
    }

    fn warning(&mut self, code: Code, path: &str, message: impl Into<String>) -> &mut Diagnostic {
        let diagnostic = Diagnostic::new(code, path, message).at(self.span(path));
        self.diagnostics.push(diagnostic);
        self.diagnostics.iter_mut().last().expect("just pushed")
    }

    fn resolve(mut self, options: ResolveOptions<'_>) -> Option<Resolved> {
        let raw = &self.parsed.raw;
        let name = match raw.metadata.name.as_deref() {
            Some(name) if is_cluster_id(name) => name.to_string(),
            Some(name) => {
                self.error(Code::InvalidName, "metadata.name", format!(
                    "The FlinkDeployment name: {name} is invalid, must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123'), and the length must be no more than 45 characters."
                ));
                return None;
            }
            None => {
                self.error(
                    Code::MissingField,
                    "metadata.name",
                    "metadata.name must be set: it is the Flink cluster id",
                );
                return None;
            }
        };
        let Some(spec) = raw.spec.as_ref() else {
            self.warning(
                Code::NoSpec,
                "metadata",
                format!("FlinkDeployment {name} has no spec (the operator's health canary); it renders to nothing"),
            );
            return Some(Resolved::Nothing);
        };
        let namespace = raw.metadata.namespace.clone().or(options.namespace.map(str::to_string));

        // flinkVersion (FO §6 rules 2–3).
        let flink_version = match spec.flink_version.as_deref() {
            None => {
                self.error(Code::MissingField, "spec.flinkVersion", "Flink Version must be defined.").hint =
                    Some("set spec.flinkVersion, e.g. `v1_20` or `v2_2`".into());
                return None;
            }
            Some(text) => match FlinkVersion::parse(text) {
                Some(version) if version < FlinkVersion::new(1, 15) => {
                    self.error(
                        Code::UnsupportedFlinkVersion,
                        "spec.flinkVersion",
                        format!("Flink version {version} is not supported by this operator version"),
                    )
                    .hint = Some("use v1_15 or newer".into());
                    return None;
                }
                Some(version) => version,
                None => {
                    self.error(
                        Code::UnsupportedFlinkVersion,
                        "spec.flinkVersion",
                        format!("`{text}` is not a Flink version the operator knows (v1_13 … v2_4)"),
                    );
                    return None;
                }
            },
        };
        match spec.mode.as_deref() {
            None | Some("standalone") => {}
            Some("native") => {
                self.warning(Code::NativeMode, "spec.mode", "flink-render renders standalone mode; `mode: native` needs the operator, so this cluster is rendered in standalone mode")
                    .hint = Some("set `mode: standalone` to silence this warning".into());
            }
            Some(other) => {
                self.error(
                    Code::InvalidEnum,
                    "spec.mode",
                    format!("mode must be `native` or `standalone`, not `{other}`"),
                );
            }
        }

        // 1-3: operator defaults, then the user's flinkConfiguration.
        let mut config = FlinkConfig::default();
        for (key, value) in options.defaults.effective(namespace.as_deref(), flink_version) {
            config.set(&key, value);
        }
        let user_keys =
            self.document.get("spec").and_then(|spec| spec.get("flinkConfiguration")).map(flatten).unwrap_or_default();
        for key in &user_keys {
            if FORBIDDEN_KEYS.contains(&key.key.as_str()) {
                self.errors += 1;
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::ForbiddenConfigKey,
                        format!("spec.flinkConfiguration.{}", key.key),
                        format!("Forbidden Flink config key: {}", key.key),
                    )
                    .at(key.span)
                    .with_hint("the cluster id and namespace come from metadata; remove this key"),
                );
            }
            config.set(&key.key, key.value.clone());
        }
        let user_config_span = |key: &str| crate::flink::config::user_key_span(&user_keys, key);

        // Seed spelling: taskManager.taskSlots (FO §1.6).
        if let Some(slots) = spec.task_manager.as_ref().and_then(|tm| tm.task_slots) {
            self.warning(Code::DeprecatedField, "spec.taskManager.taskSlots", "taskManager.taskSlots is the FLIP-212 spelling; use flinkConfiguration `taskmanager.numberOfTaskSlots`")
                .hint = Some("move it to spec.flinkConfiguration[\"taskmanager.numberOfTaskSlots\"]".into());
            if user_config_span("taskmanager.numberOfTaskSlots").is_none() {
                config.set("taskmanager.numberOfTaskSlots", slots.to_string());
            }
        }

        config.set_default("kubernetes.rest-service.exposed.type", "ClusterIP");
        config.set_default("web.cancel.enable", "false");
        config.set("$internal.flink.version", flink_version.to_string());

        let merge_by_name = config.get_bool("kubernetes.operator.pod-template.merge-arrays-by-name", false);
        let arrays = if merge_by_name { ArrayMerge::ByName } else { ArrayMerge::ByPosition };

        // Log configuration (FO §5.1, rule 10; seed spelling `logging`).
        let log_files = self.log_files(spec);

        // Image and pull policy.
        let image = match spec.image.as_deref().map(str::trim).filter(|image| !image.is_empty()) {
            Some(image) => image.to_string(),
            None => {
                let derived = format!("flink:{}.{}", flink_version.major, flink_version.minor);
                self.warning(
                    Code::MissingImage,
                    "spec.image",
                    format!("spec.image is not set; using `{derived}` to match flinkVersion"),
                )
                .hint = Some("set spec.image to the image your jobs are built into".into());
                derived
            }
        };
        let image_key = if flink_version.has_cpu_amount_keys() {
            "kubernetes.container.image.ref"
        } else {
            "kubernetes.container.image"
        };
        config.set(image_key, image.clone());
        let image_pull_policy =
            spec.image_pull_policy.as_deref().map(str::trim).filter(|policy| !policy.is_empty()).map(str::to_string);
        if let Some(policy) = &image_pull_policy {
            if !["IfNotPresent", "Always", "Never"].contains(&policy.as_str()) {
                self.error(
                    Code::InvalidEnum,
                    "spec.imagePullPolicy",
                    format!("imagePullPolicy must be IfNotPresent, Always or Never, not `{policy}`"),
                )
                .hint = Some("the value is case-sensitive".into());
            }
            config.set("kubernetes.container.image.pull-policy", policy.clone());
        }

        // Service account (rule 32).
        let service_account = match &spec.service_account {
            Some(account) => {
                config.set("kubernetes.service-account", account.clone());
                account.clone()
            }
            None => {
                self.error(Code::MissingField, "spec.serviceAccount", "spec.serviceAccount must be defined. If you use helm, its value should be the same with the name of jobServiceAccount.");
                String::new()
            }
        };

        // Pod templates (FO §3) with the defaults profile's templates beneath.
        let default_templates = &options.defaults.pod_templates;
        let common = merge_templates(default_templates.common.as_ref(), spec.pod_template.as_ref(), arrays);
        let jm_own = merge_templates(
            default_templates.jobmanager.as_ref(),
            spec.job_manager.as_ref().and_then(|jm| jm.pod_template.as_ref()),
            arrays,
        );
        let tm_own = merge_templates(
            default_templates.taskmanager.as_ref(),
            spec.task_manager.as_ref().and_then(|tm| tm.pod_template.as_ref()),
            arrays,
        );
        let mut jm_template = merge_templates(common.as_ref(), jm_own.as_ref(), arrays).unwrap_or(Value::Null);
        let mut tm_template = merge_templates(common.as_ref(), tm_own.as_ref(), arrays).unwrap_or(Value::Null);

        // JobManager and TaskManager resources (FO §2.2, §2.3).
        let jm_resources = self.process_resources(
            Process::JobManager,
            spec.job_manager.as_ref().and_then(|jm| jm.resource.as_ref()),
            spec.job_manager.as_ref().and_then(|jm| jm.resources.as_ref()),
        );
        let tm_resources = self.process_resources(
            Process::TaskManager,
            spec.task_manager.as_ref().and_then(|tm| tm.resource.as_ref()),
            spec.task_manager.as_ref().and_then(|tm| tm.resources.as_ref()),
        );
        for (template, resources) in [(&mut jm_template, &jm_resources), (&mut tm_template, &tm_resources)] {
            inject_resources(template, &resources.extra_requests, &resources.extra_limits);
            if let Some(claims) = &resources.claims {
                inject_claims(template, claims);
            }
        }
        if config.get_bool("kubernetes.operator.jm-deployment.startup.probe.enabled", true) {
            add_startup_probe(&mut jm_template);
        }
        self.apply_process_config(&mut config, Process::JobManager, &jm_resources, flink_version);
        self.apply_process_config(&mut config, Process::TaskManager, &tm_resources, flink_version);

        let jm_replicas = spec.job_manager.as_ref().and_then(|jm| jm.replicas).unwrap_or(1);
        if jm_replicas < 1 {
            self.error(
                Code::InvalidReplicas,
                "spec.jobManager.replicas",
                "JobManager replicas should not be configured less than one.",
            );
        }
        config.set("kubernetes.jobmanager.replicas", jm_replicas.to_string());
        let tm_replicas_spec = spec.task_manager.as_ref().and_then(|tm| tm.replicas);
        if let Some(replicas) = tm_replicas_spec {
            if replicas < 1 {
                self.error(
                    Code::InvalidReplicas,
                    "spec.taskManager.replicas",
                    "TaskManager replicas must be larger than 0",
                );
            } else {
                config.set("kubernetes.internal.taskmanager.replicas", replicas.to_string());
            }
        }

        // HA (FO §2.2 key-name notes).
        let ha_type = config.get_any(&["high-availability.type", "high-availability", "recovery.mode"]);
        let high_availability =
            ha_type.as_deref().filter(|kind| !kind.trim().eq_ignore_ascii_case("none")).map(|kind| {
                let kind = kind.trim();
                HighAvailability {
                    kubernetes: kind.eq_ignore_ascii_case("kubernetes")
                        || kind == "org.apache.flink.kubernetes.highavailability.KubernetesHaServicesFactory",
                }
            });
        if high_availability.as_ref().is_some_and(|ha| ha.kubernetes) && namespace.is_none() {
            self.error(
                Code::HaNeedsNamespace,
                "metadata.namespace",
                "Kubernetes HA needs a namespace: its ConfigMaps and RBAC are namespaced",
            )
            .hint = Some("set metadata.namespace or pass --namespace".into());
        }
        if jm_replicas > 1 && high_availability.is_none() {
            self.error(
                Code::StandbyNeedsHa,
                "spec.jobManager.replicas",
                "High availability should be enabled when starting standby JobManagers.",
            );
        }

        // Job or session (FO §2.2, §2.4).
        let slots = self
            .config_int(&config, "taskmanager.numberOfTaskSlots", user_config_span("taskmanager.numberOfTaskSlots"))
            .unwrap_or(1)
            .max(1);
        config.set("execution.target", "remote");
        let mut application = None;
        let mut suspended = false;
        if let Some(job) = &spec.job {
            config.set("kubernetes.internal.cluster-mode", "APPLICATION");
            let parallelism = self.effective_parallelism(&config, tm_replicas_spec, job.parallelism, slots);
            if let Some(parallelism) = parallelism {
                config.set("parallelism.default", parallelism.to_string());
                if !config.contains("kubernetes.internal.taskmanager.replicas") {
                    config.set(
                        "kubernetes.internal.taskmanager.replicas",
                        ((parallelism + slots - 1) / slots).to_string(),
                    );
                }
            }
            config.set("execution.shutdown-on-application-finish", "false");
            config.set_default("execution.submit-failed-job-on-application-error", "true");
            config.set_default("pipeline.name", name.clone());
            let upgrade_mode = self.upgrade_mode(job);
            if upgrade_mode == "last-state" {
                config.set_default("execution.checkpointing.interval", "5 min");
                if high_availability.is_none() {
                    self.error(Code::LastStateNeedsHa, "spec.job.upgradeMode", "upgradeMode last-state needs high availability: without an operator, the job can only resume from HA metadata")
                        .hint = Some("set flinkConfiguration `high-availability.type: kubernetes` and `high-availability.storageDir`".into());
                }
            }
            config.set_default("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
            if let Some(allow) = job.allow_non_restored_state {
                config.set("execution.savepoint.ignore-unclaimed-state", allow.to_string());
            }
            if let Some(entry_class) = &job.entry_class {
                config.set("$internal.application.main", entry_class.clone());
            }
            let args = job.args.clone().unwrap_or_default();
            config.set_value("$internal.application.program-args", ConfigValue::List(args.clone()));
            let mut has_classpaths = false;
            if let Some(jar_uri) = job.jar_uri.as_deref() {
                match jar_uri.split_once("://") {
                    Some((scheme, _)) if !scheme.is_empty() => {
                        let classpath = match jar_uri.strip_prefix("local://") {
                            Some(path) => format!("file://{path}"),
                            None => jar_uri.to_string(),
                        };
                        config.set_value("pipeline.classpaths", ConfigValue::List(vec![classpath]));
                        has_classpaths = true;
                    }
                    _ => {
                        self.error(
                            Code::JarUriWithoutScheme,
                            "spec.job.jarURI",
                            format!("jarURI `{jar_uri}` has no scheme; standalone mode needs one"),
                        )
                        .hint = Some(format!(
                            "use `local://{}` for a jar inside the image",
                            if jar_uri.starts_with('/') { jar_uri.to_string() } else { format!("/{jar_uri}") }
                        ));
                    }
                }
            }
            match job.state.as_deref() {
                None | Some("running") => {}
                Some("suspended") => suspended = true,
                Some(other) => {
                    self.error(
                        Code::InvalidEnum,
                        "spec.job.state",
                        format!("job.state must be `running` or `suspended`, not `{other}`"),
                    );
                }
            }
            // Deploy-time keys (FO §2.2 second table).
            if let Some(path) = job.initial_savepoint_path.as_deref().filter(|path| !path.trim().is_empty()) {
                config.set("execution.savepoint.path", path.to_string());
            } else if upgrade_mode == "stateless" {
                config.remove("execution.savepoint.path");
            }
            let flat_user: Vec<(String, String)> =
                user_keys.iter().map(|key| (key.key.clone(), key.value.clone())).collect();
            let spec_json = self.document.get("spec").map(Node::to_json).unwrap_or(Value::Null);
            let job_id =
                job_id::job_id(namespace.as_deref(), &name, &spec_json, &flat_user, upgrade_mode == "last-state");
            application = Some(Application {
                job_id,
                entry_class: job.entry_class.clone(),
                args,
                allow_non_restored_state: config.get_bool("execution.savepoint.ignore-unclaimed-state", false),
                savepoint_path: config.get("execution.savepoint.path"),
                has_classpaths,
            });
        } else {
            config.set("kubernetes.internal.cluster-mode", "SESSION");
        }

        // Identity (build step) and HA keys.
        if let Some(namespace) = &namespace {
            config.set("kubernetes.namespace", namespace.clone());
        }
        config.set("kubernetes.cluster-id", name.clone());
        if high_availability.is_some() {
            config.set("high-availability.cluster-id", name.clone());
            if let Some(storage_dir) =
                config.get_any(&["high-availability.storageDir", "high-availability.zookeeper.storageDir"])
            {
                if application.is_some() {
                    // Upstream appends a random UUID; ours is the job id (FO §4.8).
                    let job_id = application.as_ref().map(|app| app.job_id.clone()).unwrap_or_default();
                    config.set_default(
                        "job-result-store.storage-path",
                        format!("{}/job-result-store/{name}/{job_id}", storage_dir.trim_end_matches('/')),
                    );
                }
                config.set_default("job-result-store.delete-on-commit", "false");
            }
        }
        if let Some(generation) = self.parsed.raw.metadata.generation {
            let mut annotations =
                config.get("kubernetes.jobmanager.annotations").map(|text| parse_flat_map(&text)).unwrap_or_default();
            annotations.retain(|(key, _)| key != "flinkdeployment.flink.apache.org/generation");
            annotations.push(("flinkdeployment.flink.apache.org/generation".into(), generation.to_string()));
            config.set_value("kubernetes.jobmanager.annotations", ConfigValue::Map(annotations));
        }

        // Descriptor: ports (FO §4.1) and the rpc address (FO §11.6).
        let ports = self.ports(&mut config, &user_config_span, high_availability.is_some());
        let rpc_address = match &namespace {
            Some(namespace) => format!("{name}.{namespace}"),
            None => name.clone(),
        };
        config.set("jobmanager.rpc.address", rpc_address);

        // Component pieces read from the configuration.
        let jobmanager = self.component(
            &config,
            Process::JobManager,
            jm_template,
            jm_replicas,
            &jm_resources,
            &service_account,
            slots,
        );
        let taskmanager_replicas =
            config.get("kubernetes.internal.taskmanager.replicas").and_then(|text| text.parse().ok()).unwrap_or(1);
        let taskmanager = self.component(
            &config,
            Process::TaskManager,
            tm_template,
            taskmanager_replicas,
            &tm_resources,
            &service_account,
            slots,
        );
        let secrets = config.get("kubernetes.secrets").map(|text| parse_flat_map(&text)).unwrap_or_default();
        let image_pull_secrets = config
            .get("kubernetes.container.image.pull-secrets")
            .map(|text| parse_flat_list(&text).into_iter().filter(|name| !name.is_empty()).collect())
            .unwrap_or_default();
        let rest_service = RestService {
            exposed_type: self.rest_service_type(&config, &user_config_span),
            annotations: config
                .get("kubernetes.rest-service.annotations")
                .map(|text| parse_flat_map(&text).into_iter().collect())
                .unwrap_or_default(),
        };
        let ingress = self.ingress(spec, &name, namespace.as_deref(), &config);

        let context = crate::validate::DeploymentContext {
            name: &name,
            namespace: namespace.as_deref(),
            spec,
            flink_version,
            config: &config,
            user_keys: &user_keys,
            document: self.document,
        };
        for diagnostic in crate::validate::check_deployment(&context) {
            self.errors += usize::from(diagnostic.is_error());
            self.diagnostics.push(diagnostic);
        }

        // Strip what never reaches the cluster (FO §2.0, §5.1).
        config.remove_where(|key| {
            key.starts_with("kubernetes.operator.")
                || key.starts_with("job.autoscaler.")
                || key.starts_with("kubernetes.pod-template-file.")
                || REMOVED_KEYS.contains(&key)
        });
        self.check_config_file(&config, flink_version, &user_config_span);

        if self.errors > 0 {
            return None;
        }
        Some(Resolved::Cluster(Box::new(Deployment {
            name,
            namespace,
            flink_version,
            image,
            image_pull_policy,
            log_files,
            conf_dir: config.get("kubernetes.flink.conf.dir").unwrap_or_else(|| "/opt/flink/conf".into()),
            entry_path: config.get("kubernetes.entry.path").unwrap_or_else(|| "/docker-entrypoint.sh".into()),
            host_network: config.get_bool("kubernetes.hostnetwork.enabled", false),
            flink_log_dir: config.get("kubernetes.flink.log.dir"),
            config,
            application,
            suspended,
            high_availability,
            jobmanager,
            taskmanager,
            ports,
            rest_service,
            secrets,
            image_pull_secrets,
            ingress,
        })))
    }

    fn log_files(&mut self, spec: &crate::parse::spec::RawDeploymentSpec) -> BTreeMap<String, String> {
        let (files, field) = match (&spec.log_configuration, &spec.logging) {
            (Some(files), _) => (files.clone(), "spec.logConfiguration"),
            (None, Some(files)) => {
                self.warning(
                    Code::DeprecatedField,
                    "spec.logging",
                    "`logging` is the FLIP-212 spelling of `logConfiguration`",
                )
                .hint = Some("rename spec.logging to spec.logConfiguration".into());
                (files.clone(), "spec.logging")
            }
            (None, None) => {
                return BTreeMap::from([("log4j-console.properties".to_string(), BUILTIN_LOG4J_CONSOLE.to_string())]);
            }
        };
        for key in files.keys() {
            if !LOG_CONFIG_FILES.contains(&key.as_str()) {
                self.error(Code::InvalidLogConfigKey, &format!("{field}.{key}"), format!("Invalid log config key: {key}. Allowed keys are [log4j-console.properties, logback-console.xml]"));
            }
        }
        files
    }

    /// The upgrade mode, from `job.upgradeMode` or the FLIP-212 spellings (FO §1.6):
    /// `restoreMode` (`savepoint` / `last-state` / `none`) and `cancelMode` (`savepoint` / `none`).
    fn upgrade_mode(&mut self, job: &crate::parse::spec::RawJobSpec) -> &'static str {
        let seed = [("spec.job.restoreMode", &job.restore_mode), ("spec.job.cancelMode", &job.cancel_mode)];
        let (field, text) = match (&job.upgrade_mode, seed.iter().find(|(_, value)| value.is_some())) {
            (Some(mode), _) => {
                for (field, _) in seed.iter().filter(|(_, value)| value.is_some()) {
                    self.warning(Code::IgnoredField, field, "ignored: job.upgradeMode is set and takes precedence");
                }
                ("spec.job.upgradeMode", mode.as_str())
            }
            (None, Some((field, Some(mode)))) => (*field, mode.as_str()),
            _ => return "stateless",
        };
        let mode = match (field, text) {
            ("spec.job.upgradeMode", "stateless") | (_, "none") => Some("stateless"),
            ("spec.job.cancelMode", "last-state") => None,
            (_, "savepoint") => Some("savepoint"),
            (_, "last-state") => Some("last-state"),
            _ => None,
        };
        if field != "spec.job.upgradeMode" {
            let current = mode.map(|mode| format!(": {mode}")).unwrap_or_default();
            let name = field.trim_start_matches("spec.");
            self.warning(
                Code::DeprecatedField,
                field,
                format!("{name} is the FLIP-212 spelling; use job.upgradeMode{current}"),
            );
        }
        mode.unwrap_or_else(|| {
            let allowed = ["stateless", "savepoint", "last-state"].map(String::from);
            let name = field.trim_start_matches("spec.");
            let message = format!("{name} must be stateless, savepoint or last-state, not `{text}`");
            let error = self.error(Code::InvalidEnum, field, message);
            error.hint = crate::parse::suggest(text, &allowed).map(|mode| format!("did you mean `{mode}`?"));
            "stateless"
        })
    }

    /// Effective parallelism P (FO §2.4).
    fn effective_parallelism(
        &mut self,
        config: &FlinkConfig,
        tm_replicas: Option<i64>,
        job_parallelism: Option<i64>,
        slots: i64,
    ) -> Option<i64> {
        if let Some(replicas) = tm_replicas.filter(|replicas| *replicas > 0) {
            if job_parallelism.is_some_and(|parallelism| parallelism > 0) {
                self.warning(
                    Code::IgnoredField,
                    "spec.job.parallelism",
                    "ignored: taskManager.replicas is set, so parallelism is replicas × slots",
                );
            }
            return Some(replicas * slots);
        }
        if tm_replicas.is_some() {
            return None;
        }
        if let Some(overrides) = config.get("pipeline.jobvertex-parallelism-overrides") {
            let max = parse_flat_map(&overrides).iter().filter_map(|(_, value)| value.trim().parse::<i64>().ok()).max();
            if let Some(max) = max.filter(|max| *max > 0) {
                return Some(max);
            }
        }
        match job_parallelism {
            Some(parallelism) if parallelism >= 1 => Some(parallelism),
            _ => {
                self.error(Code::InvalidParallelism, "spec.job.parallelism", "Job parallelism must be larger than 0")
                    .hint = Some("set spec.job.parallelism, or spec.taskManager.replicas".into());
                None
            }
        }
    }

    fn process_resources(
        &mut self,
        process: Process,
        resource: Option<&RawResource>,
        resources: Option<&RawResourceRequirements>,
    ) -> ProcessResources {
        let base = process.spec_field();
        let title = process.title();
        let mut result = ProcessResources {
            memory_given: false,
            memory_path: None,
            memory: None,
            cpu: None,
            cpu_limit_factor: None,
            memory_limit_factor: None,
            extra_requests: Vec::new(),
            extra_limits: Vec::new(),
            claims: resources.and_then(|r| r.claims.clone()),
        };
        let requests = resources.and_then(|r| r.requests.clone()).unwrap_or_default();
        let limits = resources.and_then(|r| r.limits.clone()).unwrap_or_default();
        let uses_new = !requests.is_empty() || !limits.is_empty();
        if uses_new {
            if resource.is_some() {
                self.warning(
                    Code::DeprecatedField,
                    &format!("{base}.resource"),
                    format!("ignored: {base}.resources is set and overrides the deprecated `resource`"),
                );
            }
            for (section, entries) in [("requests", &requests), ("limits", &limits)] {
                for (key, quantity) in entries.iter() {
                    let path = format!("{base}.resources.{section}.{key}");
                    match key.as_str() {
                        "memory" => {
                            if let Err(error) = parse_resource_memory(&quantity.0) {
                                self.error(
                                    Code::InvalidMemory,
                                    &path,
                                    format!("{title} resource requirements {section} memory parse error: {error}"),
                                );
                            }
                        }
                        _ => match Quantity::parse(&quantity.0) {
                            Err(error) => {
                                self.error(
                                    Code::InvalidQuantity,
                                    &path,
                                    format!("{title} resource requirements {section} {key} parse error: {error}"),
                                );
                            }
                            Ok(parsed) if key == "cpu" && (parsed.is_negative() || parsed.is_zero()) => {
                                self.error(
                                    Code::InvalidCpu,
                                    &path,
                                    format!(
                                        "{title} resource requirements {section} cpu must be positive: {}",
                                        quantity.0
                                    ),
                                );
                            }
                            Ok(parsed) if parsed.is_negative() => {
                                self.error(
                                    Code::InvalidQuantity,
                                    &path,
                                    format!(
                                        "{title} resource requirements {section} {key} must not be negative: {}",
                                        quantity.0
                                    ),
                                );
                            }
                            Ok(_) => {
                                if key != "cpu" {
                                    let target = if section == "requests" {
                                        &mut result.extra_requests
                                    } else {
                                        &mut result.extra_limits
                                    };
                                    target.push((key.clone(), quantity.0.clone()));
                                }
                            }
                        },
                    }
                }
            }
            let memory_request = requests.get("memory").and_then(|q| parse_resource_memory(&q.0).ok());
            let memory_limit = limits.get("memory").and_then(|q| parse_resource_memory(&q.0).ok());
            if memory_request.is_some_and(|m| m.bytes == 0) {
                self.error(
                    Code::InvalidMemory,
                    &format!("{base}.resources.requests.memory"),
                    format!("{title} resource requirements requests memory must be positive"),
                );
            }
            result.memory_given = requests.contains_key("memory") || limits.contains_key("memory");
            let section = if requests.contains_key("memory") { "requests" } else { "limits" };
            result.memory_path = Some(format!("{base}.resources.{section}.memory")).filter(|_| result.memory_given);
            result.memory = memory_request.or(memory_limit);
            let cpu_request = requests.get("cpu").and_then(|q| Quantity::parse(&q.0).ok()).map(|q| q.to_f64());
            let cpu_limit = limits.get("cpu").and_then(|q| Quantity::parse(&q.0).ok()).map(|q| q.to_f64());
            result.cpu = cpu_request.or(cpu_limit);
            if let (Some(request), Some(limit)) = (cpu_request, cpu_limit) {
                if request > 0.0 {
                    result.cpu_limit_factor = Some(limit / request);
                }
                if request > limit {
                    self.error(
                        Code::RequestExceedsLimit,
                        &format!("{base}.resources.requests.cpu"),
                        format!(
                            "{title} resource requirements cpu request ({}) must not exceed its limit ({})",
                            requests["cpu"].0, limits["cpu"].0
                        ),
                    );
                }
            }
            if let (Some(request), Some(limit)) = (requests.get("memory"), limits.get("memory")) {
                let amount = |text: &str| {
                    Quantity::parse(text)
                        .map(|q| q.to_f64())
                        .ok()
                        .or_else(|| parse_resource_memory(text).ok().map(|m| m.bytes as f64))
                };
                if let (Some(request_amount), Some(limit_amount)) = (amount(&request.0), amount(&limit.0))
                    && request_amount > 0.0
                {
                    result.memory_limit_factor = Some(limit_amount / request_amount);
                }
                if let (Some(request_size), Some(limit_size)) = (memory_request, memory_limit)
                    && request_size.bytes > limit_size.bytes
                {
                    self.error(
                        Code::RequestExceedsLimit,
                        &format!("{base}.resources.requests.memory"),
                        format!(
                            "{title} resource requirements memory request ({}) must not exceed its limit ({})",
                            request.0, limit.0
                        ),
                    );
                }
            }
        } else if let Some(resource) = resource {
            if let Some(memory) = resource.memory.as_deref().filter(|memory| !memory.trim().is_empty()) {
                result.memory_given = true;
                result.memory_path = Some(format!("{base}.resource.memory"));
                match parse_resource_memory(memory) {
                    Ok(size) => result.memory = Some(size),
                    Err(error) => {
                        self.error(
                            Code::InvalidMemory,
                            &format!("{base}.resource.memory"),
                            format!("{title} resource memory parse error: {error}"),
                        );
                    }
                }
            }
            if let Some(cpu) = resource.cpu {
                if cpu <= 0.0 {
                    self.error(
                        Code::InvalidCpu,
                        &format!("{base}.resource.cpu"),
                        format!("{title} resource cpu must be positive: {cpu}"),
                    );
                }
                result.cpu = Some(cpu);
            }
            if let Some(storage) = resource.ephemeral_storage.as_deref() {
                match Quantity::parse(storage) {
                    Ok(_) => {
                        result.extra_requests.push(("ephemeral-storage".into(), storage.to_string()));
                        result.extra_limits.push(("ephemeral-storage".into(), storage.to_string()));
                    }
                    Err(error) => {
                        self.error(
                            Code::InvalidQuantity,
                            &format!("{base}.resource.ephemeralStorage"),
                            format!("{title} resource ephemeral storage parse error: {error}"),
                        );
                    }
                }
            }
        }
        result
    }

    /// Write memory, cpu and limit factors into the configuration (FO §2.2).
    fn apply_process_config(
        &mut self,
        config: &mut FlinkConfig,
        process: Process,
        resources: &ProcessResources,
        version: FlinkVersion,
    ) {
        let name = process.config_name();
        if let Some(memory) = resources.memory {
            config.set(&format!("{name}.memory.process.size"), memory.config_text());
        }
        if let Some(cpu) = resources.cpu {
            let text = java_double(cpu);
            config.set(&format!("kubernetes.{name}.cpu.amount"), text.clone());
            if !version.has_cpu_amount_keys() {
                config.set(&format!("kubernetes.{name}.cpu"), text);
            }
        }
        if let Some(factor) = resources.cpu_limit_factor {
            config.set(&format!("kubernetes.{name}.cpu.limit-factor"), java_double(factor));
        }
        if let Some(factor) = resources.memory_limit_factor {
            config.set(&format!("kubernetes.{name}.memory.limit-factor"), java_double(factor));
        }
    }

    fn config_int(&mut self, config: &FlinkConfig, key: &str, span: Option<Span>) -> Option<i64> {
        let text = config.get(key)?;
        match text.trim().parse::<i64>() {
            Ok(value) => Some(value),
            Err(_) => {
                self.errors += 1;
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidConfigValue,
                        format!("spec.flinkConfiguration.{key}"),
                        format!("`{key}` must be an integer, not `{text}`"),
                    )
                    .at(span.unwrap_or_else(|| self.span("spec.flinkConfiguration"))),
                );
                None
            }
        }
    }

    /// Ports (FO §4.1): single integers only; `0` means "the fixed port".
    fn ports(&mut self, config: &mut FlinkConfig, span_of: &dyn Fn(&str) -> Option<Span>, ha: bool) -> Ports {
        let port = |resolver: &mut Self,
                    config: &mut FlinkConfig,
                    key: &str,
                    default: i32,
                    fixed_for_zero: i32,
                    write: bool|
         -> i32 {
            let value = match config.get(key) {
                None => default,
                Some(text) => match text.trim().parse::<i32>() {
                    Ok(value) if (0..=65535).contains(&value) => value,
                    _ => {
                        resolver.errors += 1;
                        resolver.diagnostics.push(
                            Diagnostic::new(
                                Code::InvalidPort,
                                format!("spec.flinkConfiguration.{key}"),
                                format!("`{key}` must be a single port number in standalone mode, not `{text}`"),
                            )
                            .at(span_of(key).unwrap_or_else(|| resolver.span("spec.flinkConfiguration")))
                            .with_hint("port ranges are not supported: the Services need fixed ports"),
                        );
                        default
                    }
                },
            };
            let value = if value == 0 { fixed_for_zero } else { value };
            if write || config.contains(key) {
                config.set(key, value.to_string());
            }
            value
        };
        let jobmanager_rpc = port(self, config, "jobmanager.rpc.port", 6123, 6123, false);
        let blob_server = port(self, config, "blob.server.port", 0, 6124, true);
        let taskmanager_rpc = port(self, config, "taskmanager.rpc.port", 0, 6122, true);
        let rest = port(self, config, "rest.port", 8081, 8081, false);
        let rest_bind = if config.contains("rest.bind-port") {
            port(self, config, "rest.bind-port", rest, 8081, false)
        } else {
            rest
        };
        if ha && config.contains("high-availability.jobmanager.port") {
            port(self, config, "high-availability.jobmanager.port", jobmanager_rpc, jobmanager_rpc, false);
        }
        Ports { jobmanager_rpc, blob_server, taskmanager_rpc, rest, rest_bind }
    }

    fn rest_service_type(&mut self, config: &FlinkConfig, span_of: &dyn Fn(&str) -> Option<Span>) -> String {
        let key = "kubernetes.rest-service.exposed.type";
        let value = config.get(key).unwrap_or_else(|| "ClusterIP".into());
        if !["ClusterIP", "NodePort", "LoadBalancer", "Headless_ClusterIP"].contains(&value.as_str()) {
            self.errors += 1;
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidConfigValue,
                    format!("spec.flinkConfiguration.{key}"),
                    format!("`{key}` must be ClusterIP, NodePort, LoadBalancer or Headless_ClusterIP, not `{value}`"),
                )
                .at(span_of(key).unwrap_or_else(|| self.span("spec.flinkConfiguration"))),
            );
        }
        value
    }

    #[allow(clippy::too_many_arguments)]
    fn component(
        &mut self,
        config: &FlinkConfig,
        process: Process,
        pod_template: Value,
        replicas: i64,
        resources: &ProcessResources,
        service_account: &str,
        slots: i64,
    ) -> Component {
        let name = process.config_name();
        let map = |key: String| {
            config
                .get(&key)
                .map(|text| parse_flat_map(&text).into_iter().collect::<BTreeMap<_, _>>())
                .unwrap_or_default()
        };
        let env_prefix = match process {
            Process::JobManager => "containerized.master.env.",
            Process::TaskManager => "containerized.taskmanager.env.",
        };
        let env = config
            .iter()
            .filter_map(|(key, _)| {
                key.strip_prefix(env_prefix).map(|env_name| (env_name.to_string(), config.get(key).unwrap_or_default()))
            })
            .collect();
        let memory = self.memory_model(config, process, resources);
        let memory_mib = memory.total_process() / (1 << 20);
        let cpu = match (
            resources.cpu,
            config.get(&format!("kubernetes.{name}.cpu.amount")).and_then(|text| text.trim().parse::<f64>().ok()),
        ) {
            (Some(cpu), _) => cpu,
            (None, Some(cpu)) if cpu > 0.0 => cpu,
            _ => match process {
                Process::JobManager => 1.0,
                Process::TaskManager => {
                    self.warning(Code::TaskmanagerCpuDefaulted, &format!("{}.resources.requests.cpu", process.spec_field()), format!(
                        "TaskManager cpu is not set; using the slot count ({slots}) as native mode does (standalone Flink would request -1.0 cpu)"
                    ))
                    .hint = Some("set spec.taskManager.resources.requests.cpu".into());
                    slots as f64
                }
            },
        };
        let factor = |key: String| config.get(&key).and_then(|text| text.trim().parse::<f64>().ok()).unwrap_or(1.0);
        let cpu_limit = cpu * factor(format!("kubernetes.{name}.cpu.limit-factor"));
        let memory_limit_mib =
            (memory_mib as f64 * factor(format!("kubernetes.{name}.memory.limit-factor"))).floor() as u64;
        let tolerations = config
            .get(&format!("kubernetes.{name}.tolerations"))
            .map(|text| parse_flat_list(&text).iter().map(|item| parse_flat_map(item).into_iter().collect()).collect())
            .unwrap_or_default();
        Component {
            pod_template,
            replicas: replicas.clamp(0, i32::MAX as i64) as i32,
            memory,
            memory_mib,
            memory_limit_mib,
            cpu,
            cpu_limit,
            service_account: config
                .get(&format!("kubernetes.{name}.service-account"))
                .unwrap_or_else(|| service_account.to_string()),
            labels: map(format!("kubernetes.{name}.labels")),
            annotations: map(format!("kubernetes.{name}.annotations")),
            node_selector: map(format!("kubernetes.{name}.node-selector")),
            tolerations,
            env,
        }
    }

    /// Flink's memory model for one process (issue: sizes Flink rejects at start-up are
    /// compile-time errors). Without any memory setting, the operator's rule 18/24 message.
    fn memory_model(&mut self, config: &FlinkConfig, process: Process, resources: &ProcessResources) -> ProcessMemory {
        let result = match process {
            Process::JobManager => memory_model::jobmanager(config).map(ProcessMemory::JobManager),
            Process::TaskManager => memory_model::taskmanager(config).map(ProcessMemory::TaskManager),
        };
        let error = match result {
            Ok(memory) => return memory,
            Err(_) if resources.memory_given && resources.memory.is_none() => return unresolved_memory(process),
            Err(error) => error,
        };
        let (title, base, name) = (process.title(), process.spec_field(), process.config_name());
        if !resources.memory_given && error.message.contains("need to be configured explicitly") {
            self.error(Code::MissingMemory,
                &format!("{base}.resource.memory"),
                format!("{title} resource memory must be defined using `{base}.resource.memory` or `{base}.resources.requests.memory`"),
            )
            .hint = Some(format!("or set flinkConfiguration `{name}.memory.process.size`"));
            return unresolved_memory(process);
        }
        let user_key = error.key.clone().or_else(|| {
            let prefix = format!("{name}.memory.");
            config.iter().map(|(key, _)| key).find(|key| key.starts_with(&prefix) && self.user_config_key(key)).cloned()
        });
        let path = match (&resources.memory_path, &user_key) {
            (Some(path), None) => path.clone(),
            (_, Some(key)) => format!("spec.flinkConfiguration.{key}"),
            (None, None) => base.to_string(),
        };
        let span = match &user_key {
            Some(key) if resources.memory_path.is_none() || error.key.is_some() => self.user_config_span(key),
            _ => self.span(&path),
        };
        self.errors += 1;
        self.diagnostics.push(
            Diagnostic::new(Code::FlinkMemory, path, format!("Flink would not start the {title}: {}", error.message))
                .at(span)
                .with_hint(if error.message.contains("consistent") {
                    "set only one of the overlapping memory options, or make them add up".to_string()
                } else {
                    format!("give the {title} more memory, or lower its fixed parts (framework, network, managed, metaspace)")
                }),
        );
        unresolved_memory(process)
    }

    /// The Ingress (FO §4.6): `{{name}}`/`{{namespace}}` substituted case-insensitively,
    /// `http://` prepended when there is no scheme, then host and path read leniently, the
    /// way Java's URL parser does (no percent-encoding, so regex paths survive).
    fn ingress(
        &mut self,
        spec: &crate::parse::spec::RawDeploymentSpec,
        name: &str,
        namespace: Option<&str>,
        config: &FlinkConfig,
    ) -> Option<Ingress> {
        let ingress = spec.ingress.as_ref()?;
        if !config.get_bool("kubernetes.operator.ingress.manage", true) {
            return None;
        }
        let Some(template) = ingress.template.as_deref().filter(|template| !template.trim().is_empty()) else {
            self.error(Code::MissingField, "spec.ingress.template", "Ingress template must be defined");
            return None;
        };
        if namespace.is_none() && template.to_lowercase().contains("{{namespace}}") {
            self.error(
                Code::IngressNeedsNamespace,
                "spec.ingress.template",
                format!("the Ingress template `{template}` uses {{{{namespace}}}}, but no namespace is known"),
            )
            .hint = Some("set metadata.namespace or pass --namespace".into());
            return None;
        }
        let substituted = replace_ignore_case(
            &replace_ignore_case(template, "{{name}}", name),
            "{{namespace}}",
            namespace.unwrap_or_default(),
        );
        let url = if substituted.starts_with("http://") || substituted.starts_with("https://") {
            substituted.clone()
        } else {
            format!("http://{substituted}")
        };
        let after_scheme = url.split_once("://").map(|(_, rest)| rest).unwrap_or(&url);
        let (authority, path) = match after_scheme.find('/') {
            Some(index) => (&after_scheme[..index], &after_scheme[index..]),
            None => (after_scheme, ""),
        };
        let host = match authority.rsplit_once(':') {
            Some((host, port)) => {
                if port.parse::<u16>().is_err() {
                    self.error(
                        Code::InvalidIngressTemplate,
                        "spec.ingress.template",
                        format!(
                            "Unable to process the Ingress template({template}). Error: invalid port number `{port}`"
                        ),
                    );
                    return None;
                }
                host
            }
            None => authority,
        };
        Some(Ingress {
            host: Some(host.to_string()).filter(|host| !host.is_empty()),
            path: Some(path.to_string()).filter(|path| !path.is_empty()),
            class_name: ingress.class_name.clone(),
            annotations: ingress.annotations.clone().unwrap_or_default(),
            labels: ingress.labels.clone().unwrap_or_default(),
            tls: ingress.tls.iter().flatten().map(|tls| serde_json::to_value(tls).unwrap_or(Value::Null)).collect(),
        })
    }

    /// What the config file writers cannot represent (FO §5.1; DESIGN deploy-time errors).
    fn check_config_file(
        &mut self,
        config: &FlinkConfig,
        version: FlinkVersion,
        span_of: &dyn Fn(&str) -> Option<Span>,
    ) {
        let keys: Vec<&String> = config.iter().map(|(key, _)| key).collect();
        for (key, value) in config.iter() {
            let text = value.to_flat_string();
            let path = format!("spec.flinkConfiguration.{key}");
            let at = span_of(key).unwrap_or_else(|| self.span("spec.flinkConfiguration"));
            if !version.uses_config_yaml() {
                if text.contains('\n') || key.contains('\n') {
                    self.errors += 1;
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::UnwritableConfigValue,
                            path.clone(),
                            format!("`{key}` contains a line break, which a flat flink-conf.yaml cannot hold"),
                        )
                        .at(at),
                    );
                } else if text.contains('#') || key.contains('#') {
                    self.errors += 1;
                    self.diagnostics.push(
                        Diagnostic::new(Code::UnwritableConfigValue, path.clone(), format!("`{key}` contains `#`: Flink's flat flink-conf.yaml parser cuts the rest of the line as a comment"))
                            .at(at)
                            .with_hint("Flink 2.x (config.yaml) can hold it; on 1.x avoid `#` in configuration values"),
                    );
                } else if !text.is_empty() && !key.is_empty() && (key.contains(": ") || key.ends_with(':')) {
                    self.errors += 1;
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::UnwritableConfigValue,
                            path.clone(),
                            format!("the key `{key}` contains `: `, which a flat flink-conf.yaml cannot hold"),
                        )
                        .at(at),
                    );
                }
            } else if let Some(longer) = keys
                .iter()
                .filter(|other| other.starts_with(&format!("{key}.")))
                .min_by_key(|other| span_of(other).is_none())
            {
                self.errors += 1;
                self.diagnostics.push(
                    Diagnostic::new(Code::OverlappingConfigKeys, path.clone(), format!("Overlapping key prefixes detected ({key} -> {longer}), please replace with Flink v2 compatible, non-deprecated keys."))
                        .at(at)
                        .with_hint("Flink 2.x reads a nested config.yaml: a key cannot be both a value and a section"),
                );
            }
        }
    }
}

/// A zero breakdown standing in after a memory error was reported; a cluster with errors
/// is never emitted.
fn unresolved_memory(process: Process) -> ProcessMemory {
    match process {
        Process::JobManager => ProcessMemory::JobManager(memory_model::JobManagerMemory {
            jvm_heap: 0,
            off_heap: 0,
            jvm_metaspace: 0,
            jvm_overhead: 0,
            direct_memory_limit: false,
        }),
        Process::TaskManager => ProcessMemory::TaskManager(memory_model::TaskManagerMemory {
            framework_heap: 0,
            task_heap: 0,
            framework_off_heap: 0,
            task_off_heap: 0,
            network: 0,
            managed: 0,
            jvm_metaspace: 0,
            jvm_overhead: 0,
        }),
    }
}

/// A Flink cluster id (FO §6 rule 1): lower-case alphanumerics and `-`, starting with a
/// letter, ending with a letter or digit, at most 45 characters.
pub fn is_cluster_id(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 45
        && bytes[0].is_ascii_lowercase()
        && bytes.last().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// Java's `Double.toString` for cpu values and factors (`1.0`, `0.5`, `2.0`).
pub fn java_double(value: f64) -> String {
    crate::flink::java::java_double_text(value)
}

fn replace_ignore_case(text: &str, pattern: &str, replacement: &str) -> String {
    let lower = text.to_lowercase();
    if lower.len() != text.len() {
        return text.replace(pattern, replacement);
    }
    let mut result = String::new();
    let mut rest = 0;
    while let Some(found) = lower[rest..].find(pattern) {
        result.push_str(&text[rest..rest + found]);
        result.push_str(replacement);
        rest += found + pattern.len();
    }
    result.push_str(&text[rest..]);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FO §9 fact 36 (name part): `session-cluster-1.13` is not a valid cluster id.
    #[test]
    fn fo9_fact36_cluster_id_rule() {
        assert!(is_cluster_id("basic-example"));
        assert!(!is_cluster_id("session-cluster-1.13"));
        assert!(!is_cluster_id("1abc"));
        assert!(!is_cluster_id("abc-"));
        assert!(!is_cluster_id(&"a".repeat(46)));
        assert!(is_cluster_id(&"a".repeat(45)));
    }

    #[test]
    fn template_placeholders_are_case_insensitive() {
        assert_eq!(replace_ignore_case("{{Name}}.{{NAMESPACE}}.x", "{{name}}", "n"), "n.{{NAMESPACE}}.x");
    }
}
