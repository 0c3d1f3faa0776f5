//! What every output kind shares (FO §4.2): the cluster's labels and selectors, and object
//! metadata in the cluster's namespace as JSON, and the chart template Helm 4 files the objects
//! under.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::effective::helm::TEMPLATE_FILE_ANNOTATION;
use crate::resolve::model::Cluster;

/// The labels every object of a cluster carries (FO §4.2): `type` says the mode, and in native
/// mode the JobManager selects its TaskManager pods by it.
pub fn common_labels(cluster: &Cluster) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("type".to_string(), cluster.mode.type_label().to_string()),
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

/// Every object of a spec carries the chart template Helm 4 rendered the spec from, when it did
/// (Helm 4 files each object its post-renderer returns under the template this annotation names,
/// then removes it; `effective::helm`). Only on the objects' own metadata, after every name and
/// hash is computed: not in a pod template, where a renamed chart file would roll the pods.
pub fn carry_template_file(objects: &mut [Value], template_file: Option<&str>) {
    let Some(file) = template_file else { return };
    for metadata in objects.iter_mut().filter_map(|object| object.get_mut("metadata")?.as_object_mut()) {
        let annotations = metadata.entry("annotations").or_insert_with(|| Value::Object(Map::new()));
        if let Some(annotations) = annotations.as_object_mut() {
            annotations.insert(TEMPLATE_FILE_ANNOTATION.into(), Value::String(file.to_string()));
        }
    }
}
