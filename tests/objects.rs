//! Properties of every rendered object, over every valid fixture:
//! * each object deserializes into its k8s-openapi type and re-serializes to the same
//!   JSON, so no field is unknown to Kubernetes or lost;
//! * rendering is deterministic: the same input gives the same bytes;
//! * every object of one FlinkDeployment carries the same namespace.

mod common;

use std::path::Path;

use flink_render::diagnostics::Code;
use flink_render::emit::lifecycle::files;
use flink_render::parse::defaults::OperatorDefaults;
use flink_render::{Input, Options, compile, to_json, to_yaml};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use common::{fixture_files, fixtures};

/// The operator defaults a fixture names on a `# flink-render: --defaults PATH` line.
fn fixture_defaults(text: &str) -> Option<OperatorDefaults> {
    let (path, text) = fixture_files(text, "--defaults").into_iter().next()?;
    Some(OperatorDefaults::parse(&text).unwrap_or_else(|error| panic!("{path}: {error:?}")))
}

fn render(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let defaults = fixture_defaults(&text);
    let reference_files = fixture_files(&text, "--reference");
    let references: Vec<Input<'_>> = reference_files.iter().map(|(name, text)| Input { name, text }).collect();
    let options = Options {
        namespace: Some("default"),
        defaults: defaults.as_ref(),
        references: &references,
        ..Options::default()
    };
    let compiled = compile(&[Input { name: "fixture", text: &text }], &options);
    assert!(!compiled.diagnostics.has_errors(), "{}: {:#?}", path.display(), compiled.diagnostics);
    compiled.objects
}

fn round_trip<T: DeserializeOwned + Serialize>(object: &Value) -> Value {
    let typed: T = serde_json::from_value(object.clone()).unwrap_or_else(|error| panic!("{error}: {object:#}"));
    serde_json::to_value(typed).unwrap()
}

#[test]
fn every_object_round_trips_through_its_kubernetes_type() {
    let mut checked = 0;
    for path in fixtures() {
        for object in render(&path) {
            let again = match (object["apiVersion"].as_str().unwrap(), object["kind"].as_str().unwrap()) {
                ("v1", "ConfigMap") => round_trip::<ConfigMap>(&object),
                ("v1", "Service") => round_trip::<Service>(&object),
                ("v1", "Secret") => round_trip::<Secret>(&object),
                ("v1", "Namespace") => round_trip::<Namespace>(&object),
                ("apps/v1", "Deployment") => round_trip::<Deployment>(&object),
                ("networking.k8s.io/v1", "Ingress") => round_trip::<Ingress>(&object),
                ("rbac.authorization.k8s.io/v1", "Role") => round_trip::<Role>(&object),
                ("rbac.authorization.k8s.io/v1", "RoleBinding") => round_trip::<RoleBinding>(&object),
                ("v1", "ServiceAccount") => round_trip::<ServiceAccount>(&object),
                ("networking.k8s.io/v1", "NetworkPolicy") => round_trip::<NetworkPolicy>(&object),
                ("batch/v1", "Job") => round_trip::<Job>(&object),
                (api, kind) => panic!("{}: unexpected {api} {kind}", path.display()),
            };
            assert_eq!(again, object, "{}: a field was lost or changed", path.display());
            checked += 1;
        }
    }
    assert!(checked > 150, "checked {checked} objects");
}

#[test]
fn rendering_is_deterministic() {
    for path in fixtures() {
        let first = render(&path);
        let second = render(&path);
        assert_eq!(to_yaml(&first), to_yaml(&second), "{}", path.display());
        assert_eq!(to_json(&first), to_json(&second), "{}", path.display());
    }
}

#[test]
fn objects_of_a_cluster_share_its_namespace() {
    for path in fixtures() {
        for object in render(&path).into_iter().filter(|object| object["kind"] != "Namespace") {
            assert!(
                object.pointer("/metadata/namespace").and_then(Value::as_str).is_some_and(|ns| !ns.is_empty()),
                "{}: {object:#}",
                path.display()
            );
        }
    }
}

