//! The fast YAML emitter (`emit::yaml`) against its reference, serde-saphyr over the whole
//! document (`to_yaml_document_reference`, the emitter it replaced): byte-identical on every
//! object every fixture renders (and every value nested in one), and on random JSON trees
//! whose keys and strings come from a pool of YAML's nastiest spellings.

use std::path::{Path, PathBuf};
use std::time::Instant;

use proptest::prelude::*;
use serde_json::{Map, Number, Value};

use flink_render::emit::yaml::{to_yaml_document, to_yaml_document_reference, to_yaml_stream};
use flink_render::{Input, Options, compile};

fn assert_same(value: &Value) {
    let fast = to_yaml_document(value);
    let reference = to_yaml_document_reference(value);
    assert!(fast == reference, "YAML differs for {value:?}\n--- fast\n{fast}--- reference\n{reference}");
}

/// Every `*.yaml` and `*.json` under `fixtures/`, recursively.
fn fixture_paths(directory: &Path, paths: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(directory).expect("fixture directory reads") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            fixture_paths(&path, paths);
        } else if path.extension().is_some_and(|extension| extension == "yaml" || extension == "json") {
            paths.push(path);
        }
    }
}

/// The objects of every fixture, compiled with and without a namespace.
fn rendered_objects() -> Vec<Value> {
    let mut paths = Vec::new();
    fixture_paths(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"), &mut paths);
    paths.sort();
    let mut objects = Vec::new();
    for path in &paths {
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        let name = path.to_string_lossy();
        for namespace in [None, Some("default")] {
            let options = Options { namespace, defaults: None, ..Options::default() };
            objects.extend(compile(&[Input { name: &name, text: &text }], &options).objects);
        }
    }
    objects
}

/// `value` and every value nested in it.
fn with_nested<'v>(value: &'v Value, out: &mut Vec<&'v Value>) {
    out.push(value);
    match value {
        Value::Array(items) => items.iter().for_each(|item| with_nested(item, out)),
        Value::Object(fields) => fields.values().for_each(|field| with_nested(field, out)),
        _ => {}
    }
}

#[test]
fn every_rendered_object_is_byte_identical() {
    let objects = rendered_objects();
    assert!(objects.len() > 100, "the fixtures render objects ({})", objects.len());
    let mut values = Vec::new();
    objects.iter().for_each(|object| with_nested(object, &mut values));
    for value in values {
        assert_same(value);
    }
    let reference: String =
        objects.iter().map(|object| format!("---\n{}", to_yaml_document_reference(object))).collect();
    assert!(to_yaml_stream(&objects) == reference, "the stream differs");
}

/// Strings YAML readers and writers trip over.
const NASTY: &[&str] = &[
    "",
    " ",
    "  ",
    " a",
    "a ",
    " a ",
    "yes",
    "No",
    "ON",
    "off",
    "Y",
    "n",
    "~",
    "null",
    "NULL",
    "true",
    "False",
    "0777",
    "0x1F",
    "0o17",
    "0b101",
    "1e3",
    "1E+3",
    ".5",
    "-.5",
    "+1",
    "-1",
    "1_000",
    "1__0",
    "_1",
    "12:30",
    "1:20:30.5",
    "2024-01-01",
    "2024-01-01T10:20:30Z",
    "2024-1-1 1:2:3 +01:00",
    ".inf",
    "-.INF",
    ".NaN",
    "nan",
    "Inf",
    "<<",
    "=",
    "-",
    "--",
    "---",
    "...",
    "--- x",
    "... x",
    "- x",
    "-x",
    "? x",
    "?",
    "?x",
    ":",
    "a:",
    "a: b",
    "a:b",
    "a #b",
    "a#b",
    "#x",
    "#",
    ".",
    "&a",
    "*a",
    "!t",
    "|",
    ">",
    "%",
    "@",
    "`",
    ",",
    "[",
    "]",
    "{",
    "}",
    "'",
    "\"",
    "'a'",
    "\"a\"",
    "a'b",
    "a\"b",
    "\\",
    "a\\nb",
    "\t",
    "a\tb",
    "\r",
    "a\rb",
    "\r\n",
    "é",
    "日本",
    "😀",
    "\u{85}",
    "a\u{85}b",
    "\u{2028}",
    "\u{2029}",
    "\u{FEFF}",
    "\u{FEFF}a",
    "\u{0}",
    "\u{7}",
    "\u{1b}",
    "\u{7f}",
    "\u{9f}",
    "\u{a0}",
    "a\u{a0}",
    "\u{FFFE}",
    "\n",
    "\n\n",
    "\n\n\n",
    "a\n",
    "a\nb",
    "a\nb\n",
    "a\nb\n\n",
    "a\n\nb",
    " a\nb",
    "  a\n b\n",
    "a\n b",
    "\na",
    "\n a",
    "a\n\n\n",
    "---\nx",
    "...\n",
    "a\n---\nb",
    "a\n...\n",
    "a\n  \nb",
    "a \nb ",
    "a\t\nb",
    "a\r\nb",
    "key: value\nother: x\n",
    "# c\nx",
    "- a\n- b\n",
    "1\n2",
    "é\n日本",
    "flink:2.2",
    "2 gb",
    "1024m",
    "100Mi",
    "-Dkey=value",
    "local:///opt/flink/usrlib/my.jar",
    "s3://bucket/path",
    "app.kubernetes.io/name",
    "$internal",
    "/opt/flink",
    "a b",
    "a  b",
    "a, b",
    "a [b]",
    "{a}",
    "[a]",
    "a&b",
    "a*b",
    "a!b",
    "a|b",
    "a>b",
    "a%b",
    "a@b",
    "a`b",
    "a=b",
    "x: y: z",
    "1.0",
    "1.2.3",
    "6124",
    "0",
    "-0",
    "00",
    "1.",
    "1e",
    "e1",
    "0x",
    "True ",
    " true",
];

