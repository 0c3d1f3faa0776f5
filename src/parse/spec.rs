//! The raw resource types: shaped exactly like the operator's CRD (`flink.apache.org/v1beta1`,
//! FO §1), every field optional, nothing defaulted. Pod templates and `flinkConfiguration`
//! stay untyped JSON so no field is ever dropped (k8s-openapi would silently drop unknown
//! ones). The seed design's spellings (FO §1.6) are accepted here and mapped in `resolve`.
//!
//! The same types describe the accepted input as a JSON Schema ([`crate::schema`]): doc
//! comments become descriptions, and the `schemars` attributes state what serde cannot say
//! (allowed values, free-form objects, required `apiVersion`/`kind`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// `metadata` of a resource. Server-populated fields (uid, resourceVersion, …) are accepted
/// and ignored, as `kubectl get -o yaml` output carries them.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RawMetadata {
    /// The resource name; for a FlinkDeployment also the cluster id and the rendered objects' name.
    pub name: Option<String>,
    /// The namespace; when unset, `--namespace` applies.
    pub namespace: Option<String>,
    /// Labels of the resource.
    pub labels: Option<BTreeMap<String, String>>,
    /// Annotations of the resource.
    pub annotations: Option<BTreeMap<String, String>>,
    /// Set by the API server; when present it is written to the rendered objects.
    pub generation: Option<i64>,
    /// A name prefix the API server completes; a FlinkSessionJob may use it instead of `name`.
    pub generate_name: Option<String>,
}

impl RawMetadata {
    /// The name for messages: `name`, else `generateName` followed by `…`, else empty.
    pub fn display_name(&self) -> String {
        match (&self.name, &self.generate_name) {
            (Some(name), _) => name.clone(),
            (None, Some(prefix)) => format!("{prefix}…"),
            (None, None) => String::new(),
        }
    }
}

/// A `FlinkDeployment` as written by the user.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawFlinkDeployment {
    /// Always `flink.apache.org/v1beta1`.
    #[schemars(required, extend("enum" = ["flink.apache.org/v1beta1"]))]
    pub api_version: Option<String>,
    /// Always `FlinkDeployment`.
    #[schemars(required, extend("enum" = ["FlinkDeployment"]))]
    pub kind: Option<String>,
    /// Standard object metadata; `name` is the Flink cluster id.
    #[serde(default)]
    pub metadata: RawMetadata,
    /// The Flink cluster and, for an application cluster, its job.
    pub spec: Option<RawDeploymentSpec>,
    /// Written by the operator; ignored.
    #[schemars(with = "Option<FreeFormObject>")]
    pub status: Option<serde_json::Value>,
}

/// `FlinkDeployment.spec` (FO §1.2).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawDeploymentSpec {
    /// The job of an application cluster; leave it out for a session cluster.
    pub job: Option<RawJobSpec>,
    /// Change it to restart the cluster without any other change.
    pub restart_nonce: Option<i64>,
    /// Flink configuration, flat (`a.b.c: v`) or nested (`a: {b: {c: v}}`).
    #[schemars(with = "Option<FreeFormObject>")]
    pub flink_configuration: Option<serde_json::Value>,
    /// The Flink image; defaults to `flink:<major>.<minor>` of `flinkVersion`.
    pub image: Option<String>,
    /// The image pull policy of the Flink containers.
    #[schemars(extend("enum" = ["Always", "IfNotPresent", "Never", null]))]
    pub image_pull_policy: Option<String>,
    /// The service account of the JobManager and TaskManager pods.
    pub service_account: Option<String>,
    /// The Flink version of the image.
    #[schemars(extend("enum" = ["v1_13", "v1_14", "v1_15", "v1_16", "v1_17", "v1_18", "v1_19", "v1_20", "v2_0", "v2_1", "v2_2", "v2_3", "v2_4", null]))]
    pub flink_version: Option<String>,
    /// An Ingress for the REST endpoint.
    pub ingress: Option<RawIngressSpec>,
    /// A pod template for JobManager and TaskManager pods (a Kubernetes `PodTemplateSpec`).
    #[schemars(with = "Option<FreeFormObject>")]
    pub pod_template: Option<serde_json::Value>,
    /// JobManager resources, replicas and pod template.
    pub job_manager: Option<RawJobManagerSpec>,
    /// TaskManager resources, replicas and pod template.
    pub task_manager: Option<RawTaskManagerSpec>,
    /// Log configuration files by name (`log4j-console.properties`, `logback-console.xml`).
    pub log_configuration: Option<BTreeMap<String, String>>,
    /// The deployment mode; flink-render always renders `standalone`.
    #[schemars(extend("enum" = ["native", "standalone", null]))]
    pub mode: Option<String>,
    /// Deprecated FLIP-212 spelling of `logConfiguration`.
    pub logging: Option<BTreeMap<String, String>>,
}

