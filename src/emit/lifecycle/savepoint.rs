//! The savepoint Job of a `savepointTriggerNonce` (FO §7.1 "Manual savepoint"), for an
//! application cluster's job or a session job: it waits until every vertex runs, then triggers
//! a savepoint into `<savepoint dir>/nonce-<nonce>` with a trigger id derived from the job id
//! and the nonce, and waits for it. It is named after the job's resource and the nonce, so a new
//! nonce is a new Job; a savepoint already in the nonce's directory means nothing to do, so a
//! Job run again (a re-created Job, the next sync's hook) takes no second one. A suspended job
//! gets no savepoint Job.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{LifecycleJob, after_sync_hook, job_object};
use crate::digest::digest_hex;
use crate::resolve::model::Snapshots;

const SAVEPOINT_SCRIPT: &str = include_str!("scripts/savepoint.sh");

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
    /// The job to take the savepoint of.
    pub job_id: &'a str,
    /// The nonce.
    pub nonce: i64,
    /// Where and how.
    pub snapshots: &'a Snapshots,
}

/// The savepoint Job; none without a savepoint directory (reported by `validate`).
pub fn emit(target: SavepointTarget<'_>) -> Vec<Value> {
    let Some(dir) = target.snapshots.savepoint_dir.clone() else { return Vec::new() };
    let nonce = target.nonce.to_string();
    let trigger = digest_hex(&["flink-render/savepoint/v1", target.job_id, &nonce])[..32].to_string();
    let name = format!("{}-savepoint-{}", target.owner, nonce.replace('-', "m"));
    let env = vec![
        ("JOB_ID", target.job_id.to_string()),
        ("NONCE", nonce),
        ("TRIGGER_ID", trigger),
        ("SAVEPOINT_DIR", dir),
        ("FORMAT_TYPE", target.snapshots.format.clone()),
        ("RUNNING_TIMEOUT_SECONDS", RUNNING_TIMEOUT_SECONDS.to_string()),
        ("SAVEPOINT_TIMEOUT_SECONDS", SAVEPOINT_TIMEOUT_SECONDS.to_string()),
    ];
    vec![job_object(LifecycleJob {
        name: cut_name(&name),
        namespace: target.namespace,
        labels: target.labels,
        image: target.image,
        image_pull_policy: target.image_pull_policy,
        script: SAVEPOINT_SCRIPT,
        env,
        rest_url: target.rest_url,
        annotations: after_sync_hook(),
        service_account: target.service_account,
        volumes: Vec::new(),
    })]
}

/// At most 63 characters (the `job-name` label a Job's pods get), keeping the nonce.
fn cut_name(name: &str) -> String {
    if name.len() <= 63 {
        return name.to_string();
    }
    let (owner, rest) = name.split_once("-savepoint-").expect("the name has the marker");
    let keep = 63 - "-savepoint-".len() - rest.len();
    format!("{}-savepoint-{rest}", owner[..keep].trim_end_matches(['-', '.']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_the_nonce_within_63_characters() {
        assert_eq!(cut_name("app-savepoint-7"), "app-savepoint-7");
        let long = format!("{}-savepoint-123456", "a".repeat(60));
        let cut = cut_name(&long);
        assert!(cut.len() <= 63 && cut.ends_with("-savepoint-123456"), "{cut}");
    }
}
