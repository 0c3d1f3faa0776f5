//! Comparing two renderings object by object and field by field: pure data in, data out.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::parse::document::parse_stream;

pub use crate::objects::ObjectKey;

/// How one object differs.
#[derive(Debug, Clone, PartialEq)]
pub enum ObjectDiff {
    /// Only in the new rendering.
    Added {
        /// The object's key.
        key: ObjectKey,
        /// The new object.
        object: Value,
    },
    /// Only in the committed output.
    Removed {
        /// The object's key.
        key: ObjectKey,
        /// The old object.
        object: Value,
    },
    /// On both sides, with different fields.
    Changed {
        /// The object's key.
        key: ObjectKey,
        /// The old object.
        before: Value,
        /// Every changed field, in document order.
        fields: Vec<FieldChange>,
    },
}

impl ObjectDiff {
    /// The key of the object this is about.
    pub fn key(&self) -> &ObjectKey {
        match self {
            ObjectDiff::Added { key, .. } | ObjectDiff::Removed { key, .. } | ObjectDiff::Changed { key, .. } => key,
        }
    }
}

/// One changed field of an object.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldChange {
    /// A field or list item only in the new object.
    Added {
        /// Where, e.g. `spec.template.spec.containers[sidecar]`.
        path: String,
        /// The new value.
        value: Value,
    },
    /// A field or list item only in the old object.
    Removed {
        /// Where.
        path: String,
        /// The old value.
        value: Value,
    },
    /// A value that changed.
    Modified {
        /// Where.
        path: String,
        /// The old value.
        before: Value,
        /// The new value.
        after: Value,
    },
    /// The same named items, in another order.
    Reordered {
        /// Where: the list.
        path: String,
        /// The old order of names.
        before: Vec<String>,
        /// The new order of names.
        after: Vec<String>,
    },
}

impl FieldChange {
    /// The path of the changed field.
    pub fn path(&self) -> &str {
        match self {
            FieldChange::Added { path, .. }
            | FieldChange::Removed { path, .. }
            | FieldChange::Modified { path, .. }
            | FieldChange::Reordered { path, .. } => path,
        }
    }
}

/// Compare the committed objects (`before`) with a new rendering (`after`). The result lists
/// changed and added objects in the new rendering's order, then removed objects in the old
/// order; it is empty when both hold the same objects. Two objects with the same key on one
/// side are an error, since one would overwrite the other.
pub fn diff_objects(before: &[Value], after: &[Value]) -> Result<Vec<ObjectDiff>, String> {
    let old = index(before, "the committed output")?;
    let new = index(after, "the rendering")?;
    let mut diffs = Vec::new();
    for object in after {
        let key = ObjectKey::of(object);
        match old.get(&key) {
            None => diffs.push(ObjectDiff::Added { key, object: object.clone() }),
            Some(previous) => {
                let mut fields = Vec::new();
                diff_value(String::new(), previous, object, &mut fields);
                if !fields.is_empty() {
                    diffs.push(ObjectDiff::Changed { key, before: (*previous).clone(), fields });
                }
            }
        }
    }
    for object in before {
        let key = ObjectKey::of(object);
        if !new.contains_key(&key) {
            diffs.push(ObjectDiff::Removed { key, object: object.clone() });
        }
    }
    Ok(diffs)
}

fn index<'a>(objects: &'a [Value], side: &str) -> Result<BTreeMap<ObjectKey, &'a Value>, String> {
    let mut map = BTreeMap::new();
    for object in objects {
        let key = ObjectKey::of(object);
        if map.insert(key.clone(), object).is_some() {
            return Err(format!("{side} holds {key} twice"));
        }
    }
    Ok(map)
}

/// Read committed output: a YAML or JSON stream of objects; a `List` (`render --format json`)
/// stands for its items.
pub fn parse_objects(text: &str) -> Result<Vec<Value>, String> {
    let documents = parse_stream(text).map_err(|error| {
        let line = error.span.line;
        if line > 0 { format!("line {line}: {}", error.message) } else { error.message }
    })?;
    let mut objects = Vec::new();
    for document in documents {
        match document.to_json() {
            Value::Object(mut object) if object.get("kind") == Some(&Value::String("List".into())) => {
                match object.remove("items") {
                    Some(Value::Array(items)) => objects.extend(items),
                    Some(Value::Null) | None => {}
                    Some(_) => return Err("a List's `items` must be a list".into()),
                }
            }
            object @ Value::Object(_) => objects.push(object),
            _ => return Err("every document must be a Kubernetes object (a mapping)".into()),
        }
    }
    Ok(objects)
}