/// `JobSpec` (FO §1.3), shared with `FlinkSessionJob`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawJobSpec {
    /// The job jar, with a scheme (`local:///opt/flink/usrlib/job.jar`, `https://…`).
    #[serde(rename = "jarURI")]
    pub jar_uri: Option<String>,
    /// The job parallelism.
    pub parallelism: Option<i64>,
    /// The job's main class.
    pub entry_class: Option<String>,
    /// Arguments of the job's main method.
    pub args: Option<Vec<String>>,
    /// The desired job state.
    #[schemars(extend("enum" = ["running", "suspended", null]))]
    pub state: Option<String>,
    /// Change it to take a savepoint.
    pub savepoint_trigger_nonce: Option<i64>,
    /// The savepoint to start the job from the first time.
    pub initial_savepoint_path: Option<String>,
    /// Change it to take a checkpoint.
    pub checkpoint_trigger_nonce: Option<i64>,
    /// How the job is upgraded when the spec changes.
    #[schemars(extend("enum" = ["stateless", "savepoint", "last-state", null]))]
    pub upgrade_mode: Option<String>,
    /// Allow restoring from a savepoint that holds state no operator of the job reads.
    pub allow_non_restored_state: Option<bool>,
    /// Change it, together with `initialSavepointPath`, to redeploy from that savepoint.
    pub savepoint_redeploy_nonce: Option<i64>,
    /// Change it to reset the autoscaler.
    pub autoscaler_reset_nonce: Option<i64>,
    /// Deprecated FLIP-212 spelling of `upgradeMode` (`none` means `stateless`).
    #[schemars(extend("enum" = ["savepoint", "none", null]))]
    pub cancel_mode: Option<String>,
    /// Deprecated FLIP-212 spelling of `upgradeMode` (`none` means `stateless`).
    #[schemars(extend("enum" = ["savepoint", "last-state", "none", null]))]
    pub restore_mode: Option<String>,
}

/// The deprecated `resource` block (FO §1.4).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawResource {
    /// CPU cores.
    pub cpu: Option<f64>,
    /// Memory: a Flink memory size (`2g`, `2048m`) or a Kubernetes quantity (`2Gi`).
    pub memory: Option<String>,
    /// Ephemeral storage, a Kubernetes quantity.
    pub ephemeral_storage: Option<String>,
}

/// Kubernetes `ResourceRequirements` (the new `resources` block, FO §1.4).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawResourceRequirements {
    /// Requested resources (`cpu`, `memory`, `ephemeral-storage`, …).
    pub requests: Option<BTreeMap<String, QuantityText>>,
    /// Resource limits; cpu and memory limits set Flink's limit factors.
    pub limits: Option<BTreeMap<String, QuantityText>>,
    /// Resource claims, passed to the main container as they are.
    #[schemars(with = "Option<FreeFormList>")]
    pub claims: Option<serde_json::Value>,
}

/// `jobManager` (FO §1.4).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawJobManagerSpec {
    /// Deprecated: CPU and memory; prefer `resources`.
    pub resource: Option<RawResource>,
    /// Kubernetes resource requests and limits.
    pub resources: Option<RawResourceRequirements>,
    /// Number of pods.
    pub replicas: Option<i64>,
    /// A pod template merged over the common `spec.podTemplate`.
    #[schemars(with = "Option<FreeFormObject>")]
    pub pod_template: Option<serde_json::Value>,
}

