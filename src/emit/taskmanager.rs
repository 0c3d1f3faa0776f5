//! `Deployment <name>-taskmanager`: the TaskManagers (FO §4.3, §4.5), running `taskmanager`
//! with the `taskmanager-rpc` port; in an application cluster starting once a JobManager of
//! its revision runs its job, under a wrapper that stops it once that job
//! has ended or another revision's JobManager is ready, with a preStop hook that keeps a
//! TaskManager while its job is stopped with a savepoint ([`handoff`]), and none while the job
//! is suspended. Labels are `kubernetes.taskmanager.labels` with the
//! selector on top (the selector wins: upstream's asymmetry with the JobManager).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::emit::common::taskmanager_selector;
use crate::emit::lifecycle::handoff;
use crate::emit::pod::{MainContainer, deployment_object, pod_namespace_args, pod_namespace_env};
use crate::objects::taskmanager_name;
use crate::resolve::model::Cluster;

/// `<name>-taskmanager`.
pub fn name(cluster: &Cluster) -> String {
    taskmanager_name(&cluster.name)
}

/// TaskManager labels: user labels, then the selector.
pub fn labels(cluster: &Cluster) -> BTreeMap<String, String> {
    let mut labels = cluster.taskmanager.labels.clone();
    labels.extend(taskmanager_selector(cluster));
    labels
}

/// The TaskManager Deployment; none in native mode, where the JobManager creates the
/// TaskManager pods ([`super::taskmanager_template`]).
pub fn emit(cluster: &Cluster) -> Vec<Value> {
    if cluster.native() {
        return Vec::new();
    }
    let labels = labels(cluster);
    let mut main = MainContainer::new(
        std::iter::once("taskmanager".to_string()).chain(pod_namespace_args(cluster)).collect(),
        vec![("taskmanager-rpc", cluster.ports.taskmanager_rpc)],
        pod_namespace_env(cluster).into_iter().collect(),
        Vec::new(),
    );
    main.taskmanager = true;
    if let Some(handoff) = handoff::taskmanager(cluster) {
        main.init_containers.push(handoff.init_container);
        main.volumes.extend(handoff.volumes);
        main.command = Some(handoff.command);
        main.env.push(handoff.env);
        main.pre_stop = Some(handoff.pre_stop);
    }
    // a suspended job has no TaskManagers (its JobManager stays, parked: see jobmanager.rs)
    let replicas = if cluster.suspended { 0 } else { cluster.taskmanager.replicas };
    vec![deployment_object(
        cluster,
        &cluster.taskmanager,
        name(cluster),
        labels,
        taskmanager_selector(cluster),
        main,
        replicas,
    )]
}
