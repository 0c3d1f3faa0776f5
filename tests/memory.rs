//! `flink-render memory`, run as the real binary. The text report for people is kept in goldens
//! under `golden/` (`memory-text@<case>`), and its parts must add up to the totals; the JSON
//! (`--format json`) is what tools read, so it is kept byte for byte (`memory-json@<fixture>`)
//! and must be the library's [`report`] for every fixture.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use flink_render::memory::report;
use flink_render::parse::defaults::OperatorDefaults;
use flink_render::{Input, Options, compile};

use common::{fixtures, golden_settings};

/// Fixtures covering each way a process gets its size: the spec's `resources` and deprecated
/// `resource` blocks, Flink's fine-grained options, and a namespace.
const FIXTURES: &[&str] = &[
    "basic-application.yaml",
    "deprecated-resource-field.yaml",
    "memory-from-fine-grained-options.yaml",
    "namespace-from-metadata.yaml",
];

/// A large TaskManager: JVM overhead lowered to its maximum, a configured managed fraction,
/// sizes of eleven digits.
const LARGE_TASKMANAGER: &str = "\
apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata:
  name: large-taskmanager
  namespace: streaming
spec:
  image: flink:1.20
  flinkVersion: v1_20
  mode: standalone
  serviceAccount: flink
  flinkConfiguration:
    taskmanager.numberOfTaskSlots: \"4\"
    taskmanager.memory.managed.fraction: \"0.25\"
  jobManager:
    resource:
      memory: 4g
      cpu: 1
  taskManager:
    resource:
      memory: 32g
      cpu: 4
  job:
    jarURI: local:///opt/flink/examples/streaming/StateMachineExample.jar
    parallelism: 4
";

struct Run {
    code: i32,
    stderr: String,
    stdout: String,
}

/// `flink-render memory ARGS…`, with `stdin` on standard input.
fn memory(args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flink-render"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("memory")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("stdin written");
    let output = child.wait_with_output().expect("the binary ends");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8 output");
    Run { code: output.status.code().expect("exit code"), stderr: text(output.stderr), stdout: text(output.stdout) }
}

/// `flink-render memory fixtures/<fixture> FORMAT…`, which must succeed.
fn fixture_memory(fixture: &str, format: &[&str]) -> String {
    let path = format!("fixtures/{fixture}");
    let args = fixture_args(Path::new(&path));
    let args: Vec<&str> =
        [path.as_str()].into_iter().chain(args.iter().map(String::as_str)).chain(format.iter().copied()).collect();
    let run = memory(&args, "");
    assert_eq!(run.code, 0, "{fixture}: {}", run.stderr);
    run.stdout
}

/// The extra arguments a fixture asks for (`# flink-render: ARGS`).
fn fixture_args(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect("the fixture reads");
    text.lines()
        .filter_map(|line| line.strip_prefix("# flink-render:"))
        .flat_map(|args| args.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// Every valid fixture, by its file name under `fixtures/`.
fn all_fixtures() -> Vec<String> {
    fixtures().iter().map(|path| path.file_name().expect("a file name").to_string_lossy().into_owned()).collect()
}

#[test]
fn json_report_is_kept_byte_for_byte() {
    golden_settings().bind(|| {
        for fixture in FIXTURES {
            insta::assert_snapshot!(format!("memory-json@{fixture}"), fixture_memory(fixture, &["--format", "json"]));
        }
    });
}

#[test]
fn text_report_by_default() {
    golden_settings().bind(|| {
        for fixture in FIXTURES {
            let text = fixture_memory(fixture, &[]);
            assert_eq!(text, fixture_memory(fixture, &["--format", "text"]), "{fixture}: text is the default");
            insta::assert_snapshot!(format!("memory-text@{fixture}"), text);
        }
        let large = memory(&["-"], LARGE_TASKMANAGER);
        assert_eq!((large.code, large.stderr.as_str()), (0, ""));
        insta::assert_snapshot!("memory-text@large-taskmanager", large.stdout);
    });
}

/// The library's JSON report of a fixture, compiled in this process.
fn library_report(fixture: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = PathBuf::from("fixtures").join(fixture);
    let args = fixture_args(&path);
    let value = |flag: &str| args.iter().position(|arg| arg == flag).map(|index| args[index + 1].clone());
    let defaults = value("--defaults").map(|file| {
        OperatorDefaults::parse(&std::fs::read_to_string(root.join(file)).expect("defaults read")).expect("defaults")
    });
    let namespace = value("--namespace");
    let text = std::fs::read_to_string(root.join(&path)).expect("the fixture reads");
    let input = Input { name: fixture, text: &text };
    let options = Options { namespace: namespace.as_deref(), defaults: defaults.as_ref(), ..Options::default() };
    report(&compile(&[input], &options).memory)
}

#[test]
fn json_format_prints_the_library_report_for_every_fixture() {
    for fixture in all_fixtures() {
        assert_eq!(fixture_memory(&fixture, &["--format", "json"]), library_report(&fixture), "{fixture}");
    }
}

/// One row of a process's table: its label and its exact bytes.
fn rows(table: &str) -> Vec<(String, u64)> {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    table
        .lines()
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let unit = words.iter().position(|word| UNITS.contains(word)).expect("a size");
            (words[..unit - 1].join(" "), words[unit + 1].parse().expect("bytes"))
        })
        .collect()
}

