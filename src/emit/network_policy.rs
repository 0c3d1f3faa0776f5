//! `NetworkPolicy <name>` (ours, opt-in with `flink-render.dev/network-policy: enabled`): the
//! cluster's pods admit connections only from each other (JobManager rpc and blob from the
//! TaskManagers, TaskManager data and rpc ports, the lifecycle Jobs' calls to REST) and, on the
//! REST port, from the pods named by `flink-render.dev/rest-allowed-from`. Outgoing traffic is
//! not restricted (checkpoint stores and sources are the job's business).

use serde_json::{Value, json};

use crate::emit::common::{common_labels, metadata};
use crate::resolve::model::Cluster;

/// The NetworkPolicy, when the spec opts in.
pub fn emit(cluster: &Cluster) -> Vec<Value> {
    let Some(policy) = &cluster.network_policy else { return Vec::new() };
    let own_pods = json!({ "matchLabels": common_labels(cluster) });
    let mut ingress = vec![json!({ "from": [{ "podSelector": own_pods }] })];
    if !policy.rest_allowed_from.is_empty() {
        ingress.push(json!({
            "from": [{ "podSelector": { "matchLabels": policy.rest_allowed_from } }],
            "ports": [{ "port": cluster.ports.rest_bind, "protocol": "TCP" }],
        }));
    }
    vec![json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(cluster, cluster.name.clone(), &common_labels(cluster)),
        "spec": { "podSelector": own_pods, "policyTypes": ["Ingress"], "ingress": ingress },
    })]
}
