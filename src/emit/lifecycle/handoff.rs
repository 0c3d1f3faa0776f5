//! The hand-over between revisions of an application cluster (DESIGN §5), in the pods
//! themselves, so it works with every tool that applies manifests (Argo CD, Helm, `kubectl
//! apply`, Flux) and needs no Kubernetes API rights:
//!
//! - the JobManager pod gets an init container (`flink-render-handoff`, [`HANDOFF_SCRIPT`]) that
//!   finds the JobManager running now through `<name>-rest` (a pod whose init container runs is
//!   not ready, so the Service reaches only the old one, and the Deployment's rolling update
//!   keeps the old pod until the new one is ready), stops or cancels its job by upgrade mode and
//!   writes what to restore from into an `emptyDir`;
//! - the main container starts through [`START_SCRIPT`], which adds `--fromSavepoint` (or, for a
//!   JobManager parked by a suspend, a configuration key holding the savepoint) to the
//!   entrypoint's arguments;
//! - each TaskManager starts only once every ready JobManager is of its revision and runs its
//!   job ([`AWAIT_SCRIPT`], an init container), so during an upgrade the old TaskManagers stay
//!   until the new JobManager has taken over, and new ones register with it, never with the old
//!   one, even when the job id stays (last-state); the revision is a digest of both pod
//!   templates ([`super::super::revision`]), which the JobManager publishes in its configuration;
//! - the TaskManager runs under [`SERVE_SCRIPT`], which stops it once its job has ended or a
//!   JobManager of another revision is ready, so an old TaskManager never registers with the new
//!   JobManager either (the hand-over waits for the old ones to leave before the new JobManager
//!   starts); and each gets a preStop hook ([`RELEASE_SCRIPT`]) that keeps it while its job is
//!   being stopped (a suspend scales TaskManagers away at once), with a termination grace period
//!   long enough for a savepoint.

use serde_json::{Value, json};

use super::job::{STOP_TIMEOUT_SECONDS, common_env, compact, program, upgrade_mode};
use crate::emit::hardening::secure_container;
use crate::emit::revision;
use crate::objects::{high_availability_config_map_name, rest_service_name};
use crate::resolve::model::{Cluster, DesiredState};

const HANDOFF_SCRIPT: &str = include_str!("scripts/handoff.sh");
const START_SCRIPT: &str = include_str!("scripts/start.sh");
const RELEASE_SCRIPT: &str = include_str!("scripts/release.sh");
const AWAIT_SCRIPT: &str = include_str!("scripts/await.sh");
const SERVE_SCRIPT: &str = include_str!("scripts/serve.sh");

/// Where Flink's HA services record the jobs that reached a terminal state; the hand-over gives
/// every JobManager that does not recover a running job a directory of its own below it.
const JOB_RESULT_STORE_KEY: &str = "job-result-store.storage-path";

/// The `emptyDir` the init container writes and the main container reads.
pub const HANDOFF_VOLUME: &str = "flink-render-handoff";
/// Where it is mounted.
pub const HANDOFF_DIR: &str = "/flink-render/handoff";
/// A TaskManager's termination grace period: long enough for that stop.
pub const TASKMANAGER_GRACE_SECONDS: i64 = STOP_TIMEOUT_SECONDS + 60;
/// How long a deleted TaskManager waits for a stop to begin before it leaves.
const WAIT_FOR_STOP_SECONDS: i64 = 90;
/// How long the hand-over waits for the old TaskManagers to leave once their job has ended.
const RELEASE_TIMEOUT_SECONDS: i64 = 60;

/// What the hand-over adds to the JobManager pod.
pub struct JobManagerHandoff {
    /// The init container.
    pub init_container: Value,
    /// The main container's command: the start wrapper, then the entrypoint.
    pub command: Vec<String>,
    /// The shared `emptyDir` (name, volume, mount path).
    pub volume: (String, Value, String),
    /// The main container's revision variable, which the start wrapper publishes.
    pub env: Value,
}

/// The cluster's REST endpoint, as the pods in its namespace reach it.
fn rest_url(cluster: &Cluster) -> String {
    format!("http://{}:{}", rest_service_name(&cluster.name), cluster.ports.rest)
}

