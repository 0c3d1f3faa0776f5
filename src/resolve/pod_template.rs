//! What the lowering adds to a merged pod template (FO §3.3–§3.4): resources other than cpu
//! and memory and resource claims on the main container, and the JobManager startup probe.
//!
//! * The main container is the one named `flink-main-container` (FO §3.3); one is appended
//!   when the template has none.
//! * The JobManager gets a startup probe on `/config` unless it has one or the
//!   `kubernetes.operator.jm-deployment.startup.probe.enabled` switch is off (FO §3.4).
//! * Ours: both processes get readiness and liveness probes unless they have their own.

use serde_json::{Map, Value, json};

use crate::effective::pod_template::{MAIN_CONTAINER, is_main_container};
use crate::effective::resources::Process;

/// The main container of `template`, created (appended) when missing.
pub fn main_container_mut(template: &mut Value) -> &mut Map<String, Value> {
    let containers = containers_mut(template);
    let index = match containers.iter().position(is_main_container) {
        Some(index) => index,
        None => {
            containers.push(json!({ "name": MAIN_CONTAINER }));
            containers.len() - 1
        }
    };
    containers[index].as_object_mut().expect("containers are objects")
}

fn containers_mut(template: &mut Value) -> &mut Vec<Value> {
    if !template.is_object() {
        *template = json!({});
    }
    let root = template.as_object_mut().expect("object");
    let spec = root.entry("spec").or_insert_with(|| json!({}));
    if !spec.is_object() {
        *spec = json!({});
    }
    let containers = spec.as_object_mut().expect("object").entry("containers").or_insert_with(|| json!([]));
    if !containers.is_array() {
        *containers = json!([]);
    }
    let items = containers.as_array_mut().expect("array");
    items.retain(Value::is_object);
    items
}

/// Copy resource entries into the main container's `requests` / `limits` (FO §3.3):
/// used for deprecated `ephemeralStorage` and for every `resources` entry other than cpu
/// and memory, which reach the container through the Flink configuration instead.
pub fn inject_resources(template: &mut Value, requests: &[(String, String)], limits: &[(String, String)]) {
    if requests.is_empty() && limits.is_empty() {
        return;
    }
    let container = main_container_mut(template);
    let resources = container.entry("resources").or_insert_with(|| json!({}));
    if !resources.is_object() {
        *resources = json!({});
    }
    for (section, entries) in [("requests", requests), ("limits", limits)] {
        if entries.is_empty() {
            continue;
        }
        let map = resources.as_object_mut().expect("object").entry(section).or_insert_with(|| json!({}));
        if !map.is_object() {
            *map = json!({});
        }
        for (name, quantity) in entries {
            map.as_object_mut().expect("object").insert(name.clone(), Value::String(quantity.clone()));
        }
    }
}

/// Put `resources.claims` (dynamic resource allocation) on the main container as written.
pub fn inject_claims(template: &mut Value, claims: &Value) {
    let container = main_container_mut(template);
    let resources = container.entry("resources").or_insert_with(|| json!({}));
    if !resources.is_object() {
        *resources = json!({});
    }
    resources.as_object_mut().expect("object").insert("claims".into(), claims.clone());
}

/// Add the JobManager startup probe (FO §3.4) unless the main container already has one.
pub fn add_startup_probe(template: &mut Value) {
    let container = main_container_mut(template);
    container.entry("startupProbe").or_insert_with(|| {
        json!({
            "failureThreshold": 2147483647,
            "httpGet": { "path": "/config", "port": "rest" },
            "periodSeconds": 1
        })
    });
}

/// How the JobManager's REST port can be probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestProbe {
    /// `GET /config` over http.
    Http,
    /// `GET /config` over https (`security.ssl.rest.enabled`).
    Https,
    /// A TCP connect: the REST API asks for client certificates
    /// (`security.ssl.rest.authentication-enabled`), which the kubelet has not.
    Tcp,
}

