//! Pod decoration shared by the JobManager and TaskManager Deployments (FO §4.4, §4.5).
//! The merged pod template stays untyped JSON; Flink's decorators are applied on top:
//! labels and annotations (configuration wins), service account, host network and DNS
//! policy, pull secrets, node selector, tolerations, the config volume (read-only), secret
//! volumes, and the main container, which is taken out of the list, decorated, and put
//! back **last** so sidecars come first.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::effective::pod_template::{MAIN_CONTAINER, is_main_container};
use crate::emit::common::annotated_metadata;
use crate::emit::config_file;
use crate::emit::config_map::{self, CONFIG_HASH_ANNOTATION};
use crate::emit::hardening::{enables_plugins, restrict_container, secure_container, secure_pod, writable_volumes};
use crate::flink::java::java_double_text;
use crate::flink::quantity::mebibytes_text;
use crate::resolve::model::{Cluster, Component};

/// The config volume's name.
pub const CONFIG_VOLUME: &str = "flink-config-volume";

/// What differs between the JobManager and TaskManager main containers.
pub struct MainContainer {
    /// `args`.
    pub args: Vec<String>,
    /// Named container ports, after the template's.
    pub ports: Vec<(&'static str, i32)>,
    /// Extra env entries after the template's and the configured ones.
    pub env: Vec<Value>,
    /// Extra volumes (name, volume source) and their mounts (name, path).
    pub volumes: Vec<(String, Value, String)>,
    /// Whether the template's image and pull policy may stand when the spec sets none
    /// (JobManager only, FO §4.4).
    pub image_from_template: bool,
    /// The command, when not the entrypoint alone.
    pub command: Option<Vec<String>>,
    /// Init containers after the template's.
    pub init_containers: Vec<Value>,
    /// A preStop hook, unless the template's main container has one, and the termination
    /// grace period it needs, unless the template sets one.
    pub pre_stop: Option<(Value, i64)>,
    /// Whether this is a TaskManager (which calls the Kubernetes API only with Kubernetes HA).
    pub taskmanager: bool,
    /// Annotations on the pods, besides the configured ones and the configuration hash.
    pub pod_annotations: BTreeMap<String, String>,
}

impl MainContainer {
    /// A main container with `args`, `ports`, `env` and `volumes` and nothing else.
    pub fn new(
        args: Vec<String>,
        ports: Vec<(&'static str, i32)>,
        env: Vec<Value>,
        volumes: Vec<(String, Value, String)>,
    ) -> MainContainer {
        MainContainer {
            args,
            ports,
            env,
            volumes,
            image_from_template: false,
            command: None,
            init_containers: Vec::new(),
            pre_stop: None,
            taskmanager: false,
            pod_annotations: BTreeMap::new(),
        }
    }
}

/// A JobManager that calls the Kubernetes API (native mode, Kubernetes HA) with no namespace to
/// write into the configuration: the pod's own, from the downward API, as a dynamic property
/// (Flink's `kubernetes.namespace` defaults to `default`; a native JobManager passes its
/// dynamic properties on to the TaskManagers it creates).
fn namespace_from_pod(cluster: &Cluster) -> bool {
    cluster.namespace.is_none() && cluster.jobmanager_calls_the_api()
}

/// `-D kubernetes.namespace=$(POD_NAMESPACE)` when the pod's namespace is read at run time.
pub fn pod_namespace_args(cluster: &Cluster) -> Vec<String> {
    if !namespace_from_pod(cluster) {
        return Vec::new();
    }
    vec!["-D".to_string(), "kubernetes.namespace=$(POD_NAMESPACE)".to_string()]
}

/// The `POD_NAMESPACE` variable those args read.
pub fn pod_namespace_env(cluster: &Cluster) -> Option<Value> {
    namespace_from_pod(cluster).then(|| {
        json!({ "name": "POD_NAMESPACE", "valueFrom": { "fieldRef": { "apiVersion": "v1", "fieldPath": "metadata.namespace" } } })
    })
}

/// The decorated pod template for one component.
fn pod_template(
    cluster: &Cluster,
    component: &Component,
    labels: &BTreeMap<String, String>,
    mut main: MainContainer,
) -> Value {
    let mut template = match &component.pod_template {
        Value::Object(fields) => Value::Object(fields.clone()),
        _ => json!({}),
    };
    let root = template.as_object_mut().expect("object");

    let meta = object_field(root, "metadata");
    merge_string_map(meta, "labels", labels);
    let mut annotations = component.annotations.clone();
    annotations.insert(CONFIG_HASH_ANNOTATION.into(), config_map::content_hash(cluster).to_string());
    annotations.extend(std::mem::take(&mut main.pod_annotations));
    merge_string_map(meta, "annotations", &annotations);

    let spec = object_field(root, "spec");
    spec.insert("serviceAccount".into(), Value::String(component.service_account.clone()));
    spec.insert("serviceAccountName".into(), Value::String(component.service_account.clone()));
    spec.insert("hostNetwork".into(), Value::Bool(cluster.host_network));
    if !spec.get("dnsPolicy").is_some_and(Value::is_string) {
        let policy = if cluster.host_network { "ClusterFirstWithHostNet" } else { "ClusterFirst" };
        spec.insert("dnsPolicy".into(), Value::String(policy.into()));
    }
    append_items(spec, "imagePullSecrets", cluster.image_pull_secrets.iter().map(|name| json!({ "name": name })));
    merge_string_map(spec, "nodeSelector", &component.node_selector);
    append_items(spec, "tolerations", component.tolerations.iter().map(|toleration| json!(toleration)));

    let calls_the_api = if main.taskmanager { cluster.kubernetes_ha() } else { cluster.jobmanager_calls_the_api() };
    secure_pod(spec, calls_the_api);

    let mut mounts = vec![json!({ "mountPath": cluster.conf_dir, "name": CONFIG_VOLUME, "readOnly": true })];
    let mut volumes = vec![config_volume(cluster)];
    for (secret, path) in &cluster.secrets {
        let volume_name = format!("{secret}-volume");
        volumes.push(json!({ "name": volume_name, "secret": { "secretName": secret } }));
        mounts.push(json!({ "mountPath": path, "name": volume_name }));
    }
    for (name, source, path) in &main.volumes {
        let mut volume = source.clone();
        volume["name"] = Value::String(name.clone());
        volumes.push(volume);
        let mut mount = json!({ "mountPath": path, "name": name });
        // Kubernetes mounts a ConfigMap read-only whatever the mount says: the mount says so too
        if source.get("configMap").is_some() {
            mount["readOnly"] = Value::Bool(true);
        }
        mounts.push(mount);
    }

    if let Some((_, grace)) = &main.pre_stop {
        spec.entry("terminationGracePeriodSeconds").or_insert(json!(grace));
    }
    append_items(spec, "initContainers", std::mem::take(&mut main.init_containers).into_iter());
    let containers = spec.entry("containers").or_insert_with(|| json!([]));
    if !containers.is_array() {
        *containers = json!([]);
    }
    let containers = containers.as_array_mut().expect("array");
    let template_main = containers.iter().position(is_main_container).map(|index| containers.remove(index));
    let mut container = main_container(cluster, component, template_main, main, mounts);
    volumes.extend(writable_dirs(cluster, &mut container));
    containers.push(Value::Object(container));
    append_items(spec, "volumes", volumes.into_iter());
    for list in ["initContainers", "containers"] {
        for container in spec.get_mut(list).and_then(Value::as_array_mut).into_iter().flatten() {
            if let Some(container) = container.as_object_mut() {
                restrict_container(container);
            }
        }
    }
    template
}

/// A Deployment of one component: `labels` on the object and the pods, `selector` to
/// match them, the decorated pod template, and `replicas`.
pub fn deployment_object(
    cluster: &Cluster,
    component: &Component,
    name: String,
    labels: BTreeMap<String, String>,
    selector: BTreeMap<String, String>,
    main: MainContainer,
    replicas: i32,
) -> Value {
    let template = pod_template(cluster, component, &labels, main);
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": annotated_metadata(cluster, name, &labels, &component.annotations),
        "spec": {
            "replicas": replicas,
            "selector": { "matchLabels": selector },
            "template": template,
        },
    })
}

