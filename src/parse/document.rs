//! YAML and JSON streams as trees of [`Node`]s that remember where every value came from.
//!
//! One parser reads both formats (JSON is YAML). Scalars are typed the way the
//! Kubernetes toolchain types them (`true`, `2`, `0.5`, `null`); every node and every
//! mapping key keeps its line and column so that later stages can point at the exact
//! line of a field. Hostile input is bounded here: input size, nesting depth, document
//! count, node count and alias expansion all have budgets.
//!
//! Two readers give the same trees. The direct reader builds [`Node`]s from the events of
//! granit-parser, the parser serde-saphyr itself runs, so syntax and positions are the
//! parser's; it follows serde-saphyr 2.1's rules for untyped values (plain scalars typed
//! null, YAML 1.1 boolean, 64-bit integer, float, else string; aliases expanded at the
//! alias's position; `<<` merge keys; duplicate keys) and counts serde-saphyr's budgets.
//! The reference reader deserializes the same tree through serde-saphyr
//! ([`parse_stream_reference`]): the parser plus a serde round trip for every node and its
//! location, twice the time of the direct reader (which adds half again to the parser's).
//!
//! A piece of the stream goes to the reference reader when the direct reader meets a tag
//! (`!!str`, `!custom`), which serde-saphyr types in ways not worth copying, or anything
//! the reference reader rejects or may reject (a syntax error, a breached budget, a
//! duplicate or non-scalar key, a non-finite number, a recursive alias, a merge of
//! something other than mappings): the reference reader then reports the error, with its
//! message and position. `tests/yaml_parser.rs` holds the two readers equal, trees and
//! positions and errors, on every fixture and on ten thousand generated streams a run.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::rc::Rc;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::granit_parser::{self, Event, Parser, ScalarStyle, StrInput};
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
    collect(parse_documents(text))
}

/// The stream's non-empty documents piece by piece (each piece holds at most one document),
/// parsed only when asked for; the first error ends the stream.
pub fn parse_documents(text: &str) -> impl Iterator<Item = Result<Vec<Node>, SyntaxError>> + '_ {
    documents_with(text, parse_piece)
}

/// [`parse_stream`] through serde-saphyr's deserializer alone: the reference the direct
/// reader is tested against, and the reader of what it hands over.
#[doc(hidden)]
pub fn parse_stream_reference(text: &str) -> Result<Vec<Node>, SyntaxError> {
    collect(documents_with(text, parse_piece_reference))
}

/// All the pieces' documents, or the first error.
fn collect(pieces: impl Iterator<Item = Result<Vec<Node>, SyntaxError>>) -> Result<Vec<Node>, SyntaxError> {
    let mut documents = Vec::new();
    for piece in pieces {
        documents.extend(piece?);
    }
    Ok(documents)
}

/// [`parse_stream`] through the direct reader alone, for tests: the trees, or why a piece
/// would have gone to the reference reader.
#[doc(hidden)]
pub fn parse_stream_direct(text: &str) -> Result<Vec<Node>, Fallback> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(Fallback::Rejected("input size"));
    }
    let mut documents = Vec::new();
    for (lines_before, piece) in pieces(text) {
        documents.extend(non_empty(Reader::new(piece).documents()?, lines_before));
    }
    Ok(documents)
}

/// The documents of every piece of `text`, each piece read by `read`.
fn documents_with(
    text: &str,
    read: fn(&str) -> Result<Vec<Node>, SyntaxError>,
) -> impl Iterator<Item = Result<Vec<Node>, SyntaxError>> + '_ {
    let too_large = (text.len() > MAX_INPUT_BYTES).then(|| SyntaxError {
        message: format!("input is {} bytes, more than the {} bytes flink-render accepts", text.len(), MAX_INPUT_BYTES),
        span: Span::UNKNOWN,
    });
    let pieces = if too_large.is_some() { Vec::new() } else { pieces(text) };
    let parsed = pieces.into_iter().map(move |(lines_before, piece)| {
        let nodes = read(piece).map_err(|mut error| {
            error.span.shift_lines(lines_before);
            error
        })?;
        Ok(non_empty(nodes, lines_before))
    });
    let mut failed = false;
    too_large.map(Err).into_iter().chain(parsed).take_while(move |piece| {
        let go_on = !failed;
        failed |= piece.is_err();
        go_on
    })
}

