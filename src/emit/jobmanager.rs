//! `Deployment <name>`: the JobManager (FO §4.3, §4.4). Session clusters run `jobmanager`;
//! application clusters run `standalone-job` with `--job-classname`, the fixed `--job-id`,
//! `--allowNonRestoredState`, the HA rpc-address override, then the job args verbatim, started
//! through the hand-over ([`handoff`]): its init container stops the running revision's job by
//! upgrade mode, and `--fromSavepoint` comes from it (`initialSavepointPath` on a first start);
//! the Deployment's rollout keeps the old JobManager until the new one is ready. While the job
//! is suspended the JobManager stays, parked: `jobmanager` with no job, keeping
//! the savepoint the job resumes from. Application mode mounts an emptyDir at `/opt/flink/usrlib` when the jar is in
//! the image and nothing is mounted there yet (UserLibMountDecorator), unless the jar itself
//! is in `/opt/flink/usrlib`; a remote jar is fetched with `--jars` into an emptyDir at
//! `user.artifacts.base-dir`.
//!
//! In native mode (native-mode.md §1.1) the container runs Flink's Kubernetes entrypoints as
//! Flink's client writes them, `bash -c "kubernetes-jobmanager.sh kubernetes-application|
//! kubernetes-session <kubernetes.jobmanager.entrypoint.args>"`, with the artifacts `emptyDir`
//! Flink fetches remote jars into and the TaskManager pod template mounted
//! ([`taskmanager_template`]); the job, its id and its jar come from the configuration, and the
//! hand-over passes what to restore as a dynamic property.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::effective::pod_template::is_main_container;
use crate::emit::common::jobmanager_selector;
use crate::emit::lifecycle::handoff;
use crate::emit::pod::{MainContainer, deployment_object, pod_namespace_args, pod_namespace_env};
use crate::emit::taskmanager_template::{self, TEMPLATE_HASH_ANNOTATION};
use crate::flink::image::{USER_LIB_DIR, in_user_lib};
use crate::resolve::model::{Cluster, DesiredState, Jar};

/// JobManager labels: the selector, then `kubernetes.jobmanager.labels` (user labels win).
pub fn labels(cluster: &Cluster) -> BTreeMap<String, String> {
    let mut labels = jobmanager_selector(cluster);
    labels.extend(cluster.jobmanager.labels.clone());
    labels
}

/// The dynamic properties the JobManager starts with: its own address with HA (FO §9 fact
/// 33), the pod's namespace when Kubernetes HA has no namespace to write, and the
/// `savepointRedeployNonce` the next revision's hand-over compares with its own (DESIGN §5).
fn dynamic_properties(cluster: &Cluster) -> Vec<String> {
    let mut properties = Vec::new();
    // a native JobManager takes its pod address itself with HA (KubernetesEntrypointUtils)
    if cluster.high_availability.is_some() && !cluster.native() {
        properties.extend(["-D".to_string(), "jobmanager.rpc.address=$(_POD_IP_ADDRESS)".to_string()]);
    }
    properties.extend(pod_namespace_args(cluster));
    if let Some(nonce) = cluster.application.as_ref().and_then(|application| application.nonces.savepoint_redeploy) {
        properties.extend(["-D".to_string(), format!("flink-render.savepoint-redeploy-nonce={nonce}")]);
    }
    properties
}

/// The container args (FO §9 fact 33). A remote jar is fetched with `--jars`, which takes
/// every following token that is not an option, so an option always follows it.
pub fn args(cluster: &Cluster) -> Vec<String> {
    if cluster.native() {
        return native_args(cluster);
    }
    let parked = cluster.application.as_ref().is_some_and(|application| application.state == DesiredState::Suspended);
    let Some(application) = cluster.application.as_ref().filter(|_| !parked) else {
        let mut args = vec!["jobmanager".to_string()];
        args.extend(dynamic_properties(cluster));
        return args;
    };
    let mut args = vec!["standalone-job".to_string()];
    if let Some(Jar::Remote(uri)) = &application.jar {
        args.extend(["--jars".to_string(), uri.clone()]);
    }
    if let Some(entry_class) = &application.entry_class {
        args.extend(["--job-classname".to_string(), entry_class.clone()]);
    }
    args.extend(["--job-id".to_string(), application.job_id.clone()]);
    if application.allow_non_restored_state {
        args.push("--allowNonRestoredState".into());
    }
    args.extend(dynamic_properties(cluster));
    args.extend(application.args.iter().cloned());
    args
}

/// Whether the JobManager runs the application's job now (not a session cluster, nor one
/// parked by a suspend).
fn runs_the_job(cluster: &Cluster) -> bool {
    cluster.application.as_ref().is_some_and(|application| application.state != DesiredState::Suspended)
}

