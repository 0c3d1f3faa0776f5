//! `Deployment <name>-taskmanager`: the TaskManagers (FO §4.3, §4.5), running `taskmanager`
//! with the `taskmanager-rpc` port. Labels are `kubernetes.taskmanager.labels` with the
//! selector on top (the selector wins: upstream's asymmetry with the JobManager).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment as KubeDeployment, DeploymentSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::Value;

use crate::emit::pod::{pod_template, MainContainer};
use crate::emit::{metadata, taskmanager_selector, to_value};
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
    let template = pod_template(deployment, &deployment.taskmanager, &labels, main);
    let mut meta = metadata(deployment, name(deployment), labels);
    meta.annotations = Some(deployment.taskmanager.annotations.clone()).filter(|annotations| !annotations.is_empty());
    let object = KubeDeployment {
        metadata: meta,
        spec: Some(DeploymentSpec {
            replicas: Some(if deployment.suspended { 0 } else { deployment.taskmanager.replicas }),
            selector: LabelSelector { match_labels: Some(taskmanager_selector(deployment)), ..LabelSelector::default() },
            ..DeploymentSpec::default()
        }),
        ..KubeDeployment::default()
    };
    let mut value = to_value(&object);
    value["spec"]["template"] = template;
    vec![value]
}
