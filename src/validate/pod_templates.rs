//! What a user's pod templates (FO §3) may carry into the rendered Deployments: every
//! container needs an image (only `flink-main-container` gets the spec's), fields must be
//! ones Kubernetes knows, and selectors that name the operator's native-mode label
//! `type: flink-native-kubernetes` match no standalone pod.

use serde_json::Value;

use crate::diagnostics::{Code, Diagnostic};
use crate::effective::pod_template::{POD_IDENTITY_KEYS, as_template, is_main_container};
use crate::effective::{ClusterView, DeploymentMode};
use crate::parse::spec::RawDeploymentSpec;

use super::findings::at;

/// The spec's own pod templates, with their paths.
pub(super) fn layers(spec: &RawDeploymentSpec) -> Vec<(&'static str, &Value)> {
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
    if view.mode == DeploymentMode::Native {
        return Vec::new();
    }
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

/// The fields of a `PodSpec` in Kubernetes 1.37 (the newest release the output is checked
/// against).
const POD_SPEC_FIELDS: [&str; 43] = [
    "activeDeadlineSeconds",
    "affinity",
    "automountServiceAccountToken",
    "containers",
    "dnsConfig",
    "dnsPolicy",
    "enableServiceLinks",
    "ephemeralContainers",
    "evictionResponders",
    "hostAliases",
    "hostIPC",
    "hostNetwork",
    "hostPID",
    "hostUsers",
    "hostname",
    "hostnameOverride",
    "imagePullSecrets",
    "initContainers",
    "nodeName",
    "nodeSelector",
    "os",
    "overhead",
    "preemptionPolicy",
    "priority",
    "priorityClassName",
    "readinessGates",
    "resourceClaims",
    "resources",
    "restartPolicy",
    "runtimeClassName",
    "schedulerName",
    "schedulingGates",
    "schedulingGroup",
    "securityContext",
    "serviceAccount",
    "serviceAccountName",
    "setHostnameAsFQDN",
    "shareProcessNamespace",
    "subdomain",
    "terminationGracePeriodSeconds",
    "tolerations",
    "topologySpreadConstraints",
    "volumes",
];

/// The fields of a `Container` in Kubernetes 1.37.
const CONTAINER_FIELDS: [&str; 25] = [
    "args",
    "command",
    "env",
    "envFrom",
    "image",
    "imagePullPolicy",
    "lifecycle",
    "livenessProbe",
    "name",
    "ports",
    "readinessProbe",
    "resizePolicy",
    "resources",
    "restartPolicy",
    "restartPolicyRules",
    "securityContext",
    "startupProbe",
    "stdin",
    "stdinOnce",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "tty",
    "volumeDevices",
    "volumeMounts",
    "workingDir",
];

/// The fields of `ObjectMeta`.
const METADATA_FIELDS: [&str; 15] = [
    "annotations",
    "creationTimestamp",
    "deletionGracePeriodSeconds",
    "deletionTimestamp",
    "finalizers",
    "generateName",
    "generation",
    "labels",
    "managedFields",
    "name",
    "namespace",
    "ownerReferences",
    "resourceVersion",
    "selfLink",
    "uid",
];

/// Ours: a pod-template field Kubernetes does not know reaches the Deployment, where the API
/// server's strict field validation rejects it. Checked where typos land: the template's top
/// level (only `metadata` and `spec` are kept; a whole Pod's `apiVersion` and `kind` are
/// dropped silently, as the operator does, anything else with this warning), its metadata,
/// the pod spec, and every container and init container. Deeper fields are not checked.
pub fn pod_template_fields_known(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let mut unknown = Vec::new();
    for (layer, template) in layers(view.spec) {
        let Some(fields) = template.as_object() else { continue };
        for key in fields.keys() {
            if !matches!(key.as_str(), "metadata" | "spec") && !POD_IDENTITY_KEYS.contains(&key.as_str()) {
                unknown.push((format!("{layer}.{key}"), "is not part of a pod template: it is left out"));
            }
        }
        unknown.extend(unknown_keys(fields.get("metadata"), &METADATA_FIELDS, &format!("{layer}.metadata")));
        let spec = fields.get("spec");
        unknown.extend(unknown_keys(spec, &POD_SPEC_FIELDS, &format!("{layer}.spec")));
        for list in ["containers", "initContainers"] {
            let containers = spec.and_then(|spec| spec.get(list)).and_then(Value::as_array);
            for (index, container) in containers.into_iter().flatten().enumerate() {
                let path = format!("{layer}.spec.{list}[{index}]");
                unknown.extend(unknown_keys(Some(container), &CONTAINER_FIELDS, &path));
            }
        }
    }
    unknown
        .into_iter()
        .map(|(path, what)| {
            let field = path.rsplit('.').next().unwrap_or_default();
            at(view.parsed, Code::UnknownPodTemplateField, &path, format!("`{field}` {what}"))
                .with_hint("check its spelling and indentation against the Kubernetes pod template")
        })
        .collect()
}

/// The keys of `node` (a mapping) that are not among `known`, as paths.
fn unknown_keys(node: Option<&Value>, known: &[&str], path: &str) -> Vec<(String, &'static str)> {
    let Some(Value::Object(fields)) = node else { return Vec::new() };
    fields
        .keys()
        .filter(|key| !known.contains(&key.as_str()))
        .map(|key| (format!("{path}.{key}"), "is not a field Kubernetes knows here: the API server rejects it"))
        .collect()
}
