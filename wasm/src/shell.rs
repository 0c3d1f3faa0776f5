//! The shell proper, with no wasm-bindgen in it: a JSON request in, a JSON response out, for
//! each subcommand. It does what `src/cli/` does around the library — reads the options,
//! parses operator defaults, compiles, picks what to print — so `stdout` is byte for byte what
//! the CLI prints for the same input, and `exitCode` what it exits with.
//!
//! Every path into the library is imported here and nowhere else in this crate.

use serde::Deserialize;
use serde_json::{Value, json};

use flink_render::diagnostics::{Diagnostic, Diagnostics};
use flink_render::diff::json_patch::{self, object_patches};
use flink_render::diff::report as diff_report;
use flink_render::diff::{FieldChange, ObjectDiff, ObjectKey, diff_objects, parse_objects};
use flink_render::effective::DeploymentMode;
use flink_render::emit::yaml::write_yaml_document;
use flink_render::memory::report as memory_report;
use flink_render::parse::defaults::OperatorDefaults;
use flink_render::schema::Kind;
use flink_render::{Compiled, Input, Options, compile, to_json};

use crate::json::{Json, escape_into};

/// The CLI's exit codes.
const SUCCESS: u8 = 0;
const INVALID_INPUT: u8 = 1;
const USAGE_OR_IO: u8 = 2;

/// One named text: a spec, the operator defaults or the committed output. The name is what
/// diagnostics report as their `source` (the CLI uses the path as given).
#[derive(Deserialize)]
struct Text {
    name: String,
    text: String,
}

/// The options of every subcommand, as the CLI's flags; each subcommand reads its own.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
struct Request {
    /// The specs (the CLI's PATH arguments), in order.
    inputs: Vec<Text>,
    /// `--namespace`.
    namespace: Option<String>,
    /// `--defaults`: the operator defaults file.
    defaults: Option<Text>,
    /// `--reference`: specs of session clusters rendered elsewhere.
    references: Vec<Text>,
    /// `--omitted-mode`: `native` or `standalone`.
    omitted_mode: Option<String>,
    /// `--format`: `yaml`|`json` for render, `json` for validate, `text`|`json-patch` for diff.
    format: Option<String>,
    /// `diff --against`: the committed output as one YAML or JSON stream.
    against: Option<Text>,
    /// `schema --kind`.
    kind: Option<String>,
    /// `schema --crd`.
    crd: bool,
}

/// What a call returns; fields that do not apply to a subcommand are left out. Written by
/// [`Response::to_json`] (key order as serde would write the struct).
#[derive(Default)]
struct Response {
    /// What the CLI would exit with: 0 success, 1 invalid input (or, for diff, a difference),
    /// 2 a usage or read error.
    exit_code: u8,
    /// Exactly what the CLI prints on stdout.
    stdout: Stdout,
    /// Every finding, as `validate --format json` prints them.
    diagnostics: Vec<Diagnostic>,
    /// For exit code 2: the message the CLI prints after `error: `.
    error: Option<String>,
    /// render: each object on its own, in output order.
    objects: Option<Documents>,
    /// diff: each differing object and its changed fields, in the report's order.
    changes: Option<Vec<Value>>,
}

/// What goes out as `stdout`.
#[derive(Default)]
enum Stdout {
    /// Nothing.
    #[default]
    Empty,
    /// This text.
    Text(String),
    /// The YAML stream of the response's `objects`, each document after a `---` line (the
    /// library's `to_yaml`, tested), copied from the documents already escaped.
    Stream,
}

/// The rendered objects, each YAML document already escaped for JSON, once, in `escaped`.
#[derive(Default)]
struct Documents {
    /// Identity and document of each object, in output order.
    objects: Vec<Document>,
    /// Every document's JSON-escaped YAML, one after another.
    escaped: String,
}

/// One rendered object for the page: its identity and where its escaped YAML document is.
struct Document {
    key: ObjectKey,
    yaml: std::ops::Range<usize>,
}

impl Documents {
    /// Write each object's YAML document once and keep it escaped.
    fn of(objects: &[Value]) -> Documents {
        let mut documents = Documents {
            objects: Vec::with_capacity(objects.len()),
            escaped: String::with_capacity(objects.len() * 4096),
        };
        let mut yaml = String::with_capacity(4096);
        for object in objects {
            yaml.clear();
            write_yaml_document(object, &mut yaml);
            let start = documents.escaped.len();
            // A line's newline is two bytes escaped; lines are rarely shorter than 16 bytes.
            documents.escaped.reserve(yaml.len() + yaml.len() / 16);
            escape_into(&mut documents.escaped, &yaml);
            documents.objects.push(Document { key: object_key(object), yaml: start..documents.escaped.len() });
        }
        documents
    }
}

