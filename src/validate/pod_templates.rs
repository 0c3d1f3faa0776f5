//! What a user's pod templates (FO §3) may carry into the rendered Deployments: every
//! container needs an image (only `flink-main-container` gets the spec's), fields must be
//! ones Kubernetes knows, and selectors that name the operator's native-mode label
//! `type: flink-native-kubernetes` match no standalone pod.

use serde_json::Value;

use k8s_openapi::api::core::v1::PodTemplateSpec;

use crate::diagnostics::{Code, Diagnostic};
use crate::effective::ClusterView;
use crate::effective::pod_template::{POD_IDENTITY_KEYS, as_template, is_main_container};
use crate::parse::spec::RawDeploymentSpec;

use super::findings::at;

/// The spec's own pod templates, with their paths.
fn layers(spec: &RawDeploymentSpec) -> Vec<(&'static str, &Value)> {
    [
        ("spec.podTemplate", spec.pod_template.as_ref()),
        ("spec.jobManager.podTemplate", spec.job_manager.as_ref().and_then(|jm| jm.pod_template.as_ref())),
        ("spec.taskManager.podTemplate", spec.task_manager.as_ref().and_then(|tm| tm.pod_template.as_ref())),
    ]
    .into_iter()
    .filter_map(|(path, template)| Some((path, template?)))
    .collect()
}

/// Ours (the API server's rule): a container without an image cannot run. Only
/// `flink-main-container` gets `spec.image`; a Flink container under another name becomes a
/// sidecar (FO §3.3), and so does its missing image.
pub fn containers_have_images(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let mut found: Vec<Diagnostic> = Vec::new();
    for process in [&view.jobmanager, &view.taskmanager] {
        for list in ["containers", "initContainers"] {
            let containers = process.pod_template.pointer(&format!("/spec/{list}")).and_then(Value::as_array);
            for (index, container) in containers.into_iter().flatten().enumerate() {
                let has_image =
                    container.get("image").and_then(Value::as_str).is_some_and(|image| !image.trim().is_empty());
                if has_image || (list == "containers" && is_main_container(container)) {
                    continue;
                }
                let name = container.get("name").and_then(Value::as_str).unwrap_or_default();
                let path = declaring_path(view.spec, list, name, index);
                if found.iter().any(|finding| finding.path == path) {
                    continue;
                }
                let message = format!(
                    "container `{name}` has no image: only `flink-main-container` gets spec.image, and Kubernetes requires one"
                );
                found.push(
                    at(view.parsed, Code::ContainerWithoutImage, &path, message)
                        .with_hint("name the Flink container `flink-main-container`, or give this container an image"),
                );
            }
        }
    }
    found
}

/// Where the spec declares the container `name` (or the `index`-th of a nameless list).
fn declaring_path(spec: &RawDeploymentSpec, list: &str, name: &str, index: usize) -> String {
    for (layer, template) in layers(spec) {
        let containers = as_template(template).pointer(&format!("/spec/{list}")).and_then(Value::as_array).cloned();
        for (position, container) in containers.into_iter().flatten().enumerate() {
            let same = container.get("name").and_then(Value::as_str).map_or(position == index, |own| own == name);
            if same {
                return format!("{layer}.spec.{list}[{position}]");
            }
        }
    }
    format!("spec.podTemplate.spec.{list}[{index}]")
}

/// Ours: selectors in affinity rules or topology spread constraints that pick the operator's
/// native-mode pods (`type: flink-native-kubernetes`) match nothing here: standalone pods are
/// labelled `type: flink-standalone-kubernetes` (FO §4.2).
pub fn native_label_selectors(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let mut paths = Vec::new();
    for (layer, template) in layers(view.spec) {
        native_selectors(template, layer.to_string(), &mut paths);
    }
    paths
        .into_iter()
        .map(|path| {
            at(view.parsed, Code::NativeLabelSelector, &path, "this selector picks pods labelled `type: flink-native-kubernetes`, the operator's native mode; the rendered standalone pods are labelled `type: flink-standalone-kubernetes`, so it matches none of them")
                .with_hint("select `type: flink-standalone-kubernetes`, or `app: <name>` with `component: jobmanager` or `taskmanager`")
        })
        .collect()
}

const NATIVE_TYPE: &str = "flink-native-kubernetes";

fn native_selectors(node: &Value, path: String, found: &mut Vec<String>) {
    match node {
        Value::Object(fields) => {
            if fields.get("matchLabels").and_then(|labels| labels.get("type")).and_then(Value::as_str)
                == Some(NATIVE_TYPE)
            {
                found.push(format!("{path}.matchLabels.type"));
            }
            let expressions = fields.get("matchExpressions").and_then(Value::as_array);
            for (index, expression) in expressions.into_iter().flatten().enumerate() {
                let values = expression.get("values").and_then(Value::as_array);
                let names_type = expression.get("key").and_then(Value::as_str) == Some("type");
                if names_type && values.is_some_and(|values| values.iter().any(|value| value == NATIVE_TYPE)) {
                    found.push(format!("{path}.matchExpressions[{index}]"));
                }
            }
            for (key, value) in fields {
                native_selectors(value, format!("{path}.{key}"), found);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                native_selectors(item, format!("{path}[{index}]"), found);
            }
        }
        _ => {}
    }
}

/// Ours: a pod-template field Kubernetes does not know (a typo, or a field newer than the
/// Kubernetes 1.33 API flink-render knows) reaches the Deployment, where the API server's
/// strict field validation rejects it. Top-level keys other than `metadata` and `spec` are
/// dropped (a whole Pod's `apiVersion` and `kind` silently, as the operator does).
pub fn pod_template_fields_known(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (layer, template) in layers(view.spec) {
        for key in template.as_object().into_iter().flat_map(|fields| fields.keys()) {
            if !matches!(key.as_str(), "metadata" | "spec") && !POD_IDENTITY_KEYS.contains(&key.as_str()) {
                let message = format!("`{key}` is not part of a pod template: it is left out");
                found.push(at(view.parsed, Code::UnknownPodTemplateField, &format!("{layer}.{key}"), message));
            }
        }
        let template = as_template(template);
        let Ok(known) = serde_json::from_value::<PodTemplateSpec>(template.clone()) else { continue };
        let known = serde_json::to_value(known).unwrap_or_default();
        let mut unknown = Vec::new();
        unknown_fields(&template, &known, layer.to_string(), &mut unknown);
        found.extend(unknown.into_iter().map(|path| {
            let field = path.rsplit('.').next().unwrap_or_default().to_string();
            at(view.parsed, Code::UnknownPodTemplateField, &path, format!("Kubernetes does not know the pod-template field `{field}`: the API server rejects it"))
                .with_hint("check its spelling and indentation against the Kubernetes PodSpec; flink-render knows the Kubernetes 1.33 API")
        }));
    }
    found
}

/// Paths of the fields in `written` that `known` (its round trip through the Kubernetes
/// types) lost. Nulls count as unset.
fn unknown_fields(written: &Value, known: &Value, path: String, found: &mut Vec<String>) {
    match (written, known) {
        (Value::Object(fields), Value::Object(kept)) => {
            for (key, value) in fields.iter().filter(|(_, value)| !value.is_null()) {
                match kept.get(key) {
                    Some(kept) => unknown_fields(value, kept, format!("{path}.{key}"), found),
                    None => found.push(format!("{path}.{key}")),
                }
            }
        }
        (Value::Array(items), Value::Array(kept)) => {
            for (index, (item, kept)) in items.iter().zip(kept).enumerate() {
                unknown_fields(item, kept, format!("{path}[{index}]"), found);
            }
        }
        _ => {}
    }
}
