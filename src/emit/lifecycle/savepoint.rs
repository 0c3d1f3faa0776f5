//! The savepoint Job of a `savepointTriggerNonce` (FO §7.1 "Manual savepoint"), for an
//! application cluster's job or a session job: it waits until every vertex of the running job
//! runs, then triggers a savepoint into `<savepoint dir>/nonce-<nonce>` with a trigger id
//! derived from the resource and the nonce, and waits for it. It is named after the resource,
//! the nonce and its spec, which names no job id (a new revision of the job keeps the nonce): a
//! new nonce is a new Job. A savepoint of the job already in the
//! nonce's directory means nothing to do, so a Job run again (a re-created Job, the next sync's
//! hook) takes no second one of that job. A suspended job gets no savepoint Job.

use std::collections::BTreeMap;

use serde_json::Value;

use super::files;
use super::job::{LifecycleJob, after_sync_hook, job_object};
use crate::digest::digest_hex;
use crate::resolve::model::Snapshots;

/// How long the job may take to run before the savepoint.
const RUNNING_TIMEOUT_SECONDS: i64 = 300;
/// How long the savepoint may take.
const SAVEPOINT_TIMEOUT_SECONDS: i64 = 600;

/// What a savepoint Job needs to know.
pub struct SavepointTarget<'a> {
    /// The resource's name: the Job is `<owner>-savepoint-<nonce>`.
    pub owner: &'a str,
    /// Its namespace, when known.
    pub namespace: Option<&'a str>,
    /// Labels of the Job and its pod.
    pub labels: BTreeMap<String, String>,
    /// The cluster's image and pull policy.
    pub image: &'a str,
    /// `imagePullPolicy`, when set.
    pub image_pull_policy: Option<&'a str>,
    /// The ServiceAccount the Job runs as (no token).
    pub service_account: Option<&'a str>,
    /// The cluster's REST endpoint.
    pub rest_url: String,
    /// The name of the job to take the savepoint of, on a session cluster; `None` for the job of
    /// an application cluster.
    pub job_name: Option<&'a str>,
    /// The nonce.
    pub nonce: i64,
    /// Where and how.
    pub snapshots: &'a Snapshots,
    /// Whether the Job carries Helm's hook annotations.
    pub helm_hooks: bool,
    /// The ConfigMap of the resource's scripts ([`files::name`]).
    pub scripts: String,
}

/// The savepoint Job; none without a savepoint directory (reported by `validate`).
pub fn emit(target: SavepointTarget<'_>) -> Vec<Value> {
    let Some(dir) = target.snapshots.savepoint_dir.clone() else { return Vec::new() };
    let nonce = target.nonce.to_string();
    let trigger = digest_hex(&["flink-render/savepoint/v1", target.owner, &nonce])[..32].to_string();
    let prefix = format!("{}-savepoint-{}", target.owner, nonce.replace('-', "m"));
    let env = vec![
        ("JOB_NAME", target.job_name.unwrap_or_default().to_string()),
        ("NONCE", nonce),
        ("TRIGGER_ID", trigger),
        ("SAVEPOINT_DIR", dir),
        ("FORMAT_TYPE", target.snapshots.format.clone()),
        ("RUNNING_TIMEOUT_SECONDS", RUNNING_TIMEOUT_SECONDS.to_string()),
        ("SAVEPOINT_TIMEOUT_SECONDS", SAVEPOINT_TIMEOUT_SECONDS.to_string()),
    ];
    vec![job_object(LifecycleJob {
        prefix,
        namespace: target.namespace,
        labels: target.labels,
        image: target.image,
        image_pull_policy: target.image_pull_policy,
        script: files::SAVEPOINT,
        scripts: target.scripts,
        env,
        rest_url: target.rest_url,
        annotations: after_sync_hook(target.helm_hooks),
        service_account: target.service_account,
        volumes: Vec::new(),
    })]
}