/// `ObjectKey::of` without its JSON Pointer parsing: `kind`, `metadata.namespace` and
/// `metadata.name`, each empty unless a string (tested equal to it).
fn object_key(object: &Value) -> ObjectKey {
    let text = |value: Option<&Value>| value.and_then(Value::as_str).unwrap_or_default().to_string();
    let metadata = object.get("metadata");
    ObjectKey {
        kind: text(object.get("kind")),
        namespace: text(metadata.and_then(|metadata| metadata.get("namespace"))),
        name: text(metadata.and_then(|metadata| metadata.get("name"))),
    }
}

impl Response {
    fn failed(exit_code: u8, error: String) -> Response {
        Response { exit_code, error: Some(error), ..Response::default() }
    }

    fn invalid(diagnostics: Diagnostics) -> Response {
        Response { exit_code: INVALID_INPUT, diagnostics: diagnostics.into_iter().collect(), ..Response::default() }
    }

    /// The response as compact JSON, byte for byte what serde_json wrote for the same fields.
    fn to_json(&self) -> String {
        let escaped = self.objects.as_ref().map_or(0, |documents| documents.escaped.len());
        let mut json = Json::with_capacity(2 * escaped + 1024);
        json.raw("{\"exitCode\":").raw(&self.exit_code.to_string()).raw(",\"stdout\":");
        match (&self.stdout, &self.objects) {
            (Stdout::Text(text), _) => {
                json.string(text);
            }
            (Stdout::Stream, Some(documents)) => {
                json.raw("\"");
                for document in &documents.objects {
                    json.raw("---\\n").raw(&documents.escaped[document.yaml.clone()]);
                }
                json.raw("\"");
            }
            (Stdout::Empty | Stdout::Stream, _) => {
                json.raw("\"\"");
            }
        }
        json.raw(",\"diagnostics\":").value(&self.diagnostics);
        if let Some(error) = &self.error {
            json.raw(",\"error\":").string(error);
        }
        if let Some(documents) = &self.objects {
            // serde_json's maps are sorted: kind, name, namespace, yaml.
            json.raw(",\"objects\":[");
            for (at, document) in documents.objects.iter().enumerate() {
                let ObjectKey { kind, namespace, name } = &document.key;
                json.raw(if at == 0 { "{\"kind\":" } else { ",{\"kind\":" }).string(kind);
                json.raw(",\"name\":").string(name).raw(",\"namespace\":");
                if namespace.is_empty() {
                    json.raw("null");
                } else {
                    json.string(namespace);
                }
                json.raw(",\"yaml\":\"").raw(&documents.escaped[document.yaml.clone()]).raw("\"}");
            }
            json.raw("]");
        }
        if let Some(changes) = &self.changes {
            json.raw(",\"changes\":").value(changes);
        }
        json.raw("}");
        json.finish()
    }
}

/// `flink-render render [--namespace NS] [--defaults FILE] [--format yaml|json] PATH…`.
pub fn render(request: &str) -> String {
    respond(request, |request| {
        let format = request.format.as_deref().unwrap_or("yaml");
        if !matches!(format, "yaml" | "json") {
            return Response::failed(USAGE_OR_IO, format!("render: unknown format `{format}` (yaml, json)"));
        }
        let compiled = match compile_valid(&request) {
            Ok(compiled) => compiled,
            Err(response) => return *response,
        };
        let stdout = if format == "json" { Stdout::Text(to_json(&compiled.objects)) } else { Stdout::Stream };
        Response {
            stdout,
            objects: Some(Documents::of(&compiled.objects)),
            diagnostics: compiled.diagnostics.into_iter().collect(),
            ..Response::default()
        }
    })
}

