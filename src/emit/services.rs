//! The two Services (FO §4.3): the headless internal Service `<name>` (JobManager RPC and
//! blob ports, always created in standalone mode, even with HA) and the REST Service
//! `<name>-rest` whose type comes from `kubernetes.rest-service.exposed.type`
//! (`Headless_ClusterIP` is a ClusterIP Service with `clusterIP: None`).

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use crate::emit::common::{common_labels, jobmanager_selector, metadata, to_value};
use crate::objects::rest_service_name;
use crate::resolve::model::Cluster;

/// `<name>-rest`.
pub fn rest_name(cluster: &Cluster) -> String {
    rest_service_name(&cluster.name)
}

fn port(name: &str, number: i32, target: Option<i32>) -> ServicePort {
    ServicePort {
        name: Some(name.to_string()),
        port: number,
        target_port: target.map(IntOrString::Int),
        ..ServicePort::default()
    }
}

/// The headless internal Service.
pub fn emit_internal(cluster: &Cluster) -> Vec<Value> {
    let service = Service {
        metadata: metadata(cluster, cluster.name.clone(), common_labels(cluster)),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            selector: Some(jobmanager_selector(cluster)),
            ports: Some(vec![
                port("jobmanager-rpc", cluster.ports.jobmanager_rpc, None),
                port("blobserver", cluster.ports.blob_server, None),
            ]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    };
    vec![to_value(&service)]
}

/// The REST Service.
pub fn emit_rest(cluster: &Cluster) -> Vec<Value> {
    let exposed = cluster.rest_service.exposed_type.as_str();
    let (service_type, cluster_ip) = match exposed {
        "Headless_ClusterIP" => ("ClusterIP", Some("None".to_string())),
        other => (other, None),
    };
    let mut meta = metadata(cluster, rest_name(cluster), common_labels(cluster));
    meta.annotations = Some(cluster.rest_service.annotations.clone()).filter(|annotations| !annotations.is_empty());
    let service = Service {
        metadata: meta,
        spec: Some(ServiceSpec {
            type_: Some(service_type.to_string()),
            cluster_ip,
            selector: Some(jobmanager_selector(cluster)),
            ports: Some(vec![port("rest", cluster.ports.rest, Some(cluster.ports.rest_bind))]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    };
    vec![to_value(&service)]
}
