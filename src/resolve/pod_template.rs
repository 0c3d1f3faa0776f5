//! Pod-template layering (FO §3). Templates are untyped JSON throughout, so fields newer
//! than any Kubernetes version we know survive untouched.
//!
//! * Merge (FO §3.2): the component template is merged over the common one. Objects merge
//!   key by key; a scalar or `null` never replaces an object; **arrays merge by position**
//!   unless `kubernetes.operator.pod-template.merge-arrays-by-name` is true and every
//!   element of both arrays has a `name`, in which case they merge as a union keyed by name.
//! * The main container is the one named `flink-main-container` (FO §3.3).
//! * The JobManager gets a startup probe on `/config` unless it has one or the
//!   `kubernetes.operator.jm-deployment.startup.probe.enabled` switch is off (FO §3.4).

use serde_json::{Map, Value, json};

/// The name that marks the Flink container in a pod template.
pub const MAIN_CONTAINER: &str = "flink-main-container";

/// How arrays are merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrayMerge {
    /// Element `i` merges with element `i` (the operator's default).
    ByPosition,
    /// Elements with the same `name` merge; new names are appended.
    ByName,
}

/// Merge `component` over `common` (FO §3.1 step 1): either side missing gives a copy of the other.
pub fn merge_templates(common: Option<&Value>, component: Option<&Value>, arrays: ArrayMerge) -> Option<Value> {
    match (common, component) {
        (None, None) => None,
        (Some(only), None) | (None, Some(only)) => Some(only.clone()),
        (Some(common), Some(component)) => {
            let mut merged = common.clone();
            merge_into(&mut merged, component, arrays);
            Some(merged)
        }
    }
}

fn merge_into(to: &mut Value, from: &Value, arrays: ArrayMerge) {
    let (Value::Object(to_fields), Value::Object(from_fields)) = (&mut *to, from) else {
        return;
    };
    for (key, from_value) in from_fields {
        if from_value.is_null() {
            continue;
        }
        match (to_fields.get_mut(key), from_value) {
            (Some(Value::Array(to_items)), Value::Array(from_items)) => merge_arrays(to_items, from_items, arrays),
            (Some(to_value @ Value::Object(_)), _) => merge_into(to_value, from_value, arrays),
            _ => {
                to_fields.insert(key.clone(), from_value.clone());
            }
        }
    }
}

fn merge_arrays(to: &mut Vec<Value>, from: &[Value], arrays: ArrayMerge) {
    let all_named = |items: &[Value]| items.iter().all(|item| item.get("name").is_some());
    if arrays == ArrayMerge::ByName && all_named(to) && all_named(from) {
        for from_item in from {
            match to.iter_mut().find(|to_item| to_item.get("name") == from_item.get("name")) {
                Some(to_item) => merge_into(to_item, from_item, arrays),
                None => to.push(from_item.clone()),
            }
        }
    } else {
        for (index, from_item) in from.iter().enumerate() {
            if index >= to.len() {
                to.push(from_item.clone());
            } else {
                merge_into(&mut to[index], from_item, arrays);
            }
        }
    }
}

/// The main container of `template`, created (appended) when missing.
pub fn main_container_mut(template: &mut Value) -> &mut Map<String, Value> {
    let containers = containers_mut(template);
    let index = match containers.iter().position(is_main_container) {
        Some(index) => index,
        None => {
            containers.push(json!({ "name": MAIN_CONTAINER }));
            containers.len() - 1
        }
    };
    containers[index].as_object_mut().expect("containers are objects")
}

/// Whether a container entry is the Flink main container.
pub fn is_main_container(container: &Value) -> bool {
    container.get("name").and_then(Value::as_str) == Some(MAIN_CONTAINER)
}

fn containers_mut(template: &mut Value) -> &mut Vec<Value> {
    if !template.is_object() {
        *template = json!({});
    }
    let root = template.as_object_mut().expect("object");
    let spec = root.entry("spec").or_insert_with(|| json!({}));
    if !spec.is_object() {
        *spec = json!({});
    }
    let containers = spec.as_object_mut().expect("object").entry("containers").or_insert_with(|| json!([]));
    if !containers.is_array() {
        *containers = json!([]);
    }
    let items = containers.as_array_mut().expect("array");
    items.retain(Value::is_object);
    items
}

/// Copy resource entries into the main container's `requests` / `limits` (FO §3.3):
/// used for deprecated `ephemeralStorage` and for every `resources` entry other than cpu
/// and memory, which reach the container through the Flink configuration instead.
pub fn inject_resources(template: &mut Value, requests: &[(String, String)], limits: &[(String, String)]) {
    if requests.is_empty() && limits.is_empty() {
        return;
    }
    let container = main_container_mut(template);
    let resources = container.entry("resources").or_insert_with(|| json!({}));
    if !resources.is_object() {
        *resources = json!({});
    }
    for (section, entries) in [("requests", requests), ("limits", limits)] {
        if entries.is_empty() {
            continue;
        }
        let map = resources.as_object_mut().expect("object").entry(section).or_insert_with(|| json!({}));
        if !map.is_object() {
            *map = json!({});
        }
        for (name, quantity) in entries {
            map.as_object_mut().expect("object").insert(name.clone(), Value::String(quantity.clone()));
        }
    }
}

/// Put `resources.claims` (dynamic resource allocation) on the main container as written.
pub fn inject_claims(template: &mut Value, claims: &Value) {
    let container = main_container_mut(template);
    let resources = container.entry("resources").or_insert_with(|| json!({}));
    if !resources.is_object() {
        *resources = json!({});
    }
    resources.as_object_mut().expect("object").insert("claims".into(), claims.clone());
}

