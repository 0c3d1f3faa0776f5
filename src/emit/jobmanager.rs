//! `Deployment <name>`: the JobManager (FO §4.3, §4.4). Session clusters run `jobmanager`;
//! application clusters run `standalone-job` with `--job-classname`, the fixed `--job-id`,
//! `--allowNonRestoredState`, `--fromSavepoint`, the HA rpc-address override, then the job
//! args verbatim. Application mode mounts an emptyDir at `/opt/flink/usrlib` when
//! `pipeline.classpaths` is set and nothing is mounted there yet (UserLibMountDecorator).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::effective::pod_template::is_main_container;
use crate::emit::common::jobmanager_selector;
use crate::emit::pod::{MainContainer, deployment_object};
use crate::resolve::model::Cluster;

/// Where user jars live in the Flink image.
pub const USER_LIB_DIR: &str = "/opt/flink/usrlib";

/// JobManager labels: the selector, then `kubernetes.jobmanager.labels` (user labels win).
pub fn labels(cluster: &Cluster) -> BTreeMap<String, String> {
    let mut labels = jobmanager_selector(cluster);
    labels.extend(cluster.jobmanager.labels.clone());
    labels
}

/// The container args (FO §9 fact 33).
pub fn args(cluster: &Cluster) -> Vec<String> {
    let ha_address = ["-D".to_string(), "jobmanager.rpc.address=$(_POD_IP_ADDRESS)".to_string()];
    let Some(application) = &cluster.application else {
        let mut args = vec!["jobmanager".to_string()];
        if cluster.high_availability.is_some() {
            args.extend(ha_address);
        }
        return args;
    };
    let mut args = vec!["standalone-job".to_string()];
    if let Some(entry_class) = &application.entry_class {
        args.extend(["--job-classname".to_string(), entry_class.clone()]);
    }
    args.extend(["--job-id".to_string(), application.job_id.clone()]);
    if application.allow_non_restored_state {
        args.push("--allowNonRestoredState".into());
    }
    if let Some(path) = &application.savepoint_path {
        args.extend(["--fromSavepoint".to_string(), path.clone()]);
    }
    if cluster.high_availability.is_some() {
        args.extend(ha_address);
    }
    args.extend(application.args.iter().cloned());
    args
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
    if cluster.application.as_ref().is_some_and(|application| application.has_classpaths)
        && !user_lib_already_mounted(cluster)
    {
        volumes.push(("user-lib-dir".to_string(), json!({ "emptyDir": {} }), USER_LIB_DIR.to_string()));
    }
    let main = MainContainer {
        args: args(cluster),
        ports: vec![
            ("rest", cluster.ports.rest_bind),
            ("jobmanager-rpc", cluster.ports.jobmanager_rpc),
            ("blobserver", cluster.ports.blob_server),
        ],
        env: vec![
            json!({ "name": "_POD_IP_ADDRESS", "valueFrom": { "fieldRef": { "apiVersion": "v1", "fieldPath": "status.podIP" } } }),
        ],
        volumes,
        image_from_template: true,
    };
    vec![deployment_object(
        cluster,
        &cluster.jobmanager,
        cluster.name.clone(),
        labels,
        jobmanager_selector(cluster),
        main,
    )]
}
