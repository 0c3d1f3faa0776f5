//! Properties over mutated inputs (issue 3, hostile input): random mutations of the valid
//! fixtures — keys deleted or duplicated, values retyped, random scalars, lines dropped or
//! repeated — never panic, an input with errors yields no objects (exit 1 semantics), every
//! error says what and where, and compiling the same text twice gives the same result.
//! The input limits are checked on inputs built in memory (no 16 MiB fixture on disk).

use std::path::Path;

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

use flink_render::parse::document::{MAX_DEPTH, MAX_INPUT_BYTES, parse_stream};
use flink_render::{Compiled, Input, Options, compile, to_json, to_yaml};

/// The valid behaviour fixtures, as text.
fn fixtures() -> Vec<String> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut paths: Vec<_> = std::fs::read_dir(&directory)
        .expect("fixtures/ exists")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "yaml"))
        .collect();
    paths.sort();
    paths.iter().map(|path| std::fs::read_to_string(path).expect("fixture reads")).collect()
}

/// Compile on a thread with the CLI's main-thread stack (8 MiB). The YAML deserializer
/// recurses once per nesting level, and debug builds need more than the 2 MiB of a test
/// thread for the 64 levels flink-render accepts.
fn compile_text(text: &str) -> Compiled {
    let text = text.to_string();
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || compile(&[Input { name: "mutated.yaml", text: &text }], &Options::default()))
        .expect("a thread starts")
        .join()
        .expect("compile does not panic")
}

/// The invariants every compile keeps, whatever its input.
fn check_invariants(text: &str) -> Result<(), TestCaseError> {
    let first = compile_text(text);
    if first.diagnostics.has_errors() {
        prop_assert!(first.objects.is_empty(), "errors, yet objects were produced");
    }
    for diagnostic in first.diagnostics.iter() {
        prop_assert!(!diagnostic.message.is_empty(), "{diagnostic:?}");
    }
    let second = compile_text(text);
    prop_assert_eq!(&first.diagnostics, &second.diagnostics);
    prop_assert_eq!(to_yaml(&first.objects), to_yaml(&second.objects));
    prop_assert_eq!(to_json(&first.objects), to_json(&second.objects));
    Ok(())
}

/// A mutation of one value of a document tree.
#[derive(Debug, Clone)]
enum Mutation {
    /// Remove the key (or list item).
    Delete,
    /// Replace the value with one of another type.
    Retype(Value),
    /// Replace the value with a random scalar.
    Scalar(Value),
    /// Copy the value next to itself under a new key, or as another list item.
    Duplicate,
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::from),
        Just(Value::from("0")),
        Just(Value::from("-1")),
        Just(Value::from("1.5Gi")),
        Just(Value::from("https://127.0.0.1/x.jar")),
        Just(Value::from("v1_13")),
        Just(Value::Null),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::Delete),
        Just(Mutation::Duplicate),
        prop_oneof![
            Just(Value::Array(vec![Value::from("x")])),
            Just(serde_json::json!({"x": 1})),
            Just(Value::from(7)),
            Just(Value::from(true)),
            Just(Value::from("text")),
        ]
        .prop_map(Mutation::Retype),
        scalar().prop_map(Mutation::Scalar),
    ]
}

/// JSON pointers of every value below the root.
fn pointers(value: &Value, prefix: String, found: &mut Vec<String>) {
    let children: Vec<(String, &Value)> = match value {
        Value::Object(map) => {
            map.iter().map(|(key, child)| (key.replace('~', "~0").replace('/', "~1"), child)).collect()
        }
        Value::Array(items) => items.iter().enumerate().map(|(index, child)| (index.to_string(), child)).collect(),
        _ => Vec::new(),
    };
    for (step, child) in children {
        let pointer = format!("{prefix}/{step}");
        found.push(pointer.clone());
        pointers(child, pointer, found);
    }
}

