//! `Ingress <name>` (FO §4.6), only with `spec.ingress`: one rule whose host and path come
//! from the template, backend `<name>-rest` on the REST port, `pathType:
//! ImplementationSpecific` so regex paths work with controllers that support them.

use serde_json::{Value, json};

use crate::emit::common::annotated_metadata;
use crate::emit::services::rest_name;
use crate::resolve::model::Cluster;

/// The Ingress, when the spec asks for one.
pub fn emit(cluster: &Cluster) -> Vec<Value> {
    let Some(ingress) = &cluster.ingress else {
        return Vec::new();
    };
    let mut labels = ingress.labels.clone();
    labels.insert("component".into(), "ingress".into());
    let mut path = json!({
        "pathType": "ImplementationSpecific",
        "backend": { "service": { "name": rest_name(cluster), "port": { "number": cluster.ports.rest } } },
    });
    if let Some(value) = &ingress.path {
        path["path"] = json!(value);
    }
    let mut rule = json!({ "http": { "paths": [path] } });
    if let Some(host) = &ingress.host {
        rule["host"] = json!(host);
    }
    let mut spec = json!({ "rules": [rule] });
    if let Some(class_name) = &ingress.class_name {
        spec["ingressClassName"] = json!(class_name);
    }
    if !ingress.tls.is_empty() {
        spec["tls"] = ingress.tls.iter().map(without_nulls).collect();
    }
    vec![json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": annotated_metadata(cluster, cluster.name.clone(), &labels, &ingress.annotations),
        "spec": spec,
    })]
}

/// A `tls` entry without the fields it leaves unset (`null`).
fn without_nulls(tls: &Value) -> Value {
    let fields = tls.as_object().into_iter().flatten();
    Value::Object(
        fields.filter(|(_, value)| !value.is_null()).map(|(key, value)| (key.clone(), value.clone())).collect(),
    )
}
