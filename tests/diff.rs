//! `flink-render diff` through the binary: equal renderings exit 0 with nothing printed, a
//! changed spec exits 1 with a per-object, per-field report, against a `--output-dir`
//! directory or a YAML stream file; invalid input exits 1 with diagnostics, IO errors exit 2.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// A fresh scratch directory for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("flink-render-diff-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }

    /// Write a spec: the basic fixture with `edit` applied.
    fn spec(&self, name: &str, edit: impl Fn(String) -> String) -> String {
        let text = fs::read_to_string(repo().join(BASIC)).unwrap();
        let path = self.path(name);
        fs::write(&path, edit(text)).unwrap();
        path
    }

    /// Render `spec` into a golden directory.
    fn golden_dir(&self, spec: &str) -> String {
        let dir = self.path("golden");
        let output = flink_render(&["render", spec, "--output-dir", &dir]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn equal_to_its_own_output_directory() {
    let scratch = Scratch::new("equal-dir");
    let golden = scratch.golden_dir(BASIC);
    let output = flink_render(&["diff", BASIC, "--against", &golden]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(stdout(&output), "");
}

#[test]
fn every_fixture_equals_its_own_rendered_stream() {
    let scratch = Scratch::new("equal-file");
    let mut fixtures: Vec<PathBuf> = fs::read_dir(repo().join("fixtures"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml" || ext == "json"))
        .collect();
    fixtures.sort();
    assert!(fixtures.len() > 10, "fixtures not found");
    let mut compared = 0;
    for fixture in fixtures {
        let fixture = fixture.to_str().unwrap();
        let golden = scratch.path("golden.yaml");
        let rendered = flink_render(&["render", fixture]);
        if !rendered.status.success() {
            continue; // fixtures that need --defaults or --namespace are covered by their golden tests
        }
        fs::write(&golden, &rendered.stdout).unwrap();
        let output = flink_render(&["diff", fixture, "--against", &golden]);
        assert_eq!(output.status.code(), Some(0), "{fixture}:\n{}", stdout(&output));
        compared += 1;
    }
    assert!(compared > 10, "only {compared} fixtures rendered");
}

#[test]
fn json_list_output_is_a_golden_file_too() {
    let scratch = Scratch::new("json-list");
    let golden = scratch.path("golden.json");
    fs::write(&golden, flink_render(&["render", BASIC, "--format", "json"]).stdout).unwrap();
    assert_eq!(flink_render(&["diff", BASIC, "--against", &golden]).status.code(), Some(0));
}

#[test]
fn changed_field_is_reported_by_path() {
    let scratch = Scratch::new("changed");
    let golden = scratch.golden_dir(BASIC);
    let bigger = scratch.spec("bigger.yaml", |text| text.replacen("memory: \"2048m\"", "memory: \"4096m\"", 2));
    let output = flink_render(&["diff", &bigger, "--against", &golden]);
    assert_eq!(output.status.code(), Some(1));
    let report = stdout(&output);
    assert!(
        report.contains("~ Deployment basic-application-taskmanager (deployment_basic-application-taskmanager.yaml)\n"),
        "{report}"
    );
    assert!(
        report.contains(
            "    spec.template.spec.containers[flink-main-container].resources.limits.memory: 2048Mi → 4096Mi\n"
        ),
        "{report}"
    );
    assert!(report.contains("    data[\"config.yaml\"]:\n"), "{report}");
    assert!(report.contains("0 added, 0 removed"), "{report}");
}

#[test]
fn selector_change_between_modes_is_called_immutable() {
    let scratch = Scratch::new("mode-switch");
    let golden = scratch.golden_dir(BASIC);
    let native = scratch.spec("native.yaml", |text| text.replace("  mode: standalone\n", "  mode: native\n"));
    let output = flink_render(&["diff", &native, "--against", &golden]);
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    let report = stdout(&output);
    let jobmanager = report.split("~ Deployment basic-application (").nth(1).expect(&report);
    let jobmanager = jobmanager.split("\n~ ").next().unwrap();
    assert!(
        jobmanager.contains(
            "    ! spec.selector.matchLabels.type cannot change in place (Kubernetes refuses the update: the field is \
             immutable): delete the Deployment before applying"
        ),
        "{report}"
    );
    assert!(report.contains("- Deployment basic-application-taskmanager"), "{report}");

    let image = scratch.spec("image.yaml", |text| text.replace("image: flink:2.2", "image: flink:2.2.1"));
    let output = flink_render(&["diff", &image, "--against", &golden]);
    assert!(!stdout(&output).contains(" ! "), "{}", stdout(&output));
}

#[test]
fn a_changed_configuration_says_why() {
    let scratch = Scratch::new("because");
    let golden = scratch.golden_dir(BASIC);
    let changed = scratch.spec("changed.yaml", |text| {
        text.replace("numberOfTaskSlots: \"2\"", "numberOfTaskSlots: \"4\"").replacen(
            "memory: \"2048m\"",
            "memory: \"4096m\"",
            1,
        )
    });
    let output = flink_render(&["diff", &changed, "--against", &golden]);
    assert_eq!(output.status.code(), Some(1));
    let report = stdout(&output);
    let slots = format!(
        "    because:\n      jobmanager.memory.process.size: 2 gb → 4 gb ← rule process-memory (FO §2.2, §4.4) from \
         spec.jobManager.resources.requests.memory ({changed}:17:9)\n      taskmanager.numberOfTaskSlots: 2 → 4 ← \
         flinkConfiguration taskmanager.numberOfTaskSlots ({changed}:13:5)\n"
    );
    assert!(report.contains(&slots), "{report}");
    assert!(
        report.contains(
            "    rolls the pods because the configuration changed: jobmanager.memory.process.size, \
             taskmanager.numberOfTaskSlots\n"
        ),
        "{report}"
    );
    // a change that leaves the configuration alone has no reason to give
    let image = scratch.spec("image.yaml", |text| text.replace("image: flink:2.2", "image: flink:2.2.1"));
    let report = stdout(&flink_render(&["diff", &image, "--against", &golden]));
    assert!(report.contains("kubernetes.container.image.ref: flink:2.2 → flink:2.2.1 ← rule image"), "{report}");
    assert!(!report.contains("taskmanager.numberOfTaskSlots"), "{report}");
}

#[test]
fn changed_field_against_a_stream_file() {
    let scratch = Scratch::new("changed-file");
    let golden = scratch.path("golden.yaml");
    fs::write(&golden, flink_render(&["render", BASIC]).stdout).unwrap();
    let image = scratch.spec("image.yaml", |text| text.replace("image: flink:2.2", "image: flink:2.2.1"));
    let output = flink_render(&["diff", &image, "--against", &golden]);
    assert_eq!(output.status.code(), Some(1));
    let report = stdout(&output);
    assert!(report.contains("~ Deployment basic-application\n"), "{report}");
    assert!(
        report.contains("    spec.template.spec.containers[flink-main-container].image: flink:2.2 → flink:2.2.1\n"),
        "{report}"
    );
}

#[test]
fn added_and_removed_objects() {
    let scratch = Scratch::new("added-removed");
    let with_ingress = scratch.spec("ingress.yaml", |text| {
        text.replace("  job:\n", "  ingress:\n    template: \"{{name}}.example.com\"\n  job:\n")
    });
    let golden = scratch.golden_dir(BASIC);
    let added = flink_render(&["diff", &with_ingress, "--against", &golden]);
    assert_eq!(added.status.code(), Some(1));
    assert!(
        stdout(&added).contains("+ Ingress basic-application (ingress_basic-application.yaml)\n"),
        "{}",
        stdout(&added)
    );
    assert!(stdout(&added).contains(", 1 added, 0 removed"), "{}", stdout(&added));

    let golden_file = scratch.path("with-ingress.yaml");
    fs::write(&golden_file, flink_render(&["render", &with_ingress]).stdout).unwrap();
    let removed = flink_render(&["diff", BASIC, "--against", &golden_file]);
    assert_eq!(removed.status.code(), Some(1));
    assert!(stdout(&removed).contains("- Ingress basic-application\n"), "{}", stdout(&removed));
}

#[test]
fn invalid_input_exits_1_with_diagnostics() {
    let scratch = Scratch::new("invalid");
    let golden = scratch.golden_dir(BASIC);
    let output = flink_render(&["diff", "fixtures/invalid/wrong-type-parallelism.yaml", "--against", &golden]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    assert!(String::from_utf8_lossy(&output.stderr).contains("error[invalid-type]"));
}

#[test]
fn missing_golden_is_an_io_error() {
    let output = flink_render(&["diff", BASIC, "--against", "does/not/exist.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read does/not/exist.yaml"));
}
