//! Stage 4, **resolve**: lowering a validated effective view to the model `emit` renders,
//! by pure computation and without rule checks: pod templates merged over the operator's
//! defaults (FO §3) with resources and the startup probe injected, each process assembled
//! from its configuration ([`components`]), the operator's own keys stripped from the
//! configuration file (FO §5.1), and the job with its upgrade mode, state and nonces.
//! Session jobs are resolved against their session cluster.

pub mod components;
pub mod model;
pub mod pod_template;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::effective::cluster::{JarSource, JobView};
use crate::effective::ingress::IngressRead;
use crate::effective::job::{JobState, job_state};
use crate::effective::job_id::job_id;
use crate::effective::resources::Process;
use crate::effective::{ClusterView, DeploymentMode, SessionJobView};
use crate::flink::config::{FlinkConfig, parse_flat_list, parse_flat_map};
use crate::flink::keys::stays_with_the_operator;
use crate::flink::options::{SAVEPOINT_DIRECTORY, parse_bool};
use crate::objects::rest_service_name;
use crate::parse::spec::RawJobSpec;
use crate::provenance::{Derivation, Origin, Traced};
use model::{
    Application, Cluster, DesiredState, Jar, Memo, NetworkPolicy, Nonces, RestService, SessionCluster, SessionJob,
    Snapshots,
};
use pod_template::{RestProbe, add_health_probes, add_startup_probe, inject_claims, inject_resources};

/// Where a native JobManager reads the TaskManager pod template (Flink's
/// `Constants.POD_TEMPLATE_DIR_IN_POD` and `TASK_MANAGER_POD_TEMPLATE_FILE_NAME`): the
/// `pod-template-<name>` ConfigMap is mounted there.
pub const TASKMANAGER_POD_TEMPLATE_IN_POD: &str = "/opt/flink/pod-template/taskmanager-pod-template.yaml";

/// Lower a FlinkDeployment that passed validation to the cluster model.
pub fn lower_cluster(view: &ClusterView<'_>) -> Cluster {
    let [jobmanager_template, taskmanager_template] = pod_templates(view);
    let mut config = view.config.values().clone();
    config.remove_where(stays_with_the_operator);
    if view.mode == DeploymentMode::Native {
        native_config(&mut config, view);
    }
    let setting = |key: &str| view.config.get(key);
    Cluster {
        name: view.name.to_string(),
        mode: view.mode,
        namespace: view.namespace.map(str::to_string),
        flink_version: view.version,
        image: view.image.clone(),
        image_pull_policy: view.image_pull_policy.map(str::to_string),
        log_files: view.log_files.clone(),
        conf_dir: setting("kubernetes.flink.conf.dir").unwrap_or_else(|| "/opt/flink/conf".into()),
        entry_path: setting("kubernetes.entry.path").unwrap_or_else(|| "/docker-entrypoint.sh".into()),
        host_network: view.flag("kubernetes.hostnetwork.enabled", false),
        flink_log_dir: setting("kubernetes.flink.log.dir"),
        artifacts_dir: setting("user.artifacts.base-dir").unwrap_or_else(|| "/opt/flink/artifacts".into()),
        application: view.job.as_ref().map(|job| application(view, job)),
        suspended: view.job.as_ref().is_some_and(|job| job.state == JobState::Suspended),
        high_availability: view.high_availability,
        jobmanager: components::component(view, &view.jobmanager, jobmanager_template),
        taskmanager: components::component(view, &view.taskmanager, taskmanager_template),
        ports: view.ports,
        rest_service: RestService {
            exposed_type: view.rest_service_type.clone(),
            annotations: map_setting(view, "kubernetes.rest-service.annotations"),
        },
        internal_service_annotations: map_setting(view, "kubernetes.internal-service.annotations"),
        secrets: setting("kubernetes.secrets").map(|text| parse_flat_map(&text)).unwrap_or_default(),
        image_pull_secrets: setting("kubernetes.container.image.pull-secrets")
            .map(|text| parse_flat_list(&text).into_iter().filter(|name| !name.is_empty()).collect())
            .unwrap_or_default(),
        ingress: match &view.ingress {
            Some(IngressRead::Target(target)) => Some(target.clone()),
            _ => None,
        },
        service_accounts: service_accounts(view),
        network_policy: view
            .render
            .network_policy
            .then(|| NetworkPolicy { rest_allowed_from: view.render.rest_allowed_from.clone() }),
        template_file: view.template_file.map(str::to_string),
        helm_hooks: view.helm_hooks.annotated(),
        config,
        config_files: Memo::default(),
        taskmanager_template_file: Memo::default(),
    }
}

