//! YAML and JSON streams as trees of [`Node`]s that remember where every value came from.
//!
//! One parser reads both formats (JSON is YAML). Scalars are typed the way the
//! Kubernetes toolchain types them (`true`, `2`, `0.5`, `null`); every node and every
//! mapping key keeps its line and column so that later stages can point at the exact
//! line of a field. Hostile input is bounded here: input size, nesting depth, document
//! count, node count and alias expansion all have budgets.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Budget, Options, Spanned};

use crate::diagnostics::Span;
use crate::flink::java::java_double_text;

/// Largest input accepted, in bytes (128 MiB): a `kustomize build` of a large platform is a
/// few tens of MiB. The work per byte is bounded by the per-document budgets below.
pub const MAX_INPUT_BYTES: usize = 128 * 1024 * 1024;
/// Deepest nesting accepted in a document. A pod template nests about 12 levels.
pub const MAX_DEPTH: usize = 64;
/// Most YAML nodes accepted in one document (a large spec has a few thousand).
pub const MAX_NODES: usize = 250_000;
/// Most alias (`*name`) uses accepted in one document; bounds "billion laughs" expansion.
pub const MAX_ALIASES: usize = 1_000;

/// A YAML value with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where the value starts.
    pub span: Span,
}

/// A mapping entry: key (as text) with its own position, and the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key as text (`2` and `true` keys become `"2"` and `"true"`).
    pub key: String,
    /// Where the key is.
    pub key_span: Span,
    /// The value.
    pub value: Node,
}

/// A YAML value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Integer(i128),
    /// A floating point number.
    Float(f64),
    /// A string.
    String(String),
    /// A sequence.
    Sequence(Vec<Node>),
    /// A mapping, in source order.
    Mapping(Vec<Entry>),
}

/// A problem reading the text itself (not its meaning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What went wrong.
    pub message: String,
    /// Where, when known.
    pub span: Span,
}

/// Parse a YAML or JSON stream into its non-empty documents.
pub fn parse_stream(text: &str) -> Result<Vec<Node>, SyntaxError> {
    let mut documents = Vec::new();
    for piece in parse_documents(text) {
        documents.extend(piece?);
    }
    Ok(documents)
}

/// The stream's non-empty documents piece by piece (each piece holds at most one document),
/// parsed only when asked for; the first error ends the stream.
pub fn parse_documents(text: &str) -> impl Iterator<Item = Result<Vec<Node>, SyntaxError>> + '_ {
    let too_large = (text.len() > MAX_INPUT_BYTES).then(|| SyntaxError {
        message: format!("input is {} bytes, more than the {} bytes flink-render accepts", text.len(), MAX_INPUT_BYTES),
        span: Span::UNKNOWN,
    });
    let pieces = if too_large.is_some() { Vec::new() } else { pieces(text) };
    let parsed = pieces.into_iter().map(|(lines_before, piece)| {
        let nodes = parse_piece(piece).map_err(|mut error| {
            error.span.shift_lines(lines_before);
            error
        })?;
        let mut documents = Vec::with_capacity(nodes.len());
        for mut node in nodes {
            if node.value != Value::Null {
                node.shift_lines(lines_before);
                documents.push(node);
            }
        }
        Ok(documents)
    });
    let mut failed = false;
    too_large.map(Err).into_iter().chain(parsed).take_while(move |piece| {
        let go_on = !failed;
        failed |= piece.is_err();
        go_on
    })
}

/// The stream cut at its document markers (`---` or `...` at the start of a line, which
/// YAML forbids inside any scalar), each piece with the number of lines before it, so that
/// the parser's budgets hold per document and a stream may have any number of them. A
/// stream with directives (`%YAML`) stays whole: a directive belongs to the next document.
fn pieces(text: &str) -> Vec<(u32, &str)> {
    let mut pieces = Vec::new();
    let (mut start, mut start_line, mut offset, mut line) = (0, 0u32, 0, 0u32);
    for text_line in text.split_inclusive('\n') {
        if text_line.starts_with('%') {
            return vec![(0, text)];
        }
        let marker = |prefix: &str| {
            text_line
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
        };
        // `---` starts the next piece; `...` ends this one.
        let cut = if marker("---") {
            offset
        } else if marker("...") {
            offset + text_line.len()
        } else {
            start
        };
        if cut > start {
            pieces.push((start_line, &text[start..cut]));
            start = cut;
            start_line = if cut == offset { line } else { line + 1 };
        }
        offset += text_line.len();
        line = line.saturating_add(1);
    }
    if start < text.len() || pieces.is_empty() {
        pieces.push((start_line, &text[start..]));
    }
    pieces
}

