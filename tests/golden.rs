//! Golden files: every fixture is rendered by the real binary and compared with its
//! snapshot under `golden/` (exit code, stderr, stdout). With `CI` set a missing or
//! changed snapshot fails; review changes with `cargo insta review`.
//!
//! A fixture may ask for extra arguments on a comment line `# flink-render: ARGS`
//! (for example `--defaults fixtures/defaults/team-defaults.yaml`); `# flink-render: krm`
//! runs the KRM function with the fixture on stdin instead. Upstream examples and real-world
//! specs without a namespace render into `default`, as `kubectl apply` would put them.
//! Real-world specs (`fixtures/real-world`, written by other people) may be valid or not:
//! the snapshot records which, with every diagnostic. What Helm hands a post-renderer
//! (`fixtures/helm`) is read from stdin, as Helm runs it.

mod common;

use std::path::Path;
use std::process::Command;

use common::golden_settings;

fn render(path: &Path, extra: &[String]) -> String {
    render_all(&[path], extra)
}

/// Render the file from stdin (`render - ARGS`), as a Helm post-renderer gets its input.
fn render_stdin(path: &Path, extra: &[String]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flink-render"));
    command.current_dir(env!("CARGO_MANIFEST_DIR")).arg("render").arg("-").args(extra);
    command.stdin(std::fs::File::open(path).expect("the fixture opens"));
    outcome(command.output().expect("the binary runs"))
}

/// Render several inputs in one run (the first decides `krm`).
fn render_all(paths: &[&Path], extra: &[String]) -> String {
    let relative = |path: &Path| path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(path).to_path_buf();
    let mut command = Command::new(env!("CARGO_BIN_EXE_flink-render"));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    if extra.first().is_some_and(|first| first == "krm") {
        command.arg("krm").stdin(std::fs::File::open(paths[0]).expect("the fixture opens"));
    } else {
        command.arg("render").args(paths.iter().map(|path| relative(path))).args(extra);
    }
    outcome(command.output().expect("the binary runs"))
}

/// Exit code, stderr and stdout, as a snapshot records them.
fn outcome(output: std::process::Output) -> String {
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

#[test]
fn fixtures() {
    golden_settings().bind(|| {
        insta::glob!("../fixtures", "*.{yaml,json}", |path| {
            insta::assert_snapshot!(render(path, &fixture_args(path)));
        });
    });
}

#[test]
fn upstream_examples() {
    golden_settings().bind(|| {
        insta::glob!("../fixtures/upstream", "*.yaml", |path| {
            insta::assert_snapshot!(render(path, &in_default_namespace()));
        });
    });
}

fn in_default_namespace() -> Vec<String> {
    vec!["--namespace".to_string(), "default".to_string()]
}

#[test]
fn real_world() {
    golden_settings().bind(|| {
        insta::glob!("../fixtures/real-world", "*.yaml", |path| {
            insta::assert_snapshot!(render(path, &in_default_namespace()));
        });
    });
}

/// A session cluster and its session job, from one repository's two files, rendered together
/// (as an Argo CD application over their directory would).
#[test]
fn real_world_session_cluster_with_its_job() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/real-world");
    let cluster = dir.join("jbcodeforce__flink-studies__deployment_k8s_flink-oss_session-oss-cluster.yaml");
    let job = dir.join("jbcodeforce__flink-studies__deployment_k8s_flink-oss_session-job-top-speed.yaml");
    let rendered = render_all(&[&cluster, &job], &in_default_namespace());
    assert!(rendered.starts_with("exit: 0\n") && rendered.contains("kind: Job"), "{rendered}");
    golden_settings().bind(|| insta::assert_snapshot!("real_world_session_cluster_with_its_job", rendered));
}

/// What Helm hands a post-renderer (`fixtures/helm/`), rendered from stdin as Helm runs it, with
/// the arguments of the fixture's `# flink-render:` lines: Helm 4's plugin, Helm 3's exec
/// post-renderer.
#[test]
fn helm_post_renderer_inputs() {
    golden_settings().bind(|| {
        insta::glob!("../fixtures/helm", "*.yaml", |path| {
            // named after the file even while it is the glob's only match
            let mut named = insta::Settings::clone_current();
            named.set_snapshot_suffix(path.file_name().expect("a file").to_string_lossy());
            named.bind(|| insta::assert_snapshot!(render_stdin(path, &fixture_args(path))));
        });
    });
}

#[test]
fn invalid_fixtures() {
    golden_settings().bind(|| {
        insta::glob!("../fixtures/invalid", "*.{yaml,json,txt}", |path| {
            let rendered = render(path, &fixture_args(path));
            assert!(rendered.starts_with("exit: 1\n"), "{} must be rejected with exit 1:\n{rendered}", path.display());
            insta::assert_snapshot!(rendered);
        });
    });
}
