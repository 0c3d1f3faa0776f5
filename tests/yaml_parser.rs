//! The direct YAML reader (`parse::document`, trees built from granit-parser's events)
//! against its reference, serde-saphyr deserializing the same tree (`parse_stream_reference`,
//! the reader it replaced): the same trees, values and positions alike, on every fixture and
//! on thousands of generated streams (block and flow collections, scalars from a pool of
//! YAML's nastiest spellings, anchors, aliases, merge keys, tags, duplicate and non-string
//! keys, comments, document markers) and on mutations of them that break the syntax.
//!
//! Three readings of each text: the public `parse_stream` must equal the reference exactly,
//! errors included (message and position); the direct reader alone, when it reads a text,
//! must give the reference's trees; when it hands a text over because the reference rejects
//! it, the reference must reject it. Handing over a text the reference accepts is allowed
//! only for the one known case (an error inside a merged entry the merge then drops).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use flink_render::parse::document::{
    Fallback, Node, SyntaxError, Value, parse_stream, parse_stream_direct, parse_stream_reference,
};

/// Two trees alike in every value (floats to the bit) and every position.
fn same_node(a: &Node, b: &Node) -> bool {
    a.span == b.span
        && match (&a.value, &b.value) {
            (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
            (Value::Sequence(xs), Value::Sequence(ys)) => {
                xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same_node(x, y))
            }
            (Value::Mapping(xs), Value::Mapping(ys)) => {
                xs.len() == ys.len()
                    && xs
                        .iter()
                        .zip(ys)
                        .all(|(x, y)| x.key == y.key && x.key_span == y.key_span && same_node(&x.value, &y.value))
            }
            (x, y) => x == y,
        }
}

fn same_documents(a: &[Node], b: &[Node]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_node(x, y))
}

/// What the direct reader did with the generated texts.
#[derive(Default)]
struct Tally {
    read: usize,
    read_with_aliases: usize,
    read_with_merges: usize,
    rejected_by_both: usize,
    tags: usize,
    reference_errors: usize,
    /// Texts the direct reader handed over as rejected that the reference accepts.
    overcautious: Vec<(&'static str, String)>,
    reasons: BTreeMap<&'static str, usize>,
}

/// Read `text` three ways and hold them to the reference.
fn check(text: &str, tally: &mut Tally) {
    let reference = parse_stream_reference(text);
    let public = parse_stream(text);
    let alike = match (&public, &reference) {
        (Ok(a), Ok(b)) => same_documents(a, b),
        (Err(a), Err(b)) => a == b,
        _ => false,
    };
    assert!(
        alike,
        "parse_stream differs from the reference on {text:?}\n--- parse_stream\n{public:#?}\n--- reference\n{reference:#?}"
    );
    tally.reference_errors += usize::from(reference.is_err());
    match parse_stream_direct(text) {
        Ok(direct) => {
            let expected: &Result<Vec<Node>, SyntaxError> = &reference;
            match expected {
                Ok(expected) => assert!(
                    same_documents(&direct, expected),
                    "the direct reader differs from the reference on {text:?}\n--- direct\n{direct:#?}\n--- reference\n{expected:#?}"
                ),
                Err(error) => panic!("the direct reader accepts {text:?}, which the reference rejects: {error:?}"),
            }
            tally.read += 1;
            tally.read_with_aliases += usize::from(text.contains("*a"));
            tally.read_with_merges += usize::from(text.contains("<<"));
        }
        Err(Fallback::Tag) => tally.tags += 1,
        Err(Fallback::Rejected(reason)) => {
            *tally.reasons.entry(reason).or_default() += 1;
            if reference.is_ok() {
                if std::env::var_os("SHOW_OVERCAUTIOUS").is_some() {
                    eprintln!("handed over ({reason}) though the reference reads it: {text:?}");
                }
                tally.overcautious.push((reason, text.to_string()));
            } else {
                tally.rejected_by_both += 1;
            }
        }
    }
}

/// The known cases of a direct reader handing over a text the reference reads (harmless: the
/// reference then reads it, only slower): a value the reference would reject (a bad key, a
/// non-finite number, a recursive alias) inside an entry a merge brings and then drops (the
/// mapping has that key), which serde-saphyr never looks at, and a merge of a value that is not
/// a mapping, which it skips in some positions. Every such text has a merge key, and nothing
/// else is handed over needlessly.
fn assert_overcautious_only_with_merges(tally: &Tally) {
    let value_errors = [
        "a key that is not a scalar",
        "a non-finite number",
        "duplicate key",
        "recursive alias",
        "a merge of something other than mappings",
    ];
    for (reason, text) in &tally.overcautious {
        assert!(
            text.contains("<<") && value_errors.contains(reason),
            "handed over ({reason}) a text the reference reads: {text:?}"
        );
    }
}

/// Every file under `fixtures/`, recursively.
fn fixture_paths(directory: &Path, paths: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(directory).expect("fixture directory reads") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            fixture_paths(&path, paths);
        } else {
            paths.push(path);
        }
    }
}

