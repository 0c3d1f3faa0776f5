//! What a security review of the rendered objects would flag and only the spec can change:
//! secrets written into the configuration (they land in a ConfigMap), the REST API exposed
//! outside the cluster without TLS (it accepts jar uploads on session clusters), and pod
//! templates that ask for what the restricted Pod Security Standard forbids.

use serde_json::Value;

use crate::diagnostics::{Code, Diagnostic};
use crate::effective::ClusterView;
use crate::effective::ingress::IngressRead;
use crate::effective::pod_template::as_template;
use crate::flink::keys::stays_with_the_operator;

use super::findings::{at, at_config};
use super::pod_templates::layers;

/// Words that, as a segment of a configuration key, mark a secret.
const SECRET_WORDS: [&str; 7] = ["password", "passwd", "secret", "token", "key", "credential", "credentials"];

/// Whether a key names a secret: one of its segments (split at `.`, `-`, `_`) is one of
/// [`SECRET_WORDS`] (`s3.access-key`, `keystore-password`); `keystore` is a path, and
/// `kubernetes.secrets` names Secrets to mount.
fn looks_like_a_secret(key: &str) -> bool {
    key.to_lowercase().split(['.', '-', '_']).any(|segment| SECRET_WORDS.contains(&segment))
}

/// Ours: a configuration value that looks like a secret is written into the ConfigMap, which
/// anyone who may read ConfigMaps in the namespace can read.
pub fn secrets_in_configuration(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let config_map = crate::objects::config_map_name(view.name);
    view.parsed
        .user_keys
        .iter()
        .filter(|user| !stays_with_the_operator(&user.key) && looks_like_a_secret(&user.key) && !user.value.trim().is_empty())
        .map(|user| {
            at_config(
                view.parsed,
                Code::SecretInConfig,
                &user.key,
                format!("`{}` looks like a secret: it is written into the ConfigMap `{config_map}`, which is not secret", user.key),
            )
            .with_hint("keep credentials out of flinkConfiguration: mount a Secret (`kubernetes.secrets`), or use the platform's workload identity")
        })
        .collect()
}

/// Ours: the REST API runs jobs (and on session clusters accepts jar uploads); exposed by a
/// `LoadBalancer` or `NodePort` Service without REST TLS, or by an Ingress without `tls`, it
/// is reachable in plain text from outside the cluster.
pub fn rest_exposure(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let rest_tls = view.flag("security.ssl.rest.enabled", false);
    let key = "kubernetes.rest-service.exposed.type";
    if matches!(view.rest_service_type.as_str(), "LoadBalancer" | "NodePort") && !rest_tls {
        found.push(
            at_config(view.parsed, Code::RestExposed, key, format!("`{key}: {}` exposes Flink's REST API outside the cluster without TLS; it runs jobs, and on a session cluster accepts jar uploads", view.rest_service_type))
                .with_hint("keep the REST Service ClusterIP and reach it through an authenticating proxy, or enable `security.ssl.rest.enabled`"),
        );
    }
    if let Some(IngressRead::Target(target)) = &view.ingress
        && target.tls.is_empty()
    {
        found.push(
            at(view.parsed, Code::RestExposed, "spec.ingress", "the Ingress exposes Flink's REST API without TLS; it runs jobs, and on a session cluster accepts jar uploads")
                .with_hint("add spec.ingress.tls, and authentication at the Ingress controller"),
        );
    }
    found
}

/// The one capability the restricted profile lets a container add.
const ALLOWED_CAPABILITY: &str = "NET_BIND_SERVICE";
/// The volume types the restricted profile allows.
const ALLOWED_VOLUMES: [&str; 8] =
    ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

/// Ours, after the Pod Security Standards' restricted profile (kubernetes.io/docs/concepts/
/// security/pod-security-standards), which includes the baseline: flink-render turns privilege
/// escalation off and drops every capability on every container where the template leaves them
/// unset, and runs pods as uid 9999; a template that asks for privilege, privilege escalation,
/// added capabilities, root, the node's namespaces, files or ports, or another volume type
/// keeps it, and a namespace that enforces the profile rejects the pod: each such field is
/// named with the rule it breaks.
pub fn restricted_profile(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    if view.flag("kubernetes.hostnetwork.enabled", false) {
        found.push((
            "spec.flinkConfiguration.\"kubernetes.hostnetwork.enabled\"".to_string(),
            "the pod uses the node's network".to_string(),
            "Host Namespaces",
        ));
    }
    for (layer, template) in layers(view.spec) {
        let template = as_template(template);
        pod_findings(layer, &template, &mut found);
        for list in ["initContainers", "containers"] {
            let containers = template.pointer(&format!("/spec/{list}")).and_then(Value::as_array);
            for (index, container) in containers.into_iter().flatten().enumerate() {
                container_findings(&format!("{layer}.spec.{list}[{index}]"), container, &mut found);
            }
        }
    }
    found
        .into_iter()
        .map(|(path, what, rule)| {
            at(view.parsed, Code::RestrictedProfile, &path, format!("{what}, which the restricted Pod Security Standard forbids ({rule}): a namespace that enforces it rejects the pod"))
                .with_hint("drop the field unless the container needs it; flink-render keeps what the template says")
        })
        .collect()
}

