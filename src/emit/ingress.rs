//! `Ingress <name>` (FO §4.6), only with `spec.ingress`: one rule whose host and path come
//! from the template, backend `<name>-rest` on the REST port, `pathType:
//! ImplementationSpecific` so regex paths work with controllers that support them.

use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule, IngressServiceBackend, IngressSpec,
    IngressTLS, ServiceBackendPort,
};
use serde_json::Value;

use crate::emit::common::{metadata, to_value};
use crate::emit::services::rest_name;
use crate::resolve::model::Cluster;

/// The Ingress, when the spec asks for one.
pub fn emit(cluster: &Cluster) -> Vec<Value> {
    let Some(ingress) = &cluster.ingress else {
        return Vec::new();
    };
    let mut labels = ingress.labels.clone();
    labels.insert("component".into(), "ingress".into());
    let mut meta = metadata(cluster, cluster.name.clone(), labels);
    meta.annotations = Some(ingress.annotations.clone()).filter(|annotations| !annotations.is_empty());
    let tls: Vec<IngressTLS> = ingress.tls.iter().filter_map(|tls| serde_json::from_value(tls.clone()).ok()).collect();
    let object = Ingress {
        metadata: meta,
        spec: Some(IngressSpec {
            ingress_class_name: ingress.class_name.clone(),
            rules: Some(vec![IngressRule {
                host: ingress.host.clone(),
                http: Some(HTTPIngressRuleValue {
                    paths: vec![HTTPIngressPath {
                        path: ingress.path.clone(),
                        path_type: "ImplementationSpecific".into(),
                        backend: IngressBackend {
                            service: Some(IngressServiceBackend {
                                name: rest_name(cluster),
                                port: Some(ServiceBackendPort {
                                    number: Some(cluster.ports.rest),
                                    ..ServiceBackendPort::default()
                                }),
                            }),
                            ..IngressBackend::default()
                        },
                    }],
                }),
            }]),
            tls: Some(tls).filter(|tls| !tls.is_empty()),
            ..IngressSpec::default()
        }),
        ..Ingress::default()
    };
    vec![to_value(&object)]
}