fn main_container(
    cluster: &Cluster,
    component: &Component,
    template: Option<Value>,
    main: MainContainer,
    mounts: Vec<Value>,
) -> Map<String, Value> {
    let mut container = match template {
        Some(Value::Object(fields)) => fields,
        _ => Map::new(),
    };
    container.insert("name".into(), Value::String(MAIN_CONTAINER.into()));
    container.insert("image".into(), Value::String(cluster.image.clone()));
    let policy = match (&cluster.image_pull_policy, container.get("imagePullPolicy")) {
        (Some(policy), _) => Value::String(policy.clone()),
        (None, Some(existing)) if main.image_from_template && existing.is_string() => existing.clone(),
        _ => Value::String("IfNotPresent".into()),
    };
    container.insert("imagePullPolicy".into(), policy);
    let command = main.command.unwrap_or_else(|| vec![cluster.entry_path.clone()]);
    container.insert("command".into(), json!(command));
    container.insert("args".into(), json!(main.args));
    if let Some((hook, _)) = main.pre_stop {
        let lifecycle = object_field(&mut container, "lifecycle");
        lifecycle.entry("preStop").or_insert(hook);
    }

    let resources = object_field(&mut container, "resources");
    let requests = object_field(resources, "requests");
    requests.insert("cpu".into(), Value::String(java_double_text(component.cpu)));
    requests.insert("memory".into(), Value::String(mebibytes_text(component.memory_mib)));
    let limits = object_field(resources, "limits");
    limits.insert("cpu".into(), Value::String(java_double_text(component.cpu_limit)));
    limits.insert("memory".into(), Value::String(mebibytes_text(component.memory_limit_mib)));

    append_items(
        &mut container,
        "ports",
        main.ports.iter().map(|(name, port)| json!({ "containerPort": port, "name": name, "protocol": "TCP" })),
    );
    let mut env: Vec<Value> =
        component.env.iter().map(|(name, value)| json!({ "name": name, "value": value })).collect();
    env.extend(main.env);
    if let Some(log_dir) = &cluster.flink_log_dir {
        env.push(json!({ "name": "FLINK_LOG_DIR", "value": log_dir }));
    }
    append_items(&mut container, "env", env.into_iter());
    append_items(&mut container, "volumeMounts", mounts.into_iter());
    container
}

