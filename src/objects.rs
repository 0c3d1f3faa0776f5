//! What identifies a Kubernetes object in a rendering ([`ObjectKey`]: kind, namespace,
//! name), and the names of the objects a Flink cluster `N` becomes (FO §4.3): the one place
//! both the emitters and the duplicate check take them from.

use std::fmt;

use serde_json::Value;

/// What identifies an object: two objects with the same key overwrite each other on apply.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    /// `kind`.
    pub kind: String,
    /// `metadata.namespace`, empty when unset.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
}

impl ObjectKey {
    /// A key from its parts.
    pub fn new(kind: &str, namespace: Option<&str>, name: impl Into<String>) -> ObjectKey {
        ObjectKey { kind: kind.to_string(), namespace: namespace.unwrap_or_default().to_string(), name: name.into() }
    }

    /// The key of an object.
    pub fn of(object: &Value) -> ObjectKey {
        let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str).unwrap_or_default().to_string();
        ObjectKey { kind: text("/kind"), namespace: text("/metadata/namespace"), name: text("/metadata/name") }
    }

    /// The stable file name of the object in an `--output-dir`: `<kind>_<name>.yaml` or
    /// `<namespace>_<kind>_<name>.yaml` (Kubernetes names cannot contain `_`, so the names
    /// are unambiguous).
    pub fn file_name(&self) -> String {
        let kind = self.kind.to_lowercase();
        if self.namespace.is_empty() {
            format!("{kind}_{}.yaml", self.name)
        } else {
            format!("{}_{kind}_{}.yaml", self.namespace, self.name)
        }
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(formatter, "{} {}", self.kind, self.name)
        } else {
            write!(formatter, "{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// `flink-config-<name>`: the configuration ConfigMap.
pub fn config_map_name(cluster: &str) -> String {
    format!("flink-config-{cluster}")
}

/// `<name>-rest`: the REST Service.
pub fn rest_service_name(cluster: &str) -> String {
    format!("{cluster}-rest")
}

/// `<name>-taskmanager`: the TaskManager Deployment.
pub fn taskmanager_name(cluster: &str) -> String {
    format!("{cluster}-taskmanager")
}

/// `<name>-ha`: the Role and RoleBinding of Kubernetes HA.
pub fn high_availability_rbac_name(cluster: &str) -> String {
    format!("{cluster}-ha")
}

/// `<cluster-id>-cluster-config-map`: where Flink's Kubernetes HA keeps the leaders and the job
/// graphs (Flink 1.20 and 2.x alike; the cluster id is the cluster's name).
pub fn high_availability_config_map_name(cluster: &str) -> String {
    format!("{cluster}-cluster-config-map")
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub fn is_dns1123_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    let alphanumeric = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes.first().is_some_and(alphanumeric)
        && bytes.last().is_some_and(alphanumeric)
        && bytes.iter().all(|b| alphanumeric(b) || *b == b'-')
}

/// Dot-separated DNS-1123 labels, at most 253 characters.
pub fn is_dns1123_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(is_dns1123_label)
}
