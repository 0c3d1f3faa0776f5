//! `flink-render diff --format json-patch` through the binary: applying the printed RFC 6902
//! patches to the committed output gives the new rendering exactly, object for object
//! (objects are matched by kind, namespace and name, as `diff` matches them), for every
//! fixture against another fixture's rendering, against a stream file and a directory.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use flink_render::diff::{ObjectKey, parse_objects};
use serde_json::Value;

const BASIC: &str = "fixtures/basic-application.yaml";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn flink_render(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flink-render")).args(args).current_dir(repo()).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// The extra arguments a fixture asks for on `# flink-render: ARGS` lines.
fn fixture_args(path: &Path) -> Vec<String> {
    let text = fs::read_to_string(repo().join(path)).unwrap_or_default();
    text.lines()
        .filter_map(|line| line.strip_prefix("# flink-render:"))
        .flat_map(|args| args.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flink-render-json-patch-{test}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Apply the printed patches to the committed objects: a changed object is patched, a
/// removed one becomes `null` and is dropped, an added one is patched from `null`.
fn apply(committed: &[Value], printed: &str) -> BTreeMap<ObjectKey, Value> {
    let entries: Vec<Value> = serde_json::from_str(printed).expect("the output is JSON");
    let mut objects: BTreeMap<ObjectKey, Value> =
        committed.iter().map(|object| (ObjectKey::of(object), object.clone())).collect();
    for entry in entries {
        let key = ObjectKey {
            kind: entry["kind"].as_str().unwrap().to_string(),
            namespace: entry["namespace"].as_str().unwrap_or_default().to_string(),
            name: entry["name"].as_str().unwrap().to_string(),
        };
        let patch: json_patch::Patch = serde_json::from_value(entry["patch"].clone()).expect("an RFC 6902 patch");
        let mut document = objects.remove(&key).unwrap_or(Value::Null);
        match entry["change"].as_str().unwrap() {
            "added" => assert_eq!(document, Value::Null, "{key} is added but was committed"),
            "removed" | "changed" => assert_ne!(document, Value::Null, "{key} is not in the committed output"),
            other => panic!("unknown change {other}"),
        }
        json_patch::patch(&mut document, &patch).unwrap_or_else(|error| panic!("{key}: {error}"));
        if document != Value::Null {
            objects.insert(key, document);
        }
    }
    objects
}

/// `diff --format json-patch SPEC --against COMMITTED`, applied to `committed`, gives what
/// `render SPEC` prints, byte for byte once put in the rendering's order.
fn assert_patches_reproduce(spec: &str, extra: &[String], against: &str, committed: &[Value]) {
    let mut render_args = vec!["render", spec];
    render_args.extend(extra.iter().map(String::as_str));
    let rendered = flink_render(&render_args);
    assert!(rendered.status.success(), "{spec}: {}", String::from_utf8_lossy(&rendered.stderr));
    let rendered_objects = parse_objects(&stdout(&rendered)).unwrap();

    let mut diff_args = vec!["diff", spec, "--against", against, "--format", "json-patch"];
    diff_args.extend(extra.iter().map(String::as_str));
    let output = flink_render(&diff_args);
    let printed = stdout(&output);
    let expected_code = if printed == "[]\n" { 0 } else { 1 };
    assert_eq!(output.status.code(), Some(expected_code), "{spec}: {}", String::from_utf8_lossy(&output.stderr));

    let mut patched = apply(committed, &printed);
    let in_rendering_order: Vec<Value> = rendered_objects
        .iter()
        .map(|object| {
            patched
                .remove(&ObjectKey::of(object))
                .unwrap_or_else(|| panic!("{spec}: {} missing", ObjectKey::of(object)))
        })
        .collect();
    assert!(patched.is_empty(), "{spec}: left over after patching: {:?}", patched.keys().collect::<Vec<_>>());
    assert_eq!(flink_render::to_yaml(&in_rendering_order), stdout(&rendered), "{spec}");
}

#[test]
fn every_fixture_is_reached_from_the_basic_rendering() {
    let dir = scratch("fixtures");
    let committed_file = dir.join("basic.yaml");
    let committed_text = stdout(&flink_render(&["render", BASIC]));
    fs::write(&committed_file, &committed_text).unwrap();
    let committed = parse_objects(&committed_text).unwrap();
    let mut fixtures: Vec<PathBuf> = fs::read_dir(repo().join("fixtures"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml" || ext == "json"))
        .map(|path| path.strip_prefix(repo()).unwrap().to_path_buf())
        .collect();
    fixtures.sort();
    assert!(fixtures.len() > 25, "fixtures not found");
    for fixture in &fixtures {
        let extra = fixture_args(fixture);
        assert_patches_reproduce(fixture.to_str().unwrap(), &extra, committed_file.to_str().unwrap(), &committed);
    }
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn an_edited_spec_against_an_output_directory() {
    let dir = scratch("directory");
    let golden = dir.join("golden");
    let golden = golden.to_str().unwrap();
    assert!(flink_render(&["render", BASIC, "--output-dir", golden]).status.success());
    let mut committed = Vec::new();
    let mut files: Vec<PathBuf> = fs::read_dir(golden).unwrap().map(|entry| entry.unwrap().path()).collect();
    files.sort();
    for file in files {
        committed.extend(parse_objects(&fs::read_to_string(file).unwrap()).unwrap());
    }
    let edited = dir.join("edited.yaml");
    let text = fs::read_to_string(repo().join(BASIC)).unwrap();
    let text = text
        .replacen("memory: \"2048m\"", "memory: \"4096m\"", 2)
        .replace("  job:\n", "  ingress:\n    template: \"{{name}}.example.com\"\n  job:\n");
    fs::write(&edited, text).unwrap();
    assert_patches_reproduce(edited.to_str().unwrap(), &[], golden, &committed);

    let output = flink_render(&["diff", edited.to_str().unwrap(), "--against", golden, "--format", "json-patch"]);
    let entries: Vec<Value> = serde_json::from_str(&stdout(&output)).unwrap();
    let changes: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|entry| {
            (entry["kind"].as_str().unwrap(), entry["name"].as_str().unwrap(), entry["change"].as_str().unwrap())
        })
        .collect();
    assert!(changes.contains(&("Deployment", "basic-application-taskmanager", "changed")), "{changes:?}");
    assert!(changes.contains(&("Ingress", "basic-application", "added")), "{changes:?}");
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn removed_objects_become_null() {
    let dir = scratch("removed");
    let committed_file = dir.join("session.yaml");
    let committed_text = stdout(&flink_render(&["render", "fixtures/session-cluster.yaml"]));
    fs::write(&committed_file, &committed_text).unwrap();
    let committed = parse_objects(&committed_text).unwrap();
    assert_patches_reproduce(BASIC, &[], committed_file.to_str().unwrap(), &committed);
    let output =
        flink_render(&["diff", BASIC, "--against", committed_file.to_str().unwrap(), "--format", "json-patch"]);
    let entries: Vec<Value> = serde_json::from_str(&stdout(&output)).unwrap();
    let removed: Vec<&Value> = entries.iter().filter(|entry| entry["change"] == "removed").collect();
    assert!(!removed.is_empty(), "{}", stdout(&output));
    for entry in removed {
        assert_eq!(entry["patch"], serde_json::json!([{ "op": "replace", "path": "", "value": null }]));
    }
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn equal_renderings_print_an_empty_array_and_exit_0() {
    let dir = scratch("equal");
    let committed_file = dir.join("basic.yaml");
    fs::write(&committed_file, stdout(&flink_render(&["render", BASIC]))).unwrap();
    let output =
        flink_render(&["diff", BASIC, "--against", committed_file.to_str().unwrap(), "--format", "json-patch"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "[]\n");
    let _ = fs::remove_dir_all(dir);
}