/// Harden the main container ([`hardening`]); when its root filesystem is read-only, mount
/// an `emptyDir` where Flink writes and return those volumes.
fn writable_dirs(cluster: &Cluster, container: &mut Map<String, Value>) -> Vec<Value> {
    let env = container.get("env").and_then(Value::as_array).cloned().unwrap_or_default();
    harden_main_container(cluster, container, &env, None)
}

/// Harden a main container whose environment will be `env` ([`hardening::secure_container`]);
/// when its root filesystem is read-only, mount an `emptyDir` where Flink writes (not where a
/// volume is mounted already, nor at `also_mounted`) and return those volumes.
pub(crate) fn harden_main_container(
    cluster: &Cluster,
    container: &mut Map<String, Value>,
    env: &[Value],
    also_mounted: Option<&str>,
) -> Vec<Value> {
    if !secure_container(container, enables_plugins(env)) {
        return Vec::new();
    }
    let mounts = container.get("volumeMounts").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut mounted: Vec<&str> =
        mounts.iter().filter_map(|mount| mount.get("mountPath").and_then(Value::as_str)).collect();
    mounted.extend(also_mounted);
    let mut volumes = Vec::new();
    let mut new_mounts = Vec::new();
    for (name, source, path) in writable_volumes(&mounted, cluster.flink_log_dir.as_deref()) {
        let mut volume = source;
        volume["name"] = Value::String(name.clone());
        volumes.push(volume);
        new_mounts.push(json!({ "mountPath": path, "name": name }));
    }
    append_items(container, "volumeMounts", new_mounts.into_iter());
    volumes
}

/// The ConfigMap volume: log files, then the config file, each at its own key (FO §5.1).
fn config_volume(cluster: &Cluster) -> Value {
    let mut items: Vec<Value> = ["logback-console.xml", "log4j-console.properties"]
        .iter()
        .filter(|file| cluster.log_files.contains_key(**file))
        .map(|file| json!({ "key": file, "path": file }))
        .collect();
    let conf = config_file::file_name(cluster.flink_version);
    items.push(json!({ "key": conf, "path": conf }));
    json!({ "name": CONFIG_VOLUME, "configMap": { "name": config_map::name(cluster), "items": items } })
}

pub(crate) fn object_field<'a>(object: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let field = object.entry(key.to_string()).or_insert_with(|| json!({}));
    if !field.is_object() {
        *field = json!({});
    }
    field.as_object_mut().expect("object")
}

fn merge_string_map(object: &mut Map<String, Value>, key: &str, entries: &BTreeMap<String, String>) {
    if entries.is_empty() {
        return;
    }
    let map = object_field(object, key);
    for (name, value) in entries {
        map.insert(name.clone(), Value::String(value.clone()));
    }
}

pub(crate) fn append_items(object: &mut Map<String, Value>, key: &str, items: impl Iterator<Item = Value>) {
    let mut items = items.peekable();
    if items.peek().is_none() {
        return;
    }
    let list = object.entry(key.to_string()).or_insert_with(|| json!([]));
    if !list.is_array() {
        *list = json!([]);
    }
    list.as_array_mut().expect("array").extend(items);
}