/// A native cluster's configuration file: the JobManager loads the TaskManager pod template
/// only when `kubernetes.pod-template-file.taskmanager` is set (whatever its value: it reads
/// the file at [`TASKMANAGER_POD_TEMPLATE_IN_POD`], which is where it points here), and an
/// application's restore point is the hand-over's alone (it passes `execution.savepoint.path`
/// to the JobManager when there is one, `initialSavepointPath` on a first start), so that a
/// stateless or empty start never restores the initial savepoint again.
fn native_config(config: &mut impl ConfigEdit, view: &ClusterView<'_>) {
    let template = Origin::rule(Derivation::NativeTemplateFile, Vec::new());
    config.set("kubernetes.pod-template-file.taskmanager", TASKMANAGER_POD_TEMPLATE_IN_POD, template);
    if view.job.is_some() {
        config.remove("execution.savepoint.path");
    }
}

/// The edits `lower_cluster` makes to the effective configuration, applied alike to the
/// configuration it writes and to the origins `explain` reads.
trait ConfigEdit {
    fn set(&mut self, key: &str, value: &str, origin: Origin);
    fn remove(&mut self, key: &str);
}

impl ConfigEdit for FlinkConfig {
    fn set(&mut self, key: &str, value: &str, _: Origin) {
        FlinkConfig::set(self, key, value);
    }

    fn remove(&mut self, key: &str) {
        FlinkConfig::remove(self, key);
    }
}

/// The origins of a configuration, beside the configuration they were built with.
struct Origins<'c> {
    origins: BTreeMap<String, Traced>,
    values: &'c FlinkConfig,
}

impl ConfigEdit for Origins<'_> {
    fn set(&mut self, key: &str, _: &str, origin: Origin) {
        Traced::record(&mut self.origins, key, self.values.get(key), origin);
    }

    fn remove(&mut self, key: &str) {
        self.origins.remove(key);
    }
}

/// Where each key of the configuration file of [`lower_cluster`]'s cluster comes from, and
/// what it overrode (for `flink-render explain`; the compile itself never builds this).
pub fn config_origins(view: &ClusterView<'_>) -> BTreeMap<String, Traced> {
    let mut origins = Origins { origins: view.config.origins(), values: view.config.values() };
    origins.origins.retain(|key, _| !stays_with_the_operator(key));
    if view.mode == DeploymentMode::Native {
        native_config(&mut origins, view);
    }
    origins.origins
}

