//! Reading `flinkConfiguration` (and an operator-defaults file) out of a document: the
//! operator's `ConfigObjectNode` flattening (FO §2.1), keeping where each key was written.

use crate::diagnostics::Span;
use crate::flink::config::UserKey;
use crate::flink::java::java_double_text;
use crate::parse::document::{Node, Value};

/// Flatten a nested `flinkConfiguration` the way the operator's `ConfigObjectNode` does
/// (FO §2.1): nested keys join with `.`, scalars use their JSON text (`2`, `0.5`, `true`,
/// and `null` becomes the text `"null"`), arrays join their elements with `;` (objects inside
/// arrays become empty text), and an **empty array drops the key**.
pub fn flatten(node: &Node) -> Vec<UserKey> {
    let mut keys = Vec::new();
    if let Value::Mapping(entries) = &node.value {
        for entry in entries {
            flatten_into(&entry.key, entry.key_span, &entry.value, &mut keys);
        }
    }
    keys
}

fn flatten_into(prefix: &str, span: Span, node: &Node, keys: &mut Vec<UserKey>) {
    match &node.value {
        Value::Mapping(entries) => {
            for entry in entries {
                flatten_into(&format!("{prefix}.{}", entry.key), entry.key_span, &entry.value, keys);
            }
        }
        Value::Sequence(items) => {
            if !items.is_empty() {
                let value = items.iter().map(scalar_text).collect::<Vec<_>>().join(";");
                keys.push(UserKey { key: prefix.to_string(), value, span });
            }
        }
        _ => keys.push(UserKey { key: prefix.to_string(), value: scalar_text(node), span }),
    }
}

/// JSON text of a scalar; collections inside arrays become empty text (Jackson `asText`).
fn scalar_text(node: &Node) -> String {
    match &node.value {
        Value::Null => "null".to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Integer(number) => number.to_string(),
        Value::Float(number) => java_double_text(*number),
        Value::String(text) => text.clone(),
        Value::Sequence(_) | Value::Mapping(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::document::parse_stream;

    fn flat(text: &str) -> Vec<(String, String)> {
        let docs = parse_stream(text).unwrap();
        flatten(&docs[0]).into_iter().map(|key| (key.key, key.value)).collect()
    }

    /// FO §9 fact 29: `{a: 1, b: {c: [1,2]}}` → `{a: "1", b.c: "1;2"}`.
    #[test]
    fn fo9_fact29_nested_configuration_flattens() {
        assert_eq!(flat("a: 1\nb:\n  c: [1, 2]\n"), vec![("a".into(), "1".into()), ("b.c".into(), "1;2".into())]);
    }

    #[test]
    fn empty_array_drops_the_key_and_null_is_text() {
        assert_eq!(
            flat("a: []\nb: null\nc: 0.5\nd: true\n"),
            vec![("b".into(), "null".into()), ("c".into(), "0.5".into()), ("d".into(), "true".into())]
        );
    }

    #[test]
    fn objects_inside_arrays_become_empty_text() {
        assert_eq!(flat("a: [x, {y: 1}]\n"), vec![("a".into(), "x;".into())]);
    }
}