/// Readiness and liveness probes for the main container, unless it has its own (ours:
/// Kubernetes sends Service traffic only to ready pods, and a security review asks for both).
/// Readiness: the JobManager's REST API answers (what `<name>-rest` serves), a TaskManager's RPC
/// port accepts connections. Liveness: the RPC port accepts connections, judged leniently (a
/// minute of failures, after 30 s) so that a long garbage collection does not restart a process.
pub fn add_health_probes(template: &mut Value, process: Process, rest: RestProbe) {
    let container = main_container_mut(template);
    let (readiness, rpc_port) = match process {
        Process::JobManager => {
            let check = match rest {
                RestProbe::Http => json!({ "httpGet": { "path": "/config", "port": "rest" } }),
                RestProbe::Https => json!({ "httpGet": { "path": "/config", "port": "rest", "scheme": "HTTPS" } }),
                RestProbe::Tcp => json!({ "tcpSocket": { "port": "rest" } }),
            };
            (check, "jobmanager-rpc")
        }
        Process::TaskManager => (json!({ "tcpSocket": { "port": "taskmanager-rpc" } }), "taskmanager-rpc"),
    };
    container.entry("readinessProbe").or_insert_with(|| {
        let mut probe = readiness;
        probe["periodSeconds"] = json!(5);
        probe["failureThreshold"] = json!(3);
        probe
    });
    container.entry("livenessProbe").or_insert_with(|| {
        json!({
            "tcpSocket": { "port": rpc_port },
            "initialDelaySeconds": 30,
            "periodSeconds": 10,
            "timeoutSeconds": 5,
            "failureThreshold": 6
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_probes_are_added_unless_the_user_has_them() {
        let mut template = json!({"spec": {"containers": [{"name": MAIN_CONTAINER, "readinessProbe": {"exec": {"command": ["true"]}}}]}});
        add_health_probes(&mut template, Process::JobManager, RestProbe::Https);
        let main = &template["spec"]["containers"][0];
        assert_eq!(main["readinessProbe"], json!({"exec": {"command": ["true"]}}));
        assert_eq!(main["livenessProbe"]["tcpSocket"]["port"], "jobmanager-rpc");
        let mut template = json!({"spec": {}});
        add_health_probes(&mut template, Process::JobManager, RestProbe::Https);
        assert_eq!(template["spec"]["containers"][0]["readinessProbe"]["httpGet"]["scheme"], "HTTPS");
        let mut template = json!({"spec": {}});
        add_health_probes(&mut template, Process::TaskManager, RestProbe::Http);
        assert_eq!(template["spec"]["containers"][0]["readinessProbe"]["tcpSocket"]["port"], "taskmanager-rpc");
    }

    /// FO §9 fact 28: the probe is added once, a user probe is kept, and a nameless
    /// container list gets the main container appended as the second entry.
    #[test]
    fn fo9_fact28_add_startup_probe() {
        let mut template = json!({"spec": {"containers": [{}]}});
        add_startup_probe(&mut template);
        add_startup_probe(&mut template);
        let containers = template["spec"]["containers"].as_array().unwrap();
        assert_eq!(containers.len(), 2);
        assert_eq!(
            containers[1]["startupProbe"],
            json!({"periodSeconds": 1, "failureThreshold": 2147483647, "httpGet": {"port": "rest", "path": "/config"}})
        );
        let mut user =
            json!({"spec": {"containers": [{"name": MAIN_CONTAINER, "startupProbe": {"periodSeconds": 5}}]}});
        add_startup_probe(&mut user);
        assert_eq!(user["spec"]["containers"][0]["startupProbe"], json!({"periodSeconds": 5}));
    }

    /// FO §9 fact 11: non-cpu/memory resources land in the main container only.
    #[test]
    fn fo9_fact11_resource_requirements_to_pod_template() {
        let mut template = json!({});
        inject_resources(
            &mut template,
            &[("ephemeral-storage".into(), "10Gi".into())],
            &[("ephemeral-storage".into(), "20Gi".into())],
        );
        assert_eq!(
            template,
            json!({"spec": {"containers": [{"name": MAIN_CONTAINER, "resources": {
                "requests": {"ephemeral-storage": "10Gi"}, "limits": {"ephemeral-storage": "20Gi"}}}]}})
        );
    }
}