/// `taskManager` (FO §1.4).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawTaskManagerSpec {
    /// Deprecated: CPU and memory; prefer `resources`.
    pub resource: Option<RawResource>,
    /// Kubernetes resource requests and limits.
    pub resources: Option<RawResourceRequirements>,
    /// Number of pods.
    pub replicas: Option<i64>,
    /// A pod template merged over the common `spec.podTemplate`.
    #[schemars(with = "Option<FreeFormObject>")]
    pub pod_template: Option<serde_json::Value>,
    /// Deprecated FLIP-212 spelling of `taskmanager.numberOfTaskSlots` in `flinkConfiguration`.
    pub task_slots: Option<i64>,
}

/// `ingress` (FO §1.2, §4.6).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawIngressSpec {
    /// Host and path template, e.g. `{{name}}.{{namespace}}.example.com` or `/{{namespace}}/{{name}}(/|$)(.*)`.
    pub template: Option<String>,
    /// The IngressClass.
    pub class_name: Option<String>,
    /// Annotations of the Ingress.
    pub annotations: Option<BTreeMap<String, String>>,
    /// Labels of the Ingress.
    pub labels: Option<BTreeMap<String, String>>,
    /// TLS settings, passed to the Ingress as written.
    pub tls: Option<Vec<RawIngressTls>>,
}

/// One `ingress.tls` entry.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawIngressTls {
    /// Hosts covered by the certificate.
    pub hosts: Option<Vec<String>>,
    /// The Secret holding the certificate.
    pub secret_name: Option<String>,
}

/// A `FlinkSessionJob` as written by the user (FO §1.5).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawFlinkSessionJob {
    /// Always `flink.apache.org/v1beta1`.
    #[schemars(required, extend("enum" = ["flink.apache.org/v1beta1"]))]
    pub api_version: Option<String>,
    /// Always `FlinkSessionJob`.
    #[schemars(required, extend("enum" = ["FlinkSessionJob"]))]
    pub kind: Option<String>,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: RawMetadata,
    /// The job to run on a session cluster.
    pub spec: Option<RawSessionJobSpec>,
    /// Written by the operator; ignored.
    #[schemars(with = "Option<FreeFormObject>")]
    pub status: Option<serde_json::Value>,
}

/// `FlinkSessionJob.spec`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawSessionJobSpec {
    /// The session cluster: the name of its FlinkDeployment.
    pub deployment_name: Option<String>,
    /// The job to submit.
    pub job: Option<RawJobSpec>,
    /// Change it to restart the job without any other change.
    pub restart_nonce: Option<i64>,
    /// Flink configuration of the job.
    #[schemars(with = "Option<FreeFormObject>")]
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

/// Kubernetes' int-or-string, as quantities are in the API (`x-kubernetes-int-or-string`).
impl JsonSchema for QuantityText {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Quantity".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A Kubernetes quantity: an integer or a string such as \"500m\" or \"2Gi\".",
            "anyOf": [{ "type": "integer" }, { "type": "string" }],
            "x-kubernetes-int-or-string": true,
        })
    }
}

/// A free-form object whose fields are kept as written (`podTemplate`,
/// `flinkConfiguration`, `status`): `type: object` + `x-kubernetes-preserve-unknown-fields`.
pub struct FreeFormObject;

impl JsonSchema for FreeFormObject {
    fn schema_name() -> Cow<'static, str> {
        "FreeFormObject".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_generator: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "object", "x-kubernetes-preserve-unknown-fields": true })
    }
}

/// A list of free-form objects (`resources.claims`).
pub struct FreeFormList;

impl JsonSchema for FreeFormList {
    fn schema_name() -> Cow<'static, str> {
        "FreeFormList".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "array", "items": generator.subschema_for::<FreeFormObject>() })
    }
}