/// One piece of the stream (at most one document) under the parser's budgets.
fn parse_piece(piece: &str) -> Result<Vec<Node>, SyntaxError> {
    let mut budget = Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_nodes = MAX_NODES;
    budget.max_aliases = MAX_ALIASES;
    let mut options = Options::default();
    options.budget = Some(budget);
    serde_saphyr::from_multiple_with_options(piece, options).map_err(|error| {
        let span = error
            .location()
            .map(|location| Span {
                line: location.line().min(u32::MAX as u64) as u32,
                column: location.column().min(u32::MAX as u64) as u32,
            })
            .unwrap_or(Span::UNKNOWN);
        SyntaxError { message: first_line(&error.without_snippet().to_string()), span }
    })
}

/// The message without the positions serde-saphyr writes into it (we carry them separately).
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or(message).trim();
    let line = match line.split_once(": ") {
        Some((prefix, rest)) if prefix.starts_with("line ") => rest,
        _ => line,
    };
    let line = line.split(" at line ").next().unwrap_or(line);
    let line = line.split(", set DuplicateKeyPolicy").next().unwrap_or(line).trim();
    match line.strip_prefix("budget breached: ") {
        Some(budget) if budget.starts_with("Nodes") => {
            format!("the input expands to more than {MAX_NODES} YAML nodes (are aliases multiplying it?)")
        }
        Some(budget) if budget.starts_with("Depth") => format!("the input nests deeper than {MAX_DEPTH} levels"),
        Some(budget) if budget.starts_with("Aliases") => format!("the input uses more than {MAX_ALIASES} aliases"),
        Some(budget) => format!("the input exceeds a parser limit ({budget})"),
        None => line.to_string(),
    }
}

impl Node {
    /// Move the node and everything in it `lines` lines down (a piece of a stream parsed alone).
    fn shift_lines(&mut self, lines: u32) {
        if lines == 0 {
            return;
        }
        self.span.shift_lines(lines);
        match &mut self.value {
            Value::Sequence(items) => items.iter_mut().for_each(|item| item.shift_lines(lines)),
            Value::Mapping(entries) => entries.iter_mut().for_each(|entry| {
                entry.key_span.shift_lines(lines);
                entry.value.shift_lines(lines);
            }),
            _ => {}
        }
    }

    /// The mapping entries, if this is a mapping.
    pub fn entries(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Mapping(entries) => Some(entries),
            _ => None,
        }
    }

    /// The entry for `key`, if this is a mapping that has it.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries()?.iter().find(|entry| entry.key == key)
    }

    /// The value at `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    /// The string value, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// Follow a path of keys and indices; returns the span of the deepest node reached
    /// (the key's span for the last mapping step, so errors point at the field name).
    pub fn span_of(&self, path: &[PathStep<'_>]) -> Span {
        let mut node = self;
        let mut span = self.span;
        for step in path {
            match (step, &node.value) {
                (PathStep::Key(key), Value::Mapping(entries)) => match entries.iter().find(|e| e.key == *key) {
                    Some(entry) => {
                        span = entry.key_span;
                        node = &entry.value;
                    }
                    None => return span,
                },
                (PathStep::Index(index), Value::Sequence(items)) => match items.get(*index) {
                    Some(item) => {
                        span = item.span;
                        node = item;
                    }
                    None => return span,
                },
                _ => return span,
            }
        }
        span
    }

    /// Convert to JSON. Keys stay in source order only as far as `serde_json::Map`
    /// allows (it sorts them); numbers that do not fit JSON become strings.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(flag) => serde_json::Value::Bool(*flag),
            Value::Integer(number) => {
                if let Ok(small) = i64::try_from(*number) {
                    serde_json::Value::from(small)
                } else if let Ok(unsigned) = u64::try_from(*number) {
                    serde_json::Value::from(unsigned)
                } else {
                    serde_json::Value::String(number.to_string())
                }
            }
            Value::Float(number) => serde_json::Number::from_f64(*number)
                .map(serde_json::Value::Number)
                .unwrap_or_else(|| serde_json::Value::String(java_double_text(*number))),
            Value::String(text) => serde_json::Value::String(text.clone()),
            Value::Sequence(items) => serde_json::Value::Array(items.iter().map(Node::to_json).collect()),
            Value::Mapping(entries) => serde_json::Value::Object(
                entries.iter().map(|entry| (entry.key.clone(), entry.value.to_json())).collect(),
            ),
        }
    }
}

