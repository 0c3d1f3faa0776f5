//! RBAC, only where the spec needs it (DESIGN §3): Kubernetes HA stores leader and job
//! metadata in ConfigMaps, so the JobManager's and TaskManagers' service accounts get a
//! namespaced Role limited to ConfigMaps, and a RoleBinding. Without a namespace the
//! RoleBinding's ServiceAccount subjects name none: Kubernetes reads a RoleBinding's subject
//! without a namespace as one in the binding's own (RBAC's `appliesToUser`; only a
//! ClusterRoleBinding must name it), so the binding works wherever `kubectl apply -n`, Argo CD
//! or kustomize's `namespace:` puts it.
//!
//! Measured on the local kubelet's Kubernetes API through the whole lifecycle
//! (tests/external/test_kubernetes_ha.py, Flink 1.20 and 2.3): JobManagers create, get, list,
//! watch, update (compare-and-swap) and patch (the leader lease) `<name>-cluster-config-map` and
//! `<name>-<job id>-config-map`, and delete the latter when a job ends; the hand-over gets and
//! patches the former (the job graphs it removes); TaskManagers list and watch it; the
//! JobManager's start wrapper gets its own Deployment (by name) and patches the HA ConfigMaps
//! with it as their owner, so they go with the application. Every verb is used. `resourceNames` cannot narrow it: `create` takes no name, and during a rollout the
//! previous revision's JobManager, whose job id may differ, works under this Role.

//! In native mode the JobManager also manages its TaskManager pods (native-mode.md §2): it
//! lists and watches them (recovering a previous attempt's), creates and deletes them, and gets
//! its own Deployment by name (the TaskManagers' owner); the hand-over deletes the previous
//! revision's TaskManagers the same way. That Role is `<name>` and binds the JobManager's
//! account, and the TaskManagers' too with Kubernetes HA.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::emit::common::{common_labels, metadata};
use crate::objects::high_availability_rbac_name;
use crate::resolve::model::Cluster;

/// `<name>-ha` for Kubernetes HA in standalone mode, `<name>` in native mode.
pub fn name(cluster: &Cluster) -> String {
    if cluster.native() { cluster.name.clone() } else { high_availability_rbac_name(&cluster.name) }
}

/// Role and RoleBinding for native mode and Kubernetes HA.
pub fn emit(cluster: &Cluster) -> Vec<Value> {
    if !cluster.jobmanager_calls_the_api() {
        return Vec::new();
    }
    let mut rules = Vec::new();
    if cluster.native() {
        rules.push(json!({
            "apiGroups": [""],
            "resources": ["pods"],
            "verbs": ["create", "delete", "list", "watch"],
        }));
    }
    if cluster.kubernetes_ha() {
        rules.push(json!({
            "apiGroups": [""],
            "resources": ["configmaps"],
            "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
        }));
    }
    // the owner of the TaskManager pods (native), and of the HA ConfigMaps (start.sh)
    rules.push(json!({
        "apiGroups": ["apps"],
        "resources": ["deployments"],
        "resourceNames": [cluster.name],
        "verbs": ["get"],
    }));
    let role = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": metadata(cluster, name(cluster), &common_labels(cluster)),
        "rules": rules,
    });
    let mut accounts: BTreeSet<&str> = BTreeSet::from([cluster.jobmanager.service_account.as_str()]);
    if cluster.kubernetes_ha() {
        accounts.insert(cluster.taskmanager.service_account.as_str());
    }
    let subjects: Vec<Value> = accounts
        .into_iter()
        .map(|account| match &cluster.namespace {
            Some(namespace) => json!({ "kind": "ServiceAccount", "name": account, "namespace": namespace }),
            None => json!({ "kind": "ServiceAccount", "name": account }),
        })
        .collect();
    let binding = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": metadata(cluster, name(cluster), &common_labels(cluster)),
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name(cluster) },
        "subjects": subjects,
    });
    vec![role, binding]
}
