//! `ServiceAccount <spec.serviceAccount>` (ours, DESIGN §3): the account the pods run as, so a
//! cluster starts without the operator's Helm chart (which creates `flink`). Not rendered with
//! `flink-render.dev/service-account: existing`; a compile renders each account once, and
//! not at all when its input already holds one of that name. Tokens are mounted by the pods
//! that call the Kubernetes API (Kubernetes HA) only, which the pods say themselves.

use serde_json::{Value, json};

use crate::emit::common::metadata;
use crate::resolve::model::Cluster;

/// The ServiceAccounts of the cluster's pods.
pub fn emit(cluster: &Cluster) -> Vec<Value> {
    cluster
        .service_accounts
        .iter()
        .map(|name| {
            json!({
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": metadata(cluster, name.clone(), &Default::default()),
            })
        })
        .collect()
}