#[test]
fn every_fixture_reads_as_the_reference_reads_it() {
    let mut paths = Vec::new();
    fixture_paths(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"), &mut paths);
    paths.sort();
    let mut tally = Tally::default();
    let mut texts = 0;
    for path in &paths {
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        texts += 1;
        check(&text, &mut tally);
    }
    eprintln!(
        "{texts} fixture texts: {} read directly, {} rejected by both, {} with tags, {} handed over though the reference reads them",
        tally.read,
        tally.rejected_by_both,
        tally.tags,
        tally.overcautious.len()
    );
    assert!(texts > 200, "the fixtures are found ({texts})");
    assert!(tally.overcautious.is_empty(), "{:?}", tally.overcautious);
    assert_eq!(tally.read + tally.rejected_by_both, texts, "every fixture the reference reads is read directly");
}

// ---------------------------------------------------------------------------------------
// Generated streams.

/// Plain scalars that YAML, YAML 1.1 and serde-saphyr each type their own way.
const PLAIN: &[&str] = &[
    "yes",
    "No",
    "NO",
    "y",
    "Y",
    "n",
    "on",
    "Off",
    "true",
    "False",
    "TRUE",
    "~",
    "null",
    "Null",
    "NULL",
    "0777",
    "-0777",
    "+0777",
    "0x1F",
    "0X1f",
    "-0x1F",
    "+0x1F",
    "0o17",
    "0O17",
    "0b101",
    "-0b101",
    "+1",
    "-1",
    "-0",
    "+0",
    "0",
    "00",
    "1_000",
    "1__000",
    "_1",
    "1_",
    "0x_1",
    "0x1_F",
    "1e3",
    "1E+3",
    "1e-3",
    "-1e3",
    ".5",
    "5.",
    "-.5",
    "+.5",
    ".inf",
    "-.Inf",
    "+.INF",
    ".NaN",
    ".nan",
    "-.nan",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "infinity",
    "1e999",
    "-1e999",
    "12:30",
    "1:2:3",
    "2024-01-01",
    "2024-01-01T10:00:00Z",
    "1.0",
    "1.50",
    "3.14.15",
    "1_0.5",
    "0x",
    "0o8",
    "0b2",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999",
    "170141183460469231731687303715884105727",
    "170141183460469231731687303715884105728",
    "-170141183460469231731687303715884105728",
    "-170141183460469231731687303715884105729",
    "340282366920938463463374607431768211456",
    "0xFFFFFFFFFFFFFFFF",
    "0x10000000000000000",
    "-0x8000000000000000",
    "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "0x100000000000000000000000000000000",
    "hello",
    "hello world",
    "a.b",
    "café",
    "日本語",
    "x:y",
    "<<",
    "=",
    "0.0",
    "-0.0",
    "+1.5e+3",
    "1.7976931348623157e308",
    "4.9e-324",
    "0.1",
    "1e-400",
    "m",
    "flink:2.2",
    "s3://bucket/path",
    "-Xmx1g",
    "${VAR}",
    "%",
    "a#b",
    "'",
];

/// Tagged scalars: the direct reader hands these to the reference.
const TAGGED: &[&str] = &["!!str 1", "!!int 0x1F", "!!float 1", "!!bool yes", "!!null ~", "!custom x", "! 12", "!!str"];

/// Keys: few, so that duplicates (`1` and `0x1`, `a` and `'a'`) come often.
const KEYS: &[&str] = &[
    "a",
    "b",
    "name",
    "1",
    "01",
    "0x1",
    "+1",
    "-0",
    "0",
    "1.0",
    "1.00",
    "true",
    "yes",
    "y",
    "~",
    "null",
    "\"a\"",
    "'a'",
    "\"1\"",
    "'true'",
    "\"null\"",
    ".inf",
    "1e3",
    "2024-01-01",
    "'<<'",
    "\"\"",
    "[a]",
    "{a: 1}",
    "!!str k",
];

/// A scalar as written: plain, single- or double-quoted (with escapes), maybe anchored.
fn scalar_text() -> impl Strategy<Value = String> {
    let plain = proptest::sample::select(PLAIN);
    prop_oneof![
        24 => plain.clone().prop_map(str::to_string),
        8 => plain.clone().prop_map(|text| format!("'{}'", text.replace('\'', "''"))),
        8 => plain.prop_map(|text| format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))),
        4 => proptest::sample::select(&["\"\"", "''", "\"\\t\"", "\"a\\nb\"", "\"\\u00e9\"", "' padded '", "\"\\x41\""][..])
            .prop_map(str::to_string),
        1 => proptest::sample::select(TAGGED).prop_map(str::to_string),
    ]
}