/// `flink-render validate --format json [--namespace NS] [--defaults FILE] PATH…`.
pub fn validate(request: &str) -> String {
    respond(request, |request| {
        if let Some(format) = request.format.as_deref().filter(|format| *format != "json") {
            return Response::failed(USAGE_OR_IO, format!("validate: unknown format `{format}` (json)"));
        }
        let compiled = match compile_request(&request) {
            Ok(compiled) => compiled,
            Err(response) => return *response,
        };
        let stdout = serde_json::to_string_pretty(&compiled.diagnostics).expect("diagnostics serialize") + "\n";
        let exit_code = if compiled.diagnostics.has_errors() { INVALID_INPUT } else { SUCCESS };
        Response {
            exit_code,
            stdout: Stdout::Text(stdout),
            diagnostics: compiled.diagnostics.into_iter().collect(),
            ..Response::default()
        }
    })
}

/// `flink-render memory --format json [--namespace NS] [--defaults FILE] PATH…`.
pub fn memory(request: &str) -> String {
    respond(request, |request| match compile_valid(&request) {
        Ok(compiled) => Response {
            stdout: Stdout::Text(memory_report(&compiled.memory)),
            diagnostics: compiled.diagnostics.into_iter().collect(),
            ..Response::default()
        },
        Err(response) => *response,
    })
}

/// `flink-render schema [--kind FlinkDeployment|FlinkSessionJob] [--crd]`.
pub fn schema(request: &str) -> String {
    respond(request, |request| {
        let kind = match request.kind.as_deref().unwrap_or("FlinkDeployment") {
            "FlinkDeployment" => Kind::FlinkDeployment,
            "FlinkSessionJob" => Kind::FlinkSessionJob,
            other => {
                return Response::failed(
                    USAGE_OR_IO,
                    format!("schema: unknown kind `{other}` (FlinkDeployment, FlinkSessionJob)"),
                );
            }
        };
        // the committed files, which tests/schema.rs holds equal to what `flink-render schema`
        // prints: the module need not carry the schema generator (schemars and every type's
        // schema code, about 10 KB of the gzipped module)
        let stdout = match (kind, request.crd) {
            (Kind::FlinkDeployment, false) => include_str!("../../schema/flinkdeployment.schema.json"),
            (Kind::FlinkDeployment, true) => include_str!("../../schema/flinkdeployments.flink.apache.org.crd.yaml"),
            (Kind::FlinkSessionJob, false) => include_str!("../../schema/flinksessionjob.schema.json"),
            (Kind::FlinkSessionJob, true) => include_str!("../../schema/flinksessionjobs.flink.apache.org.crd.yaml"),
        }
        .to_string();
        Response { stdout: Stdout::Text(stdout), ..Response::default() }
    })
}

/// `flink-render diff --against FILE [--format text|json-patch] [--namespace NS] [--defaults FILE] PATH…`,
/// the committed output given as one stream (the CLI's FILE form).
pub fn diff(request: &str) -> String {
    respond(request, |request| {
        let json_patch = match request.format.as_deref().unwrap_or("text") {
            "text" => false,
            "json-patch" => true,
            other => {
                return Response::failed(USAGE_OR_IO, format!("diff: unknown format `{other}` (text, json-patch)"));
            }
        };
        let Some(against) = &request.against else {
            return Response::failed(USAGE_OR_IO, "diff: `against` (the committed output) is required".into());
        };
        let committed = match parse_objects(&against.text) {
            Ok(objects) => objects,
            Err(message) => return Response::failed(USAGE_OR_IO, format!("{}: {message}", against.name)),
        };
        let compiled = match compile_valid(&request) {
            Ok(compiled) => compiled,
            Err(response) => return *response,
        };
        let rendered = &compiled.objects;
        let diffs = match diff_objects(&committed, rendered) {
            Ok(diffs) => diffs,
            Err(message) => return Response::failed(USAGE_OR_IO, format!("{}: {message}", against.name)),
        };
        let stdout = match (json_patch, diffs.is_empty()) {
            (false, true) => String::new(),
            (false, false) => diff_report(&diffs, false, rendered.len()),
            (true, _) => match object_patches(&committed, rendered) {
                Ok(patches) => json_patch::to_json(&patches),
                Err(message) => return Response::failed(USAGE_OR_IO, format!("{}: {message}", against.name)),
            },
        };
        Response {
            exit_code: if diffs.is_empty() { SUCCESS } else { INVALID_INPUT },
            stdout: Stdout::Text(stdout),
            changes: Some(diffs.iter().map(object_change).collect()),
            diagnostics: compiled.diagnostics.into_iter().collect(),
            ..Response::default()
        }
    })
}