/// The hand-over of an application cluster's JobManager; none for a session cluster.
pub fn jobmanager(cluster: &Cluster) -> Option<JobManagerHandoff> {
    let application = cluster.application.as_ref()?;
    let suspended = application.state == DesiredState::Suspended;
    let mut env = common_env(rest_url(cluster));
    env.extend([
        ("JOB_ID", if suspended { String::new() } else { application.job_id.clone() }),
        ("UPGRADE_MODE", upgrade_mode(application.upgrade_mode).to_string()),
        ("HIGH_AVAILABILITY", cluster.high_availability.is_some().to_string()),
    ]);
    if cluster.kubernetes_ha() {
        env.push(("HA_CONFIG_MAP", high_availability_config_map_name(&cluster.name)));
    }
    if let Some(store) = cluster.high_availability.and_then(|_| cluster.config.get(JOB_RESULT_STORE_KEY)) {
        env.push(("JOB_RESULT_STORE", store));
    }
    env.extend([
        ("SAVEPOINT_DIR", application.snapshots.savepoint_dir.clone().unwrap_or_default()),
        ("FORMAT_TYPE", application.snapshots.format.clone()),
        ("INITIAL_SAVEPOINT", application.savepoint_path.clone().unwrap_or_default()),
        ("REDEPLOY_NONCE", application.nonces.savepoint_redeploy.map(|nonce| nonce.to_string()).unwrap_or_default()),
        ("HANDOFF", HANDOFF_DIR.to_string()),
        ("FLINK_RENDER_RESPONSE", format!("{HANDOFF_DIR}/.response.json")),
        ("PROBE_ATTEMPTS", "3".to_string()),
        ("STOP_TIMEOUT_SECONDS", STOP_TIMEOUT_SECONDS.to_string()),
        ("RELEASE_TIMEOUT_SECONDS", RELEASE_TIMEOUT_SECONDS.to_string()),
    ]);
    let init =
        small_container(cluster, "flink-render-handoff", HANDOFF_SCRIPT, &env, Some((HANDOFF_VOLUME, HANDOFF_DIR)));
    // Kubernetes HA: the start wrapper gives Flink's HA ConfigMaps the JobManager's Deployment as
    // their owner (start.sh; the Role lets it read that Deployment)
    let owner = if cluster.kubernetes_ha() { format!("HA_OWNER={}\n", cluster.name) } else { String::new() };
    Some(JobManagerHandoff {
        init_container: init,
        command: vec![
            "/bin/bash".to_string(),
            "-c".to_string(),
            format!("HANDOFF={HANDOFF_DIR}\n{owner}{}", compact(START_SCRIPT)),
            "flink-render-start".to_string(),
            cluster.entry_path.clone(),
        ],
        volume: (HANDOFF_VOLUME.to_string(), json!({ "emptyDir": {} }), HANDOFF_DIR.to_string()),
        env: revision::placeholder(),
    })
}

/// What the hand-over adds to a TaskManager pod.
pub struct TaskManagerHandoff {
    /// The init container that waits for a JobManager of the revision running its job.
    pub init_container: Value,
    /// The `emptyDir` the init container writes its answers into (name, volume, mount path).
    pub volume: (String, Value, String),
    /// The main container's command: the serve wrapper, then the entrypoint.
    pub command: Vec<String>,
    /// The main container's revision variable.
    pub env: Value,
    /// The preStop hook, and the grace period it needs.
    pub pre_stop: (Value, i64),
}

/// The TaskManagers' part of the hand-over, for an application cluster.
pub fn taskmanager(cluster: &Cluster) -> Option<TaskManagerHandoff> {
    let application = cluster.application.as_ref()?;
    // the JobManagers' headless Service resolves to the ready ones: each is asked directly
    let settings = [
        ("JOBMANAGER", cluster.name.clone()),
        ("REST_PORT", cluster.ports.rest_bind.to_string()),
        ("JOB_ID", application.job_id.clone()),
        ("CONNECT_TIMEOUT_SECONDS", "3".to_string()),
        ("REQUEST_TIMEOUT_SECONDS", "10".to_string()),
    ];
    let mut env = settings.to_vec();
    env.push(("FLINK_RENDER_RESPONSE", format!("{HANDOFF_DIR}/.response.json")));
    let mut init_container =
        small_container(cluster, "flink-render-await-job", AWAIT_SCRIPT, &env, Some((HANDOFF_VOLUME, HANDOFF_DIR)));
    init_container["env"].as_array_mut().expect("an array").push(revision::placeholder());
    let inline = |extra: &[(&str, String)]| {
        settings.iter().chain(extra).map(|(name, value)| format!("{name}='{value}'\n")).collect::<String>()
    };
    let serve = format!("{}{}", inline(&[]), program(SERVE_SCRIPT));
    let release = format!(
        "{}{}",
        inline(&[
            ("WAIT_FOR_STOP_SECONDS", WAIT_FOR_STOP_SECONDS.to_string()),
            ("FLINK_RENDER_RESPONSE", "/tmp/flink-render-release.json".to_string()),
        ]),
        program(RELEASE_SCRIPT)
    );
    let hook = json!({ "exec": { "command": ["/bin/bash", "-c", release] } });
    Some(TaskManagerHandoff {
        init_container,
        volume: (HANDOFF_VOLUME.to_string(), json!({ "emptyDir": {} }), HANDOFF_DIR.to_string()),
        command: vec![
            "/bin/bash".to_string(),
            "-c".to_string(),
            serve,
            "flink-render-serve".to_string(),
            cluster.entry_path.clone(),
        ],
        env: revision::placeholder(),
        pre_stop: (hook, TASKMANAGER_GRACE_SECONDS),
    })
}

/// A hardened init container running `script` after common.sh, with `env` and, when given, the
/// hand-over volume.
fn small_container(
    cluster: &Cluster,
    name: &str,
    script: &'static str,
    env: &[(&str, String)],
    volume: Option<(&str, &str)>,
) -> Value {
    let mut container = json!({
        "name": name,
        "image": cluster.image,
        "imagePullPolicy": cluster.image_pull_policy.as_deref().unwrap_or("IfNotPresent"),
        "command": ["/bin/bash", "-c", program(script), name],
        "env": env.iter().map(|(name, value)| json!({ "name": name, "value": value })).collect::<Vec<_>>(),
        "resources": {
            "requests": { "cpu": "100m", "memory": "64Mi" },
            "limits": { "cpu": "500m", "memory": "256Mi" },
        },
    });
    if let Some((volume, path)) = volume {
        container["volumeMounts"] = json!([{ "name": volume, "mountPath": path }]);
    }
    secure_container(container.as_object_mut().expect("an object"), false);
    container
}