/// A node of a generated document, with the choices of how to write it.
#[derive(Debug, Clone)]
enum Tree {
    Scalar {
        text: String,
        comment: bool,
    },
    /// A literal or folded block scalar: header (`|-`, `>+`…) and lines.
    Block {
        header: &'static str,
        lines: Vec<&'static str>,
    },
    Alias(u8),
    Anchored(u8, Box<Tree>),
    Sequence {
        items: Vec<Tree>,
        flow: bool,
    },
    Mapping {
        entries: Vec<(Key, Tree, bool)>,
        flow: bool,
    },
}

#[derive(Debug, Clone)]
enum Key {
    Text(&'static str),
    /// `<<`
    Merge,
}

fn leaf() -> impl Strategy<Value = Tree> {
    let block_lines = proptest::collection::vec(
        proptest::sample::select(&["line", "  indented", "", "# not a comment", "- dash", "key: v", "\ttab"][..]),
        0..4,
    );
    prop_oneof![
        8 => (scalar_text(), proptest::bool::weighted(0.2)).prop_map(|(text, comment)| Tree::Scalar { text, comment }),
        1 => (proptest::sample::select(&["|", "|-", "|+", ">", ">-", ">+", "|2"][..]), block_lines)
            .prop_map(|(header, lines)| Tree::Block { header, lines }),
        2 => (0u8..3).prop_map(Tree::Alias),
    ]
}

/// What a merge key (`<<`) is given: mostly aliases and mappings, sometimes sequences of
/// them (nested too), null, or something that cannot be merged.
fn merge_value(inner: impl Strategy<Value = Tree> + Clone + 'static) -> impl Strategy<Value = Tree> {
    let alias = (0u8..3).prop_map(Tree::Alias);
    let mapping = (
        proptest::collection::vec(
            (proptest::sample::select(KEYS).prop_map(Key::Text), inner.clone(), Just(false)),
            0..4,
        ),
        any::<bool>(),
    )
        .prop_map(|(entries, flow)| Tree::Mapping { entries, flow });
    let item = prop_oneof![3 => alias.clone(), 2 => mapping.clone(), 1 => Just(Tree::Scalar { text: "~".into(), comment: false })];
    let items = proptest::collection::vec(item, 0..4);
    prop_oneof![
        4 => alias,
        3 => mapping,
        2 => items.clone().prop_map(|items| Tree::Sequence { items, flow: true }),
        1 => items.prop_map(|items| Tree::Sequence { items: vec![Tree::Sequence { items, flow: true }], flow: false }),
        1 => Just(Tree::Scalar { text: "~".into(), comment: false }),
        1 => inner,
    ]
}

fn tree() -> impl Strategy<Value = Tree> {
    leaf().prop_recursive(4, 48, 5, |inner| {
        let entry = prop_oneof![
            6 => (proptest::sample::select(KEYS).prop_map(Key::Text), inner.clone(), proptest::bool::weighted(0.1)),
            1 => (Just(Key::Merge), merge_value(inner.clone()), Just(false)),
        ];
        prop_oneof![
            3 => (proptest::collection::vec(inner.clone(), 0..5), proptest::bool::weighted(0.3))
                .prop_map(|(items, flow)| Tree::Sequence { items, flow }),
            4 => (proptest::collection::vec(entry, 0..5), proptest::bool::weighted(0.3))
                .prop_map(|(entries, flow)| Tree::Mapping { entries, flow }),
            2 => ((0u8..3), inner).prop_map(|(anchor, tree)| Tree::Anchored(anchor, Box::new(tree))),
        ]
    })
}

/// Writes a generated document as YAML text.
#[derive(Default)]
struct Writer {
    out: String,
    /// Anchors written so far in this document: aliases only refer to these (or the text
    /// would mostly be an unknown-anchor error).
    defined: HashSet<u8>,
}

impl Writer {
    /// An alias, or where its anchor is not written yet, the anchor on a value of its own
    /// (a scalar, or for a merge a mapping), so that aliases mostly refer to something.
    fn alias(&mut self, anchor: u8, merged: bool) -> String {
        if self.defined.insert(anchor) {
            let value = if merged {
                "{p: 1, q: [2, 0x10], 'r': {s: yes}}"
            } else {
                ["x", "0x1F", "{k: v}"][usize::from(anchor)]
            };
            format!("&a{anchor} {value}")
        } else {
            format!("*a{anchor}")
        }
    }