/// One step of a field path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathStep<'a> {
    /// A mapping key.
    Key(&'a str),
    /// A sequence index.
    Index(usize),
}

/// Split a dotted display path (`spec.podTemplate.spec.containers[0].name`) into steps.
/// Keys that themselves contain dots cannot be told apart here; callers that need them
/// build the steps directly.
pub fn path_steps(path: &str) -> Vec<PathStep<'_>> {
    let mut steps = Vec::new();
    for part in path.split('.').filter(|part| !part.is_empty()) {
        let (key, mut rest) = match part.find('[') {
            Some(open) => (&part[..open], &part[open..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            steps.push(PathStep::Key(key));
        }
        // `[i]` groups; anything else after them (a key that itself holds brackets) only
        // makes the position less precise.
        while let Some(inner) = rest.strip_prefix('[') {
            let Some(close) = inner.find(']') else { break };
            if let Ok(index) = inner[..close].parse() {
                steps.push(PathStep::Index(index));
            }
            rest = &inner[close + 1..];
        }
    }
    steps
}

fn span_of(spanned_location: serde_saphyr::Location) -> Span {
    Span {
        line: spanned_location.line().min(u32::MAX as u64) as u32,
        column: spanned_location.column().min(u32::MAX as u64) as u32,
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        Ok(Node { span: span_of(spanned.referenced), value: spanned.value })
    }
}

/// A mapping key of any scalar type, as text.
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = KeyText;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a scalar mapping key")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<KeyText, E> {
                Ok(KeyText(text.to_string()))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<KeyText, E> {
                Ok(KeyText(text))
            }
            fn visit_bool<E: de::Error>(self, flag: bool) -> Result<KeyText, E> {
                Ok(KeyText(flag.to_string()))
            }
            fn visit_i64<E: de::Error>(self, number: i64) -> Result<KeyText, E> {
                Ok(KeyText(number.to_string()))
            }
            fn visit_u64<E: de::Error>(self, number: u64) -> Result<KeyText, E> {
                Ok(KeyText(number.to_string()))
            }
            fn visit_i128<E: de::Error>(self, number: i128) -> Result<KeyText, E> {
                Ok(KeyText(number.to_string()))
            }
            fn visit_u128<E: de::Error>(self, number: u128) -> Result<KeyText, E> {
                Ok(KeyText(number.to_string()))
            }
            fn visit_f64<E: de::Error>(self, number: f64) -> Result<KeyText, E> {
                Ok(KeyText(java_double_text(number)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<KeyText, E> {
                Ok(KeyText("null".to_string()))
            }
            fn visit_none<E: de::Error>(self) -> Result<KeyText, E> {
                Ok(KeyText("null".to_string()))
            }
        }
        deserializer.deserialize_any(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = Value;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("any YAML value")
            }
            fn visit_bool<E: de::Error>(self, flag: bool) -> Result<Value, E> {
                Ok(Value::Bool(flag))
            }
            fn visit_i64<E: de::Error>(self, number: i64) -> Result<Value, E> {
                Ok(Value::Integer(number.into()))
            }
            fn visit_u64<E: de::Error>(self, number: u64) -> Result<Value, E> {
                Ok(Value::Integer(number.into()))
            }
            fn visit_i128<E: de::Error>(self, number: i128) -> Result<Value, E> {
                Ok(Value::Integer(number))
            }
            fn visit_u128<E: de::Error>(self, number: u128) -> Result<Value, E> {
                Ok(i128::try_from(number).map(Value::Integer).unwrap_or(Value::String(number.to_string())))
            }
            fn visit_f64<E: de::Error>(self, number: f64) -> Result<Value, E> {
                Ok(Value::Float(number))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Value, E> {
                Ok(Value::String(text.to_string()))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<Value, E> {
                Ok(Value::String(text))
            }
            fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Value, E> {
                Ok(Value::String(String::from_utf8_lossy(bytes).into_owned()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
                Value::deserialize(deserializer)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Node>()? {
                    items.push(item);
                }
                Ok(Value::Sequence(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
                let mut entries: Vec<Entry> = Vec::new();
                while let Some(key) = map.next_key::<Spanned<KeyText>>()? {
                    let value = map.next_value::<Node>()?;
                    entries.push(Entry { key: key.value.0, key_span: span_of(key.referenced), value });
                }
                Ok(Value::Mapping(entries))
            }
        }
        deserializer.deserialize_any(ValueVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions_of_keys_and_values() {
        let docs = parse_stream("a: 1\nb:\n  c: [x, 2]\n").unwrap();
        let doc = &docs[0];
        assert_eq!(doc.entry("b").unwrap().key_span, Span { line: 2, column: 1 });
        let c = doc.get("b").unwrap().entry("c").unwrap();
        assert_eq!(c.key_span, Span { line: 3, column: 3 });
        assert_eq!(doc.span_of(&path_steps("b.c[1]")).line, 3);
        assert_eq!(doc.get("a").unwrap().value, Value::Integer(1));
    }

    /// Found by the fuzzer: keys that hold brackets (and multi-byte characters after them)
    /// once made the path splitter slice out of range.
    #[test]
    fn path_steps_accept_any_key_text() {
        assert_eq!(
            path_steps("a.b[2].c"),
            [PathStep::Key("a"), PathStep::Key("b"), PathStep::Index(2), PathStep::Key("c")]
        );
        for path in ["spec.resou[[[]]]rces", "a[]]x", "a[1]§]", "a]b[", "[", "]", "a[ü]", "a[1][2]é[3]"] {
            path_steps(path);
        }
    }

    #[test]
    fn reads_json_and_multi_document_streams() {
        assert_eq!(parse_stream("{\"a\": [1, 2.5, true, null]}").unwrap().len(), 1);
        assert_eq!(parse_stream("a: 1\n---\n---\nb: 2\n").unwrap().len(), 2);
    }

    #[test]
    fn rejects_duplicate_keys() {
        assert!(parse_stream("a: 1\na: 2\n").is_err());
    }

    #[test]
    fn bounds_alias_expansion() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..12 {
            let previous = level - 1;
            text.push_str(&format!(
                "a{level}: &a{level} [*a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}]\n"
            ));
        }
        assert!(parse_stream(&text).is_err());
    }

    #[test]
    fn budgets_hold_per_document_so_streams_have_any_length() {
        let document = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\n";
        let stream = format!("---\n{document}").repeat(20_000);
        let documents = parse_stream(&stream).unwrap();
        assert_eq!(documents.len(), 20_000);
        let last = documents.last().unwrap();
        assert_eq!(last.entry("kind").unwrap().key_span, Span { line: 20_000 * 7 - 4, column: 1 });
        let deep = format!("{stream}---\nx: {}{}\n", "[".repeat(500), "]".repeat(500));
        let error = parse_stream(&deep).unwrap_err();
        assert_eq!(error.span.line, 20_000 * 7 + 2, "{error:?}");
    }

    #[test]
    fn cuts_streams_only_at_document_markers() {
        let text = "a: |\n  ---not a marker\n  ...\nb: 1\n--- # c\nc: 2\n...\n---\nd: 3\n";
        let documents = parse_stream(text).unwrap();
        assert_eq!(documents.len(), 3);
        assert_eq!(documents[0].get("a").unwrap().value, Value::String("---not a marker\n...\n".into()));
        assert_eq!(documents[1].entry("c").unwrap().key_span.line, 6);
        assert_eq!(documents[2].entry("d").unwrap().key_span.line, 9);
        let with_directive = "%YAML 1.2\n---\na: 1\n";
        assert_eq!(parse_stream(with_directive).unwrap().len(), 1);
    }

    #[test]
    fn bounds_nesting_depth() {
        let text = "[".repeat(500) + &"]".repeat(500);
        assert!(parse_stream(&text).is_err());
    }
}
