//! What every lifecycle step shares: the scripts' common part ([`COMMON_SCRIPT`]) and the way
//! a script becomes a program, the settings every script reads, the hooks that run a Job after
//! a sync, and the hardened Job object, named by a hash of its spec.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{Value, json};

use crate::digest::digest_hex;
use crate::emit::hardening::{secure_container, secure_pod};
use crate::resolve::model::UpgradeMode;

/// Shared by every lifecycle script.
pub const COMMON_SCRIPT: &str = include_str!("scripts/common.sh");
/// The library of the JobManager's hand-over and the lifecycle Jobs.
pub const STEPS_SCRIPT: &str = include_str!("scripts/steps.sh");
/// The library of the TaskManagers' side of the hand-over.
pub const REVISION_SCRIPT: &str = include_str!("scripts/revision.sh");

/// The library a script names in its `# library:` line, if any.
fn library(script: &str) -> Option<&'static str> {
    let name = script.lines().find_map(|line| line.strip_prefix("# library: "))?;
    match name.split_whitespace().next()? {
        "steps.sh" => Some(STEPS_SCRIPT),
        "revision.sh" => Some(REVISION_SCRIPT),
        _ => None,
    }
}

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

/// The program a Job runs: [`COMMON_SCRIPT`], the library the step names, then the step's
/// script, without their comment lines and blank lines (the commented files are in the repository; the scripts hold no
/// here-documents or multi-line strings a dropped line could belong to). Built once per
/// process for each script.
pub fn program(script: &'static str) -> String {
    once_per_script(script, true, || {
        let mut program = String::from("# flink-render lifecycle step (src/emit/lifecycle/scripts)\n");
        program.push_str(&compact(COMMON_SCRIPT));
        if let Some(library) = library(script) {
            program.push_str(&compact(library));
        }
        program.push_str(&compact(script));
        program
    })
}

/// A script without its comment lines and blank lines.
pub fn compact(script: &'static str) -> String {
    once_per_script(script, false, || {
        let mut code = String::new();
        for line in script.lines() {
            let trimmed = line.trim_start();
            if !trimmed.is_empty() && !trimmed.starts_with('#') {
                code.push_str(line);
                code.push('\n');
            }
        }
        code
    })
}

/// `build()` for a constant script, computed the first time and copied after that.
fn once_per_script(script: &'static str, whole_program: bool, build: impl FnOnce() -> String) -> String {
    type Built = BTreeMap<(&'static str, bool), String>;
    static BUILT: Mutex<Built> = Mutex::new(BTreeMap::new());
    let lock = || BUILT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(text) = lock().get(&(script, whole_program)) {
        return text.clone();
    }
    let text = build();
    lock().insert((script, whole_program), text.clone());
    text
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
    /// The step's script, run after [`COMMON_SCRIPT`].
    pub script: &'static str,
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
        "command": ["/bin/bash", "-c", program(job.script), job.prefix],
        "env": env.iter().map(|(name, value)| json!({ "name": name, "value": value })).collect::<Vec<_>>(),
        "resources": {
            "requests": { "cpu": "100m", "memory": "64Mi" },
            "limits": { "cpu": "500m", "memory": "256Mi" },
        },
        "volumeMounts": [{ "name": "tmp", "mountPath": "/tmp" }],
    });
    let mut volumes = vec![json!({ "name": "tmp", "emptyDir": {} })];
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

    #[test]
    fn programs_keep_every_command_and_drop_comments() {
        let program = program(crate::emit::lifecycle::submit::SUBMIT_SCRIPT);
        assert!(program.contains("wait_for_rest() {") && program.contains("\nwait_for_rest\n"));
        assert!(program.lines().skip(1).all(|line| !line.trim_start().starts_with('#') && !line.trim().is_empty()));
        let commands =
            |text: &str| text.lines().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')).count();
        assert_eq!(
            program.lines().count(),
            1 + commands(COMMON_SCRIPT)
                + commands(STEPS_SCRIPT)
                + commands(crate::emit::lifecycle::submit::SUBMIT_SCRIPT)
        );
    }

    /// Every script in the repository, with its path.
    fn scripts() -> Vec<(std::path::PathBuf, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/emit/lifecycle/scripts");
        let entries = std::fs::read_dir(dir).expect("the scripts");
        let paths = entries.map(|entry| entry.expect("an entry").path());
        paths.map(|path| (path.clone(), std::fs::read_to_string(&path).expect("a script"))).collect()
    }

    #[test]
    fn programs_are_ascii() {
        // the YAML emitter writes an ASCII literal block itself and hands anything else to
        // serde-saphyr, several times slower (a `µ` in a script once cost a fifth of a render)
        for (path, text) in scripts() {
            for line in text.lines().filter(|line| !line.trim_start().starts_with('#')) {
                assert!(line.is_ascii(), "{}: {line}", path.display());
            }
        }
    }

    #[test]
    fn every_step_runs_with_the_library_it_names() {
        for (path, text) in scripts() {
            if let Some(line) = text.lines().find(|line| line.starts_with("# library: ")) {
                assert!(library(&text).is_some(), "{}: unknown {line}", path.display());
            }
        }
        assert_eq!(library(crate::emit::lifecycle::submit::SUBMIT_SCRIPT), Some(STEPS_SCRIPT));
        assert_eq!(library(COMMON_SCRIPT), None);
    }
}
