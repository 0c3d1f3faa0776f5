//! Pod-template layering (FO §3), the effective pod template of each process. Templates are
//! untyped JSON throughout, so fields newer than any Kubernetes version we know survive.
//!
//! * A template may be written as a whole Pod (`apiVersion: v1`, `kind: Pod`, older operator
//!   docs do): as the operator, only its `metadata` and `spec` count ([`as_template`]), and the
//!   pod's own identity (`metadata.name`, `namespace`, `generateName`) is not a template's.
//! * Merge (FO §3.2): the component template is merged over the common one. Objects merge
//!   key by key; a scalar or `null` never replaces an object; **arrays merge by position**
//!   unless `kubernetes.operator.pod-template.merge-arrays-by-name` is true and every
//!   element of both arrays has a `name`, in which case they merge as a union keyed by name.
//! * The main container is the one named `flink-main-container` (FO §3.3).

use serde_json::{Map, Value};

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

/// Whether a container entry is the Flink main container.
pub fn is_main_container(container: &Value) -> bool {
    container.get("name").and_then(Value::as_str) == Some(MAIN_CONTAINER)
}

/// Top-level keys of a pod template that are dropped silently: a template written as a whole
/// Pod carries them, and the operator ignores them (FO §3).
pub const POD_IDENTITY_KEYS: [&str; 2] = ["apiVersion", "kind"];

/// Metadata of a Pod that is not a template's: each pod gets its own.
const POD_METADATA_KEYS: [&str; 3] = ["name", "namespace", "generateName"];

/// A pod template as the operator reads it: only `metadata` (without the pod's own name,
/// namespace and generateName) and `spec`.
pub fn as_template(template: &Value) -> Value {
    let Value::Object(fields) = template else { return template.clone() };
    let mut kept: Map<String, Value> = fields
        .iter()
        .filter(|(key, _)| matches!(key.as_str(), "metadata" | "spec"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(Value::Object(metadata)) = kept.get_mut("metadata") {
        metadata.retain(|key, _| !POD_METADATA_KEYS.contains(&key.as_str()));
    }
    Value::Object(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    /// A template written as a whole Pod contributes only its metadata and spec.
    #[test]
    fn a_whole_pod_is_read_as_a_template() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "b"}}, "spec": {"x": 1}});
        assert_eq!(as_template(&pod), json!({"metadata": {"labels": {"a": "b"}}, "spec": {"x": 1}}));
    }
}
