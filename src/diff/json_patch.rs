//! RFC 6902 JSON Patch between committed output and a new rendering
//! (`flink-render diff --format json-patch`, and the WASM module's `diff`).
//!
//! Objects are matched as [`diff_objects`] matches them: by kind, namespace and name. Each
//! differing object gets one entry whose `patch` turns the committed object into the rendered
//! one. A missing object counts as the JSON document `null`, so an added object's patch is
//! `[{"op": "replace", "path": "", "value": {…}}]` and a removed one's is
//! `[{"op": "replace", "path": "", "value": null}]`; the operations are those of the
//! `json-patch` crate's `diff` (object keys in sorted order, list items by position).
//! Entries come in the order of [`diff_objects`]: changed and added objects in
//! rendering order, then removed objects in committed order.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::compare::{ObjectDiff, ObjectKey, diff_objects};

/// What happened to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Only in the new rendering.
    Added,
    /// Only in the committed output.
    Removed,
    /// On both sides, with different fields.
    Changed,
}

/// The JSON Patch of one differing object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectPatch {
    /// `kind`.
    pub kind: String,
    /// `metadata.namespace`, `None` when the object has none.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
    /// Added, removed or changed.
    pub change: Change,
    /// The RFC 6902 operations that turn the committed object (or `null`) into the rendered
    /// one (or `null`).
    pub patch: ::json_patch::Patch,
}

/// The patches that turn the committed objects (`before`) into a new rendering (`after`);
/// empty when both hold the same objects. Fails like [`diff_objects`] when one side holds
/// an object twice.
pub fn object_patches(before: &[Value], after: &[Value]) -> Result<Vec<ObjectPatch>, String> {
    let rendered: BTreeMap<ObjectKey, &Value> = after.iter().map(|object| (ObjectKey::of(object), object)).collect();
    let patches = diff_objects(before, after)?
        .into_iter()
        .map(|diff| {
            let (change, key, old, new) = match diff {
                ObjectDiff::Added { key, object } => (Change::Added, key, Value::Null, object),
                ObjectDiff::Removed { key, object } => (Change::Removed, key, object, Value::Null),
                ObjectDiff::Changed { key, before, .. } => {
                    let new = rendered[&key].clone();
                    (Change::Changed, key, before, new)
                }
            };
            ObjectPatch {
                patch: ::json_patch::diff(&old, &new),
                change,
                namespace: (!key.namespace.is_empty()).then_some(key.namespace),
                kind: key.kind,
                name: key.name,
            }
        })
        .collect();
    Ok(patches)
}

/// The patches as the CLI prints them: one pretty-printed JSON array and a newline (`[]`
/// when nothing differs).
pub fn to_json(patches: &[ObjectPatch]) -> String {
    serde_json::to_string_pretty(patches).expect("JSON values serialize") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn apply(patch: &::json_patch::Patch, mut document: Value) -> Value {
        ::json_patch::patch(&mut document, patch).expect("the patch applies");
        document
    }

    #[test]
    fn changed_objects_patch_their_fields() {
        let before =
            json!({ "kind": "Deployment", "metadata": { "name": "d", "namespace": "n" }, "spec": { "replicas": 1 } });
        let after =
            json!({ "kind": "Deployment", "metadata": { "name": "d", "namespace": "n" }, "spec": { "replicas": 2 } });
        let patches = object_patches(std::slice::from_ref(&before), std::slice::from_ref(&after)).unwrap();
        assert_eq!(patches.len(), 1);
        assert_eq!(patches[0].change, Change::Changed);
        assert_eq!(patches[0].namespace.as_deref(), Some("n"));
        assert_eq!(
            serde_json::to_value(&patches[0].patch).unwrap(),
            json!([{ "op": "replace", "path": "/spec/replicas", "value": 2 }])
        );
        assert_eq!(apply(&patches[0].patch, before), after);
    }

    #[test]
    fn added_and_removed_objects_replace_the_whole_document() {
        let service = json!({ "kind": "Service", "metadata": { "name": "s" } });
        let ingress = json!({ "kind": "Ingress", "metadata": { "name": "i" } });
        let patches = object_patches(std::slice::from_ref(&service), std::slice::from_ref(&ingress)).unwrap();
        assert_eq!(
            serde_json::to_value(&patches).unwrap(),
            json!([
                { "kind": "Ingress", "namespace": null, "name": "i", "change": "added",
                  "patch": [{ "op": "replace", "path": "", "value": ingress }] },
                { "kind": "Service", "namespace": null, "name": "s", "change": "removed",
                  "patch": [{ "op": "replace", "path": "", "value": null }] },
            ])
        );
        assert_eq!(apply(&patches[0].patch, Value::Null), ingress);
        assert_eq!(apply(&patches[1].patch, service), Value::Null);
    }

    #[test]
    fn equal_renderings_print_an_empty_array() {
        let service = json!({ "kind": "Service", "metadata": { "name": "s" } });
        let patches = object_patches(std::slice::from_ref(&service), std::slice::from_ref(&service)).unwrap();
        assert_eq!(to_json(&patches), "[]\n");
    }
}
