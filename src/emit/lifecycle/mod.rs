//! Lifecycle Jobs (DESIGN §5): the steps the operator performs over REST, as Kubernetes Jobs
//! that run in the cluster on the deployment's own Flink image, with scripts in bash and curl
//! (no `jq` in the image) embedded at build time from `scripts/` and mounted from a ConfigMap
//! ([`files`]). Every Job waits for the REST API, is idempotent, writes a short YAML result to
//! `/dev/termination-log`, and exits 0 (done or nothing to do), 2 (the cluster never became
//! ready) or 3 (a step failed).
//!
//! The Job pods are hardened like the cluster's ([`super::hardening`]): uid 9999, no privilege
//! escalation, no capabilities, a read-only root with an `emptyDir` at `/tmp`, no
//! service-account token (they call only Flink's REST API), and small resources.

pub mod files;
pub mod handoff;
pub mod job;
pub mod savepoint;
pub mod stop;
pub mod submit;

use serde_json::Value;

use super::common::common_labels;
use crate::objects::rest_service_name;
use crate::resolve::model::{Cluster, DesiredState, SessionJob};
use files::Owner;
use savepoint::SavepointTarget;

/// The nonce that asks for a savepoint: set and not 0. The operator compares a nonce with the
/// last one it acted on, which starts unset, so a first deploy with 0 triggers nothing.
fn savepoint_nonce(nonce: Option<i64>) -> Option<i64> {
    nonce.filter(|nonce| *nonce != 0)
}

/// The lifecycle Jobs of an application cluster: its savepoint Job, for a
/// `savepointTriggerNonce` while the job runs.
pub fn emit(cluster: &Cluster) -> Vec<Value> {
    let Some(application) = &cluster.application else { return Vec::new() };
    let running = application.state == DesiredState::Running;
    let Some(nonce) = savepoint_nonce(application.nonces.savepoint_trigger).filter(|_| running) else {
        return Vec::new();
    };
    let mut labels = common_labels(cluster);
    labels.insert("component".into(), "lifecycle".into());
    savepoint::emit(SavepointTarget {
        owner: &cluster.name,
        namespace: cluster.namespace.as_deref(),
        labels,
        image: &cluster.image,
        image_pull_policy: cluster.image_pull_policy.as_deref(),
        service_account: Some(cluster.jobmanager.service_account.as_str()).filter(|name| !name.is_empty()),
        rest_url: format!("http://{}:{}", rest_service_name(&cluster.name), cluster.ports.rest),
        job_name: None,
        nonce,
        snapshots: &application.snapshots,
        helm_hooks: cluster.helm_hooks,
        scripts: files::name(&cluster.name, Owner::Cluster),
    })
}

/// The Jobs of a session job: its submit Job, for a `savepointTriggerNonce` its savepoint Job,
/// and with `flink-render.dev/stop-on-delete` its stop Job, after the ConfigMap of their scripts;
/// none while it is suspended.
pub fn emit_session_job(job: &SessionJob) -> Vec<Value> {
    if job.state == DesiredState::Suspended {
        return Vec::new();
    }
    let mut objects = submit::emit(job);
    if let Some(nonce) = savepoint_nonce(job.nonces.savepoint_trigger) {
        objects.extend(savepoint::emit(SavepointTarget {
            owner: &job.name,
            namespace: job.namespace.as_deref(),
            labels: submit::labels(job),
            image: &job.cluster.image,
            image_pull_policy: job.cluster.image_pull_policy.as_deref(),
            service_account: job.cluster.service_account.as_deref(),
            rest_url: submit::rest_url(job),
            job_name: submit::job_name(job),
            nonce,
            snapshots: &job.snapshots,
            helm_hooks: job.helm_hooks,
            scripts: files::name(&job.name, Owner::SessionJob),
        }));
    }
    objects.extend(stop::emit(job));
    // the ConfigMap the Jobs run their scripts from, before them
    objects.insert(0, files::emit_for_session_job(&job.name, job.namespace.as_deref(), &submit::labels(job)));
    objects
}