/// A piece's documents without the empty (null) ones, moved to where the piece starts.
fn non_empty(nodes: Vec<Node>, lines_before: u32) -> Vec<Node> {
    let mut documents = Vec::with_capacity(nodes.len());
    for mut node in nodes {
        if node.value != Value::Null {
            node.shift_lines(lines_before);
            documents.push(node);
        }
    }
    documents
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

/// One piece of the stream (at most one document): read directly, or by the reference
/// reader when the direct reader hands it over.
fn parse_piece(piece: &str) -> Result<Vec<Node>, SyntaxError> {
    Reader::new(piece).documents().or_else(|_| parse_piece_reference(piece))
}

/// The budgets both readers hold a piece to: serde-saphyr's defaults with our depth, node
/// and alias limits.
fn budget() -> Budget {
    let mut budget = Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_nodes = MAX_NODES;
    budget.max_aliases = MAX_ALIASES;
    budget
}

/// One piece of the stream (at most one document) through serde-saphyr, under the budgets.
fn parse_piece_reference(piece: &str) -> Result<Vec<Node>, SyntaxError> {
    let mut options = Options::default();
    options.budget = Some(budget());
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

    /// The node at `path`, if every step exists.
    pub fn at(&self, path: &[PathStep<'_>]) -> Option<&Node> {
        let mut node = self;
        for step in path {
            node = match (step, &node.value) {
                (PathStep::Key(key), Value::Mapping(_)) => node.get(key)?,
                (PathStep::Index(index), Value::Sequence(items)) => items.get(*index)?,
                _ => return None,
            };
        }
        Some(node)
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

/// Why the direct reader hands a piece of the stream to the reference reader.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// A tag (`!!str 1`, `!custom x`): serde-saphyr gives tags meanings not worth copying.
    Tag,
    /// Something the reference reader rejects, or may reject (named here): it reports the
    /// error with its own message and position.
    Rejected(&'static str),
}

/// A node event as serde-saphyr's deserializer sees it, without tags (a tag hands the piece
/// over) and anchors (the reader keeps those aside). A span is where the event starts.
#[derive(Debug, Clone)]
enum Ev<'a> {
    Scalar(Cow<'a, str>, ScalarStyle, Span),
    SequenceStart(Span),
    SequenceEnd,
    MappingStart(Span),
    MappingEnd,
}

impl Ev<'_> {
    /// Where the node starts (ends have no node of their own).
    fn span(&self) -> Span {
        match self {
            Ev::Scalar(_, _, span) | Ev::SequenceStart(span) | Ev::MappingStart(span) => *span,
            Ev::SequenceEnd | Ev::MappingEnd => Span::UNKNOWN,
        }
    }

    /// The bytes a copy of the event allocates, as serde-saphyr charges anchor recordings.
    fn owned_bytes(&self) -> usize {
        match self {
            Ev::Scalar(Cow::Owned(text), ..) => text.len(),
            _ => 0,
        }
    }
}

/// The identity of a mapping key for duplicate detection, as serde-saphyr compares keys:
/// integers by value (`1`, `0x1` and `+1` are one key), plain nulls and everything else by
/// text (`~` and `null` are two keys, `a` and `'a'` one).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum KeyPrint<'a> {
    Integer(bool, u128),
    Null(Cow<'a, str>),
    Text(Cow<'a, str>),
}

impl<'a> KeyPrint<'a> {
    fn of(text: &Cow<'a, str>, style: ScalarStyle) -> KeyPrint<'a> {
        if style == ScalarStyle::Plain {
            let trimmed = yaml_trim(text);
            let integer = if !numeral_start(trimmed) {
                None
            } else if trimmed.starts_with('-') {
                signed_integer(trimmed).map(|number| (number < 0, number.unsigned_abs()))
            } else {
                unsigned_integer(trimmed).map(|number| (false, number))
            };
            if let Some((negative, magnitude)) = integer {
                return KeyPrint::Integer(negative, magnitude);
            }
            if is_null(text) {
                return KeyPrint::Null(text.clone());
            }
        }
        KeyPrint::Text(text.clone())
    }
}

/// An alias being expanded: the anchored node's events, replayed at the alias's position.
struct Replay<'a> {
    events: Rc<[Ev<'a>]>,
    next: usize,
    alias: Span,
}

/// The events of an anchored collection still open, recorded for its aliases.
struct Recording<'a> {
    anchor: usize,
    depth: usize,
    events: Vec<Ev<'a>>,
}

/// What a piece has used of serde-saphyr's budget (which holds for the whole piece).
#[derive(Default)]
struct Counts {
    nodes: usize,
    depth: usize,
    documents: usize,
    aliases: usize,
    anchors: usize,
    merge_keys: usize,
    scalar_bytes: usize,
    recorded_events: usize,
    recorded_bytes: usize,
}

/// The direct reader of one piece of the stream.
struct Reader<'a> {
    parser: Parser<'a, StrInput<'a>>,
    budget: Budget,
    counts: Counts,
    replay: Option<Replay<'a>>,
    anchors: HashMap<usize, Rc<[Ev<'a>]>>,
    recordings: Vec<Recording<'a>>,
    /// Inside the value of a merge key, the position its nodes take (the merge's use site).
    merge_reference: Option<Span>,
    /// The key prints of the mappings being read, innermost last.
    keys: Vec<KeyPrint<'a>>,
    /// The items of the sequences being read, innermost last (each moves to a vector of its
    /// size when complete).
    items: Vec<Node>,
    /// The entries of the mappings being read, innermost last.
    entries: Vec<Entry>,
}

/// A mapping's merged entries, with their keys' prints, in merge order.
type Merged<'a> = Vec<(KeyPrint<'a>, Entry)>;

impl<'a> Reader<'a> {
    /// A reader with serde-saphyr's parser options for our budget.
    fn new(piece: &'a str) -> Reader<'a> {
        let budget = budget();
        let mut options = granit_parser::Options::default();
        options.simple_key_max_lookahead = budget.simple_key_max_lookahead;
        options.flow_nesting_limit = budget.flow_nesting_limit;
        options.block_nesting_limit = options.block_nesting_limit.max(budget.max_depth.saturating_add(1));
        options.emit_comments = false;
        Reader {
            parser: Parser::new_from_str_with_options(piece, options),
            budget,
            counts: Counts::default(),
            replay: None,
            anchors: HashMap::new(),
            recordings: Vec::new(),
            merge_reference: None,
            keys: Vec::new(),
            items: Vec::new(),
            entries: Vec::new(),
        }
    }

    /// Every document's root node, null ones included.
    fn documents(mut self) -> Result<Vec<Node>, Fallback> {
        let mut documents = Vec::new();
        while let Some((event, alias)) = self.event()? {
            documents.push(self.node(event, alias)?);
        }
        let (aliases, anchors) = (self.counts.aliases, self.counts.anchors);
        if self.budget.enforce_alias_anchor_ratio
            && aliases >= self.budget.alias_anchor_min_aliases
            && (anchors == 0 || aliases > self.budget.alias_anchor_ratio_multiplier.saturating_mul(anchors))
        {
            return Err(Fallback::Rejected("aliases per anchor"));
        }
        Ok(documents)
    }

    /// The next node event (an alias's replayed ones included), with the alias's position;
    /// none at the end of the piece.
    fn event(&mut self) -> Result<Option<(Ev<'a>, Option<Span>)>, Fallback> {
        if let Some(replayed) = self.replayed()? {
            return Ok(Some(replayed));
        }
        while let Some(next) = self.parser.next() {
            let (event, span) = next.map_err(|_| Fallback::Rejected("syntax"))?;
            let at = Span {
                line: u32::try_from(span.start.line()).unwrap_or(u32::MAX),
                column: u32::try_from(span.start.col().saturating_add(1)).unwrap_or(u32::MAX),
            };
            let (event, anchor) = match event {
                Event::Scalar(text, style, anchor, tag) => (untagged(tag, Ev::Scalar(text, style, at))?, anchor),
                Event::SequenceStart(_, anchor, tag) => (untagged(tag, Ev::SequenceStart(at))?, anchor),
                Event::MappingStart(_, anchor, tag) => (untagged(tag, Ev::MappingStart(at))?, anchor),
                Event::SequenceEnd => (Ev::SequenceEnd, 0),
                Event::MappingEnd => (Ev::MappingEnd, 0),
                Event::Alias(anchor) => {
                    self.start_replay(anchor, at)?;
                    return self.event();
                }
                Event::DocumentStart(..) => {
                    self.counts.documents += 1;
                    over(self.counts.documents, self.budget.max_documents, "documents")?;
                    self.end_document();
                    continue;
                }
                Event::DocumentEnd => {
                    self.end_document();
                    continue;
                }
                Event::StreamStart | Event::StreamEnd => continue,
                _ => return Err(Fallback::Rejected("event")),
            };
            self.count(&event)?;
            self.record_parsed(&event, anchor)?;
            return Ok(Some((event, None)));
        }
        Ok(None)
    }

    /// The next node event inside a node.
    fn next(&mut self) -> Result<(Ev<'a>, Option<Span>), Fallback> {
        self.event()?.ok_or(Fallback::Rejected("end of input"))
    }

    /// The next event of the alias being expanded, if any.
    fn replayed(&mut self) -> Result<Option<(Ev<'a>, Option<Span>)>, Fallback> {
        let Some(replay) = &mut self.replay else { return Ok(None) };
        let Some(event) = replay.events.get(replay.next).cloned() else {
            self.replay = None;
            return Ok(None);
        };
        replay.next += 1;
        let alias = replay.alias;
        self.count(&event)?;
        self.record(&event)?;
        Ok(Some((event, Some(alias))))
    }

    /// Expand an alias: replay its anchor's events.
    fn start_replay(&mut self, anchor: usize, alias: Span) -> Result<(), Fallback> {
        self.counts.aliases += 1;
        over(self.counts.aliases, self.budget.max_aliases, "aliases")?;
        if self.recordings.iter().any(|recording| recording.anchor == anchor) {
            return Err(Fallback::Rejected("recursive alias"));
        }
        let events = self.anchors.get(&anchor).cloned().ok_or(Fallback::Rejected("unknown anchor"))?;
        self.replay = Some(Replay { events, next: 0, alias });
        Ok(())
    }

    /// Anchors belong to one document.
    fn end_document(&mut self) {
        self.replay = None;
        self.recordings.clear();
        self.anchors.clear();
    }

    /// Count an event against the node, depth and scalar-size budgets.
    fn count(&mut self, event: &Ev<'a>) -> Result<(), Fallback> {
        let counts = &mut self.counts;
        match event {
            Ev::Scalar(text, ..) => {
                counts.nodes += 1;
                counts.scalar_bytes = counts.scalar_bytes.saturating_add(text.len());
                over(counts.scalar_bytes, self.budget.max_total_scalar_bytes, "scalar bytes")?;
            }
            Ev::SequenceStart(_) | Ev::MappingStart(_) => {
                counts.nodes += 1;
                counts.depth += 1;
                over(counts.depth, self.budget.max_depth, "depth")?;
            }
            Ev::SequenceEnd | Ev::MappingEnd => counts.depth = counts.depth.saturating_sub(1),
        }
        over(counts.nodes, self.budget.max_nodes, "nodes")
    }

    /// Record a parsed event for the anchored collections it is part of, and keep anchored
    /// nodes for their aliases.
    fn record_parsed(&mut self, event: &Ev<'a>, anchor: usize) -> Result<(), Fallback> {
        if anchor != 0 {
            self.counts.anchors += 1;
            over(self.counts.anchors, self.budget.max_anchors, "anchors")?;
        }
        match event {
            Ev::SequenceStart(_) | Ev::MappingStart(_) => {
                self.recordings.iter_mut().for_each(|recording| recording.depth += 1);
                if anchor != 0 {
                    self.recordings.push(Recording { anchor, depth: 1, events: Vec::new() });
                }
                self.record(event)
            }
            Ev::SequenceEnd | Ev::MappingEnd => {
                self.record(event)?;
                self.recordings.iter_mut().for_each(|recording| recording.depth -= 1);
                while let Some(done) = self.recordings.pop_if(|recording| recording.depth == 0) {
                    self.anchors.insert(done.anchor, done.events.into());
                }
                Ok(())
            }
            Ev::Scalar(..) => {
                self.record(event)?;
                if anchor != 0 {
                    self.charge(event, 1)?;
                    self.anchors.insert(anchor, Rc::from([event.clone()]));
                }
                Ok(())
            }
        }
    }

    /// Copy an event into every open recording.
    fn record(&mut self, event: &Ev<'a>) -> Result<(), Fallback> {
        if self.recordings.is_empty() {
            return Ok(());
        }
        self.charge(event, self.recordings.len())?;
        for recording in &mut self.recordings {
            recording.events.push(event.clone());
        }
        Ok(())
    }

    /// Charge `copies` recorded copies of an event against the recording budgets.
    fn charge(&mut self, event: &Ev<'a>, copies: usize) -> Result<(), Fallback> {
        let counts = &mut self.counts;
        counts.recorded_events = counts.recorded_events.saturating_add(copies);
        over(counts.recorded_events, self.budget.max_recorded_anchor_events, "recorded events")?;
        counts.recorded_bytes = counts.recorded_bytes.saturating_add(copies.saturating_mul(event.owned_bytes()));
        over(counts.recorded_bytes, self.budget.max_recorded_anchor_bytes, "recorded bytes")
    }

    /// The position a node takes: an alias's, a merge's, or its own.
    fn position(&self, event: &Ev<'a>, alias: Option<Span>) -> Span {
        alias.or(self.merge_reference).unwrap_or_else(|| event.span())
    }

    /// The node that starts with `event`.
    fn node(&mut self, event: Ev<'a>, alias: Option<Span>) -> Result<Node, Fallback> {
        let span = self.position(&event, alias);
        let value = match event {
            Ev::Scalar(text, style, _) => Scalar::typed(text, style)?.into_value(),
            Ev::SequenceStart(_) => Value::Sequence(self.sequence_items()?),
            Ev::MappingStart(_) => {
                let base = self.keys.len();
                let entries = self.mapping_entries()?;
                self.keys.truncate(base);
                Value::Mapping(entries)
            }
            Ev::SequenceEnd | Ev::MappingEnd => return Err(Fallback::Rejected("unbalanced events")),
        };
        Ok(Node { value, span })
    }

    /// A sequence's items, up to its end.
    fn sequence_items(&mut self) -> Result<Vec<Node>, Fallback> {
        let base = self.items.len();
        loop {
            let (event, alias) = self.next()?;
            if matches!(event, Ev::SequenceEnd) {
                return Ok(self.items.split_off(base));
            }
            let item = self.node(event, alias)?;
            self.items.push(item);
        }
    }

    /// A mapping's entries up to its end: its own in source order, then those its merge keys
    /// bring whose keys it does not have yet. The keys' prints stay on `keys`, one per entry,
    /// for the caller to take or drop.
    fn mapping_entries(&mut self) -> Result<Vec<Entry>, Fallback> {
        let (base, first) = (self.keys.len(), self.entries.len());
        let (mut merged, mut index) = (Vec::new(), None);
        loop {
            let (key, alias) = self.next()?;
            let (text, style, at) = match key {
                Ev::MappingEnd => break,
                Ev::Scalar(text, style, at) => (text, style, at),
                _ => return Err(Fallback::Rejected("a key that is not a scalar")),
            };
            if style == ScalarStyle::Plain && text == "<<" {
                self.counts.merge_keys += 1;
                over(self.counts.merge_keys, self.budget.max_merge_keys, "merge keys")?;
                let (value, alias) = self.next()?;
                merged.extend(self.merged(value, alias, false)?);
                continue;
            }
            if !self.add_key(base, &mut index, KeyPrint::of(&text, style)) {
                return Err(Fallback::Rejected("duplicate key"));
            }
            let key_span = alias.or(self.merge_reference).unwrap_or(at);
            let key = Scalar::typed(text, style)?.into_key();
            let (value, alias) = self.next()?;
            let value = self.node(value, alias)?;
            self.entries.push(Entry { key, key_span, value });
        }
        for (print, entry) in merged {
            if self.add_key(base, &mut index, print) {
                self.entries.push(entry);
            }
        }
        Ok(self.entries.split_off(first))
    }

    /// Add a key's print to the mapping's from `base` on, unless it is there already. Large
    /// mappings look keys up in `index`.
    fn add_key(&mut self, base: usize, index: &mut Option<HashSet<KeyPrint<'a>>>, print: KeyPrint<'a>) -> bool {
        let known = &self.keys[base..];
        if let Some(index) = index {
            if !index.insert(print.clone()) {
                return false;
            }
        } else if known.contains(&print) {
            return false;
        } else if known.len() >= 16 {
            *index = Some(known.iter().chain([&print]).cloned().collect());
        }
        self.keys.push(print);
        true
    }

    /// The entries a merge key's value (or, `nested`, an item of it) brings, as serde-saphyr
    /// merges: a mapping's, its nodes at the merge's use site; each mapping's of a sequence
    /// in order, each at its own use site (an item's items at the item's); none for null.
    fn merged(&mut self, event: Ev<'a>, alias: Option<Span>, nested: bool) -> Result<Merged<'a>, Fallback> {
        let reference = self.position(&event, alias);
        match event {
            Ev::Scalar(text, ScalarStyle::Plain, _) if is_null(&text) => Ok(Vec::new()),
            Ev::MappingStart(_) => {
                let outer = self.merge_reference.replace(reference);
                let base = self.keys.len();
                let entries = self.mapping_entries();
                self.merge_reference = outer;
                let prints = self.keys.split_off(base);
                Ok(prints.into_iter().zip(entries?).collect())
            }
            Ev::SequenceStart(_) => {
                let outer = if nested { self.merge_reference.replace(reference) } else { self.merge_reference };
                let entries = self.merged_items();
                self.merge_reference = outer;
                entries
            }
            _ => Err(Fallback::Rejected("a merge of something other than mappings")),
        }
    }

    /// The entries the items of a merged sequence bring, up to its end.
    fn merged_items(&mut self) -> Result<Merged<'a>, Fallback> {
        let mut entries = Vec::new();
        loop {
            let (event, alias) = self.next()?;
            if matches!(event, Ev::SequenceEnd) {
                return Ok(entries);
            }
            entries.extend(self.merged(event, alias, true)?);
        }
    }
}

/// The event, unless the parser saw a tag on it.
fn untagged<'a, T>(tag: Option<T>, event: Ev<'a>) -> Result<Ev<'a>, Fallback> {
    match tag {
        Some(_) => Err(Fallback::Tag),
        None => Ok(event),
    }
}

/// A budget is breached when a count goes over its limit.
fn over(count: usize, limit: usize, what: &'static str) -> Result<(), Fallback> {
    if count > limit { Err(Fallback::Rejected(what)) } else { Ok(()) }
}

/// A scalar typed the way serde-saphyr 2.1 types an untagged scalar for an untyped value.
enum Scalar<'a> {
    Null,
    Bool(bool),
    Integer(i128),
    Float(f64),
    Text(Cow<'a, str>),
}

impl<'a> Scalar<'a> {
    /// Quoted and block scalars are strings. A plain one is null (`~`, `null`, nothing), a
    /// YAML 1.1 boolean (`yes`, `off`, `y`…), an integer that fits 64 bits (`0x1F`, `0o17`,
    /// `+1`, `1_000`; not `0777`), a float (`1e3`, `.5`, `0777`, an integer too large for
    /// 64 bits), or else a string (`12:30`, `.nan` is rejected as non-finite).
    fn typed(text: Cow<'a, str>, style: ScalarStyle) -> Result<Scalar<'a>, Fallback> {
        if style != ScalarStyle::Plain {
            return Ok(Scalar::Text(text));
        }
        if is_null(&text) {
            return Ok(Scalar::Null);
        }
        let trimmed = yaml_trim(&text);
        if !numeral_start(trimmed) {
            // Not a number (Rust's `inf` and `nan` spellings are not finite, so strings).
            return Ok(match yaml11_bool(trimmed) {
                Some(flag) => Scalar::Bool(flag),
                None => Scalar::Text(text),
            });
        }
        let integer = if trimmed.starts_with('-') {
            let decimal_with_zero = leading_zero_decimal(trimmed);
            let number = signed_integer(trimmed).filter(|_| !decimal_with_zero);
            number.and_then(|number| i64::try_from(number).ok()).map(i128::from)
        } else {
            unsigned_integer(trimmed).and_then(|number| u64::try_from(number).ok()).map(i128::from)
        };
        if let Some(number) = integer {
            return Ok(Scalar::Integer(number));
        }
        match float_including_overflow(trimmed) {
            Some(number) if number.is_finite() => Ok(Scalar::Float(number)),
            Some(_) => Err(Fallback::Rejected("a non-finite number")),
            None => Ok(Scalar::Text(text)),
        }
    }

    fn into_value(self) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(flag) => Value::Bool(flag),
            Scalar::Integer(number) => Value::Integer(number),
            Scalar::Float(number) => Value::Float(number),
            Scalar::Text(text) => Value::String(text.into_owned()),
        }
    }

    /// The key text, as the reference's `KeyText` writes a typed key.
    fn into_key(self) -> String {
        match self {
            Scalar::Null => "null".to_string(),
            Scalar::Bool(flag) => flag.to_string(),
            Scalar::Integer(number) => number.to_string(),
            Scalar::Float(number) => java_double_text(number),
            Scalar::Text(text) => text.into_owned(),
        }
    }
}

// Scalar resolution as serde-saphyr 2.1.1 does it (`parse_scalars.rs`, default options: no
// legacy octal, YAML 1.1 booleans), for the direct reader to type scalars the same way.

/// Trim the ASCII padding serde-saphyr ignores when it converts a scalar.
fn yaml_trim(text: &str) -> &str {
    text.trim_matches([' ', '\t', '\r', '\n'])
}

/// Whether trimmed scalar text starts the way every number does (a digit, a sign or a
/// point): no integer or float serde-saphyr reads starts otherwise.
fn numeral_start(trimmed: &str) -> bool {
    matches!(trimmed.as_bytes().first(), Some(b'0'..=b'9' | b'+' | b'-' | b'.'))
}

/// A plain scalar that means null.
fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// A YAML 1.1 boolean, any case: `true`/`yes`/`y`/`on` and `false`/`no`/`n`/`off`.
fn yaml11_bool(text: &str) -> Option<bool> {
    let text = yaml_trim(text);
    let is = |words: [&str; 4]| words.iter().any(|word| text.eq_ignore_ascii_case(word));
    if is(["true", "yes", "y", "on"]) {
        Some(true)
    } else if is(["false", "no", "n", "off"]) {
        Some(false)
    } else {
        None
    }
}

/// A decimal integer written with a redundant leading zero (`0127`, `-0127`).
fn leading_zero_decimal(text: &str) -> bool {
    let text = yaml_trim(text);
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|byte| byte.is_ascii_digit())
}

