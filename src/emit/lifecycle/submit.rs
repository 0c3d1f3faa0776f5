//! The submit Job of a FlinkSessionJob (DESIGN §5, FO §7.2): on the session cluster's image,
//! against `<deploymentName>-rest`, it waits for the REST API, does nothing when the job id is
//! known already, else downloads the jar (`jarURI`), uploads it, runs it with the job id, entry
//! class, args, parallelism, `savepointPath`, `allowNonRestoredState`, `NO_CLAIM` (with
//! `CLAIM`, Flink may delete the savepoint) and the job's configuration, then deletes the upload.
//!
//! The Job is named after the session job and a hash of its spec, which holds what it submits,
//! so applying the same manifests again never submits twice, and a changed spec is a new Job. Argo CD and Helm run it
//! as a hook after the cluster objects are ready ([`super::after_sync_hook`]); everywhere else
//! it waits for the REST API itself.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::files::{self, Owner};
use super::job::{LifecycleJob, STOP_TIMEOUT_SECONDS, after_sync_hook, job_object, upgrade_mode};
use crate::flink::version::FlinkVersion;
use crate::resolve::model::SessionJob;

/// Where the CA bundle of `flink-render.dev/artifact-ca-bundle` is mounted.
const CA_DIRECTORY: &str = "/opt/flink-render/artifact-ca";

/// The body of `POST /jars/<id>/run` (`JarRunRequestBody`).
pub fn run_request(job: &SessionJob) -> String {
    let mut body = Map::new();
    if let Some(entry_class) = &job.entry_class {
        body.insert("entryClass".into(), json!(entry_class));
    }
    body.insert("programArgsList".into(), json!(job.args));
    if job.parallelism > 0 {
        body.insert("parallelism".into(), json!(job.parallelism));
    }
    body.insert("jobId".into(), json!(job.job_id));
    body.insert("allowNonRestoredState".into(), json!(job.allow_non_restored_state));
    if let Some(path) = &job.savepoint_path {
        body.insert("savepointPath".into(), json!(path));
    }
    let claim = if job.cluster.flink_version >= FlinkVersion::new(1, 20) { "claimMode" } else { "restoreMode" };
    body.insert(claim.into(), json!("NO_CLAIM"));
    body.insert("flinkConfiguration".into(), json!(job.configuration));
    serde_json::to_string(&Value::Object(body)).expect("JSON values serialize")
}

/// The labels of a session job's Jobs: its session cluster's, as a lifecycle component.
pub fn labels(job: &SessionJob) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app".to_string(), job.deployment_name.clone()),
        ("component".to_string(), "lifecycle".to_string()),
        ("type".to_string(), "flink-standalone-kubernetes".to_string()),
    ])
}

/// The name the job runs under on its session cluster (`pipeline.name`, the session job's
/// name unless its configuration sets one): how a revision finds the one before it.
pub fn job_name(job: &SessionJob) -> Option<&str> {
    job.configuration.get("pipeline.name").map(String::as_str)
}

/// What common.sh's `stop_by_upgrade_mode` and `running_by_name` read to find and stop the
/// job's running revision (besides `STOP_TIMEOUT_SECONDS`).
pub fn stop_settings(job: &SessionJob) -> Vec<(&'static str, String)> {
    vec![
        ("JOB_NAME", job_name(job).unwrap_or_default().to_string()),
        ("UPGRADE_MODE", upgrade_mode(job.upgrade_mode).to_string()),
        ("SAVEPOINT_DIR", job.snapshots.savepoint_dir.clone().unwrap_or_default()),
        ("FORMAT_TYPE", job.snapshots.format.clone()),
    ]
}

/// The session cluster's REST endpoint.
pub fn rest_url(job: &SessionJob) -> String {
    format!("http://{}:{}", job.cluster.rest_service, job.cluster.rest_port)
}

/// The submit Job of a session job.
pub fn emit(job: &SessionJob) -> Vec<Value> {
    let request = run_request(job);
    let labels = labels(job);
    let mut env = vec![
        ("JOB_ID", job.job_id.clone()),
        ("JAR_URI", job.jar_uri.clone().unwrap_or_default()),
        ("RUN_REQUEST", request),
    ];
    env.extend(stop_settings(job));
    env.extend([
        ("DOWNLOAD_TIMEOUT_SECONDS", "300".to_string()),
        ("RUNNING_TIMEOUT_SECONDS", "120".to_string()),
        ("STOP_TIMEOUT_SECONDS", STOP_TIMEOUT_SECONDS.to_string()),
    ]);
    let mut volumes = Vec::new();
    if let Some(config_map) = &job.artifact_ca_bundle {
        env.push(("ARTIFACT_CA_BUNDLE", format!("{CA_DIRECTORY}/ca.crt")));
        let items = [json!({ "key": "ca.crt", "path": "ca.crt" })];
        volumes.push((
            json!({ "name": "artifact-ca", "configMap": { "name": config_map, "items": items } }),
            CA_DIRECTORY,
        ));
    }
    vec![job_object(LifecycleJob {
        prefix: format!("{}-submit", job.name),
        namespace: job.namespace.as_deref(),
        labels,
        image: &job.cluster.image,
        image_pull_policy: job.cluster.image_pull_policy.as_deref(),
        script: files::SUBMIT,
        scripts: files::name(&job.name, Owner::SessionJob),
        env,
        rest_url: rest_url(job),
        annotations: after_sync_hook(job.helm_hooks),
        service_account: job.cluster.service_account.as_deref(),
        volumes,
    })]
}