/// Parse the request, run `command`, and serialize its response.
fn respond(request: &str, command: impl FnOnce(Request) -> Response) -> String {
    let response = match serde_json::from_str::<Request>(request) {
        Ok(request) => command(request),
        Err(error) => Response::failed(USAGE_OR_IO, format!("bad request: {error}")),
    };
    response.to_json()
}

/// Compile as `render`, `memory` and `diff` do: any error stops with exit 1.
fn compile_valid(request: &Request) -> Result<Compiled, Box<Response>> {
    let compiled = compile_request(request)?;
    if compiled.diagnostics.has_errors() {
        return Err(Box::new(Response::invalid(compiled.diagnostics)));
    }
    Ok(compiled)
}

/// Parse the operator defaults (their problems stop the run, reported against their name)
/// and compile every input.
fn compile_request(request: &Request) -> Result<Compiled, Box<Response>> {
    if request.inputs.is_empty() {
        return Err(Box::new(Response::failed(USAGE_OR_IO, "at least one input is required".into())));
    }
    let defaults = match &request.defaults {
        None => None,
        Some(file) => match OperatorDefaults::parse(&file.text) {
            Ok(defaults) => Some(defaults),
            Err(diagnostics) => {
                let mut named = Diagnostics::default();
                for mut diagnostic in diagnostics {
                    diagnostic.source = file.name.clone();
                    named.push(diagnostic);
                }
                return Err(Box::new(Response::invalid(named)));
            }
        },
    };
    let omitted_mode = match request.omitted_mode.as_deref() {
        None => None,
        Some(mode) => match DeploymentMode::parse(mode) {
            Some(mode) => Some(mode),
            None => {
                let message =
                    format!("invalid value '{mode}' for '--omitted-mode <MODE>' [possible values: native, standalone]");
                return Err(Box::new(Response::failed(USAGE_OR_IO, message)));
            }
        },
    };
    let inputs: Vec<Input<'_>> =
        request.inputs.iter().map(|input| Input { name: &input.name, text: &input.text }).collect();
    let references: Vec<Input<'_>> =
        request.references.iter().map(|input| Input { name: &input.name, text: &input.text }).collect();
    let options = Options {
        namespace: request.namespace.as_deref(),
        defaults: defaults.as_ref(),
        references: &references,
        omitted_mode,
        ..Options::default()
    };
    Ok(compile(&inputs, &options))
}

/// One differing object: its identity, `added`/`removed`/`changed`, and for a changed one
/// every field change as `{path, change, before?, after?}`.
fn object_change(diff: &ObjectDiff) -> Value {
    let (change, fields) = match diff {
        ObjectDiff::Added { .. } => ("added", Vec::new()),
        ObjectDiff::Removed { .. } => ("removed", Vec::new()),
        ObjectDiff::Changed { fields, .. } => ("changed", fields.iter().map(field_change).collect()),
    };
    let key = diff.key();
    json!({
        "kind": key.kind,
        "namespace": (!key.namespace.is_empty()).then_some(&key.namespace),
        "name": key.name,
        "change": change,
        "fields": fields,
    })
}