/// A field the restricted profile forbids: its path, what it does, and the profile's rule.
type Finding = (String, String, &'static str);

/// What a pod template sets for the whole pod: a security context that runs as root, the
/// node's namespaces, and volumes of a type the profile forbids.
fn pod_findings(layer: &str, template: &Value, found: &mut Vec<Finding>) {
    root(template.pointer("/spec/securityContext"), &format!("{layer}.spec.securityContext"), "the pod", found);
    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        if template.pointer(&format!("/spec/{key}")) == Some(&Value::Bool(true)) {
            found.push((format!("{layer}.spec.{key}"), format!("the pod sets {key}"), "Host Namespaces"));
        }
    }
    let volumes = template.pointer("/spec/volumes").and_then(Value::as_array);
    for (index, volume) in volumes.into_iter().flatten().enumerate() {
        let name = volume.get("name").and_then(Value::as_str).unwrap_or_default();
        let kinds = volume.as_object().into_iter().flat_map(|fields| fields.keys()).filter(|key| *key != "name");
        for kind in kinds {
            let path = format!("{layer}.spec.volumes[{index}].{kind}");
            if kind == "hostPath" {
                found.push((path, format!("the pod mounts the node's files as volume `{name}`"), "HostPath Volumes"));
            } else if !ALLOWED_VOLUMES.contains(&kind.as_str()) {
                found.push((path, format!("the pod has volume `{name}` of type `{kind}`"), "Volume Types"));
            }
        }
    }
}

/// What one container at `at` sets: privilege, privilege escalation, capabilities beyond the
/// one the profile allows, ports on the node, and a security context that runs as root.
fn container_findings(at: &str, container: &Value, found: &mut Vec<Finding>) {
    let name = container.get("name").and_then(Value::as_str).unwrap_or_default();
    let who = format!("container `{name}`");
    let path = format!("{at}.securityContext");
    let context = container.get("securityContext");
    let field = |key: &str| context.and_then(|context| context.get(key));
    if field("privileged") == Some(&Value::Bool(true)) {
        found.push((format!("{path}.privileged"), format!("{who} is privileged"), "Privileged Containers"));
    }
    if field("allowPrivilegeEscalation") == Some(&Value::Bool(true)) {
        found.push((
            format!("{path}.allowPrivilegeEscalation"),
            format!("{who} allows privilege escalation"),
            "Privilege Escalation",
        ));
    }
    let added = context.and_then(|context| context.pointer("/capabilities/add")).and_then(Value::as_array);
    let extra: Vec<&str> =
        added.into_iter().flatten().filter_map(Value::as_str).filter(|cap| *cap != ALLOWED_CAPABILITY).collect();
    if !extra.is_empty() {
        found.push((format!("{path}.capabilities.add"), format!("{who} adds {}", extra.join(", ")), "Capabilities"));
    }
    let ports = container.get("ports").and_then(Value::as_array);
    for (port, spec) in ports.into_iter().flatten().enumerate() {
        if spec.get("hostPort").and_then(Value::as_i64).is_some_and(|host| host != 0) {
            found.push((
                format!("{at}.ports[{port}].hostPort"),
                format!("{who} opens a port on the node"),
                "Host Ports",
            ));
        }
    }
    root(context, &path, &who, found);
}

/// A security context that runs as root: `runAsUser: 0` or `runAsNonRoot: false`.
fn root(context: Option<&Value>, path: &str, who: &str, found: &mut Vec<Finding>) {
    let Some(context) = context else { return };
    if context.get("runAsUser").and_then(Value::as_i64) == Some(0) {
        found.push((format!("{path}.runAsUser"), format!("{who} runs as root"), "Running as Non-root user"));
    }
    if context.get("runAsNonRoot") == Some(&Value::Bool(false)) {
        found.push((format!("{path}.runAsNonRoot"), format!("{who} may run as root"), "Running as Non-root"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_are_recognised() {
        for key in [
            "s3.access-key",
            "s3.secret-key",
            "security.ssl.rest.keystore-password",
            "fs.azure.account.key.x",
            "my.token",
        ] {
            assert!(looks_like_a_secret(key), "{key}");
        }
        for key in ["security.ssl.rest.keystore", "pipeline.name", "kubernetes.secrets", "keyed.state"] {
            assert!(!looks_like_a_secret(key), "{key}");
        }
    }
}
