//! Stage 2, **effective view**: each resource read once into what every later stage needs:
//! name, namespace, Flink version, upgrade mode, job state, resources, ports, and the
//! configuration with the operator defaults layered in and the builder's keys derived, with
//! where each key was written ([`config::Origin`]). Values that cannot be read are kept as
//! data (an unreadable memory string, a port range, an unknown enum value) for `validate`
//! to report; nothing here reports, and nothing here is rendered.

pub mod cluster;
pub mod config;
pub mod ingress;
pub mod job;
pub mod job_id;
pub mod operator;
pub mod ports;
pub mod resources;
pub mod session_job;

use serde_json::Value;

use crate::parse::defaults::OperatorDefaults;
use crate::parse::{ParsedDeployment, ParsedSessionJob};
use operator::JarUriPolicy;

pub use cluster::ClusterView;
pub use session_job::SessionJobView;

/// Settings that do not come from the spec.
#[derive(Debug, Clone)]
pub struct Settings<'a> {
    /// Namespace for resources that do not set `metadata.namespace`.
    pub namespace: Option<&'a str>,
    /// The operator-defaults profile.
    pub defaults: &'a OperatorDefaults,
    /// The session-job artifact policy, from the operator defaults.
    pub jar_uri_policy: JarUriPolicy,
}

impl<'a> Settings<'a> {
    /// Settings for a compile; operator-level settings are read from `defaults` once.
    pub fn new(namespace: Option<&'a str>, defaults: &'a OperatorDefaults) -> Settings<'a> {
        Settings { namespace, defaults, jar_uri_policy: operator::jar_uri_policy(defaults) }
    }
}

/// A FlinkDeployment as the later stages see it.
#[derive(Debug, Clone)]
pub enum DeploymentView<'a> {
    /// No spec: the operator's health canary, which renders to nothing.
    Canary(&'a ParsedDeployment),
    /// A Flink cluster.
    Cluster(Box<ClusterView<'a>>),
}

/// The view of one FlinkDeployment.
pub fn deployment<'a>(parsed: &'a ParsedDeployment, settings: &Settings<'a>) -> DeploymentView<'a> {
    match &parsed.raw.spec {
        None => DeploymentView::Canary(parsed),
        Some(spec) => DeploymentView::Cluster(Box::new(cluster::build(parsed, spec, settings))),
    }
}

/// The view of one FlinkSessionJob, against the clusters of all inputs.
pub fn session_job<'a>(
    parsed: &'a ParsedSessionJob,
    settings: &Settings<'a>,
    clusters: &[&'a ClusterView<'a>],
) -> SessionJobView<'a> {
    session_job::build(parsed, settings.namespace, clusters)
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
