//! The committed schemas under `schema/` are exactly what `flink-render schema` prints, so a
//! change to the raw spec types cannot leave them stale. Regenerate them with
//! `UPDATE_SCHEMA=1 cargo test --test schema`.

use std::path::Path;
use std::process::Command;

/// Each committed file and the `schema` arguments that print it.
const FILES: [(&str, &[&str]); 4] = [
    ("flinkdeployment.schema.json", &["--kind", "FlinkDeployment"]),
    ("flinksessionjob.schema.json", &["--kind", "FlinkSessionJob"]),
    ("flinkdeployments.flink.apache.org.crd.yaml", &["--kind", "FlinkDeployment", "--crd"]),
    ("flinksessionjobs.flink.apache.org.crd.yaml", &["--kind", "FlinkSessionJob", "--crd"]),
];

fn print_schema(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_flink-render")).arg("schema").args(args).output().unwrap();
    assert!(output.status.success(), "schema {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    assert!(output.stderr.is_empty(), "schema {args:?} wrote to stderr");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn committed_schemas_are_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    let update = std::env::var_os("UPDATE_SCHEMA").is_some_and(|value| value == "1");
    let mut stale = Vec::new();
    for (file, args) in FILES {
        let printed = print_schema(args);
        let path = dir.join(file);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &printed).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(printed.as_str()) {
            stale.push(format!("schema/{file} (flink-render schema {})", args.join(" ")));
        }
    }
    assert!(
        stale.is_empty(),
        "stale or missing:\n  {}\nregenerate with `UPDATE_SCHEMA=1 cargo test --test schema`",
        stale.join("\n  ")
    );
}

#[test]
fn default_kind_is_flink_deployment() {
    assert_eq!(print_schema(&[]), print_schema(&["--kind", "FlinkDeployment"]));
}

#[test]
fn printed_crds_are_structural() {
    for kind in ["FlinkDeployment", "FlinkSessionJob"] {
        let text = print_schema(&["--kind", kind, "--crd"]);
        let objects = flink_render::diff::parse_objects(&text).unwrap();
        let [crd] = objects.as_slice() else { panic!("{kind}: expected one document") };
        assert_eq!(crd["kind"], "CustomResourceDefinition");
        assert_eq!(crd["spec"]["names"]["kind"], kind);
        let schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
        assert_eq!(flink_render::schema::structural_problems(schema), Vec::<String>::new(), "{kind}");
        assert!(!text.contains("$ref"), "{kind}: the CRD has a $ref");
    }
}

#[test]
fn unknown_kind_is_a_usage_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_flink-render"))
        .args(["schema", "--kind", "FlinkStateSnapshot"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
}
