//! The stop Job of a FlinkSessionJob annotated `flink-render.dev/stop-on-delete: enabled`: when
//! the Argo CD application or the Helm release that holds it is deleted, and before its session
//! cluster goes, it stops the running job of the session job's name by its upgrade mode (with a
//! savepoint in savepoint mode, whose location its result names; otherwise a cancel), so that
//! the state can be restored later (`initialSavepointPath`).
//!
//! It runs only as a hook: an Argo CD `PreDelete` and a Helm `pre-delete` hook, deleted once it
//! succeeded. `kubectl apply` and Flux have no hooks and would run it as soon as it is applied,
//! which is why it is opt-in; so would Helm 3 from its post-renderer's output, where it is an
//! error. Removing one FlinkSessionJob from the manifests while the rest of
//! the application stays is not a deletion of the application: its job keeps running.

use serde_json::Value;

use super::files::{self, Owner};
use super::job::{LifecycleJob, STOP_TIMEOUT_SECONDS, hooks, job_object};
use super::submit::{labels, rest_url, stop_settings};
use crate::resolve::model::SessionJob;

/// The Argo CD hook that runs the Job before the application is deleted, and deletes it after.
const ARGO_CD_BEFORE_DELETE: [(&str, &str); 2] = [
    ("argocd.argoproj.io/hook", "PreDelete"),
    ("argocd.argoproj.io/hook-delete-policy", "BeforeHookCreation,HookSucceeded"),
];

/// The Helm hook that runs the Job before the release is deleted, and deletes it after. Where
/// Helm would not run it as a hook (Helm 3's post-renderer) the Job is never rendered: it would
/// run at install (`stop-on-delete-under-helm-3`).
const HELM_BEFORE_DELETE: [(&str, &str); 2] =
    [("helm.sh/hook", "pre-delete"), ("helm.sh/hook-delete-policy", "before-hook-creation,hook-succeeded")];

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
        script: files::STOP,
        scripts: files::name(&job.name, Owner::SessionJob),
        env,
        rest_url: rest_url(job),
        annotations: hooks(&ARGO_CD_BEFORE_DELETE, job.helm_hooks.then_some(&HELM_BEFORE_DELETE[..])),
        service_account: job.cluster.service_account.as_deref(),
        volumes: Vec::new(),
    }))
}
