//! What every lifecycle step shares: the settings every script reads, the hooks that run a Job
//! after a sync, and the hardened Job object, which runs its script from the scripts'
//! ConfigMap ([`super::files`]) and is named by a hash of its spec.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::files::{self, Script};
use crate::digest::digest_hex;
use crate::emit::hardening::{secure_container, secure_pod};
use crate::resolve::model::UpgradeMode;

/// How long a Job may run in all (`activeDeadlineSeconds`).
pub const DEADLINE_SECONDS: i64 = 900;
/// How long the scripts wait for the REST API.
pub const READY_TIMEOUT_SECONDS: i64 = 600;
/// Retries of a failed Job pod (`backoffLimit`); the steps are idempotent.
pub const BACKOFF_LIMIT: i64 = 2;
/// How long a finished Job is kept (`ttlSecondsAfterFinished`).
pub const TTL_SECONDS: i64 = 86_400;

/// How long stopping a job with a savepoint, or cancelling it, may take
/// (`execution.checkpointing.timeout` defaults to 10 minutes).
pub const STOP_TIMEOUT_SECONDS: i64 = 600;

/// An upgrade mode as the scripts read it.
pub fn upgrade_mode(mode: UpgradeMode) -> &'static str {
    match mode {
        UpgradeMode::Stateless => "stateless",
        UpgradeMode::Savepoint => "savepoint",
        UpgradeMode::LastState => "last-state",
    }
}

/// The annotations that run a Job after the cluster objects are applied and ready: an Argo CD
/// `PostSync` hook and, unless `helm` is false, a Helm `post-install`/`post-upgrade` hook, each
/// replaced when the next sync or upgrade runs it again. `kubectl apply` and Flux ignore them:
/// the Job then waits for the REST API itself. Without Helm's (for Helm 3's post-renderer, which
/// creates hooks as plain objects anyway), Helm installs the Job with the release and replaces it
/// when its spec, and so its name, changes.
pub fn after_sync_hook(helm: bool) -> BTreeMap<String, String> {
    let argo_cd =
        [("argocd.argoproj.io/hook", "PostSync"), ("argocd.argoproj.io/hook-delete-policy", "BeforeHookCreation")];
    let helm_hook = [
        ("helm.sh/hook", "post-install,post-upgrade"),
        ("helm.sh/hook-weight", "1"),
        ("helm.sh/hook-delete-policy", "before-hook-creation"),
    ];
    hooks(&argo_cd, helm.then_some(&helm_hook[..]))
}

/// Argo CD's hook annotations, and Helm's when given.
pub fn hooks(argo_cd: &[(&str, &str)], helm: Option<&[(&str, &str)]>) -> BTreeMap<String, String> {
    let mut hooks = annotations(argo_cd);
    hooks.extend(annotations(helm.unwrap_or_default()));
    hooks
}

/// Annotations from fixed pairs.
pub fn annotations(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(key, value)| (key.to_string(), value.to_string())).collect()
}