fn long_line(repeat: usize) -> String {
    "word --flag=value:x ".repeat(repeat).trim_end().to_string()
}

/// One string: a pool entry, a concatenation of up to four, a long line, or random text.
fn string() -> impl Strategy<Value = String> {
    let pool = proptest::sample::select(NASTY);
    prop_oneof![
        4 => pool.clone().prop_map(str::to_string),
        4 => proptest::collection::vec(pool, 1..5).prop_map(|pieces| pieces.concat()),
        1 => (5usize..60).prop_map(long_line),
        1 => (1usize..3).prop_map(|n| format!("{}\n{}\n", long_line(20 * n), long_line(n))),
        1 => "[ -~]{1,12}",
        1 => "[ -~\n\t]{0,24}",
        1 => "\\PC{0,8}",
        1 => any::<String>(),
    ]
}

/// A key: mostly short, sometimes beyond the 1024 characters of a simple YAML key.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        20 => string(),
        1 => (1020usize..1030).prop_map(|len| "k".repeat(len)),
        1 => (1015usize..1025).prop_map(|len| format!("\"{}", "k".repeat(len))),
        1 => (510usize..520).prop_map(|len| format!("{}\n", "k".repeat(len))),
    ]
}

fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<u64>().prop_map(Number::from),
        any::<i64>().prop_map(Number::from),
        (-5i64..5).prop_map(Number::from),
        Just(Number::from(u64::MAX)),
        Just(Number::from(i64::MIN)),
        prop::sample::select(
            &[0.0, -0.0, 1.0, 0.5, 1e20, 1e-7, 123456.789, 4e-6, 1.5e300, f64::MAX, f64::MIN_POSITIVE][..]
        )
        .prop_filter_map("finite", Number::from_f64),
        any::<f64>().prop_filter_map("finite", Number::from_f64),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        2 => number().prop_map(Value::Number),
        8 => string().prop_map(Value::String),
        1 => Just(Value::Array(Vec::new())),
        1 => Just(Value::Object(Map::new())),
    ]
}

/// Trees of maps and sequences in every nesting, with the Kubernetes leading keys sometimes.
fn tree() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 48, 6, |inner| {
        let field_key = prop_oneof![
            6 => key(),
            1 => prop::sample::select(&["apiVersion", "kind", "metadata", "spec", "a"][..]).prop_map(str::to_string),
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 1..6).prop_map(Value::Array),
            proptest::collection::vec((field_key, inner), 1..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10000, ..ProptestConfig::default() })]

    #[test]
    fn random_trees_are_byte_identical(value in tree()) {
        let fast = to_yaml_document(&value);
        let reference = to_yaml_document_reference(&value);
        prop_assert!(fast == reference, "YAML differs for {:?}\n--- fast\n{}--- reference\n{}", value, fast, reference);
    }

    #[test]
    fn random_scalars_and_keys_are_byte_identical(key in key(), text in string(), depth in 0usize..4) {
        // The string as a map value, as a sequence item, and as a key, at several depths.
        let mut values = vec![Value::String(text.clone())];
        values.push(Value::Object(Map::from_iter([(key.clone(), Value::String(text.clone()))])));
        values.push(Value::Array(vec![Value::String(text.clone()), Value::String(key.clone())]));
        for _ in 0..depth {
            let last = values.last().expect("a value").clone();
            values.push(Value::Array(vec![last.clone()]));
            values.push(Value::Object(Map::from_iter([(text.clone(), last.clone()), (key.clone(), last)])));
        }
        for value in &values {
            let fast = to_yaml_document(value);
            let reference = to_yaml_document_reference(value);
            prop_assert!(fast == reference, "YAML differs for {:?}\n--- fast\n{}--- reference\n{}", value, fast, reference);
        }
    }
}

/// The emitter alone, fast against reference, over the basic fixture's objects. Not a
/// criterion bench: run `cargo test --release --test yaml_emitter -- --ignored --nocapture`.
#[test]
#[ignore = "timing, not a check"]
fn emitter_timing() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/basic-application.yaml"))
        .expect("fixture reads");
    let objects = compile(&[Input { name: "basic", text: &text }], &Options::default()).objects;
    let rounds = 2000;
    let time = |emit: &dyn Fn() -> usize| {
        let mut bytes = emit();
        let start = Instant::now();
        for _ in 0..rounds {
            bytes = bytes.max(emit());
        }
        (start.elapsed() / rounds, bytes)
    };
    let (fast, fast_bytes) = time(&|| to_yaml_stream(&objects).len());
    let (reference, reference_bytes) = time(&|| {
        objects.iter().map(|object| format!("---\n{}", to_yaml_document_reference(object))).collect::<String>().len()
    });
    assert_eq!(fast_bytes, reference_bytes);
    println!(
        "to_yaml_stream over {} objects ({fast_bytes} bytes): fast {fast:?}, reference {reference:?}",
        objects.len()
    );
    for object in &objects {
        let (fast, bytes) = time(&|| to_yaml_document(object).len());
        let (reference, _) = time(&|| to_yaml_document_reference(object).len());
        let kind = object["kind"].as_str().unwrap_or("?");
        println!("  {kind:<14} {bytes:>6} bytes: fast {fast:?}, reference {reference:?}");
    }
}
