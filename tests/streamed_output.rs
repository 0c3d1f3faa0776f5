//! `render` writes each object as soon as it is emitted (nothing is held for a long stream):
//! its stdout, as JSON and as YAML, and its `--output-dir` files must be byte for byte what the
//! library's whole-output functions give for the same inputs, including an empty output.

use std::path::{Path, PathBuf};
use std::process::Command;

use flink_render::{Input, Options, compile, emit::yaml::to_yaml_document, objects::ObjectKey, to_json, to_yaml};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Every behaviour fixture (they render together: their names differ), into `default`.
fn inputs() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join("fixtures"))
        .expect("fixtures")
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml" || ext == "json"))
        .filter(|path| !std::fs::read_to_string(path).unwrap_or_default().contains("# flink-render:"))
        .collect();
    paths.sort();
    paths
}

fn cli(args: &[&str], paths: &[PathBuf]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_flink-render"))
        .current_dir(ROOT)
        .arg("render")
        .args(["--namespace", "default"])
        .args(args)
        .args(paths)
        .output()
        .expect("the binary runs");
    (output.status.code().expect("exit code"), String::from_utf8(output.stdout).expect("UTF-8"))
}

fn library(paths: &[PathBuf]) -> Vec<serde_json::Value> {
    let texts: Vec<(String, String)> = paths
        .iter()
        .map(|path| (path.display().to_string(), std::fs::read_to_string(path).expect("readable")))
        .collect();
    let inputs: Vec<Input<'_>> = texts.iter().map(|(name, text)| Input { name, text }).collect();
    let compiled = compile(&inputs, &Options { namespace: Some("default"), defaults: None, ..Options::default() });
    assert!(!compiled.diagnostics.has_errors(), "the fixtures render");
    compiled.objects
}

#[test]
fn streamed_stdout_equals_the_whole_output() {
    let paths = inputs();
    let objects = library(&paths);
    assert!(objects.len() > 250, "{} objects", objects.len());
    assert_eq!(cli(&[], &paths), (0, to_yaml(&objects)));
    assert_eq!(cli(&["--format", "json"], &paths), (0, to_json(&objects)));
}

#[test]
fn streamed_empty_output_equals_the_whole_output() {
    let empty = std::env::temp_dir().join(format!("flink-render-empty-{}.yaml", std::process::id()));
    std::fs::write(&empty, "# nothing\n").expect("temp file");
    let paths = [empty.clone()];
    assert_eq!(cli(&["--format", "json"], &paths), (0, to_json(&[])));
    assert_eq!(cli(&[], &paths), (0, to_yaml(&[])));
    let _ = std::fs::remove_file(empty);
}

#[test]
fn streamed_files_equal_the_objects() {
    let paths = inputs();
    let objects = library(&paths);
    let dir = std::env::temp_dir().join(format!("flink-render-streamed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (code, stdout) = cli(&["--output-dir", dir.to_str().expect("UTF-8 path")], &paths);
    assert_eq!((code, stdout.as_str()), (0, ""));
    for object in &objects {
        let file = dir.join(ObjectKey::of(object).file_name());
        assert_eq!(std::fs::read_to_string(&file).expect("one file per object"), to_yaml_document(object));
    }
    let files = std::fs::read_dir(&dir).expect("the directory").count();
    let keys: std::collections::BTreeSet<String> = objects.iter().map(|o| ObjectKey::of(o).file_name()).collect();
    assert_eq!(files, keys.len());
    let _ = std::fs::remove_dir_all(dir);
}

/// Every file under `dir` (recursively) that holds no FlinkSessionJob and asks for no
/// special arguments.
fn files_under(dir: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![Path::new(ROOT).join(dir)];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("a directory").filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "yaml" || ext == "json") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                if !text.contains("FlinkSessionJob") && !text.contains("# flink-render:") {
                    found.push(path);
                }
            }
        }
    }
    found.sort();
    found
}

/// The two-pass compile (long streams) finds and renders exactly what one pass does: the same
/// objects with the same origins, the same diagnostics in the same order, over valid inputs,
/// invalid ones (syntax errors, schema errors, rule findings, duplicates across inputs), and
/// one input with every valid fixture in one stream.
#[test]
fn two_passes_equal_one_pass() {
    let mut sets: Vec<Vec<(String, String)>> = Vec::new();
    for dir in ["fixtures/invalid", "fixtures/real-world", "fixtures/upstream"] {
        let paths = files_under(dir);
        assert!(paths.len() > 20, "{dir}");
        // (a file that is not UTF-8 is the CLI's to report; the library takes text)
        sets.push(
            paths.iter().filter_map(|p| Some((p.display().to_string(), std::fs::read_to_string(p).ok()?))).collect(),
        );
    }
    let stream: String = inputs()
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("text"))
        .filter(|text| !text.contains("FlinkSessionJob"))
        .map(|text| format!("---\n{text}\n"))
        .collect();
    sets.push(vec![("stream.yaml".into(), stream)]);
    // Findings in a document, then a syntax error further down the same input: the input has
    // only the syntax error, and the next input is still checked.
    let fixture = |name: &str| std::fs::read_to_string(Path::new(ROOT).join(name)).expect("fixture");
    let broken = format!("{}\n---\nkind: [unclosed\n", fixture("fixtures/invalid/bad-mode.yaml"));
    let invalid = format!(
        "{}\n---\n{}",
        fixture("fixtures/invalid/bad-image-pull-policy.yaml"),
        fixture("fixtures/warning-operator-managed-keys.yaml")
    );
    sets.push(vec![("broken.yaml".into(), broken), ("invalid.yaml".into(), invalid)]);
    for set in &sets {
        let inputs: Vec<Input<'_>> = set.iter().map(|(name, text)| Input { name, text }).collect();
        for namespace in [None, Some("default")] {
            let options = Options { namespace, defaults: None, ..Options::default() };
            let one = compile(&inputs, &options);
            let mut objects = Vec::new();
            let two = flink_render::compile_in_two_passes(&inputs, &options, &mut |object, origin| {
                objects.push((object, origin))
            });
            assert_eq!(format!("{:?}", two.diagnostics), format!("{:?}", one.diagnostics), "{}", set[0].0);
            let expected: Vec<_> = one.objects.into_iter().zip(one.origins).collect();
            assert_eq!(objects, expected, "{}", set[0].0);
            assert_eq!(two.memory, one.memory);
        }
    }
}

/// A stream past [`flink_render::TWO_PASS_BYTES`] renders through the CLI as its documents do
/// one by one.
#[test]
fn a_long_stream_renders_in_two_passes() {
    let body = std::fs::read_to_string(Path::new(ROOT).join("fixtures/basic-application.yaml")).expect("fixture");
    let count = flink_render::TWO_PASS_BYTES / body.len() + 50;
    let stream: String = (0..count)
        .map(|i| format!("---\n{}", body.replace("name: basic-application", &format!("name: b{i}"))))
        .collect();
    assert!(stream.len() >= flink_render::TWO_PASS_BYTES);
    let path = std::env::temp_dir().join(format!("flink-render-long-{}.yaml", std::process::id()));
    std::fs::write(&path, &stream).expect("temp file");
    let objects = library(std::slice::from_ref(&path));
    assert_eq!(cli(&[], std::slice::from_ref(&path)), (0, to_yaml(&objects)));
    let _ = std::fs::remove_file(path);
}
