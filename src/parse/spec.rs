//! The raw resource types: shaped exactly like the operator's CRD (`flink.apache.org/v1beta1`,
//! FO §1), every field optional, nothing defaulted. Pod templates and `flinkConfiguration`
//! stay untyped JSON so no field is ever dropped (k8s-openapi would silently drop unknown
//! ones). The seed design's spellings (FO §1.6) are accepted here and mapped in `resolve`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// `metadata` of a resource. Server-populated fields (uid, resourceVersion, …) are accepted
/// and ignored, as `kubectl get -o yaml` output carries them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawMetadata {
    /// `metadata.name`: the Flink cluster id.
    pub name: Option<String>,
    /// `metadata.namespace`.
    pub namespace: Option<String>,
    /// `metadata.labels`.
    pub labels: Option<BTreeMap<String, String>>,
    /// `metadata.annotations`.
    pub annotations: Option<BTreeMap<String, String>>,
    /// `metadata.generation`, when the spec was exported from a cluster.
    pub generation: Option<i64>,
}

/// A `FlinkDeployment` as written by the user.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawFlinkDeployment {
    /// `apiVersion`.
    pub api_version: Option<String>,
    /// `kind`.
    pub kind: Option<String>,
    /// `metadata`.
    #[serde(default)]
    pub metadata: RawMetadata,
    /// `spec`.
    pub spec: Option<RawDeploymentSpec>,
    /// `status`: ignored (it is the operator's, not the user's).
    pub status: Option<serde_json::Value>,
}

/// `FlinkDeployment.spec` (FO §1.2).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawDeploymentSpec {
    /// `job`: present for application clusters, absent for session clusters.
    pub job: Option<RawJobSpec>,
    /// `restartNonce`.
    pub restart_nonce: Option<i64>,
    /// `flinkConfiguration`: flat or nested; flattened from the document tree in `resolve`.
    pub flink_configuration: Option<serde_json::Value>,
    /// `image`.
    pub image: Option<String>,
    /// `imagePullPolicy`.
    pub image_pull_policy: Option<String>,
    /// `serviceAccount`.
    pub service_account: Option<String>,
    /// `flinkVersion`, e.g. `v1_20`.
    pub flink_version: Option<String>,
    /// `ingress`.
    pub ingress: Option<RawIngressSpec>,
    /// `podTemplate`: the common pod template.
    pub pod_template: Option<serde_json::Value>,
    /// `jobManager`.
    pub job_manager: Option<RawJobManagerSpec>,
    /// `taskManager`.
    pub task_manager: Option<RawTaskManagerSpec>,
    /// `logConfiguration`: file name → content.
    pub log_configuration: Option<BTreeMap<String, String>>,
    /// `mode`: `native` or `standalone`.
    pub mode: Option<String>,
    /// Seed spelling of `logConfiguration` (FLIP-212).
    pub logging: Option<BTreeMap<String, String>>,
}

/// `JobSpec` (FO §1.3), shared with `FlinkSessionJob`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawJobSpec {
    /// `jarURI`.
    #[serde(rename = "jarURI")]
    pub jar_uri: Option<String>,
    /// `parallelism`.
    pub parallelism: Option<i64>,
    /// `entryClass`.
    pub entry_class: Option<String>,
    /// `args`.
    pub args: Option<Vec<String>>,
    /// `state`: `running` or `suspended`.
    pub state: Option<String>,
    /// `savepointTriggerNonce`.
    pub savepoint_trigger_nonce: Option<i64>,
    /// `initialSavepointPath`.
    pub initial_savepoint_path: Option<String>,
    /// `checkpointTriggerNonce`.
    pub checkpoint_trigger_nonce: Option<i64>,
    /// `upgradeMode`: `stateless`, `savepoint` or `last-state`.
    pub upgrade_mode: Option<String>,
    /// `allowNonRestoredState`.
    pub allow_non_restored_state: Option<bool>,
    /// `savepointRedeployNonce`.
    pub savepoint_redeploy_nonce: Option<i64>,
    /// `autoscalerResetNonce`.
    pub autoscaler_reset_nonce: Option<i64>,
    /// Seed spelling: `savepoint` or `none` (FO §1.6).
    pub cancel_mode: Option<String>,
    /// Seed spelling: `savepoint`, `last-state` or `none` (FO §1.6).
    pub restore_mode: Option<String>,
}