    /// A merge key's alias value, written so that an anchor it defines is a mapping.
    fn merge_alias(&mut self, key: &Key, value: &Tree) -> Option<String> {
        match (key, value) {
            (Key::Merge, Tree::Alias(anchor)) => Some(self.alias(*anchor, true)),
            (Key::Merge, Tree::Sequence { items, .. }) if items.iter().all(|item| matches!(item, Tree::Alias(_))) => {
                let aliases: Vec<String> = items
                    .iter()
                    .map(|item| match item {
                        Tree::Alias(anchor) => self.alias(*anchor, true),
                        _ => String::new(),
                    })
                    .collect();
                Some(format!("[{}]", aliases.join(", ")))
            }
            _ => None,
        }
    }

    /// The node on one line, if it can be written so (in flow context when `flow`).
    fn inline(&mut self, tree: &Tree, flow: bool) -> Option<String> {
        Some(match tree {
            Tree::Scalar { text, comment } => {
                if *comment && !flow {
                    format!("{text} # note")
                } else {
                    text.clone()
                }
            }
            Tree::Block { lines, .. } if flow => format!("{:?}", lines.join("\n")),
            Tree::Block { .. } => return None,
            Tree::Alias(anchor) => self.alias(*anchor, false),
            Tree::Anchored(anchor, inner) => {
                let text = self.inline(inner, flow)?;
                self.defined.insert(*anchor);
                format!("&a{anchor} {text}")
            }
            Tree::Sequence { items, flow: as_flow } if *as_flow || flow || items.is_empty() => {
                let items: Vec<String> = items.iter().map(|item| self.inline(item, true).unwrap_or_default()).collect();
                format!("[{}]", items.join(", "))
            }
            Tree::Mapping { entries, flow: as_flow } if *as_flow || flow || entries.is_empty() => {
                let entries: Vec<String> = entries
                    .iter()
                    .map(|(key, value, _)| {
                        let value =
                            self.merge_alias(key, value).or_else(|| self.inline(value, true)).unwrap_or_default();
                        format!("{}: {value}", key_text(key))
                    })
                    .collect();
                format!("{{{}}}", entries.join(", "))
            }
            Tree::Sequence { .. } | Tree::Mapping { .. } => return None,
        })
    }

