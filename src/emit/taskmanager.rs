//! `Deployment <name>-taskmanager`: the TaskManagers (FO §4.3, §4.5), running `taskmanager`
//! with the `taskmanager-rpc` port. Labels are `kubernetes.taskmanager.labels` with the
//! selector on top (the selector wins: upstream's asymmetry with the JobManager).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::emit::pod::{MainContainer, deployment_object};
use crate::emit::taskmanager_selector;
use crate::resolve::model::Deployment;

/// `<name>-taskmanager`.
pub fn name(deployment: &Deployment) -> String {
    format!("{}-taskmanager", deployment.name)
}

/// TaskManager labels: user labels, then the selector.
pub fn labels(deployment: &Deployment) -> BTreeMap<String, String> {
    let mut labels = deployment.taskmanager.labels.clone();
    labels.extend(taskmanager_selector(deployment));
    labels
}

/// The TaskManager Deployment.
pub fn emit(deployment: &Deployment) -> Vec<Value> {
    let labels = labels(deployment);
    let main = MainContainer {
        args: vec!["taskmanager".into()],
        ports: vec![("taskmanager-rpc", deployment.ports.taskmanager_rpc)],
        env: Vec::new(),
        volumes: Vec::new(),
        image_from_template: false,
    };
    vec![deployment_object(
        deployment,
        &deployment.taskmanager,
        name(deployment),
        labels,
        taskmanager_selector(deployment),
        main,
    )]
}
