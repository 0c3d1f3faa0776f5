//! Golden files: every fixture is rendered by the real binary and compared with its
//! snapshot under `golden/` (exit code, stderr, stdout). With `CI` set a missing or
//! changed snapshot fails; review changes with `cargo insta review`.
//!
//! A fixture may ask for extra arguments on a comment line `# flink-render: ARGS`
//! (for example `--defaults fixtures/defaults/team-defaults.yaml`); `# flink-render: krm`
//! runs the KRM function with the fixture on stdin instead. Upstream examples
//! without a namespace render into `default`, as `kubectl apply` would put them.

use std::path::Path;
use std::process::Command;

fn render(path: &Path, extra: &[String]) -> String {
    let relative = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(path);
    let mut command = Command::new(env!("CARGO_BIN_EXE_flink-render"));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    if extra.first().is_some_and(|first| first == "krm") {
        command.arg("krm").stdin(std::fs::File::open(path).expect("the fixture opens"));
    } else {
        command.arg("render").arg(relative).args(extra);
    }
    let output = command.output().expect("the binary runs");
    let code = output.status.code().expect("exit code");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 stdout");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8 stderr");
    assert!(code == 0 || stdout.is_empty(), "exit {code} must leave stdout empty");
    format!("exit: {code}\n--- stderr\n{stderr}--- stdout\n{stdout}")
}

fn fixture_args(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|line| line.strip_prefix("# flink-render:"))
        .flat_map(|args| args.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../golden");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

#[test]
fn fixtures() {
    settings().bind(|| {
        insta::glob!("../fixtures", "*.{yaml,json}", |path| {
            insta::assert_snapshot!(render(path, &fixture_args(path)));
        });
    });
}

#[test]
fn upstream_examples() {
    settings().bind(|| {
        insta::glob!("../fixtures/upstream", "*.yaml", |path| {
            insta::assert_snapshot!(render(path, &["--namespace".to_string(), "default".to_string()]));
        });
    });
}

#[test]
fn invalid_fixtures() {
    settings().bind(|| {
        insta::glob!("../fixtures/invalid", "*.{yaml,json,txt}", |path| {
            let rendered = render(path, &fixture_args(path));
            assert!(rendered.starts_with("exit: 1\n"), "{} must be rejected with exit 1:\n{rendered}", path.display());
            insta::assert_snapshot!(rendered);
        });
    });
}