    /// The node after `key:` or `-` (or at the start of a document), in block context.
    fn value(&mut self, tree: &Tree, indent: usize) {
        if let Some(text) = self.inline(tree, false) {
            self.out.push(' ');
            self.out.push_str(&text);
            self.out.push('\n');
            return;
        }
        match tree {
            Tree::Block { header, lines } => {
                self.out.push_str(&format!(" {header}\n"));
                for line in lines {
                    self.out.push_str(&format!("{:indent$}{line}\n", "", indent = indent + 2));
                }
            }
            Tree::Anchored(anchor, inner) => {
                self.out.push_str(&format!(" &a{anchor}"));
                self.defined.insert(*anchor);
                self.value(inner, indent);
            }
            _ => {
                self.out.push('\n');
                self.block(tree, indent + 2);
            }
        }
    }

    /// A block collection at `indent`.
    fn block(&mut self, tree: &Tree, indent: usize) {
        match tree {
            Tree::Sequence { items, .. } => {
                for item in items {
                    self.out.push_str(&format!("{:indent$}-", ""));
                    self.value(item, indent);
                }
            }
            Tree::Mapping { entries, .. } => {
                for (key, value, comment) in entries {
                    if *comment {
                        self.out.push_str(&format!("{:indent$}# a comment line\n", ""));
                    }
                    self.out.push_str(&format!("{:indent$}{}:", "", key_text(key)));
                    match self.merge_alias(key, value) {
                        Some(alias) => self.out.push_str(&format!(" {alias}\n")),
                        None => self.value(value, indent),
                    }
                }
            }
            other => self.value(other, indent),
        }
    }

    /// A document: its root, block or inline.
    fn document(&mut self, tree: &Tree) {
        self.defined.clear();
        match self.inline(tree, false) {
            Some(text) => {
                self.out.push_str(&text);
                self.out.push('\n');
            }
            None => match tree {
                Tree::Anchored(..) | Tree::Block { .. } => {
                    self.out.push_str("---");
                    self.value(tree, 0);
                }
                _ => self.block(tree, 0),
            },
        }
    }
}

fn key_text(key: &Key) -> &'static str {
    match key {
        Key::Text(text) => text,
        Key::Merge => "<<",
    }
}

/// A stream: documents between markers, some empty, maybe a directive.
fn stream() -> impl Strategy<Value = String> {
    let separator = proptest::sample::select(&["---\n", "--- # next\n", "...\n---\n", "---\n...\n", "\n---\n"][..]);
    let document = proptest::option::weighted(0.9, tree());
    (
        proptest::collection::vec((separator, document), 1..4),
        proptest::bool::weighted(0.05),
        proptest::bool::weighted(0.2),
    )
        .prop_map(|(documents, directive, leading_marker)| {
            let mut writer = Writer::default();
            if directive {
                writer.out.push_str("%YAML 1.2\n---\n");
            } else if leading_marker {
                writer.out.push_str("---\n");
            }
            for (index, (separator, document)) in documents.iter().enumerate() {
                if index > 0 {
                    writer.out.push_str(separator);
                }
                if let Some(tree) = document {
                    writer.document(tree);
                }
            }
            writer.out
        })
}

/// A stream with one edit that likely breaks it: a character deleted or inserted, a line
/// doubled or indented; or its line breaks made CRLF.
fn mutated() -> impl Strategy<Value = String> {
    let insert = proptest::sample::select(
        &[
            ":", "-", "[", "]", "{", "}", "&", "*", "!", "|", ">", "'", "\"", "#", " ", "\t", "\n", ",", "?", "%", "@",
            "`",
        ][..],
    );
    (stream(), any::<proptest::sample::Index>(), 0..5usize, insert).prop_map(|(text, at, edit, inserted)| {
        if text.is_empty() {
            return inserted.to_string();
        }
        let boundaries: Vec<usize> = text.char_indices().map(|(index, _)| index).collect();
        let position = boundaries[at.index(boundaries.len())];
        let mut text = text;
        match edit {
            0 => {
                text.remove(position);
            }
            1 => text.insert_str(position, inserted),
            2 => {
                let start = text[..position].rfind('\n').map_or(0, |newline| newline + 1);
                text.insert_str(start, "  ");
            }
            3 => text = text.replace('\n', "\r\n"),
            _ => {
                let start = text[..position].rfind('\n').map_or(0, |newline| newline + 1);
                let end = text[position..].find('\n').map_or(text.len(), |newline| position + newline + 1);
                let line = text[start..end].to_string();
                text.insert_str(start, &line);
            }
        }
        text
    })
}

