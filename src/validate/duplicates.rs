//! Ours: two objects with the same kind, namespace and name would overwrite each other when
//! applied; that is an error, not something to resolve silently. Checked over the whole
//! stream from what each resource **will** produce (its object keys), before anything is
//! rendered: one finding per pair of inputs that clash, listing the objects.

use std::collections::BTreeMap;

use crate::diagnostics::{Code, Diagnostic};
use crate::effective::ClusterView;
use crate::effective::ingress::IngressRead;
use crate::objects::{ObjectKey, config_map_name, high_availability_rbac_name, rest_service_name, taskmanager_name};

/// The objects a FlinkDeployment with a spec renders to (FO §4.3), by key; its ServiceAccounts
/// are shared with other clusters and the inputs, so they never clash.
pub fn cluster_objects(view: &ClusterView<'_>) -> Vec<ObjectKey> {
    let (name, namespace) = (view.name, view.namespace);
    let mut keys = vec![ObjectKey::new("ConfigMap", namespace, config_map_name(name))];
    if view.high_availability.is_some_and(|ha| ha.kubernetes) {
        keys.push(ObjectKey::new("Role", namespace, high_availability_rbac_name(name)));
        if namespace.is_some() {
            keys.push(ObjectKey::new("RoleBinding", namespace, high_availability_rbac_name(name)));
        }
    }
    keys.push(ObjectKey::new("Service", namespace, name));
    keys.push(ObjectKey::new("Service", namespace, rest_service_name(name)));
    keys.push(ObjectKey::new("Deployment", namespace, name));
    keys.push(ObjectKey::new("Deployment", namespace, taskmanager_name(name)));
    if matches!(view.ingress, Some(IngressRead::Target(_))) {
        keys.push(ObjectKey::new("Ingress", namespace, name));
    }
    if view.render.network_policy {
        keys.push(ObjectKey::new("NetworkPolicy", namespace, name));
    }
    keys
}

/// One error per pair of inputs whose objects clash (`objects` are keys with the input they
/// come from, in output order); the finding is reported against the later input.
pub fn duplicate_objects(objects: &[(ObjectKey, &str)]) -> Vec<Diagnostic> {
    let mut first_seen: BTreeMap<&ObjectKey, &str> = BTreeMap::new();
    let mut clashes: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    for (key, origin) in objects {
        match first_seen.get(key) {
            Some(first) => clashes.entry((*origin, *first)).or_default().push(key.to_string()),
            None => {
                first_seen.insert(key, origin);
            }
        }
    }
    clashes
        .into_iter()
        .map(|((second, first), ids)| {
            let what = if ids.len() == 1 { "object is" } else { "objects are" };
            let place = if first == second {
                format!("{what} produced twice by this input")
            } else {
                format!("{what} also produced by {first}")
            };
            let mut diagnostic = Diagnostic::new(
                Code::DuplicateObject,
                "metadata.name",
                format!("{} {place}: {}", ids.len(), ids.join(", ")),
            )
            .with_hint(
                "object names must be unique per kind and namespace: rename one resource or give it another namespace",
            );
            diagnostic.source = second.to_string();
            diagnostic
        })
        .collect()
}
