//! The Flink configuration file inside the ConfigMap (FO §5.1): a flat `flink-conf.yaml`
//! (`key: value` lines, values raw in Flink's string form) before Flink 2.0, a nested
//! `config.yaml` (keys split on `.`, lists and maps as real YAML collections, strings that
//! look like numbers or booleans quoted) from Flink 2.0.

use serde_json::{Map, Value};

use crate::emit::yaml::to_yaml_document;
use crate::flink::config::{ConfigValue, FlinkConfig};
use crate::flink::version::FlinkVersion;

/// The file name Flink reads for `version`.
pub fn file_name(version: FlinkVersion) -> &'static str {
    if version.uses_config_yaml() { "config.yaml" } else { "flink-conf.yaml" }
}

/// The file content for `version`.
pub fn render(config: &FlinkConfig, version: FlinkVersion) -> String {
    if version.uses_config_yaml() { render_nested(config) } else { render_flat(config) }
}

/// One `key: value` line per key, sorted, as the legacy parser reads them. Keys with an
/// empty value (an empty program-args list) are left out: that parser skips them anyway.
fn render_flat(config: &FlinkConfig) -> String {
    config
        .iter()
        .map(|(key, value)| (key, value.to_flat_string()))
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| format!("{key}: {value}\n"))
        .collect()
}

/// Nested YAML: `a.b.c: v` becomes `a: {b: {c: v}}`. Overlapping keys (`k` and `k.v`) are
/// rejected before this point (resolve), so every path is free.
fn render_nested(config: &FlinkConfig) -> String {
    let mut root = Map::new();
    for (key, value) in config.iter() {
        let leaf = match value {
            ConfigValue::Text(text) => Value::String(text.clone()),
            ConfigValue::List(items) => Value::Array(items.iter().cloned().map(Value::String).collect()),
            ConfigValue::Map(entries) => {
                Value::Object(entries.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect())
            }
        };
        insert_path(&mut root, &key.split('.').collect::<Vec<_>>(), leaf);
    }
    to_yaml_document(&Value::Object(root))
}

fn insert_path(node: &mut Map<String, Value>, path: &[&str], leaf: Value) {
    match path {
        [] => {}
        [last] => {
            node.insert((*last).to_string(), leaf);
        }
        [first, rest @ ..] => {
            let child = node.entry((*first).to_string()).or_insert_with(|| Value::Object(Map::new()));
            if !child.is_object() {
                *child = Value::Object(Map::new());
            }
            if let Value::Object(child) = child {
                insert_path(child, rest, leaf);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> FlinkConfig {
        let mut config = FlinkConfig::default();
        config.set("taskmanager.numberOfTaskSlots", "2");
        config.set("kubernetes.cluster-id", "basic");
        config.set_value("pipeline.classpaths", ConfigValue::List(vec!["file:///x.jar".into()]));
        config.set("custom.flag", "on");
        config
    }

    /// FO §9 fact 30: v1_19 writes a flat file with the `kubernetes.cluster-id` key.
    #[test]
    fn fo9_fact30_flat_file_before_flink_2() {
        let text = render(&sample(), FlinkVersion::new(1, 19));
        assert_eq!(file_name(FlinkVersion::new(1, 19)), "flink-conf.yaml");
        assert!(text.contains("kubernetes.cluster-id: basic\n"));
        assert!(text.contains("pipeline.classpaths: file:///x.jar\n"));
        assert!(text.contains("custom.flag: on\n"));
    }

    /// FO §9 fact 30: v2_0 writes a nested `config.yaml` whose top key is `kubernetes`;
    /// values that look like numbers or booleans stay strings.
    #[test]
    fn fo9_fact30_nested_file_from_flink_2() {
        let text = render(&sample(), FlinkVersion::new(2, 0));
        assert_eq!(file_name(FlinkVersion::new(2, 0)), "config.yaml");
        assert!(text.contains("kubernetes:\n  cluster-id: basic\n"), "{text}");
        assert!(text.contains("numberOfTaskSlots: \"2\""), "{text}");
        assert!(text.contains("flag: \"on\""), "{text}");
        assert!(text.contains("classpaths:\n"), "{text}");
    }
}
