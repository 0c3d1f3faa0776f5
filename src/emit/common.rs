//! What every output kind shares (FO §4.2): the cluster's labels and selectors, object
//! metadata in the cluster's namespace, and typed objects as JSON.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde_json::Value;

use crate::resolve::model::Cluster;

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