fn field_change(field: &FieldChange) -> Value {
    match field {
        FieldChange::Added { path, value } => json!({ "path": path, "change": "added", "after": value }),
        FieldChange::Removed { path, value } => json!({ "path": path, "change": "removed", "before": value }),
        FieldChange::Modified { path, before, after } => {
            json!({ "path": path, "change": "modified", "before": before, "after": after })
        }
        FieldChange::Reordered { path, before, after } => {
            json!({ "path": path, "change": "reordered", "before": before, "after": after })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flink_render::emit::yaml::to_yaml_document;

    const SPEC: &str = include_str!("../../fixtures/basic-application.yaml");

    fn call(command: fn(&str) -> String, request: Value) -> Value {
        serde_json::from_str(&command(&request.to_string())).unwrap()
    }

    #[test]
    fn render_prints_the_stream_and_each_object() {
        let response = call(render, json!({ "inputs": [{ "name": "spec.yaml", "text": SPEC }] }));
        assert_eq!(response["exitCode"], 0);
        let objects = response["objects"].as_array().unwrap();
        assert!(objects.iter().any(|object| object["kind"] == "Deployment" && object["name"] == "basic-application"));
        let joined: String =
            objects.iter().map(|object| format!("---\n{}", object["yaml"].as_str().unwrap())).collect();
        assert_eq!(response["stdout"], joined);
    }

    /// `stdout` is written from the escaped documents; it must stay the library's stream.
    #[test]
    fn the_stream_is_the_librarys_to_yaml() {
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures");
        let mut rendered = 0;
        for entry in std::fs::read_dir(fixtures).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|extension| extension != "yaml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let compiled = compile(&[Input { name: "spec.yaml", text: &text }], &Options::default());
            let response = call(render, json!({ "inputs": [{ "name": "spec.yaml", "text": text }] }));
            if compiled.diagnostics.has_errors() {
                assert_eq!(response["exitCode"], 1, "{}", path.display());
                continue;
            }
            assert_eq!(response["stdout"], flink_render::to_yaml(&compiled.objects), "{}", path.display());
            let documents: Vec<String> = compiled.objects.iter().map(to_yaml_document).collect();
            for object in &compiled.objects {
                assert_eq!(object_key(object), ObjectKey::of(object));
            }
            let yaml: Vec<&str> =
                response["objects"].as_array().unwrap().iter().map(|object| object["yaml"].as_str().unwrap()).collect();
            assert_eq!(yaml, documents, "{}", path.display());
            rendered += 1;
        }
        assert!(rendered > 10, "only {rendered} fixtures rendered");
    }

    #[test]
    fn object_keys_are_the_librarys() {
        let objects = [
            json!({}),
            json!([1, 2]),
            json!({ "kind": 3, "metadata": [] }),
            json!({ "kind": "Secret", "metadata": { "name": "a", "namespace": null } }),
            json!({ "kind": "Secret", "metadata": { "name": "a", "namespace": "ns" } }),
        ];
        for object in &objects {
            assert_eq!(object_key(object), ObjectKey::of(object), "{object}");
        }
    }

    #[test]
    fn errors_exit_1_with_diagnostics_and_no_output() {
        let spec = SPEC.replace("parallelism: 2", "parallelism: two");
        let response = call(render, json!({ "inputs": [{ "name": "spec.yaml", "text": spec }] }));
        assert_eq!(response["exitCode"], 1);
        assert_eq!(response["stdout"], "");
        assert_eq!(response["diagnostics"][0]["source"], "spec.yaml");
        assert!(response["diagnostics"][0]["line"].as_u64().unwrap() > 0);
    }

    #[test]
    fn defaults_problems_are_reported_against_the_defaults() {
        let request = json!({
            "inputs": [{ "name": "spec.yaml", "text": SPEC }],
            "defaults": { "name": "defaults.yaml", "text": "podTemplate: 3\n" },
        });
        let response = call(validate, request);
        assert_eq!(response["exitCode"], 1);
        assert_eq!(response["stdout"], "");
        assert_eq!(response["diagnostics"][0]["source"], "defaults.yaml");
    }

    #[test]
    fn diff_reports_fields_and_patches() {
        let committed = call(render, json!({ "inputs": [{ "name": "spec.yaml", "text": SPEC }] }));
        let edited = SPEC.replace("image: flink:2.2", "image: flink:2.2.1");
        let request = |format: &str| {
            json!({
                "inputs": [{ "name": "spec.yaml", "text": edited }],
                "against": { "name": "committed.yaml", "text": committed["stdout"] },
                "format": format,
            })
        };
        let text = call(diff, request("text"));
        assert_eq!(text["exitCode"], 1);
        assert!(text["stdout"].as_str().unwrap().contains("image: flink:2.2 → flink:2.2.1"));
        let deployment = text["changes"].as_array().unwrap().iter().find(|c| c["name"] == "basic-application");
        let field = &deployment.unwrap()["fields"].as_array().unwrap()[0];
        assert_eq!(field["change"], "modified");
        let patches = call(diff, request("json-patch"));
        let printed: Value = serde_json::from_str(patches["stdout"].as_str().unwrap()).unwrap();
        assert!(printed.as_array().unwrap().iter().all(|entry| entry["change"] == "changed"));
    }

    #[test]
    fn bad_requests_exit_2() {
        assert_eq!(call(render, json!({ "inputs": [], "format": "yaml" }))["exitCode"], 2);
        assert_eq!(call(render, json!({ "imputs": [] }))["exitCode"], 2);
        assert_eq!(call(schema, json!({ "kind": "Pod" }))["exitCode"], 2);
        assert_eq!(call(schema, json!({}))["exitCode"], 0);
    }
}
