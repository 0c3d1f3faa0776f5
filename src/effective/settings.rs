//! The settings of a compile that do not come from any spec: the namespace for resources
//! without one, the operator defaults, the operator-level settings read from them once, and
//! what Helm does with hooks; and how objects of other kinds pass through.

use serde_json::Value;

use crate::parse::defaults::OperatorDefaults;

use super::helm::HelmHooks;
use super::mode::DeploymentMode;
use super::operator::{self, JarUriPolicy};

/// Settings that do not come from the spec.
#[derive(Debug, Clone)]
pub struct Settings<'a> {
    /// Namespace for resources that do not set `metadata.namespace`.
    pub namespace: Option<&'a str>,
    /// The operator-defaults profile.
    pub defaults: &'a OperatorDefaults,
    /// The session-job artifact policy, from the operator defaults.
    pub jar_uri_policy: JarUriPolicy,
    /// What Helm does with the lifecycle Jobs' hook annotations.
    pub helm_hooks: HelmHooks,
    /// How a FlinkDeployment without `spec.mode` is rendered: native, as the operator deploys
    /// it, unless the platform wants every pod declared.
    pub omitted_mode: DeploymentMode,
    /// Whether the effective configuration records where each key comes from (`explain`); off,
    /// no origin is built.
    pub provenance: bool,
}

impl<'a> Settings<'a> {
    /// Settings for a compile; operator-level settings are read from `defaults` once. Helm's
    /// hooks run ([`HelmHooks::Run`]) and an omitted mode is native unless set otherwise.
    pub fn new(namespace: Option<&'a str>, defaults: &'a OperatorDefaults) -> Settings<'a> {
        let jar_uri_policy = operator::jar_uri_policy(defaults);
        Settings {
            namespace,
            defaults,
            jar_uri_policy,
            helm_hooks: HelmHooks::Run,
            omitted_mode: DeploymentMode::Native,
            provenance: false,
        }
    }
}

/// Built-in kinds that have no namespace: the compile's namespace is not added to them when
/// they pass through.
const CLUSTER_SCOPED_KINDS: [&str; 14] = [
    "Namespace",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "CSIDriver",
    "APIService",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
];

/// An object of another kind as it passes through: unchanged, but for the compile's
/// namespace on namespaced kinds that have none.
pub fn passthrough(mut object: Value, settings: &Settings<'_>) -> Value {
    let namespaced = !CLUSTER_SCOPED_KINDS.contains(&object.get("kind").and_then(Value::as_str).unwrap_or_default());
    if let (Some(namespace), Some(metadata), true) =
        (settings.namespace, object.get_mut("metadata").and_then(Value::as_object_mut), namespaced)
    {
        metadata.entry("namespace").or_insert_with(|| Value::String(namespace.into()));
    }
    object
}
