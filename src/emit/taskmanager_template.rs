//! `ConfigMap pod-template-<name>`, native mode only (native-mode.md §1.1, §5): the
//! TaskManager pod template the JobManager builds every TaskManager pod from, as the YAML text
//! of the key `taskmanager-pod-template.yaml`, mounted in the JobManager at
//! `/opt/flink/pod-template` (Flink reads it there, [`TASKMANAGER_POD_TEMPLATE_IN_POD`]).
//!
//! The template is the merged one (FO §3), which Flink's own decorators complete when the
//! JobManager builds each TaskManager pod (labels, annotations, service account, node selector,
//! tolerations, pull secrets, the config volume, the main container's image, command,
//! resources, ports and env), hardened as a standalone TaskManager is ([`hardening`]): what
//! Flink does not set, the template must carry. The main container is always in it, so that its
//! security context reaches the pod. Its hash is on the JobManager's pod
//! ([`TEMPLATE_HASH_ANNOTATION`]): the JobManager reads the file when it starts, so a changed
//! template rolls it, and the TaskManagers it creates then are of the new template.
//!
//! [`TASKMANAGER_POD_TEMPLATE_IN_POD`]: crate::resolve::TASKMANAGER_POD_TEMPLATE_IN_POD

use serde_json::{Map, Value, json};

use crate::digest::fnv1a_hex;
use crate::effective::pod_template::{MAIN_CONTAINER, is_main_container};
use crate::emit::common::{common_labels, metadata};
use crate::emit::hardening::{restrict_container, secure_pod};
use crate::emit::pod::{append_items, harden_main_container, object_field};
use crate::emit::yaml::to_yaml_document;
use crate::resolve::model::{Cluster, TemplateFile};

/// The ConfigMap's only key, and the file's name in the JobManager.
pub const FILE: &str = "taskmanager-pod-template.yaml";
/// The volume that mounts it in the JobManager.
pub const VOLUME: &str = "pod-template-volume";
/// Where: Flink's `Constants.POD_TEMPLATE_DIR_IN_POD`.
pub const DIR: &str = "/opt/flink/pod-template";
/// The JobManager pod annotation that carries the template's hash.
pub const TEMPLATE_HASH_ANNOTATION: &str = "flink-render/pod-template-hash";

/// `pod-template-<name>`.
pub fn name(cluster: &Cluster) -> String {
    format!("pod-template-{}", cluster.name)
}

/// The template's text and hash, rendered once per cluster.
fn file(cluster: &Cluster) -> &TemplateFile {
    cluster.taskmanager_template_file.get_or_init(|| {
        let text = to_yaml_document(&template(cluster));
        let hash = fnv1a_hex(&[&text]);
        TemplateFile { text, hash }
    })
}

/// The template's hash, for the JobManager's pod annotation.
pub fn hash(cluster: &Cluster) -> &str {
    &file(cluster).hash
}

/// The ConfigMap, for a native cluster.
pub fn emit(cluster: &Cluster) -> Vec<Value> {
    if !cluster.native() {
        return Vec::new();
    }
    vec![json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(cluster, name(cluster), &common_labels(cluster)),
        "data": { FILE: file(cluster).text },
    })]
}

/// The JobManager's volume for it: name, source and mount path.
pub fn volume(cluster: &Cluster) -> (String, Value, String) {
    let source = json!({ "configMap": { "name": name(cluster), "items": [{ "key": FILE, "path": FILE }] } });
    (VOLUME.to_string(), source, DIR.to_string())
}

/// The hardened TaskManager template, as a Pod.
pub fn template(cluster: &Cluster) -> Value {
    let mut template = match &cluster.taskmanager.pod_template {
        Value::Object(fields) => Value::Object(fields.clone()),
        _ => json!({}),
    };
    let root = template.as_object_mut().expect("object");
    root.remove("apiVersion");
    root.remove("kind");
    let spec = object_field(root, "spec");
    secure_pod(spec, cluster.kubernetes_ha());
    let containers = spec.entry("containers").or_insert_with(|| json!([]));
    if !containers.is_array() {
        *containers = json!([]);
    }
    let containers = containers.as_array_mut().expect("array");
    if !containers.iter().any(is_main_container) {
        containers.push(json!({ "name": MAIN_CONTAINER }));
    }
    let mut volumes = Vec::new();
    for container in containers.iter_mut().filter(|container| is_main_container(container)) {
        let Some(container) = container.as_object_mut() else { continue };
        volumes.extend(writable_dirs(cluster, container));
    }
    append_items(spec, "volumes", volumes.into_iter());
    for list in ["initContainers", "containers"] {
        for container in spec.get_mut(list).and_then(Value::as_array_mut).into_iter().flatten() {
            if let Some(container) = container.as_object_mut() {
                restrict_container(container);
            }
        }
    }
    let mut pod = Map::new();
    pod.insert("apiVersion".into(), json!("v1"));
    pod.insert("kind".into(), json!("Pod"));
    pod.extend(std::mem::take(root));
    Value::Object(pod)
}

/// Harden the main container ([`hardening::secure_container`]); when its root filesystem is
/// read-only, mount an `emptyDir` where Flink writes (not where a volume of the template or
/// Flink's config volume is mounted) and return those volumes.
fn writable_dirs(cluster: &Cluster, container: &mut Map<String, Value>) -> Vec<Value> {
    let mut env: Vec<Value> = cluster.taskmanager.env.iter().map(|(name, _)| json!({ "name": name })).collect();
    env.extend(container.get("env").and_then(Value::as_array).cloned().unwrap_or_default());
    harden_main_container(cluster, container, &env, Some(&cluster.conf_dir))
}