fn apply(document: &mut Value, pointer: &str, mutation: &Mutation) {
    let (parent_pointer, step) = pointer.rsplit_once('/').expect("pointers start with /");
    let step = step.replace("~1", "/").replace("~0", "~");
    let Some(parent) = document.pointer_mut(parent_pointer) else { return };
    match (parent, mutation) {
        (Value::Object(map), Mutation::Delete) => {
            map.remove(&step);
        }
        (Value::Array(items), Mutation::Delete) => {
            if let Ok(index) = step.parse::<usize>() {
                items.remove(index);
            }
        }
        (Value::Object(map), Mutation::Duplicate) => {
            if let Some(value) = map.get(&step).cloned() {
                map.insert(format!("{step}2"), value);
            }
        }
        (Value::Array(items), Mutation::Duplicate) => {
            if let Some(value) = step.parse::<usize>().ok().and_then(|index| items.get(index).cloned()) {
                items.push(value);
            }
        }
        (parent, Mutation::Retype(value) | Mutation::Scalar(value)) => {
            if let Some(target) = match parent {
                Value::Object(map) => map.get_mut(&step),
                Value::Array(items) => step.parse::<usize>().ok().and_then(|index| items.get_mut(index)),
                _ => None,
            } {
                *target = value.clone();
            }
        }
        _ => {}
    }
}

/// A fixture's documents as one JSON stream after `mutations`, each at a random value.
fn mutated(text: &str, mutations: &[(Index, Mutation)]) -> String {
    let mut documents: Vec<Value> =
        parse_stream(text).expect("fixtures parse").iter().map(|document| document.to_json()).collect();
    for (index, mutation) in mutations {
        let document = index.index(documents.len().max(1)) % documents.len().max(1);
        let Some(document) = documents.get_mut(document) else { continue };
        let mut found = Vec::new();
        pointers(document, String::new(), &mut found);
        if found.is_empty() {
            continue;
        }
        let pointer = found[index.index(found.len())].clone();
        apply(document, &pointer, mutation);
    }
    documents.iter().map(|document| format!("---\n{document}\n")).collect()
}

/// Text-level damage that a tree cannot express: a line deleted, repeated (a duplicate key)
/// or cut short.
#[derive(Debug, Clone)]
enum LineEdit {
    Delete,
    Repeat,
    Truncate(Index),
}

fn edit_lines(text: &str, line: Index, edit: &LineEdit) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return String::new();
    }
    let at = line.index(lines.len());
    match edit {
        LineEdit::Delete => {
            lines.remove(at);
        }
        LineEdit::Repeat => {
            let copy = lines[at].clone();
            lines.insert(at, copy);
        }
        LineEdit::Truncate(cut) => {
            let chars: Vec<char> = lines[at].chars().collect();
            lines[at] = chars[..cut.index(chars.len() + 1)].iter().collect();
        }
    }
    lines.join("\n") + "\n"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Structural mutations of valid fixtures keep every invariant.
    #[test]
    fn mutated_fixtures_keep_the_invariants(
        fixture in any::<Index>(),
        mutations in prop::collection::vec((any::<Index>(), mutation()), 1..4),
    ) {
        let fixtures = fixtures();
        let text = &fixtures[fixture.index(fixtures.len())];
        check_invariants(&mutated(text, &mutations))?;
    }

    /// Line-level damage of valid fixtures keeps every invariant.
    #[test]
    fn damaged_lines_keep_the_invariants(
        fixture in any::<Index>(),
        line in any::<Index>(),
        edit in prop_oneof![Just(LineEdit::Delete), Just(LineEdit::Repeat), any::<Index>().prop_map(LineEdit::Truncate)],
    ) {
        let fixtures = fixtures();
        check_invariants(&edit_lines(&fixtures[fixture.index(fixtures.len())], line, &edit))?;
    }

    /// Arbitrary text keeps every invariant.
    #[test]
    fn arbitrary_text_keeps_the_invariants(text in "\\PC{0,200}") {
        check_invariants(&text)?;
    }
}

#[test]
fn unmutated_fixtures_render_deterministically() {
    for text in fixtures() {
        check_invariants(&text).expect("invariants hold");
    }
}

#[test]
fn input_over_the_size_cap_is_rejected_without_parsing() {
    let text = format!("# {}\n", "x".repeat(MAX_INPUT_BYTES));
    let compiled = compile_text(&text);
    assert!(compiled.objects.is_empty());
    let errors: Vec<_> = compiled.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].message.contains(&format!("more than the {MAX_INPUT_BYTES} bytes")), "{}", errors[0].message);
}

#[test]
fn deep_nesting_built_in_memory_is_rejected_without_overflowing_the_stack() {
    for depth in [MAX_DEPTH + 1, 100_000] {
        let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let compiled = compile_text(&text);
        assert!(compiled.diagnostics.has_errors(), "depth {depth}");
        assert!(compiled.objects.is_empty());
    }
}
