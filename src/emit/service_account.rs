//! `ServiceAccount <spec.serviceAccount>` (ours, DESIGN §3): the account the pods run as, so a
//! cluster starts without the operator's Helm chart (which creates `flink`). Not rendered with
//! `flink-render.dev/service-account: existing`; a compile renders each account once, and
//! not at all when its input already holds one of that name. Tokens are mounted by the pods
//! that call the Kubernetes API (Kubernetes HA) only, which the pods say themselves.

use k8s_openapi::api::core::v1::ServiceAccount;
use serde_json::Value;

use crate::emit::common::{metadata, to_value};
use crate::resolve::model::Cluster;

/// The ServiceAccounts of the cluster's pods.
pub fn emit(cluster: &Cluster) -> Vec<Value> {
    cluster
        .service_accounts
        .iter()
        .map(|name| {
            to_value(&ServiceAccount {
                metadata: metadata(cluster, name.clone(), Default::default()),
                ..ServiceAccount::default()
            })
        })
        .collect()
}
