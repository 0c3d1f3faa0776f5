//! The accepted input as a JSON Schema and as a CustomResourceDefinition, generated with
//! `schemars` from the raw types the parser deserializes into ([`crate::parse::spec`]), so the
//! schema cannot drift from what `render` accepts.
//!
//! - [`json_schema`]: JSON Schema draft-07 (what editors and `check-jsonschema` read), every
//!   subschema inline. Unknown fields are rejected (`additionalProperties: false`), as the parser
//!   rejects them; `podTemplate`, `flinkConfiguration` and `status` are free-form objects;
//!   quantities are int-or-string; the deprecated FLIP-212 spellings are accepted.
//! - [`crd`]: an `apiextensions.k8s.io/v1` CustomResourceDefinition whose `openAPIV3Schema` is
//!   *structural* in the Kubernetes sense: no `$ref`, a `type` on every node, `nullable`
//!   instead of `null` types, `anyOf` only for int-or-string, no `additionalProperties: false`
//!   (the API server prunes unknown fields instead of rejecting them), and `metadata` left to
//!   the API server.

use schemars::generate::SchemaSettings;

use serde_json::{Value, json};

use crate::parse::FLINK_API_VERSION;
use crate::parse::spec::{RawFlinkDeployment, RawFlinkSessionJob};

/// The group of the operator's resources.
pub const GROUP: &str = "flink.apache.org";

/// A resource kind flink-render reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `FlinkDeployment`: a Flink cluster.
    FlinkDeployment,
    /// `FlinkSessionJob`: a job on a session cluster.
    FlinkSessionJob,
}

impl Kind {
    /// Both kinds, in the order the operator documents them.
    pub const ALL: [Kind; 2] = [Kind::FlinkDeployment, Kind::FlinkSessionJob];

    /// The `kind` value.
    pub fn name(self) -> &'static str {
        match self {
            Kind::FlinkDeployment => "FlinkDeployment",
            Kind::FlinkSessionJob => "FlinkSessionJob",
        }
    }

    /// The CRD's plural resource name.
    pub fn plural(self) -> &'static str {
        match self {
            Kind::FlinkDeployment => "flinkdeployments",
            Kind::FlinkSessionJob => "flinksessionjobs",
        }
    }

    /// The CRD's short names, as upstream declares them.
    fn short_names(self) -> &'static [&'static str] {
        match self {
            Kind::FlinkDeployment => &["flinkdep"],
            Kind::FlinkSessionJob => &["sessionjob"],
        }
    }
}

/// The JSON Schema (draft-07) of one input document of `kind`.
pub fn json_schema(kind: Kind) -> Value {
    let mut settings = SchemaSettings::draft07();
    settings.inline_subschemas = true;
    let mut generator = settings.into_generator();
    let schema = match kind {
        Kind::FlinkDeployment => generator.root_schema_for::<RawFlinkDeployment>(),
        Kind::FlinkSessionJob => generator.root_schema_for::<RawFlinkSessionJob>(),
    };
    let mut schema = schema.to_value();
    if let Some(root) = schema.as_object_mut() {
        root.insert("title".into(), Value::String(kind.name().into()));
        root.insert(
            "description".into(),
            Value::String(format!(
                "A {} ({FLINK_API_VERSION}) as flink-render reads it: the Flink Kubernetes Operator's \
                 CRD, with unknown fields rejected and the deprecated FLIP-212 spellings accepted.",
                kind.name()
            )),
        );
    }
    schema
}

