//! Flink configuration as data (FO §2): a flat key → value map with typed list and map
//! values, Flink's flat string forms for lists (`a;b`) and maps (`k:v,k2:v2`) with their
//! quoting rules, and a key as the user wrote it. Reading `flinkConfiguration` out of a
//! document is the parser's ([`crate::parse::flink_configuration`]); layering defaults and
//! derived keys is the effective view's ([`crate::effective`]).

use std::collections::BTreeMap;

use crate::diagnostics::Span;

/// One configuration value. Most are text; a few options are typed lists or maps,
/// which the config file writers render per Flink version (FO §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigValue {
    /// A plain value, in Flink's string form (`2 gb`, `5 min`, `a;b`).
    Text(String),
    /// A list option such as `pipeline.classpaths`.
    List(Vec<String>),
    /// A map option such as `kubernetes.jobmanager.annotations`.
    Map(Vec<(String, String)>),
}

impl ConfigValue {
    /// The value as Flink's flat string form (FO §11.4): lists `;`-joined, maps `k:v,k2:v2`,
    /// each element quoted with single quotes when it contains a separator or a quote.
    pub fn to_flat_string(&self) -> String {
        match self {
            ConfigValue::Text(text) => text.clone(),
            ConfigValue::List(items) => {
                items.iter().map(|item| escape_with_single_quote(item, &[';'])).collect::<Vec<_>>().join(";")
            }
            ConfigValue::Map(entries) => entries
                .iter()
                .map(|(key, value)| {
                    format!(
                        "{}:{}",
                        escape_with_single_quote(key, &[':', ',']),
                        escape_with_single_quote(value, &[':', ','])
                    )
                })
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

/// Flink's `StructuredOptionsSplitter.escapeWithSingleQuote`: wrap in single quotes (doubling
/// inner single quotes) when the text contains one of the separators or a quote character.
pub fn escape_with_single_quote(text: &str, separators: &[char]) -> String {
    let needs_quotes = text.chars().any(|c| separators.contains(&c) || c == '\'' || c == '"');
    if needs_quotes { format!("'{}'", text.replace('\'', "''")) } else { text.to_string() }
}

/// A configuration key as the user wrote it: value text and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserKey {
    /// The flat key.
    pub key: String,
    /// The value in Flink's string form.
    pub value: String,
    /// Where the key was written.
    pub span: Span,
}

/// Where the user last wrote `key` (a later duplicate wins, as in Flink), if anywhere.
pub fn user_key_span(user_keys: &[UserKey], key: &str) -> Option<Span> {
    user_keys.iter().rev().find(|user| user.key == key).map(|user| user.span)
}

/// The effective configuration: sorted keys, so the written file is deterministic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlinkConfig {
    entries: BTreeMap<String, ConfigValue>,
}

impl FlinkConfig {
    /// The value of `key` as flat text.
    pub fn get(&self, key: &str) -> Option<String> {
        self.entries.get(key).map(ConfigValue::to_flat_string)
    }

    /// The value of the first key that is set, in order (a key with its deprecated fallbacks).
    pub fn get_any(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|key| self.get(key))
    }

    /// Whether `key` is set.
    pub fn contains(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// Set `key` to text.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.entries.insert(key.to_string(), ConfigValue::Text(value.into()));
    }

    /// Set `key` to a typed value.
    pub fn set_value(&mut self, key: &str, value: ConfigValue) {
        self.entries.insert(key.to_string(), value);
    }

    /// Set `key` only when it is not set yet (the builder's "default" keys).
    pub fn set_default(&mut self, key: &str, value: impl Into<String>) {
        self.entries.entry(key.to_string()).or_insert_with(|| ConfigValue::Text(value.into()));
    }

    /// Remove `key`.
    pub fn remove(&mut self, key: &str) -> Option<ConfigValue> {
        self.entries.remove(key)
    }

    /// Remove every key for which `predicate` is true.
    pub fn remove_where(&mut self, predicate: impl Fn(&str) -> bool) {
        self.entries.retain(|key, _| !predicate(key));
    }

    /// All entries, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &ConfigValue)> {
        self.entries.iter()
    }
}

/// Parse Flink's flat map form `k1:v1,k2:v2` (single quotes protect separators).
pub fn parse_flat_map(text: &str) -> Vec<(String, String)> {
    split_respecting_quotes(text, ',')
        .into_iter()
        .filter(|item| !item.trim().is_empty())
        .filter_map(|item| {
            let parts = split_respecting_quotes(&item, ':');
            match parts.as_slice() {
                [key, value] => Some((unquote(key.trim()), unquote(value.trim()))),
                _ => None,
            }
        })
        .collect()
}

/// Parse Flink's flat list form `a;b;'c;d'`.
pub fn parse_flat_list(text: &str) -> Vec<String> {
    split_respecting_quotes(text, ';').into_iter().map(|item| unquote(item.trim())).collect()
}

fn split_respecting_quotes(text: &str, separator: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(open) if c == open => {
                if chars.peek() == Some(&open) {
                    current.push(c);
                    current.push(chars.next().unwrap_or(open));
                } else {
                    quote = None;
                    current.push(c);
                }
            }
            Some(_) => current.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                current.push(c);
            }
            None if c == separator => parts.push(std::mem::take(&mut current)),
            None => current.push(c),
        }
    }
    parts.push(current);
    parts
}

fn unquote(text: &str) -> String {
    for quote in ['\'', '"'] {
        if text.len() >= 2 && text.starts_with(quote) && text.ends_with(quote) {
            let doubled = format!("{quote}{quote}");
            return text[1..text.len() - 1].replace(&doubled, &quote.to_string());
        }
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_maps_and_lists_round_trip() {
        assert_eq!(parse_flat_map("a:b, c:d"), vec![("a".into(), "b".into()), ("c".into(), "d".into())]);
        let list = ConfigValue::List(vec!["x;y".into(), "it's".into(), "z".into()]);
        assert_eq!(list.to_flat_string(), "'x;y';'it''s';z");
        assert_eq!(parse_flat_list(&list.to_flat_string()), vec!["x;y", "it's", "z"]);
    }
}
