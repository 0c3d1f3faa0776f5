//! Byte-stable YAML output. serde-saphyr quotes every string a YAML 1.1 reader would
//! retype (`on`, `yes`, `n`, `0777`, `1e3`, …), so the output survives PyYAML and Go's
//! yaml.v2 with every string intact; long strings are never folded (clean diffs) and
//! multi-line strings are literal blocks. Objects start with `apiVersion`, `kind`,
//! `metadata`; every other key is sorted.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use serde_saphyr::SerializerOptions;

/// Keys written first, in this order, at the top of an object.
const LEADING_KEYS: [&str; 3] = ["apiVersion", "kind", "metadata"];

struct Ordered<'a>(&'a Value);

impl Serialize for Ordered<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for key in LEADING_KEYS {
                    if let Some(value) = fields.get(key) {
                        map.serialize_entry(key, value)?;
                    }
                }
                for (key, value) in fields.iter().filter(|(key, _)| !LEADING_KEYS.contains(&key.as_str())) {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
            other => other.serialize(serializer),
        }
    }
}

fn options() -> SerializerOptions {
    let mut options = SerializerOptions::default();
    options.folded_wrap_chars = usize::MAX;
    options
}

/// One YAML document (no `---`), ending with a newline.
pub fn to_yaml_document(value: &Value) -> String {
    let mut text = String::new();
    serde_saphyr::to_fmt_writer_with_options(&mut text, &Ordered(value), options())
        .expect("JSON values always serialize");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// A stream of documents separated by `---` lines.
pub fn to_yaml_stream(values: &[Value]) -> String {
    values.iter().map(|value| format!("---\n{}", to_yaml_document(value))).collect()
}