/// The parts of each process add up to Total Flink Memory and Total Process Memory, which is
/// the JSON's `totalProcess`.
#[test]
fn text_parts_add_up_to_the_totals_for_every_fixture() {
    for fixture in all_fixtures() {
        let text = fixture_memory(&fixture, &[]);
        let json: serde_json::Value = serde_json::from_str(&fixture_memory(&fixture, &["--format", "json"])).unwrap();
        let totals = json
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|cluster| [&cluster["jobmanager"]["totalProcess"], &cluster["taskmanager"]["totalProcess"]]);
        let tables = text.split("Configured or derived\n").skip(1).map(|rest| rest.split("  JVM arguments:").next());
        let mut processes = 0;
        for (table, total) in tables.zip(totals) {
            let rows = rows(table.expect("a table"));
            let flink = rows.iter().position(|(label, _)| label == "Total Flink Memory").expect("Total Flink Memory");
            let parts_sum = |rows: &[(String, u64)]| -> u64 {
                rows.iter().filter(|(label, _)| !label.starts_with("Total ")).map(|(_, bytes)| bytes).sum()
            };
            assert_eq!(parts_sum(&rows[..flink]), rows[flink].1, "{fixture}: Total Flink Memory");
            assert_eq!(rows.last().map(|(label, _)| label.as_str()), Some("Total Process Memory"));
            assert_eq!(parts_sum(&rows), rows.last().unwrap().1, "{fixture}: Total Process Memory");
            assert_eq!(serde_json::json!(rows.last().unwrap().1), *total, "{fixture}: totalProcess");
            processes += 1;
        }
        assert_eq!(processes, 2 * json.as_array().unwrap().len(), "{fixture}: a table per process");
    }
}

#[test]
fn text_lines_fit_in_100_columns_without_terminal_codes() {
    let large = memory(&["-"], LARGE_TASKMANAGER).stdout;
    for (name, text) in
        all_fixtures().iter().map(|fixture| (fixture.as_str(), fixture_memory(fixture, &[]))).chain([("large", large)])
    {
        for line in text.lines() {
            assert!(line.chars().count() <= 100, "{name}: {line}");
            assert!(!line.contains('\u{1b}') && line == line.trim_end(), "{name}: {line:?}");
        }
    }
}

#[test]
fn invalid_input_prints_nothing_and_exits_1_in_both_formats() {
    let invalid = LARGE_TASKMANAGER.replace("memory: 32g", "memory: 300m");
    for format in ["text", "json"] {
        let run = memory(&["-", "--format", format], &invalid);
        assert_eq!((run.code, run.stdout.as_str()), (1, ""), "{format}");
        assert!(run.stderr.contains("error[flink-memory]"), "{format}: {}", run.stderr);
    }
}
