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
    let compiled = compile(&inputs, &Options { namespace: Some("default"), defaults: None });
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
