//! The two Services (FO §4.3): the headless internal Service `<name>` (JobManager RPC and
//! blob ports, always created in standalone mode, even with HA) and the REST Service
//! `<name>-rest` whose type comes from `kubernetes.rest-service.exposed.type`
//! (`Headless_ClusterIP` is a ClusterIP Service with `clusterIP: None`).

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use crate::emit::{common_labels, jobmanager_selector, metadata, to_value};
use crate::resolve::model::Deployment;

/// `<name>-rest`.
pub fn rest_name(deployment: &Deployment) -> String {
    format!("{}-rest", deployment.name)
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
pub fn emit_internal(deployment: &Deployment) -> Vec<Value> {
    let service = Service {
        metadata: metadata(deployment, deployment.name.clone(), common_labels(deployment)),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            selector: Some(jobmanager_selector(deployment)),
            ports: Some(vec![
                port("jobmanager-rpc", deployment.ports.jobmanager_rpc, None),
                port("blobserver", deployment.ports.blob_server, None),
            ]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    };
    vec![to_value(&service)]
}

/// The REST Service.
pub fn emit_rest(deployment: &Deployment) -> Vec<Value> {
    let exposed = deployment.rest_service.exposed_type.as_str();
    let (service_type, cluster_ip) = match exposed {
        "Headless_ClusterIP" => ("ClusterIP", Some("None".to_string())),
        other => (other, None),
    };
    let mut meta = metadata(deployment, rest_name(deployment), common_labels(deployment));
    meta.annotations = Some(deployment.rest_service.annotations.clone()).filter(|annotations| !annotations.is_empty());
    let service = Service {
        metadata: meta,
        spec: Some(ServiceSpec {
            type_: Some(service_type.to_string()),
            cluster_ip,
            selector: Some(jobmanager_selector(deployment)),
            ports: Some(vec![port("rest", deployment.ports.rest, Some(deployment.ports.rest_bind))]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    };
    vec![to_value(&service)]
}