/// The CustomResourceDefinition of `kind`, with a structural `openAPIV3Schema` derived from
/// [`json_schema`]. Names, scope, subresources and printer columns are the operator's.
pub fn crd(kind: Kind) -> Value {
    let mut schema = json_schema(kind);
    make_structural(&mut schema);
    if let Some(root) = schema.as_object_mut() {
        root.remove("$schema");
        root.remove("title");
        root.remove("required");
        root.insert(
            "description".into(),
            Value::String(format!(
                "A {} as flink-render reads it: the operator's fields and the deprecated FLIP-212 \
                 spellings. The API server prunes unknown fields; flink-render rejects them.",
                kind.name()
            )),
        );
        let properties = root.entry("properties").or_insert_with(|| json!({}));
        properties["apiVersion"] = json!({ "type": "string", "description": format!("Always `{FLINK_API_VERSION}`.") });
        properties["kind"] = json!({ "type": "string", "description": format!("Always `{}`.", kind.name()) });
        properties["metadata"] = json!({ "type": "object" });
    }
    let mut subresources = json!({ "status": {} });
    if kind == Kind::FlinkDeployment {
        subresources["scale"] = json!({
            "labelSelectorPath": ".status.taskManager.labelSelector",
            "specReplicasPath": ".spec.taskManager.replicas",
            "statusReplicasPath": ".status.taskManager.replicas",
        });
    }
    let (_, version) = FLINK_API_VERSION.split_once('/').expect("the API version has a group");
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": { "name": format!("{}.{GROUP}", kind.plural()) },
        "spec": {
            "group": GROUP,
            "names": {
                "kind": kind.name(),
                "plural": kind.plural(),
                "shortNames": kind.short_names(),
                "singular": kind.name().to_lowercase(),
            },
            "scope": "Namespaced",
            "versions": [{
                "name": version,
                "served": true,
                "storage": true,
                "additionalPrinterColumns": [
                    { "jsonPath": ".status.jobStatus.state", "name": "Job Status", "type": "string" },
                    { "jsonPath": ".status.lifecycleState", "name": "Lifecycle State", "type": "string" },
                ],
                "schema": { "openAPIV3Schema": schema },
                "subresources": subresources,
            }],
        },
    })
}

/// Rewrite a JSON Schema node by node into a structural OpenAPI v3 schema:
/// `type: [T, "null"]` → `type: T` + `nullable: true`; `additionalProperties: false` is
/// dropped (Kubernetes forbids it and prunes unknown fields instead).
fn make_structural(node: &mut Value) {
    let Some(object) = node.as_object_mut() else { return };
    if let Some(Value::Array(types)) = object.get("type") {
        let nullable = types.iter().any(|t| t == "null");
        let rest: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        if let [single] = rest.as_slice() {
            let single = single.clone();
            object.insert("type".into(), single);
            if nullable {
                object.insert("nullable".into(), Value::Bool(true));
            }
        }
    }
    if object.get("additionalProperties") == Some(&Value::Bool(false)) {
        object.remove("additionalProperties");
    }
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        properties.values_mut().for_each(make_structural);
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = object.get_mut(key) {
            make_structural(child);
        }
    }
    if let Some(Value::Array(branches)) = object.get_mut("anyOf") {
        branches.iter_mut().for_each(make_structural);
    }
}

/// Problems that make `schema` non-structural, each as `path: problem`; empty when the
/// schema is structural. The rules are those of the Kubernetes API server for CRDs
/// (`apiextensions.k8s.io/v1`, "Specifying a structural schema").
pub fn structural_problems(schema: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    check_structural(schema, "openAPIV3Schema", &mut problems);
    problems
}