#[test]
fn config_change_rolls_pods_but_keeps_the_config_map_name() {
    let base =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/basic-application.yaml")).unwrap();
    let changed = base.replace(
        "taskmanager.numberOfTaskSlots: \"2\"",
        "taskmanager.numberOfTaskSlots: \"2\"\n    pipeline.name: renamed",
    );
    assert_ne!(base, changed, "the fixture sets taskmanager.numberOfTaskSlots");
    let hash = |text: &str| {
        let objects = compile(&[Input { name: "x", text }], &Options::default()).objects;
        let deployment = objects.iter().find(|o| o["kind"] == "Deployment").unwrap().clone();
        let config_map = objects.iter().find(|o| o["kind"] == "ConfigMap").unwrap().clone();
        (
            deployment["spec"]["template"]["metadata"]["annotations"]["flink-render/config-hash"].clone(),
            config_map["metadata"]["name"].clone(),
        )
    };
    let (hash_before, name_before) = hash(&base);
    let (hash_after, name_after) = hash(&changed);
    assert_ne!(hash_before, hash_after);
    assert_eq!(name_before, name_after);
}

#[test]
fn the_same_cluster_twice_is_one_duplicate_error() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/basic-application.yaml")).unwrap();
    let compiled =
        compile(&[Input { name: "a.yaml", text: &text }, Input { name: "b.yaml", text: &text }], &Options::default());
    let errors: Vec<_> = compiled.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].code, Code::DuplicateObject);
    assert_eq!(errors[0].source, "b.yaml");
    assert!(
        errors[0]
            .message
            .starts_with("5 objects are also produced by a.yaml: ConfigMap flink-config-basic-application")
    );
    assert!(compiled.objects.is_empty());
}

/// The command, args and preStop hook of a container, word by word.
fn container_words(container: &Value) -> Vec<&str> {
    let hook = &container["lifecycle"]["preStop"]["exec"]["command"];
    [&container["command"], &container["args"], hook]
        .into_iter()
        .flat_map(|words| words.as_array().into_iter().flatten().filter_map(Value::as_str))
        .collect()
}

/// Readable manifests (issue 19): no container or hook carries a script of more than a line,
/// and every script a pod runs is a file of the scripts ConfigMap rendered beside it, which
/// that pod mounts read-only; the ConfigMap's name carries its content's hash, so a changed
/// script renames it and every pod template that runs one changes.
#[test]
fn every_script_a_pod_runs_is_a_file_of_a_config_map_it_mounts() {
    let mut pods_checked = 0;
    for path in fixtures() {
        let objects = render(&path);
        for object in objects.iter().filter(|o| o["kind"] == "Deployment" || o["kind"] == "Job") {
            let pod = &object["spec"]["template"]["spec"];
            let mut runs = Vec::new();
            for container in ["initContainers", "containers"].iter().filter_map(|list| pod[list].as_array()).flatten() {
                let words = container_words(container);
                for word in &words {
                    assert!(
                        word.lines().count() <= 1,
                        "{}: a script inline in {}: {word}",
                        path.display(),
                        object["metadata"]["name"]
                    );
                }
                let ran: Vec<&str> =
                    words.iter().filter_map(|word| word.split("/flink-render/scripts/").nth(1)).collect();
                if !ran.is_empty() {
                    let mounts = container["volumeMounts"].as_array().unwrap();
                    let mount = mounts.iter().find(|m| m["name"] == "flink-render-scripts").unwrap();
                    assert_eq!(
                        (mount["mountPath"].as_str(), &mount["readOnly"]),
                        (Some("/flink-render/scripts"), &Value::Bool(true))
                    );
                }
                runs.extend(ran);
            }
            if runs.is_empty() {
                continue;
            }
            let volume =
                pod["volumes"].as_array().unwrap().iter().find(|v| v["name"] == "flink-render-scripts").unwrap();
            let name = volume["configMap"]["name"].as_str().unwrap();
            let scripts = objects
                .iter()
                .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == name)
                .unwrap_or_else(|| panic!("{}: ConfigMap {name} is not rendered", path.display()));
            assert_eq!(scripts["immutable"], true);
            for run in runs {
                let file = run.split_whitespace().next().unwrap();
                assert!(scripts["data"].get(file).is_some(), "{}: {file} is not in {name}", path.display());
            }
            let data = serde_json::from_value(scripts["data"].clone()).unwrap();
            assert!(name.ends_with(&files::content_hash(&data)), "{name}: named by its content");
            pods_checked += 1;
        }
    }
    assert!(pods_checked >= 40, "pods that run scripts: {pods_checked}");
}
