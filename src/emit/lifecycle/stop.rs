//! The stop Job of a FlinkSessionJob annotated `flink-render.dev/stop-on-delete: enabled`: when
//! the Argo CD application or the Helm release that holds it is deleted, and before its session
//! cluster goes, it stops the running job of the session job's name by its upgrade mode (with a
//! savepoint in savepoint mode, whose location its result names; otherwise a cancel), so that
//! the state can be restored later (`initialSavepointPath`).
//!
//! It runs only as a hook: an Argo CD `PreDelete` and a Helm `pre-delete` hook, deleted once it
//! succeeded. `kubectl apply` and Flux have no hooks and would run it as soon as it is applied,
//! which is why it is opt-in. Removing one FlinkSessionJob from the manifests while the rest of
//! the application stays is not a deletion of the application: its job keeps running.

use serde_json::Value;

use super::job::{LifecycleJob, STOP_TIMEOUT_SECONDS, annotations, job_object};
use super::submit::{labels, rest_url, stop_settings};
use crate::resolve::model::SessionJob;

pub(super) const STOP_SCRIPT: &str = include_str!("scripts/stop.sh");

/// Hooks that run the Job before the application or release is deleted, and delete it after.
const BEFORE_DELETE_HOOK: [(&str, &str); 4] = [
    ("argocd.argoproj.io/hook", "PreDelete"),
    ("argocd.argoproj.io/hook-delete-policy", "BeforeHookCreation,HookSucceeded"),
    ("helm.sh/hook", "pre-delete"),
    ("helm.sh/hook-delete-policy", "before-hook-creation,hook-succeeded"),
];

/// The stop Job, when the session job asks for one.
pub fn emit(job: &SessionJob) -> Option<Value> {
    if !job.stop_on_delete {
        return None;
    }
    let mut env = stop_settings(job);
    env.push(("STOP_TIMEOUT_SECONDS", STOP_TIMEOUT_SECONDS.to_string()));
    Some(job_object(LifecycleJob {
        prefix: format!("{}-stop", job.name),
        namespace: job.namespace.as_deref(),
        labels: labels(job),
        image: &job.cluster.image,
        image_pull_policy: job.cluster.image_pull_policy.as_deref(),
        script: STOP_SCRIPT,
        env,
        rest_url: rest_url(job),
        annotations: annotations(&BEFORE_DELETE_HOOK),
        service_account: job.cluster.service_account.as_deref(),
        volumes: Vec::new(),
    }))
}