/// A native JobManager's args, as Flink's `CmdJobManagerDecorator` writes them: `bash -c` and
/// one line, the entrypoint script, the mode and `kubernetes.jobmanager.entrypoint.args`
/// (a space after the mode even when there are none), then flink-render's dynamic properties,
/// each a quoted word.
fn native_args(cluster: &Cluster) -> Vec<String> {
    let mode = if runs_the_job(cluster) { "kubernetes-application" } else { "kubernetes-session" };
    let mut line = format!(
        "kubernetes-jobmanager.sh {mode} {}",
        cluster.config.get("kubernetes.jobmanager.entrypoint.args").unwrap_or_default()
    );
    for property in dynamic_properties(cluster) {
        line.push(' ');
        line.push_str(&shell_word(&property));
    }
    vec!["bash".to_string(), "-c".to_string(), line]
}

/// `word` as one word of a shell line: itself when it holds nothing the shell reads, else in
/// single quotes. `$(POD_NAMESPACE)` stays outside quotes: Kubernetes expands it in args.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_.=/:,@%+".contains(c);
    if word.chars().all(plain) || word.ends_with("=$(POD_NAMESPACE)") {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn user_lib_already_mounted(cluster: &Cluster) -> bool {
    cluster.jobmanager.pod_template.pointer("/spec/containers").and_then(Value::as_array).is_some_and(|containers| {
        containers.iter().filter(|container| is_main_container(container)).any(|container| {
            container.get("volumeMounts").and_then(Value::as_array).is_some_and(|mounts| {
                mounts.iter().any(|mount| {
                    mount.get("mountPath").and_then(Value::as_str).is_some_and(|path| path.starts_with(USER_LIB_DIR))
                })
            })
        })
    })
}

/// The JobManager Deployment.
pub fn emit(cluster: &Cluster) -> Vec<Value> {
    let labels = labels(cluster);
    let mut volumes = Vec::new();
    let jar = cluster.application.as_ref().and_then(|application| application.jar.as_ref());
    match jar.filter(|_| !cluster.native()) {
        // a jar in the user-lib directory comes with the image: an `emptyDir` there would hide
        // it (the operator's standalone mode mounts one anyway; its default native mode does not)
        Some(Jar::Image(path)) if !in_user_lib(path) && !user_lib_already_mounted(cluster) => {
            volumes.push(("user-lib-dir".to_string(), json!({ "emptyDir": {} }), USER_LIB_DIR.to_string()));
        }
        Some(Jar::Remote(_)) => {
            volumes.push(("flink-artifacts".to_string(), json!({ "emptyDir": {} }), cluster.artifacts_dir.clone()));
        }
        _ => {}
    }
    if cluster.native() {
        // Flink's InitJobManagerDecorator mounts it in application and session mode alike
        volumes.push(("user-artifacts-volume".to_string(), json!({ "emptyDir": {} }), cluster.artifacts_dir.clone()));
        volumes.push(taskmanager_template::volume(cluster));
    }
    let handoff = handoff::jobmanager(cluster);
    if let Some(handoff) = &handoff {
        volumes.extend(handoff.volumes.iter().cloned());
    }
    let env = [
        json!({ "name": "_POD_IP_ADDRESS", "valueFrom": { "fieldRef": { "apiVersion": "v1", "fieldPath": "status.podIP" } } }),
    ]
    .into_iter()
    .chain(pod_namespace_env(cluster))
    .collect();
    let ports = vec![
        ("rest", cluster.ports.rest_bind),
        ("jobmanager-rpc", cluster.ports.jobmanager_rpc),
        ("blobserver", cluster.ports.blob_server),
    ];
    let mut main = MainContainer::new(args(cluster), ports, env, volumes);
    main.image_from_template = true;
    if cluster.native() {
        main.pod_annotations.insert(TEMPLATE_HASH_ANNOTATION.into(), taskmanager_template::hash(cluster).to_string());
    }
    if let Some(handoff) = handoff {
        main.command = Some(handoff.command);
        main.env.push(handoff.env);
        main.init_containers.push(handoff.init_container);
    }
    let mut deployment = deployment_object(
        cluster,
        &cluster.jobmanager,
        cluster.name.clone(),
        labels,
        jobmanager_selector(cluster),
        main,
        cluster.jobmanager.replicas,
    );
    if cluster.application.is_some() {
        deployment["spec"]["strategy"] = handoff_strategy();
    }
    vec![deployment]
}

/// The rollout the hand-over needs, said in the manifest rather than left to Kubernetes'
/// default (25 %, which rounds to no unavailable pod only up to three replicas): the new
/// JobManager comes up beside the old one (`maxSurge: 1`), and the old one stays until the new
/// one is ready (`maxUnavailable: 0`), so the new pod's init container always finds it and
/// stops its job.
fn handoff_strategy() -> Value {
    json!({ "type": "RollingUpdate", "rollingUpdate": { "maxSurge": 1, "maxUnavailable": 0 } })
}