/// The ServiceAccounts the pods run as, unless they exist already
/// (`flink-render.dev/service-account: existing`).
fn service_accounts(view: &ClusterView<'_>) -> Vec<String> {
    if !view.render.create_service_account {
        return Vec::new();
    }
    let mut names: Vec<String> = [Process::JobManager, Process::TaskManager]
        .iter()
        .filter_map(|process| view.service_account(*process))
        .filter(|name| !name.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// A map option (`k1:v1,k2:v2`) of the effective configuration.
fn map_setting(view: &ClusterView<'_>, key: &str) -> BTreeMap<String, String> {
    view.config.get(key).map(|text| parse_flat_map(&text).into_iter().collect()).unwrap_or_default()
}

/// The JobManager and TaskManager pod templates: the merged templates of the view (FO §3.1)
/// with the main container's extra resources and claims (FO §3.3), the JobManager's startup
/// probe (FO §3.4), and readiness and liveness probes (ours).
fn pod_templates(view: &ClusterView<'_>) -> [Value; 2] {
    let mut templates = [view.jobmanager.pod_template.clone(), view.taskmanager.pod_template.clone()];
    for (template, process) in templates.iter_mut().zip([&view.jobmanager, &view.taskmanager]) {
        let resources = &process.resources;
        inject_resources(template, &resources.extra_requests, &resources.extra_limits);
        if let Some(claims) = &resources.claims {
            inject_claims(template, claims);
        }
        if process.process == Process::JobManager
            && view.flag("kubernetes.operator.jm-deployment.startup.probe.enabled", true)
        {
            add_startup_probe(template);
        }
        add_health_probes(template, process.process, rest_probe(view));
    }
    templates
}

/// How the REST port can be probed: over https when REST SSL is on, by a TCP connect when it
/// also asks for client certificates.
fn rest_probe(view: &ClusterView<'_>) -> RestProbe {
    match (view.flag("security.ssl.rest.enabled", false), view.flag("security.ssl.rest.authentication-enabled", false))
    {
        (false, _) => RestProbe::Http,
        (true, false) => RestProbe::Https,
        (true, true) => RestProbe::Tcp,
    }
}

/// The job of an application cluster.
fn application(view: &ClusterView<'_>, job: &JobView<'_>) -> Application {
    let allow = view.config.get("execution.savepoint.ignore-unclaimed-state");
    Application {
        job_id: job.job_id.clone(),
        entry_class: job.spec.entry_class.clone(),
        args: job.spec.args.clone().unwrap_or_default(),
        allow_non_restored_state: allow.and_then(|text| parse_bool(&text).ok()).unwrap_or(false),
        savepoint_path: view.config.get("execution.savepoint.path"),
        jar: match &job.jar {
            Some(JarSource::Image(path)) => Some(Jar::Image(path.clone())),
            Some(JarSource::Remote(uri)) => Some(Jar::Remote(uri.to_string())),
            Some(JarSource::NoScheme(_)) | None => None,
        },
        upgrade_mode: job.upgrade_mode.effective(),
        state: desired_state(&job.state),
        nonces: nonces(view.spec.restart_nonce, job.spec),
        snapshots: snapshots(view.config.values()),
    }
}

/// Where and how savepoints are taken, from a job's configuration (FO §7.0).
fn snapshots(config: &FlinkConfig) -> Snapshots {
    let format = config.get("kubernetes.operator.savepoint.format.type").map(|format| format.trim().to_uppercase());
    Snapshots {
        savepoint_dir: SAVEPOINT_DIRECTORY.lookup(config).map(|(_, dir)| dir).filter(|dir| !dir.trim().is_empty()),
        format: format.filter(|format| format == "NATIVE").unwrap_or_else(|| "CANONICAL".to_string()),
    }
}

fn desired_state(state: &JobState) -> DesiredState {
    match state {
        JobState::Suspended => DesiredState::Suspended,
        JobState::Running | JobState::Invalid(_) => DesiredState::Running,
    }
}

fn nonces(restart: Option<i64>, job: &RawJobSpec) -> Nonces {
    Nonces {
        restart,
        savepoint_trigger: job.savepoint_trigger_nonce,
        checkpoint_trigger: job.checkpoint_trigger_nonce,
        savepoint_redeploy: job.savepoint_redeploy_nonce,
    }
}

/// Lower a FlinkSessionJob that passed validation; `None` when it has no job to submit or its
/// session cluster is not among the inputs (both reported by `validate`).
pub fn lower_session_job(view: &SessionJobView<'_>) -> Option<SessionJob> {
    let spec = view.spec?;
    let cluster = view.cluster?;
    let (job, upgrade_mode) = view.job.as_ref()?;
    let deployment_name = spec.deployment_name.clone().unwrap_or_default();
    let spec_json = view.parsed.document.get("spec").map(|spec| spec.to_json()).unwrap_or_default();
    let user: Vec<(String, String)> =
        view.parsed.user_keys.iter().map(|key| (key.key.clone(), key.value.clone())).collect();
    let mode = upgrade_mode.effective();
    Some(SessionJob {
        name: view.name.to_string(),
        namespace: view.namespace.map(str::to_string),
        cluster: SessionCluster {
            image: cluster.image.clone(),
            image_pull_policy: cluster.image_pull_policy.map(str::to_string),
            service_account: cluster.service_account(Process::JobManager).filter(|name| !name.is_empty()),
            flink_version: cluster.version,
            rest_service: rest_service_name(&deployment_name),
            rest_port: cluster.ports.rest,
        },
        // a new id for every changed spec, whatever the upgrade mode: the submit Job finds the
        // previous revision by name and hands its state over; an id kept by last-state (as an
        // application keeps it for HA recovery) would make the new revision's submit a no-op
        job_id: job_id(view.namespace, view.name, &spec_json, &user, false),
        deployment_name,
        jar_uri: job.jar_uri.clone(),
        entry_class: job.entry_class.clone(),
        args: job.args.clone().unwrap_or_default(),
        parallelism: job.parallelism.unwrap_or(1),
        savepoint_path: job.initial_savepoint_path.clone().filter(|path| !path.trim().is_empty()),
        allow_non_restored_state: job.allow_non_restored_state.unwrap_or(false),
        upgrade_mode: mode,
        state: desired_state(&job_state(job)),
        nonces: nonces(spec.restart_nonce, job),
        configuration: session_job_configuration(view, mode),
        artifact_ca_bundle: view.render.artifact_ca_bundle.clone(),
        snapshots: view.config.as_ref().map(snapshots).unwrap_or_else(|| snapshots(&FlinkConfig::default())),
        stop_on_delete: view.render.stop_on_delete,
        template_file: view.template_file.map(str::to_string),
        helm_hooks: view.helm_hooks.annotated(),
    })
}

/// The configuration a session job is submitted with (`FlinkConfigManager#getSessionJobConfig`,
/// FO §7.2): its own keys (the operator's left out), then the job defaults the operator adds:
/// the pipeline name, externalized checkpoints kept on cancel, a 5 minute checkpoint interval
/// for last-state. The session cluster's own configuration is the cluster's already.
fn session_job_configuration(view: &SessionJobView<'_>, mode: model::UpgradeMode) -> BTreeMap<String, String> {
    let mut configuration: BTreeMap<String, String> = view
        .parsed
        .user_keys
        .iter()
        .filter(|user| !stays_with_the_operator(&user.key))
        .map(|user| (user.key.clone(), user.value.clone()))
        .collect();
    configuration.entry("pipeline.name".into()).or_insert_with(|| view.name.to_string());
    configuration
        .entry("execution.checkpointing.externalized-checkpoint-retention".into())
        .or_insert_with(|| "RETAIN_ON_CANCELLATION".into());
    if mode == model::UpgradeMode::LastState {
        configuration.entry("execution.checkpointing.interval".into()).or_insert_with(|| "5 min".into());
    }
    configuration
}
