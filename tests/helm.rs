//! Helm 4's post-renderer annotation, over every valid fixture: a spec annotated
//! `postrenderer.helm.sh/postrender-filename` (as Helm 4 hands every document to its
//! post-renderer plugin) renders to exactly the objects it renders to without it, each carrying
//! the annotation on its own metadata and nowhere else: no name, job id, configuration hash,
//! revision or pod template changes with the chart file a spec is written in.

mod common;

use flink_render::effective::helm::TEMPLATE_FILE_ANNOTATION;
use flink_render::parse::defaults::OperatorDefaults;
use flink_render::parse::document::parse_stream;
use flink_render::{Input, Options, compile, to_yaml};
use serde_json::Value;

use common::{fixture_files, fixtures};

const TEMPLATE: &str = "flinkchart/templates/flink.yaml";

fn is_flink_resource(document: &Value) -> bool {
    matches!(document["kind"].as_str(), Some("FlinkDeployment" | "FlinkSessionJob"))
}

/// The fixture's documents as a JSON stream, each Flink resource annotated as Helm 4 does when
/// `annotate` is set.
fn as_stream(text: &str, annotate: bool) -> String {
    let mut stream = String::new();
    for node in parse_stream(text).expect("a valid fixture") {
        let mut document = node.to_json();
        if annotate && is_flink_resource(&document) {
            let metadata = document["metadata"].as_object_mut().expect("metadata");
            let annotations = metadata.entry("annotations").or_insert_with(|| serde_json::json!({}));
            annotations[TEMPLATE_FILE_ANNOTATION] = Value::String(TEMPLATE.into());
        }
        stream.push_str("---\n");
        stream.push_str(&serde_json::to_string(&document).unwrap());
        stream.push('\n');
    }
    stream
}

/// The fixture's stream rendered with the defaults and references its arguments name.
fn render(stream: &str, fixture: &str) -> Vec<Value> {
    let defaults = fixture_files(fixture, "--defaults").first().map(|(_, text)| OperatorDefaults::parse(text).unwrap());
    let references = fixture_files(fixture, "--reference");
    let references: Vec<Input<'_>> = references.iter().map(|(name, text)| Input { name, text }).collect();
    let options = Options {
        namespace: Some("default"),
        defaults: defaults.as_ref(),
        references: &references,
        ..Options::default()
    };
    let compiled = compile(&[Input { name: "fixture", text: stream }], &options);
    assert!(!compiled.diagnostics.has_errors(), "{:#?}", compiled.diagnostics);
    compiled.objects
}

/// The object without the annotation (and without `annotations` when nothing else is left).
fn without_template_file(mut object: Value) -> Value {
    let metadata = object["metadata"].as_object_mut().expect("metadata");
    let annotations = metadata.get_mut("annotations").and_then(Value::as_object_mut).expect("annotations");
    assert_eq!(annotations.remove(TEMPLATE_FILE_ANNOTATION), Some(Value::String(TEMPLATE.into())));
    if annotations.is_empty() {
        metadata.remove("annotations");
    }
    object
}

#[test]
fn helm_4s_template_file_annotation_changes_nothing_but_the_objects_own_metadata() {
    let mut checked = 0;
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).unwrap();
        let plain = render(&as_stream(&text, false), &text);
        let annotated = render(&as_stream(&text, true), &text);
        let passed_through =
            parse_stream(&text).unwrap().iter().filter(|node| !is_flink_resource(&node.to_json())).count();
        let filed: Vec<&Value> = annotated
            .iter()
            .filter(|object| object["metadata"]["annotations"].get(TEMPLATE_FILE_ANNOTATION).is_some())
            .collect();
        assert_eq!(filed.len(), plain.len() - passed_through, "{}: every rendered object is filed", path.display());
        for object in filed {
            let text = serde_json::to_string(object).unwrap();
            let (kind, name) = (&object["kind"], &object["metadata"]["name"]);
            assert_eq!(
                text.matches(TEMPLATE).count(),
                1,
                "{}: {kind} {name}: only on its own metadata",
                path.display()
            );
        }
        let unfiled: Vec<Value> = annotated
            .into_iter()
            .map(|object| match object["metadata"]["annotations"].get(TEMPLATE_FILE_ANNOTATION) {
                Some(_) => without_template_file(object),
                None => object,
            })
            .collect();
        assert_eq!(to_yaml(&unfiled), to_yaml(&plain), "{}: another byte changed", path.display());
        checked += plain.len();
    }
    assert!(checked > 150, "checked {checked} objects");
}