/// The radix and digits of an unsigned integer's text (`0x`, `0o`, `0b`, or decimal).
fn radix_and_digits(text: &str) -> (u32, &str) {
    for (prefixes, radix) in [(["0x", "0X"], 16), (["0o", "0O"], 8), (["0b", "0B"], 2)] {
        if let Some(digits) = prefixes.iter().find_map(|prefix| text.strip_prefix(prefix)) {
            return (radix, digits);
        }
    }
    (10, text)
}

/// Digits in `radix` with single underscores between them, at least one digit.
fn digits_value(digits: &str, radix: u32) -> Option<u128> {
    let bytes = digits.as_bytes();
    let mut value: u128 = 0;
    let mut saw_digit = false;
    for (index, &byte) in bytes.iter().enumerate() {
        if byte == b'_' {
            let between_digits =
                index > 0 && bytes[index - 1] != b'_' && bytes.get(index + 1).is_some_and(|&next| next != b'_');
            if !between_digits {
                return None;
            }
            continue;
        }
        let digit = (byte as char).to_digit(radix)?;
        value = value.checked_mul(u128::from(radix))?.checked_add(u128::from(digit))?;
        saw_digit = true;
    }
    saw_digit.then_some(value)
}

/// An integer without sign restrictions, as `parse_int_signed::<i128>` reads it.
fn signed_integer(text: &str) -> Option<i128> {
    let text = yaml_trim(text);
    let (negative, rest) = match text.strip_prefix('+') {
        Some(rest) => (false, rest),
        None => text.strip_prefix('-').map_or((false, text), |rest| (true, rest)),
    };
    let (radix, digits) = radix_and_digits(rest);
    if radix == 10 && digits.starts_with('0') && digits != "0" {
        return None;
    }
    let magnitude = digits_value(digits, radix)?;
    if negative { 0i128.checked_sub_unsigned(magnitude) } else { i128::try_from(magnitude).ok() }
}

/// A non-negative integer, as `parse_int_unsigned::<u128>` reads it.
fn unsigned_integer(text: &str) -> Option<u128> {
    let text = yaml_trim(text);
    if text.starts_with('-') {
        return None;
    }
    let (radix, digits) = radix_and_digits(text.strip_prefix('+').unwrap_or(text));
    if radix == 10 && digits.starts_with('0') && digits != "0" {
        return None;
    }
    digits_value(digits, radix)
}

/// A float as serde-saphyr reads an untyped one: YAML's `.inf`/`.nan` spellings, what Rust
/// parses as finite, and numerals too large for `f64` (infinite).
fn float_including_overflow(text: &str) -> Option<f64> {
    let text = yaml_trim(text);
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    match unsigned {
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        ".inf" | ".Inf" | ".INF" => return Some(if negative { f64::NEG_INFINITY } else { f64::INFINITY }),
        _ => {}
    }
    let parsed = text.parse::<f64>().ok();
    if parsed.is_some_and(f64::is_finite) {
        return parsed;
    }
    let numeral = text.strip_prefix(['+', '-']).unwrap_or(text).as_bytes().first().is_some_and(u8::is_ascii_digit);
    parsed.filter(|number| numeral && number.is_infinite())
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