/// `cases` random texts from `strategy`, each checked (`YAML_PARSER_CASES` sets how many).
fn run(cases: u32, strategy: impl Strategy<Value = String>, what: &str) -> Tally {
    let cases = std::env::var("YAML_PARSER_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(cases);
    let tally = RefCell::new(Tally::default());
    // A fixed seed: the same texts on every run and machine (YAML_PARSER_CASES runs more of them).
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let result = runner.run(&strategy, |text| {
        check(&text, &mut tally.borrow_mut());
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
    let tally = tally.into_inner();
    eprintln!(
        "{cases} {what}: {} read directly ({} with aliases, {} with merge keys), {} rejected by both, {} with tags, {} handed over though the reference reads them; reference errors {}; reasons {:?}",
        tally.read,
        tally.read_with_aliases,
        tally.read_with_merges,
        tally.rejected_by_both,
        tally.tags,
        tally.overcautious.len(),
        tally.reference_errors,
        tally.reasons
    );
    tally
}

#[test]
fn generated_streams_read_as_the_reference_reads_them() {
    let tally = run(6_000, stream(), "generated streams");
    assert_overcautious_only_with_merges(&tally);
    assert!(tally.read > 2_000, "most generated streams are read directly ({})", tally.read);
}

#[test]
fn broken_streams_read_as_the_reference_reads_them() {
    let tally = run(4_000, mutated(), "mutated streams");
    assert_overcautious_only_with_merges(&tally);
}

/// Hand-picked corners, each read three ways.
#[test]
fn corners_read_as_the_reference_reads_them() {
    let corners = [
        "a: &x 1\nb: *x\n",
        "base: &b {x: 1, y: [2, {z: 3}]}\nm:\n  <<: *b\n  x: 9\n",
        "a: &a {p: 1}\nb: &b {q: 2, p: 3}\nc:\n  <<: [*a, *b]\n  r: 4\n",
        "a: &a {p: 1}\nc:\n  <<: {p: 2, q: *a}\n",
        "a: &a {p: 1}\nc: {<<: *a, <<: {p: 3, s: 1}}\n",
        "c:\n  <<: ~\n  a: 1\n",
        "c:\n  <<: 1\n",
        "c:\n  <<: [1]\n",
        "a: &a [{p: 1}, {q: 2}]\nc:\n  <<: *a\n",
        "c:\n  <<: [[{p: 1}], {q: 2}]\n",
        "a: &a\n  <<: {x: 1}\n  y: 2\nb: *a\nc:\n  <<: *a\n",
        "a: {b: 1, <<: {b: {[x]: 1}}}\n",
        "a: 1\na: 2\n",
        "1: a\n0x1: b\n",
        "1: a\n\"1\": b\n",
        "~: a\nnull: b\n",
        "a: b\n'a': c\n",
        "[a]: 1\n",
        "? a\n: 1\n",
        "a: .inf\n",
        "a: 1e999\n",
        ".nan: 1\n",
        "y: n\n",
        "x: &a [*a]\n",
        "x: !!str 1\n",
        "%YAML 1.2\n---\na: 1\n---\nb: *c\n",
        "--- &r\na: 1\n",
        "\u{feff}a: 1\n",
        "a: |\n  x\n  y\n",
        "a: >-\n  x\n  y\n\n",
        "",
        "---\n---\n...\n",
        "# only a comment\n",
        "- - - a\n",
        "a:\n- 1\n- 2\n",
        "{\"a\": [1, 2.5, true, null], \"b\": {\"c\": \"d\"}}",
        "1e3: a\n-9223372036854775809: b\n18446744073709551615: c\n0o17: d\n",
        "{}: x\n",
        "a: 1\r\nb:\r\n  - x\r\n",
        "a: &a {x: 1}\nb: &b {y: *a}\nc: {<<: *b, z: *b}\n",
        "a: &n ~\nb: {<<: *n, c: 1}\n",
        "a: &l [{p: 1}, ~, {q: 2}]\nb: {<<: *l}\n",
        "k: &k <<\nm: {*k: {a: 1}, b: 2}\n",
        "a: {'<<': 1, \"<<\": 2}\n",
        "é: &é ü\nü: [*é, \"ö\"]\n",
    ];
    let mut tally = Tally::default();
    for text in corners {
        check(text, &mut tally);
    }
    assert_overcautious_only_with_merges(&tally);
}

/// `under` is at a budget's limit and `over` one past it: the reference reads the first and
/// rejects the second, and so does the direct reader.
fn limit(what: &str, under: &str, over: &str) {
    let mut tally = Tally::default();
    check(under, &mut tally);
    check(over, &mut tally);
    assert!(parse_stream_reference(under).is_ok(), "{what}: the reference reads the text at the limit");
    assert!(parse_stream_reference(over).is_err(), "{what}: the reference rejects the text past the limit");
    assert_eq!(
        (tally.read, tally.rejected_by_both),
        (1, 1),
        "{what}: the direct reader reads the one, rejects the other"
    );
}

/// The budgets hold in the direct reader as in the reference, to the node.
#[test]
fn budgets_are_the_reference_budgets() {
    let aliases = |count: usize| format!("a: &a x\nb: [{}]\n", vec!["*a"; count].join(", "));
    limit("aliases per anchor (from 100 aliases, at most 10 per anchor)", &aliases(99), &aliases(100));
    let spread = |count: usize| {
        let anchors: String = (0..count / 10 + 1).map(|index| format!("a{index}: &a{index} x\n")).collect();
        format!(
            "{anchors}b: [{}]\n",
            (0..count).map(|index| format!("*a{}", index / 10)).collect::<Vec<_>>().join(", ")
        )
    };
    limit("aliases (1,000)", &spread(1_000), &spread(1_001));
    let flow = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    limit("flow depth (64)", &flow(64), &flow(65));
    let block =
        |depth: usize| (0..depth).map(|level| format!("{:indent$}k:\n", "", indent = level * 2)).collect::<String>();
    limit("block depth (64)", &block(64), &block(65));
    // The mapping, its key and the sequence are three nodes.
    let items = |count: usize| format!("a: [{}]\n", vec!["1"; count].join(","));
    limit("nodes (250,000)", &items(249_997), &items(249_998));
    // Inside 60 nested anchors an item is copied 60 times, and the anchors' starts and ends
    // 2 × (1 + … + 60) times: 60 × 16,605 + 3,660 copies is the last count under 1,000,000.
    let nested = |items: &str| {
        let open: String = (0..60).map(|level| format!("&n{level} [")).collect();
        format!("a: {open}{items}{}\n", "]".repeat(60))
    };
    let copies = |count: usize| nested(&vec!["1"; count].join(","));
    limit("recorded copies (1,000,000)", &copies(16_605), &copies(16_606));
    // An escaped (so allocated) scalar copied 60 times: 60 MiB, or 65.8 MiB.
    let escaped = |size: usize| nested(&format!("\"\\t{}\"", "x".repeat(size)));
    limit("recorded bytes (64 MiB)", &escaped((1 << 20) - 1), &escaped(1_150_000));
    // A 1 MiB scalar and its aliases' copies, with the keys' two bytes: 63 MiB + 2, 64 MiB + 2.
    let copied = |aliases: usize| format!("a: &a {}\nb: [{}]\n", "x".repeat(1 << 20), vec!["*a"; aliases].join(", "));
    limit("scalar bytes (64 MiB)", &copied(62), &copied(63));
    let anchors = |count: usize| format!("[{}]", vec!["&a x"; count].join(", "));
    limit("anchors (50,000)", &anchors(50_000), &anchors(50_001));
    let merges = |count: usize| format!("{{{}}}", vec!["<<: {}"; count].join(", "));
    limit("merge keys (10,000)", &merges(10_000), &merges(10_001));
    // Only a stream with a directive is one piece.
    let documents = |count: usize| format!("%YAML 1.2\n{}", "---\na: 1\n".repeat(count));
    limit("documents per piece (1,024)", &documents(1_024), &documents(1_025));
}