/// What differs between lifecycle Jobs.
pub struct LifecycleJob<'a> {
    /// The start of the Job's name (`<resource>-submit`, `<resource>-savepoint-<nonce>`); a
    /// hash of the Job's spec follows it.
    pub prefix: String,
    /// Its namespace, when known.
    pub namespace: Option<&'a str>,
    /// Labels of the Job and its pod.
    pub labels: BTreeMap<String, String>,
    /// The Flink image the script runs on, and its pull policy.
    pub image: &'a str,
    /// `imagePullPolicy`, when set.
    pub image_pull_policy: Option<&'a str>,
    /// The step's script.
    pub script: Script,
    /// The ConfigMap that holds it ([`files::name`]).
    pub scripts: String,
    /// What the script reads from its environment, besides the shared settings.
    pub env: Vec<(&'static str, String)>,
    /// The REST endpoint, `http://<name>-rest:<port>`.
    pub rest_url: String,
    /// Annotations of the Job (sync waves, hooks).
    pub annotations: BTreeMap<String, String>,
    /// The ServiceAccount the pod runs as (its token is never mounted), when one is named.
    pub service_account: Option<&'a str>,
    /// Volumes besides `/tmp`, each with where it is mounted (read-only).
    pub volumes: Vec<(Value, &'static str)>,
}

/// The settings every script reads (common.sh).
pub fn common_env(rest_url: String) -> Vec<(&'static str, String)> {
    vec![
        ("REST_URL", rest_url),
        ("READY_TIMEOUT_SECONDS", READY_TIMEOUT_SECONDS.to_string()),
        ("READY_SUCCESSES", "3".to_string()),
        ("CONNECT_TIMEOUT_SECONDS", "3".to_string()),
        ("REQUEST_TIMEOUT_SECONDS", "30".to_string()),
    ]
}

/// The Job object.
pub fn job_object(job: LifecycleJob<'_>) -> Value {
    let mut env = common_env(job.rest_url.clone());
    env.extend(job.env);
    let mut container = json!({
        "name": "lifecycle",
        "image": job.image,
        "imagePullPolicy": job.image_pull_policy.unwrap_or("IfNotPresent"),
        "command": files::command(job.script),
        "env": env.iter().map(|(name, value)| json!({ "name": name, "value": value })).collect::<Vec<_>>(),
        "resources": {
            "requests": { "cpu": "100m", "memory": "64Mi" },
            "limits": { "cpu": "500m", "memory": "256Mi" },
        },
        "volumeMounts": [{ "name": "tmp", "mountPath": "/tmp" }, files::mount()],
    });
    let mut volumes = vec![json!({ "name": "tmp", "emptyDir": {} }), files::volume(&job.scripts)];
    for (volume, path) in job.volumes {
        container["volumeMounts"]
            .as_array_mut()
            .expect("an array")
            .push(json!({ "name": volume["name"], "mountPath": path, "readOnly": true }));
        volumes.push(volume);
    }
    secure_container(container.as_object_mut().expect("an object"), false);
    let mut pod = json!({
        "restartPolicy": "Never",
        "containers": [container],
        "volumes": volumes,
    });
    if let Some(account) = job.service_account {
        pod["serviceAccountName"] = json!(account);
    }
    secure_pod(pod.as_object_mut().expect("an object"), false);
    let spec = json!({
        "backoffLimit": BACKOFF_LIMIT,
        "activeDeadlineSeconds": DEADLINE_SECONDS,
        "ttlSecondsAfterFinished": TTL_SECONDS,
        "template": { "metadata": { "labels": job.labels }, "spec": pod },
    });
    let mut metadata = json!({ "name": job_name(&job.prefix, &spec), "labels": job.labels });
    if let Some(namespace) = job.namespace {
        metadata["namespace"] = json!(namespace);
    }
    if !job.annotations.is_empty() {
        metadata["annotations"] = json!(job.annotations);
    }
    json!({ "apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": spec })
}

/// `<prefix>-<10 hex of the spec>`, at most 63 characters (the `job-name` label its pods get).
/// A Job's spec cannot change once applied, so whatever changes it (a new image, another
/// savepoint directory) makes a new Job, and the same manifests applied again make none.
fn job_name(prefix: &str, spec: &Value) -> String {
    let text = serde_json::to_string(spec).expect("JSON values serialize");
    let hash = &digest_hex(&["flink-render/job/v1", &text])[..10];
    let kept: String = prefix.chars().take(63 - 1 - hash.len()).collect();
    format!("{}-{hash}", kept.trim_end_matches(['-', '.']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_carry_a_hash_of_the_spec_within_63_characters() {
        let a = job_name("app-savepoint-7", &json!({"x": 1}));
        assert!(a.starts_with("app-savepoint-7-") && a.len() == "app-savepoint-7-".len() + 10, "{a}");
        assert_ne!(a, job_name("app-savepoint-7", &json!({"x": 2})));
        let long = job_name(&"a".repeat(80), &json!({}));
        assert_eq!(long.len(), 63);
    }
}
