//! `NetworkPolicy <name>` (ours, opt-in with `flink-render.dev/network-policy: enabled`): the
//! cluster's pods admit connections only from each other (JobManager rpc and blob from the
//! TaskManagers, TaskManager data and rpc ports, the lifecycle Jobs' calls to REST) and, on the
//! REST port, from the pods named by `flink-render.dev/rest-allowed-from`. Outgoing traffic is
//! not restricted (checkpoint stores and sources are the job's business).

use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use crate::emit::common::{common_labels, metadata, to_value};
use crate::resolve::model::Cluster;

/// The NetworkPolicy, when the spec opts in.
pub fn emit(cluster: &Cluster) -> Vec<Value> {
    let Some(policy) = &cluster.network_policy else { return Vec::new() };
    let own_pods = LabelSelector { match_labels: Some(common_labels(cluster)), ..LabelSelector::default() };
    let mut ingress = vec![NetworkPolicyIngressRule {
        from: Some(vec![NetworkPolicyPeer { pod_selector: Some(own_pods.clone()), ..NetworkPolicyPeer::default() }]),
        ..NetworkPolicyIngressRule::default()
    }];
    if !policy.rest_allowed_from.is_empty() {
        let clients =
            LabelSelector { match_labels: Some(policy.rest_allowed_from.clone()), ..LabelSelector::default() };
        ingress.push(NetworkPolicyIngressRule {
            from: Some(vec![NetworkPolicyPeer { pod_selector: Some(clients), ..NetworkPolicyPeer::default() }]),
            ports: Some(vec![NetworkPolicyPort {
                port: Some(IntOrString::Int(cluster.ports.rest_bind)),
                protocol: Some("TCP".into()),
                ..NetworkPolicyPort::default()
            }]),
        });
    }
    let object = NetworkPolicy {
        metadata: metadata(cluster, cluster.name.clone(), common_labels(cluster)),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(own_pods),
            policy_types: Some(vec!["Ingress".into()]),
            ingress: Some(ingress),
            ..NetworkPolicySpec::default()
        }),
    };
    vec![to_value(&object)]
}