/// Add the JobManager startup probe (FO §3.4) unless the main container already has one.
pub fn add_startup_probe(template: &mut Value) {
    let container = main_container_mut(template);
    container.entry("startupProbe").or_insert_with(|| {
        json!({
            "failureThreshold": 2147483647,
            "httpGet": { "path": "/config", "port": "rest" },
            "periodSeconds": 1
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(common: Value, component: Value, arrays: ArrayMerge) -> Value {
        merge_templates(Some(&common), Some(&component), arrays).unwrap()
    }

    /// Docs example (FO §3.2): positional merge pairs containers by index.
    #[test]
    fn arrays_merge_by_position() {
        let result = merged(
            json!({"c": [{"name": "a", "p1": "v1"}, {"name": "b", "p1": "v1"}]}),
            json!({"c": [{"name": "a", "p2": "v2"}, {"name": "c", "p2": "v2"}]}),
            ArrayMerge::ByPosition,
        );
        assert_eq!(
            result,
            json!({"c": [{"name": "a", "p1": "v1", "p2": "v2"}, {"name": "c", "p1": "v1", "p2": "v2"}]})
        );
    }

    /// Docs example (FO §3.2): merge by name gives the union keyed by name.
    #[test]
    fn arrays_merge_by_name() {
        let result = merged(
            json!({"c": [{"name": "a", "p1": "v1"}, {"name": "b", "p1": "v1"}]}),
            json!({"c": [{"name": "a", "p2": "v2"}, {"name": "c", "p2": "v2"}]}),
            ArrayMerge::ByName,
        );
        assert_eq!(
            result,
            json!({"c": [{"name": "a", "p1": "v1", "p2": "v2"}, {"name": "b", "p1": "v1"}, {"name": "c", "p2": "v2"}]})
        );
    }

    /// FO §9 fact 27: containers `[c1,c2]` + `[c1,c3]` → `[c1,c2,c3]`; volumes
    /// `[v1{ephemeral}]` + `[v1{emptyDir}, v2, v3]` → `[v1{ephemeral+emptyDir}, v2, v3]`.
    #[test]
    fn fo9_fact27_merge_pods_using_array_name() {
        let result = merged(
            json!({"spec": {"containers": [{"name": "c1"}, {"name": "c2"}], "volumes": [{"name": "v1", "ephemeral": {}}]}}),
            json!({"spec": {"containers": [{"name": "c1"}, {"name": "c3"}], "volumes": [{"name": "v1", "emptyDir": {}}, {"name": "v2"}, {"name": "v3"}]}}),
            ArrayMerge::ByName,
        );
        assert_eq!(
            result,
            json!({"spec": {
                "containers": [{"name": "c1"}, {"name": "c2"}, {"name": "c3"}],
                "volumes": [{"name": "v1", "ephemeral": {}, "emptyDir": {}}, {"name": "v2"}, {"name": "v3"}]
            }})
        );
    }

    #[test]
    fn by_name_falls_back_to_position_when_an_element_has_no_name() {
        let result = merged(json!({"a": [{"x": 1}]}), json!({"a": [{"name": "n", "y": 2}]}), ArrayMerge::ByName);
        assert_eq!(result, json!({"a": [{"x": 1, "name": "n", "y": 2}]}));
    }

    /// FO §3.2: scalar array elements never change under the positional merge.
    #[test]
    fn scalar_array_elements_never_change() {
        let result = merged(json!({"args": ["a", "b"]}), json!({"args": ["c"]}), ArrayMerge::ByPosition);
        assert_eq!(result, json!({"args": ["a", "b"]}));
    }

    /// FO §3.2: a scalar or null cannot replace an object.
    #[test]
    fn scalar_never_replaces_object() {
        let result = merged(json!({"a": {"b": 1}}), json!({"a": 5, "c": null}), ArrayMerge::ByPosition);
        assert_eq!(result, json!({"a": {"b": 1}}));
    }

    /// FO §9 fact 28: the probe is added once, a user probe is kept, and a nameless
    /// container list gets the main container appended as the second entry.
    #[test]
    fn fo9_fact28_add_startup_probe() {
        let mut template = json!({"spec": {"containers": [{}]}});
        add_startup_probe(&mut template);
        add_startup_probe(&mut template);
        let containers = template["spec"]["containers"].as_array().unwrap();
        assert_eq!(containers.len(), 2);
        assert_eq!(
            containers[1]["startupProbe"],
            json!({"periodSeconds": 1, "failureThreshold": 2147483647, "httpGet": {"port": "rest", "path": "/config"}})
        );
        let mut user =
            json!({"spec": {"containers": [{"name": MAIN_CONTAINER, "startupProbe": {"periodSeconds": 5}}]}});
        add_startup_probe(&mut user);
        assert_eq!(user["spec"]["containers"][0]["startupProbe"], json!({"periodSeconds": 5}));
    }

    /// FO §9 fact 11: non-cpu/memory resources land in the main container only.
    #[test]
    fn fo9_fact11_resource_requirements_to_pod_template() {
        let mut template = json!({});
        inject_resources(
            &mut template,
            &[("ephemeral-storage".into(), "10Gi".into())],
            &[("ephemeral-storage".into(), "20Gi".into())],
        );
        assert_eq!(
            template,
            json!({"spec": {"containers": [{"name": MAIN_CONTAINER, "resources": {
                "requests": {"ephemeral-storage": "10Gi"}, "limits": {"ephemeral-storage": "20Gi"}}}]}})
        );
    }
}
