//! `flink-render memory`, run as the real binary: its JSON is what tools read, so it is kept
//! byte for byte in goldens under `golden/` (`memory-json@<fixture>`).

use std::process::Command;

/// Fixtures covering each way a process gets its size: the spec's `resources` and deprecated
/// `resource` blocks, Flink's fine-grained options, and a namespace.
const FIXTURES: &[&str] = &[
    "basic-application.yaml",
    "deprecated-resource-field.yaml",
    "memory-from-fine-grained-options.yaml",
    "namespace-from-metadata.yaml",
];

/// `flink-render memory fixtures/<fixture> ARGS…`: exit code, stderr and stdout.
fn memory(fixture: &str, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_flink-render"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("memory")
        .arg(format!("fixtures/{fixture}"))
        .args(args)
        .output()
        .expect("the binary runs");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8 output");
    (output.status.code().expect("exit code"), text(output.stderr), text(output.stdout))
}

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../golden");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

#[test]
fn json_report_is_kept_byte_for_byte() {
    settings().bind(|| {
        for fixture in FIXTURES {
            let (code, stderr, stdout) = memory(fixture, &[]);
            assert_eq!((code, stderr.as_str()), (0, ""), "{fixture}");
            insta::assert_snapshot!(format!("memory-json@{fixture}"), stdout);
        }
    });
}
