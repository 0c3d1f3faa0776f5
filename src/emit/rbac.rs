//! RBAC, only where the spec needs it (DESIGN §3): Kubernetes HA stores leader and job
//! metadata in ConfigMaps, so the JobManager's and TaskManagers' service accounts get a
//! namespaced Role limited to ConfigMaps, and a RoleBinding when the namespace is known (a
//! ServiceAccount subject must name its namespace).

use std::collections::BTreeSet;

use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use serde_json::Value;

use crate::emit::common::{common_labels, metadata, to_value};
use crate::objects::high_availability_rbac_name;
use crate::resolve::model::Cluster;

/// `<name>-ha`.
pub fn name(cluster: &Cluster) -> String {
    high_availability_rbac_name(&cluster.name)
}

/// Role and RoleBinding for Kubernetes HA.
pub fn emit(cluster: &Cluster) -> Vec<Value> {
    if !cluster.high_availability.as_ref().is_some_and(|ha| ha.kubernetes) {
        return Vec::new();
    }
    let role = Role {
        metadata: metadata(cluster, name(cluster), common_labels(cluster)),
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec![String::new()]),
            resources: Some(vec!["configmaps".into()]),
            verbs: ["create", "delete", "get", "list", "patch", "update", "watch"].map(String::from).to_vec(),
            ..PolicyRule::default()
        }]),
    };
    let accounts: BTreeSet<&str> =
        [cluster.jobmanager.service_account.as_str(), cluster.taskmanager.service_account.as_str()].into();
    let binding = RoleBinding {
        metadata: metadata(cluster, name(cluster), common_labels(cluster)),
        role_ref: RoleRef { api_group: "rbac.authorization.k8s.io".into(), kind: "Role".into(), name: name(cluster) },
        subjects: Some(
            accounts
                .into_iter()
                .map(|account| Subject {
                    kind: "ServiceAccount".into(),
                    name: account.to_string(),
                    namespace: cluster.namespace.clone(),
                    ..Subject::default()
                })
                .collect(),
        ),
    };
    if cluster.namespace.is_none() {
        // A ServiceAccount subject must name its namespace (see `ha-without-namespace`).
        return vec![to_value(&role)];
    }
    vec![to_value(&role), to_value(&binding)]
}
