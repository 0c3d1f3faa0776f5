//! The two Services (FO §4.3): the headless internal Service `<name>` (JobManager RPC and
//! blob ports, always created in standalone mode, even with HA; in native mode only without
//! HA, where TaskManagers reach the JobManager at its pod address: native-mode.md §1.1) and the REST Service
//! `<name>-rest` whose type comes from `kubernetes.rest-service.exposed.type`
//! (`Headless_ClusterIP` is a ClusterIP Service with `clusterIP: None`). Their annotations are
//! `kubernetes.internal-service.annotations` and `kubernetes.rest-service.annotations`, for every
//! Flink version: the operator builds both Services with the decorators of the Flink library it
//! bundles (1.20), whatever the cluster's version. That library has no
//! `kubernetes.{internal,rest}-service.labels` (Flink 2.1, FLINK-37478), so they are not rendered.

use serde_json::{Value, json};

use crate::emit::common::{annotated_metadata, common_labels, jobmanager_selector};
use crate::objects::rest_service_name;
use crate::resolve::model::Cluster;

/// `<name>-rest`.
pub fn rest_name(cluster: &Cluster) -> String {
    rest_service_name(&cluster.name)
}

fn port(name: &str, number: i32, target: Option<i32>) -> Value {
    let mut port = json!({ "name": name, "port": number });
    if let Some(target) = target {
        port["targetPort"] = json!(target);
    }
    port
}

/// The headless internal Service.
pub fn emit_internal(cluster: &Cluster) -> Vec<Value> {
    if cluster.native() && cluster.high_availability.is_some() {
        return Vec::new();
    }
    vec![json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": annotated_metadata(
            cluster,
            cluster.name.clone(),
            &common_labels(cluster),
            &cluster.internal_service_annotations,
        ),
        "spec": {
            "clusterIP": "None",
            "selector": jobmanager_selector(cluster),
            "ports": [
                port("jobmanager-rpc", cluster.ports.jobmanager_rpc, None),
                port("blobserver", cluster.ports.blob_server, None),
            ],
        },
    })]
}

/// The REST Service.
pub fn emit_rest(cluster: &Cluster) -> Vec<Value> {
    let exposed = cluster.rest_service.exposed_type.as_str();
    let headless = exposed == "Headless_ClusterIP";
    let mut spec = json!({
        "type": if headless { "ClusterIP" } else { exposed },
        "selector": jobmanager_selector(cluster),
        "ports": [port("rest", cluster.ports.rest, Some(cluster.ports.rest_bind))],
    });
    if headless {
        spec["clusterIP"] = json!("None");
    }
    let name = rest_name(cluster);
    vec![json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": annotated_metadata(cluster, name, &common_labels(cluster), &cluster.rest_service.annotations),
        "spec": spec,
    })]
}