fn diff_value(path: String, before: &Value, after: &Value, out: &mut Vec<FieldChange>) {
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => {
            let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
            for key in keys {
                let child = join_key(&path, key);
                match (old.get(key), new.get(key)) {
                    (Some(previous), Some(next)) => diff_value(child, previous, next, out),
                    (Some(previous), None) => out.push(FieldChange::Removed { path: child, value: previous.clone() }),
                    (None, Some(next)) => out.push(FieldChange::Added { path: child, value: next.clone() }),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(old), Value::Array(new)) if old != new => {
            if let (Some(old_names), Some(new_names)) = (item_names(old), item_names(new))
                && (!old_names.is_empty() || !new_names.is_empty())
            {
                diff_named_items(&path, old, &old_names, new, &new_names, out);
            } else if old.iter().chain(new).all(Value::is_object) {
                for position in 0..old.len().max(new.len()) {
                    let child = format!("{path}[{position}]");
                    match (old.get(position), new.get(position)) {
                        (Some(previous), Some(next)) => diff_value(child, previous, next, out),
                        (Some(previous), None) => {
                            out.push(FieldChange::Removed { path: child, value: previous.clone() })
                        }
                        (None, Some(next)) => out.push(FieldChange::Added { path: child, value: next.clone() }),
                        (None, None) => {}
                    }
                }
            } else {
                out.push(FieldChange::Modified { path, before: before.clone(), after: after.clone() });
            }
        }
        _ if before != after => out.push(FieldChange::Modified { path, before: before.clone(), after: after.clone() }),
        _ => {}
    }
}

fn diff_named_items(
    path: &str,
    old: &[Value],
    old_names: &[&str],
    new: &[Value],
    new_names: &[&str],
    out: &mut Vec<FieldChange>,
) {
    for (item, name) in old.iter().zip(old_names) {
        let child = format!("{path}[{name}]");
        match new_names.iter().position(|candidate| candidate == name) {
            Some(position) => diff_value(child, item, &new[position], out),
            None => out.push(FieldChange::Removed { path: child, value: item.clone() }),
        }
    }
    for (item, name) in new.iter().zip(new_names) {
        if !old_names.contains(name) {
            out.push(FieldChange::Added { path: format!("{path}[{name}]"), value: item.clone() });
        }
    }
    let kept_old: Vec<String> =
        old_names.iter().filter(|name| new_names.contains(name)).map(|s| s.to_string()).collect();
    let kept_new: Vec<String> =
        new_names.iter().filter(|name| old_names.contains(name)).map(|s| s.to_string()).collect();
    if kept_old != kept_new {
        out.push(FieldChange::Reordered { path: path.to_string(), before: kept_old, after: kept_new });
    }
}

/// The `name` of every item, when every item is an object with a unique string `name`.
fn item_names(items: &[Value]) -> Option<Vec<&str>> {
    let names: Vec<&str> = items.iter().map(|item| item.get("name").and_then(Value::as_str)).collect::<Option<_>>()?;
    let unique: BTreeSet<&&str> = names.iter().collect();
    (unique.len() == names.len()).then_some(names)
}

/// `parent.key`, or `parent["key"]` for keys that are not plain identifiers
/// (`data["config.yaml"]`, `annotations["flink-render/config-hash"]`).
fn join_key(parent: &str, key: &str) -> String {
    let plain = key.chars().next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (parent.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{parent}.{key}"),
        (_, false) => format!("{parent}[{}]", Value::String(key.to_string())),
    }
}

/// One line of a line-by-line comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line<'a> {
    /// On both sides.
    Same(&'a str),
    /// Only in the old text.
    Removed(&'a str),
    /// Only in the new text.
    Added(&'a str),
}

/// The two texts line by line (a longest-common-subsequence diff), for multi-line values.
pub fn line_changes<'a>(before: &'a str, after: &'a str) -> Vec<Line<'a>> {
    let old: Vec<&str> = before.lines().collect();
    let new: Vec<&str> = after.lines().collect();
    // common[i][j]: length of the longest common subsequence of old[i..] and new[j..].
    let mut common = vec![vec![0usize; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            common[i][j] =
                if old[i] == new[j] { common[i + 1][j + 1] + 1 } else { common[i + 1][j].max(common[i][j + 1]) };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut lines = Vec::new();
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            lines.push(Line::Same(old[i]));
            i += 1;
            j += 1;
        } else if i < old.len() && (j == new.len() || common[i + 1][j] >= common[i][j + 1]) {
            lines.push(Line::Removed(old[i]));
            i += 1;
        } else {
            lines.push(Line::Added(new[j]));
            j += 1;
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(memory: &str, containers: Value) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": { "name": "basic", "namespace": "default", "annotations": { "flink-render/config-hash": "a" } },
            "spec": { "template": { "spec": { "containers": containers } } },
            "memory": memory,
        })
    }

    #[test]
    fn equal_renderings_have_no_diff() {
        let objects = vec![deployment("1", json!([]))];
        assert_eq!(diff_objects(&objects, &objects), Ok(vec![]));
    }

    #[test]
    fn named_list_items_are_matched_by_name() {
        let before = deployment(
            "1",
            json!([{ "name": "sidecar", "image": "a" }, { "name": "main", "resources": { "limits": { "memory": "2048Mi" } } }]),
        );
        let after = deployment(
            "1",
            json!([{ "name": "main", "resources": { "limits": { "memory": "4096Mi" } } }, { "name": "sidecar", "image": "a" }]),
        );
        let diffs = diff_objects(&[before], &[after]).unwrap();
        let [ObjectDiff::Changed { fields, .. }] = diffs.as_slice() else { panic!("{diffs:?}") };
        assert_eq!(
            fields,
            &vec![
                FieldChange::Modified {
                    path: "spec.template.spec.containers[main].resources.limits.memory".into(),
                    before: json!("2048Mi"),
                    after: json!("4096Mi"),
                },
                FieldChange::Reordered {
                    path: "spec.template.spec.containers".into(),
                    before: vec!["sidecar".into(), "main".into()],
                    after: vec!["main".into(), "sidecar".into()],
                },
            ]
        );
    }

    #[test]
    fn keys_that_are_not_identifiers_are_quoted() {
        let before = json!({ "kind": "ConfigMap", "metadata": { "name": "c" }, "data": { "config.yaml": "a: 1\n" } });
        let after = json!({ "kind": "ConfigMap", "metadata": { "name": "c" }, "data": { "config.yaml": "a: 2\n" } });
        let diffs = diff_objects(&[before], &[after]).unwrap();
        assert_eq!(diffs[0].key().to_string(), "ConfigMap c");
        let ObjectDiff::Changed { fields, .. } = &diffs[0] else { panic!() };
        assert_eq!(fields[0].path(), "data[\"config.yaml\"]");
    }

    #[test]
    fn added_and_removed_objects() {
        let service = json!({ "kind": "Service", "metadata": { "name": "s" } });
        let ingress = json!({ "kind": "Ingress", "metadata": { "name": "i" } });
        let diffs = diff_objects(std::slice::from_ref(&service), std::slice::from_ref(&ingress)).unwrap();
        assert!(matches!(&diffs[0], ObjectDiff::Added { key, .. } if key.kind == "Ingress"));
        assert!(matches!(&diffs[1], ObjectDiff::Removed { key, .. } if key.kind == "Service"));
    }

    #[test]
    fn duplicate_objects_are_an_error() {
        let service = json!({ "kind": "Service", "metadata": { "name": "s" } });
        assert_eq!(
            diff_objects(&[service.clone(), service.clone()], &[service]),
            Err("the committed output holds Service s twice".into())
        );
    }

    #[test]
    fn scalar_lists_compare_whole_and_object_lists_by_position() {
        let before = json!({ "kind": "Job", "metadata": { "name": "j" }, "args": ["a", "b"], "rules": [{ "x": 1 }] });
        let after = json!({ "kind": "Job", "metadata": { "name": "j" }, "args": ["a", "c"], "rules": [{ "x": 2 }, { "x": 3 }] });
        let diffs = diff_objects(&[before], &[after]).unwrap();
        let ObjectDiff::Changed { fields, .. } = &diffs[0] else { panic!() };
        let paths: Vec<&str> = fields.iter().map(FieldChange::path).collect();
        assert_eq!(paths, ["args", "rules[0].x", "rules[1]"]);
    }

    #[test]
    fn lists_expand_to_their_items() {
        let objects = parse_objects("{\"kind\": \"List\", \"items\": [{\"kind\": \"A\"}]}\n---\nkind: B\n").unwrap();
        assert_eq!(objects, vec![json!({ "kind": "A" }), json!({ "kind": "B" })]);
        assert!(parse_objects("- a\n").is_err());
    }

    #[test]
    fn line_changes_keep_common_lines() {
        let lines = line_changes("a\nb\nc\n", "a\nB\nc\nd\n");
        assert_eq!(
            lines,
            vec![Line::Same("a"), Line::Removed("b"), Line::Added("B"), Line::Same("c"), Line::Added("d")]
        );
    }
}
