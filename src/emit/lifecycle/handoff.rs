//! The hand-over between revisions of an application cluster (DESIGN §5), in the pods
//! themselves, so it works with every tool that applies manifests (Argo CD, Helm, `kubectl
//! apply`, Flux) and needs no Kubernetes API rights:
//!
//! - the JobManager pod gets an init container (`flink-render-handoff`, [`files::HANDOFF`]) that
//!   finds the JobManager running now through `<name>-rest` (a pod whose init container runs is
//!   not ready, so the Service reaches only the old one, and the Deployment's rolling update
//!   keeps the old pod until the new one is ready), stops or cancels its job by upgrade mode and
//!   writes what to restore from into an `emptyDir`;
//! - the main container starts through [`files::START`], which adds `--fromSavepoint` (or, for a
//!   JobManager parked by a suspend, a configuration key holding the savepoint) to the
//!   entrypoint's arguments;
//! - each TaskManager starts only once every ready JobManager is of its revision and runs its
//!   job ([`files::AWAIT`], an init container), so during an upgrade the old TaskManagers stay
//!   until the new JobManager has taken over, and new ones register with it, never with the old
//!   one, even when the job id stays (last-state); the revision is a digest of both pod
//!   templates ([`super::super::revision`]), which the JobManager publishes in its configuration;
//! - the TaskManager runs under [`files::SERVE`], which stops it once its job has ended or a
//!   JobManager of another revision is ready, so an old TaskManager never registers with the new
//!   JobManager either (the hand-over waits for the old ones to leave before the new JobManager
//!   starts); and each gets a preStop hook ([`files::RELEASE`]) that keeps it while its job is
//!   being stopped (a suspend scales TaskManagers away at once), with a termination grace period
//!   long enough for a savepoint.
//!
//! Every one of these runs its script from the cluster's scripts ConfigMap ([`files`]), mounted
//! read-only in both pods.
//!
//! In native mode the JobManager creates its TaskManager pods, and they outlive it (their owner
//! is the Deployment, which a rollout keeps): the hand-over deletes them once their job has
//! stopped, through the Kubernetes API with the JobManager's token (the Role allows it), so the
//! new JobManager creates its own from the new template and never takes over the old ones. A
//! last-state upgrade with HA therefore stops the job too (cancel, then the latest retained
//! checkpoint), where standalone mode lets the new JobManager recover the running job.

use serde_json::{Value, json};

use super::files::{self, Owner, Script};
use super::job::{STOP_TIMEOUT_SECONDS, common_env, upgrade_mode};
use crate::emit::common::taskmanager_selector;
use crate::emit::hardening::secure_container;
use crate::emit::revision;
use crate::objects::{high_availability_config_map_name, rest_service_name};
use crate::resolve::model::{Cluster, DesiredState};

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
    /// The shared `emptyDir` and the scripts (name, volume, mount path).
    pub volumes: Vec<(String, Value, String)>,
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
    if cluster.native() {
        let selector: Vec<String> =
            taskmanager_selector(cluster).iter().map(|(key, value)| format!("{key}={value}")).collect();
        env.push(("NATIVE_TASKMANAGERS", selector.join(",")));
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
    let init = small_container(cluster, "flink-render-handoff", files::HANDOFF, &env);
    let mut start = vec![("HANDOFF", HANDOFF_DIR.to_string())];
    // Kubernetes HA: the start wrapper gives Flink's HA ConfigMaps the JobManager's Deployment as
    // their owner (start.sh; the Role lets it read that Deployment)
    if cluster.kubernetes_ha() {
        start.push(("HA_OWNER", cluster.name.clone()));
    }
    Some(JobManagerHandoff {
        init_container: init,
        command: wrapper(files::START, &start, "flink-render-start", cluster),
        volumes: volumes(cluster),
        env: revision::placeholder(),
    })
}

/// What the hand-over adds to a TaskManager pod.
pub struct TaskManagerHandoff {
    /// The init container that waits for a JobManager of the revision running its job.
    pub init_container: Value,
    /// The `emptyDir` the init container writes its answers into, and the scripts (name,
    /// volume, mount path).
    pub volumes: Vec<(String, Value, String)>,
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
    let mut init_container = small_container(cluster, "flink-render-await-job", files::AWAIT, &env);
    init_container["env"].as_array_mut().expect("an array").push(revision::placeholder());
    let mut release = settings.to_vec();
    release.extend([
        ("WAIT_FOR_STOP_SECONDS", WAIT_FOR_STOP_SECONDS.to_string()),
        ("FLINK_RENDER_RESPONSE", "/tmp/flink-render-release.json".to_string()),
    ]);
    let hook = json!({ "exec": { "command": ["/bin/bash", "-c", files::source_line(files::RELEASE, &release)] } });
    Some(TaskManagerHandoff {
        init_container,
        volumes: volumes(cluster),
        command: wrapper(files::SERVE, &settings, "flink-render-serve", cluster),
        env: revision::placeholder(),
        pre_stop: (hook, TASKMANAGER_GRACE_SECONDS),
    })
}

/// The hand-over's `emptyDir` and the cluster's scripts, for a pod's main container.
fn volumes(cluster: &Cluster) -> Vec<(String, Value, String)> {
    let scripts = files::volume(&files::name(&cluster.name, Owner::Cluster));
    vec![
        (HANDOFF_VOLUME.to_string(), json!({ "emptyDir": {} }), HANDOFF_DIR.to_string()),
        (files::VOLUME.to_string(), scripts, files::DIR.to_string()),
    ]
}

/// A main container's command: `script` with `settings`, wrapping the entrypoint (named `name`
/// in the process list), whose arguments follow.
fn wrapper(script: Script, settings: &[(&str, String)], name: &str, cluster: &Cluster) -> Vec<String> {
    vec![
        "/bin/bash".to_string(),
        "-c".to_string(),
        files::source_line(script, settings),
        name.to_string(),
        cluster.entry_path.clone(),
    ]
}

/// A hardened init container running `script` with `env`, the hand-over's `emptyDir` and the
/// scripts mounted.
fn small_container(cluster: &Cluster, name: &str, script: Script, env: &[(&str, String)]) -> Value {
    let mut container = json!({
        "name": name,
        "image": cluster.image,
        "imagePullPolicy": cluster.image_pull_policy.as_deref().unwrap_or("IfNotPresent"),
        "command": files::command(script),
        "env": env.iter().map(|(name, value)| json!({ "name": name, "value": value })).collect::<Vec<_>>(),
        "resources": {
            "requests": { "cpu": "100m", "memory": "64Mi" },
            "limits": { "cpu": "500m", "memory": "256Mi" },
        },
        "volumeMounts": [{ "name": HANDOFF_VOLUME, "mountPath": HANDOFF_DIR }, files::mount()],
    });
    secure_container(container.as_object_mut().expect("an object"), false);
    container
}
