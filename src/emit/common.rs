//! What every output kind shares (FO §4.2): the cluster's labels and selectors, and object
//! metadata in the cluster's namespace as JSON.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

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

/// Object metadata with the cluster's namespace; no `labels` when there are none.
pub fn metadata(cluster: &Cluster, name: String, labels: &BTreeMap<String, String>) -> Value {
    annotated_metadata(cluster, name, labels, &BTreeMap::new())
}

/// [`metadata`] with annotations; no `annotations` when there are none.
pub fn annotated_metadata(
    cluster: &Cluster,
    name: String,
    labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
) -> Value {
    let mut meta = Map::new();
    meta.insert("name".into(), Value::String(name));
    if let Some(namespace) = &cluster.namespace {
        meta.insert("namespace".into(), Value::String(namespace.clone()));
    }
    if !labels.is_empty() {
        meta.insert("labels".into(), json!(labels));
    }
    if !annotations.is_empty() {
        meta.insert("annotations".into(), json!(annotations));
    }
    Value::Object(meta)
}
