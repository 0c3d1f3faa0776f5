//! What the integration tests that render the behaviour fixtures share: the fixtures, the files
//! their `# flink-render: ARGS` lines name (as `tests/golden.rs` reads those lines), and where
//! goldens live. Each test crate uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `fixtures/*.yaml|json`, sorted.
pub fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "json")))
        .collect();
    files.sort();
    assert!(files.len() >= 25, "at least 25 behaviour fixtures");
    files
}

/// The files a fixture names after `option` (`--defaults`, `--reference`) on its
/// `# flink-render: ARGS` lines: each path as written, and the file's text.
pub fn fixture_files(text: &str, option: &str) -> Vec<(String, String)> {
    let args: Vec<&str> =
        text.lines().filter_map(|line| line.strip_prefix("# flink-render:")).flat_map(str::split_whitespace).collect();
    args.windows(2)
        .filter(|pair| pair[0] == option)
        .map(|pair| {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(pair[1]);
            (pair[1].to_string(), std::fs::read_to_string(path).unwrap())
        })
        .collect()
}

/// insta's settings for the snapshots under `golden/`.
pub fn golden_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../golden");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}