fn check_structural(node: &Value, path: &str, problems: &mut Vec<String>) {
    let Some(object) = node.as_object() else {
        problems.push(format!("{path}: a schema must be an object"));
        return;
    };
    let extension = |key: &str| object.get(key) == Some(&Value::Bool(true));
    let int_or_string = extension("x-kubernetes-int-or-string");
    match object.get("type") {
        Some(Value::String(_)) => {}
        Some(other) => problems.push(format!("{path}: type must be one string, not {other}")),
        None if int_or_string || extension("x-kubernetes-preserve-unknown-fields") => {}
        None => problems.push(format!("{path}: every node needs a type")),
    }
    for forbidden in ["$ref", "$schema", "definitions", "$defs", "oneOf", "allOf", "not", "const"] {
        if object.contains_key(forbidden) {
            problems.push(format!("{path}: `{forbidden}` is not allowed"));
        }
    }
    if object.get("additionalProperties") == Some(&Value::Bool(false)) {
        problems.push(format!("{path}: additionalProperties cannot be false"));
    }
    if object.contains_key("additionalProperties") && object.contains_key("properties") {
        problems.push(format!("{path}: properties and additionalProperties are mutually exclusive"));
    }
    if let Some(any_of) = object.get("anyOf") {
        let int_or_string_branches = json!([{ "type": "integer" }, { "type": "string" }]);
        if !int_or_string || *any_of != int_or_string_branches {
            problems.push(format!("{path}: anyOf is only allowed as x-kubernetes-int-or-string"));
        }
    }
    if let Some(Value::Object(children)) = object.get("properties") {
        for (name, child) in children {
            check_structural(child, &format!("{path}.properties.{name}"), problems);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child @ Value::Object(_)) = object.get(key) {
            check_structural(child, &format!("{path}.{key}"), problems);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every property path of a schema (`spec.job.upgradeMode`).
    fn property_paths(schema: &Value) -> Vec<String> {
        fn walk(node: &Value, prefix: &str, out: &mut Vec<String>) {
            let Some(Value::Object(properties)) = node.get("properties") else { return };
            for (name, child) in properties {
                let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
                out.push(path.clone());
                walk(child, &path, out);
            }
        }
        let mut out = Vec::new();
        walk(schema, "", &mut out);
        out
    }

    #[test]
    fn crd_schemas_are_structural() {
        for kind in Kind::ALL {
            let crd = crd(kind);
            let schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
            assert_eq!(structural_problems(schema), Vec::<String>::new(), "{kind:?}");
        }
    }

    #[test]
    fn structural_check_catches_refs_and_untyped_nodes() {
        let schema = json!({ "type": "object", "properties": {
            "a": { "$ref": "#/definitions/A" },
            "b": { "type": ["string", "null"] },
            "c": { "type": "object", "additionalProperties": false },
        }});
        let problems = structural_problems(&schema);
        assert_eq!(problems.len(), 4, "{problems:?}");
    }

    #[test]
    fn free_form_fields_preserve_unknown_fields() {
        let schema = json_schema(Kind::FlinkDeployment);
        for pointer in [
            "/properties/spec/properties/podTemplate",
            "/properties/spec/properties/flinkConfiguration",
            "/properties/spec/properties/jobManager/properties/podTemplate",
            "/properties/spec/properties/taskManager/properties/podTemplate",
        ] {
            let field = schema.pointer(pointer).unwrap_or_else(|| panic!("{pointer} missing"));
            assert_eq!(field["x-kubernetes-preserve-unknown-fields"], true, "{pointer}");
            assert_eq!(field["type"], json!(["object", "null"]), "{pointer}");
        }
    }

    #[test]
    fn unknown_fields_are_rejected_except_in_metadata() {
        let schema = json_schema(Kind::FlinkDeployment);
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(schema["properties"]["spec"]["additionalProperties"], false);
        assert_eq!(schema["properties"]["spec"]["properties"]["job"]["additionalProperties"], false);
        assert!(schema["properties"]["metadata"].get("additionalProperties").is_none());
    }

    #[test]
    fn seed_spellings_are_accepted() {
        let paths = property_paths(&json_schema(Kind::FlinkDeployment));
        for alias in ["spec.logging", "spec.taskManager.taskSlots", "spec.job.cancelMode", "spec.job.restoreMode"] {
            assert!(paths.iter().any(|path| path == alias), "{alias} missing from {paths:?}");
        }
    }

    #[test]
    fn descriptions_come_from_doc_comments() {
        let schema = json_schema(Kind::FlinkSessionJob);
        assert_eq!(
            schema["properties"]["spec"]["properties"]["deploymentName"]["description"],
            "The session cluster: the name of its FlinkDeployment."
        );
    }
}
