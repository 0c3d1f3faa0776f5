//! Stage 4, **emit**: the resolved model → Kubernetes objects, one module per output kind
//! (FO §4), each a pure function. [`ORDER`] is the one list that fixes which objects
//! come out and in what order, so the output is byte-for-byte deterministic.

pub mod config_file;
pub mod config_map;
pub mod ingress;
pub mod jobmanager;
pub mod pod;
pub mod rbac;
pub mod services;
pub mod taskmanager;
pub mod yaml;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde_json::Value;

use crate::resolve::model::Cluster;

/// One emitter: the objects of one kind for a cluster (possibly none).
pub type Emitter = fn(&Cluster) -> Vec<Value>;

/// Every emitter, in output order.
pub const ORDER: [(&str, Emitter); 7] = [
    ("ConfigMap", config_map::emit),
    ("Role/RoleBinding", rbac::emit),
    ("Service (internal)", services::emit_internal),
    ("Service (rest)", services::emit_rest),
    ("Deployment (JobManager)", jobmanager::emit),
    ("Deployment (TaskManager)", taskmanager::emit),
    ("Ingress", ingress::emit),
];

/// All objects for one cluster, in [`ORDER`].
pub fn emit(cluster: &Cluster) -> Vec<Value> {
    ORDER.iter().flat_map(|(_, emitter)| emitter(cluster)).collect()
}

/// The labels every object of a cluster carries (FO §4.2).
pub fn common_labels(cluster: &Cluster) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("type".to_string(), "flink-standalone-kubernetes".to_string()),
        ("app".to_string(), cluster.name.clone()),
    ])
}

/// The JobManager selector: common labels plus `component: jobmanager`.
pub fn jobmanager_selector(cluster: &Cluster) -> BTreeMap<String, String> {
    let mut labels = common_labels(cluster);
    labels.insert("component".into(), "jobmanager".into());
    labels
}

/// The TaskManager selector: common labels plus `component: taskmanager`.
pub fn taskmanager_selector(cluster: &Cluster) -> BTreeMap<String, String> {
    let mut labels = common_labels(cluster);
    labels.insert("component".into(), "taskmanager".into());
    labels
}

/// Object metadata with the cluster's namespace.
pub fn metadata(cluster: &Cluster, name: String, labels: BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: cluster.namespace.clone(),
        labels: Some(labels).filter(|labels| !labels.is_empty()),
        ..ObjectMeta::default()
    }
}

/// A typed object as JSON.
pub fn to_value<T: Serialize>(object: &T) -> Value {
    serde_json::to_value(object).expect("k8s-openapi objects serialize")
}