/// The deprecated `resource` block (FO §1.4).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawResource {
    /// `cpu` as a number of cores.
    pub cpu: Option<f64>,
    /// `memory`, a Flink memory string or a Kubernetes quantity.
    pub memory: Option<String>,
    /// `ephemeralStorage`, a Kubernetes quantity.
    pub ephemeral_storage: Option<String>,
}

/// Kubernetes `ResourceRequirements` (the new `resources` block, FO §1.4).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawResourceRequirements {
    /// `requests`.
    pub requests: Option<BTreeMap<String, QuantityText>>,
    /// `limits`.
    pub limits: Option<BTreeMap<String, QuantityText>>,
    /// `claims`: passed to the main container as they are.
    pub claims: Option<serde_json::Value>,
}

/// `jobManager` (FO §1.4).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawJobManagerSpec {
    /// Deprecated `resource`.
    pub resource: Option<RawResource>,
    /// `resources`.
    pub resources: Option<RawResourceRequirements>,
    /// `replicas`.
    pub replicas: Option<i64>,
    /// `podTemplate`.
    pub pod_template: Option<serde_json::Value>,
}

/// `taskManager` (FO §1.4).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawTaskManagerSpec {
    /// Deprecated `resource`.
    pub resource: Option<RawResource>,
    /// `resources`.
    pub resources: Option<RawResourceRequirements>,
    /// `replicas`.
    pub replicas: Option<i64>,
    /// `podTemplate`.
    pub pod_template: Option<serde_json::Value>,
    /// Seed spelling of `taskmanager.numberOfTaskSlots` (FO §1.6).
    pub task_slots: Option<i64>,
}

/// `ingress` (FO §1.2, §4.6).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawIngressSpec {
    /// `template`, e.g. `{{name}}.{{namespace}}.example.com`.
    pub template: Option<String>,
    /// `className`.
    pub class_name: Option<String>,
    /// `annotations`.
    pub annotations: Option<BTreeMap<String, String>>,
    /// `labels`.
    pub labels: Option<BTreeMap<String, String>>,
    /// `tls`, passed through as written.
    pub tls: Option<Vec<RawIngressTls>>,
}

/// One `ingress.tls` entry.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawIngressTls {
    /// `hosts`.
    pub hosts: Option<Vec<String>>,
    /// `secretName`.
    pub secret_name: Option<String>,
}

/// A `FlinkSessionJob` as written by the user (FO §1.5).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawFlinkSessionJob {
    /// `apiVersion`.
    pub api_version: Option<String>,
    /// `kind`.
    pub kind: Option<String>,
    /// `metadata`.
    #[serde(default)]
    pub metadata: RawMetadata,
    /// `spec`.
    pub spec: Option<RawSessionJobSpec>,
    /// `status`: ignored.
    pub status: Option<serde_json::Value>,
}

/// `FlinkSessionJob.spec`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawSessionJobSpec {
    /// `deploymentName`: the session FlinkDeployment.
    pub deployment_name: Option<String>,
    /// `job`.
    pub job: Option<RawJobSpec>,
    /// `restartNonce`.
    pub restart_nonce: Option<i64>,
    /// `flinkConfiguration`.
    pub flink_configuration: Option<serde_json::Value>,
}

/// A Kubernetes quantity as its text: `1`, `0.5`, `500m` and `"2Gi"` all read as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuantityText(pub String);

impl<'de> Deserialize<'de> for QuantityText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct QuantityVisitor;
        impl Visitor<'_> for QuantityVisitor {
            type Value = QuantityText;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a Kubernetes quantity (a number or a string such as \"2Gi\")")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<QuantityText, E> {
                Ok(QuantityText(text.to_string()))
            }
            fn visit_i64<E: de::Error>(self, number: i64) -> Result<QuantityText, E> {
                Ok(QuantityText(number.to_string()))
            }
            fn visit_u64<E: de::Error>(self, number: u64) -> Result<QuantityText, E> {
                Ok(QuantityText(number.to_string()))
            }
            fn visit_f64<E: de::Error>(self, number: f64) -> Result<QuantityText, E> {
                Ok(QuantityText(number.to_string()))
            }
        }
        deserializer.deserialize_any(QuantityVisitor)
    }
}
