//! The KRM function for kustomize and kpt (KRM Functions Specification,
//! `config.kubernetes.io/v1` `ResourceList`; reference ecosystem.md §1.4), as a pure
//! transform: one ResourceList, YAML or JSON, in ([`transform`]), one out in the same format.
//! `flink-render krm` is the shell that reads it from stdin and writes it to stdout.
//!
//! The `functionConfig` chooses the mode:
//! - A **`FlinkDeployment`** is a *generator*: under kustomize's `generators:` it carries
//!   `config.kubernetes.io/function: {exec: {path: …}}`. It is rendered, and its objects are
//!   appended to the items. The local-config copy of it that kustomize puts into the items is
//!   dropped.
//! - A **`FlinkRenderConfig`** (`flink-render.dev/v1alpha1`, settings under `spec`), a
//!   **`ConfigMap`** (what `kpt fn eval … -- key=value` builds; settings under `data`), or no
//!   functionConfig at all is a *transformer*. Every FlinkDeployment and FlinkSessionJob item is
//!   replaced in place by its rendered objects. Every other item is kept exactly as it came,
//!   with all its annotations: kustomize maps kept items back by their identity. All Flink
//!   items are compiled together, so a FlinkSessionJob finds its FlinkDeployment in any item.
//!
//! In either mode, a FlinkDeployment item annotated `config.kubernetes.io/local-config: "true"`
//! is a **reference**: the spec of a session cluster rendered elsewhere, read and checked so that
//! a session job finds it, kept as it came (kustomize leaves local-config items out of its
//! output, and kpt does not apply them) and not rendered.
//!
//! Rendered objects are new resources. They carry none of the source item's identity
//! annotations (`kustomize.config.k8s.io/id`, `config.k8s.io/id`,
//! `internal.config.kubernetes.io/id`, the index annotations). They do inherit the source
//! item's `config.kubernetes.io/path` and `internal.config.kubernetes.io/path`, so kpt writes
//! them into the file the spec came from. There they get the next free
//! `config.kubernetes.io/index` / `internal.config.kubernetes.io/index` values, because kpt
//! requires each (path, index) pair to be unique.
//!
//! The settings are `namespace`, `defaults` (operator defaults, a mapping or its YAML text) and
//! `omittedMode` (`native`, the default, or `standalone`: how a FlinkDeployment without
//! `spec.mode` is rendered).
//!
//! Settings come only from the functionConfig, never from `exec.args`: kustomize before 5.7
//! rejects `exec.args`. kustomize before 5.7 also cannot pass a subcommand, so the binary runs
//! this mode when it is started under the name [`FUNCTION_PROGRAM_NAME`] (a symlink).
//!
//! Findings name the item's file and document (`config.kubernetes.io/path` and `index`) and
//! the field path: the item's lines in the ResourceList are not lines of any file the user
//! has. An error leaves no output: kustomize and kpt ignore `results` of severity error, so
//! the shell exits 1 with the diagnostics on stderr. Warnings also go into `results` with
//! severity `warning`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::diagnostics::{Code, Diagnostic, Diagnostics, Severity};
use crate::effective::DeploymentMode;
use crate::objects::ObjectKey;
use crate::parse::defaults::OperatorDefaults;
use crate::parse::document::{Entry, Node, Value as NodeValue, parse_stream};
use crate::parse::parse_document;
use crate::{Compiled, Options, ReadInput, compile_read, to_yaml};

/// The program name that makes the binary run as a KRM function with no arguments:
/// `ln -s "$(command -v flink-render)" /usr/local/bin/flink-render-krm`.
pub const FUNCTION_PROGRAM_NAME: &str = "flink-render-krm";

/// API version and kind of our own settings object.
pub const CONFIG_API_VERSION: &str = "flink-render.dev/v1alpha1";
/// Kind of our own settings object.
pub const CONFIG_KIND: &str = "FlinkRenderConfig";

/// The settings a `FlinkRenderConfig` (under `spec`) or a ConfigMap (under `data`) may hold.
const SETTINGS: [&str; 3] = ["namespace", "defaults", "omittedMode"];

/// The name diagnostics use for the ResourceList read from stdin.
const STDIN: &str = "ResourceList (stdin)";

/// Path annotations a rendered object inherits from the spec it came from.
const PATH_ANNOTATIONS: [&str; 2] = ["internal.config.kubernetes.io/path", "config.kubernetes.io/path"];

/// The index annotations that go with [`PATH_ANNOTATIONS`], in the same order.
const INDEX_ANNOTATIONS: [&str; 2] = ["internal.config.kubernetes.io/index", "config.kubernetes.io/index"];

/// Marks an object that kustomize drops from its output (the generator's own config copy, a
/// reference).
const LOCAL_CONFIG_ANNOTATION: &str = "config.kubernetes.io/local-config";

/// What one run produced: the output ResourceList (None on error), every finding, and the
/// texts the findings point into.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The output ResourceList, in the input's format; `None` when there is an error.
    pub output: Option<String>,
    /// Every finding.
    pub diagnostics: Diagnostics,
    /// The texts findings point into, by source name.
    pub sources: Vec<(String, String)>,
}

/// Settings read from the functionConfig.
#[derive(Default)]
struct Settings {
    namespace: Option<String>,
    defaults: Option<OperatorDefaults>,
    /// How a FlinkDeployment without `spec.mode` is rendered (`native` or `standalone`).
    omitted_mode: Option<DeploymentMode>,
}

/// What the functionConfig asks for.
enum Mode {
    /// Render the functionConfig itself and append its objects.
    Generate,
    /// Replace every Flink item by its rendered objects.
    Transform(Settings),
}

/// Where each output item comes from: an input item kept as it came, or the rendering of
/// the Flink resource compiled as input `input`.
enum Slot {
    Kept(Value),
    Rendered { input: usize, source: Value },
}

/// Turn one input ResourceList into the output one. Every FlinkDeployment and
/// FlinkSessionJob among the items (or the generator's functionConfig) is compiled in **one**
/// compile, so a session job finds its cluster in any item; findings name the item's file
/// (`config.kubernetes.io/path` and index) and field path.
pub fn transform(text: &str) -> Outcome {
    let mut outcome = Outcome { sources: vec![(STDIN.to_string(), text.to_string())], ..Outcome::default() };
    let list = match read_resource_list(text) {
        Ok(list) => list,
        Err(diagnostic) => {
            outcome.diagnostics.push(*diagnostic);
            return outcome;
        }
    };
    let Some(mode) = read_mode(list.function_config.as_ref(), &mut outcome) else {
        return outcome;
    };
    let (slots, inputs) = slots(&list, &mode);
    let settings = match &mode {
        Mode::Transform(settings) => settings,
        Mode::Generate => &Settings::default(),
    };
    let options = Options {
        namespace: settings.namespace.as_deref(),
        defaults: settings.defaults.as_ref(),
        omitted_mode: settings.omitted_mode,
        ..Options::default()
    };
    let sources: Vec<(String, Value)> =
        inputs.iter().map(|(read, source)| (read.name.clone(), source.clone())).collect();
    let compiled = compile_read(inputs.into_iter().map(|(read, _)| read).collect(), &options);
    let results = report(&compiled, &sources, &mut outcome);
    if outcome.diagnostics.has_errors() {
        return outcome;
    }
    let (items, rendered_ids) = assemble(slots, &compiled, options.namespace);
    check_collisions(&items, &rendered_ids, &mut outcome.diagnostics);
    if outcome.diagnostics.has_errors() {
        return outcome;
    }
    let mut output = json!({ "apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items });
    if !results.is_empty() {
        output["results"] = Value::Array(results);
    }
    outcome.output = Some(if text.trim_start().starts_with('{') {
        serde_json::to_string_pretty(&output).expect("JSON values serialize") + "\n"
    } else {
        to_yaml(&[output])
    });
    outcome
}

/// Sort the items into kept ones and Flink resources to compile (each read as its own
/// input, named after the item), in order; the generator's functionConfig comes last.
fn slots(list: &ResourceList, mode: &Mode) -> (Vec<Slot>, Vec<(ReadInput, Value)>) {
    let config_identity = list.function_config.as_ref().map(|config| identity(&config.to_json()));
    let mut slots = Vec::new();
    let mut inputs = Vec::new();
    for (index, node) in list.items.iter().enumerate() {
        let item = node.to_json();
        if is_config_copy(&item, config_identity.as_ref()) {
            continue;
        }
        let name = || item_source(&item, &format!("items[{index}]"));
        match (mode, kind_of(&item)) {
            (_, "FlinkDeployment") if is_local_config(&item) => {
                slots.push(Slot::Kept(item.clone()));
                inputs.push((read_item(node, name(), true), item));
            }
            (Mode::Transform(_), "FlinkDeployment" | "FlinkSessionJob") => {
                slots.push(Slot::Rendered { input: inputs.len(), source: item.clone() });
                inputs.push((read_item(node, name(), false), item));
            }
            _ => slots.push(Slot::Kept(item)),
        }
    }
    if let (Mode::Generate, Some(config)) = (mode, &list.function_config) {
        let item = config.to_json();
        slots.push(Slot::Rendered { input: inputs.len(), source: item.clone() });
        inputs.push((read_item(config, format!("functionConfig ({})", describe(&item)), false), item));
    }
    (slots, inputs)
}

/// Read one item as a compile input (a reference: looked up by session jobs, not rendered).
/// Its positions are lines of the ResourceList, which the user never sees, so findings about
/// it carry the item's file and field path instead.
fn read_item(node: &Node, name: String, reference: bool) -> ReadInput {
    let mut diagnostics = Diagnostics::default();
    let resources = parse_document(node.clone(), &mut diagnostics).into_iter().collect();
    ReadInput { name, resources, diagnostics, reference }
}

/// `jobs/demo.yaml, document 0 (FlinkDeployment demo)` from the item's path and index
/// annotations, or `items[3] (FlinkDeployment demo)` when it has none.
fn item_source(item: &Value, position: &str) -> String {
    let path = PATH_ANNOTATIONS.iter().rev().find_map(|key| annotation(item, key));
    let index = INDEX_ANNOTATIONS.iter().rev().find_map(|key| annotation(item, key));
    match (path, index) {
        (Some(path), Some(index)) => format!("{path}, document {index} ({})", describe(item)),
        (Some(path), None) => format!("{path} ({})", describe(item)),
        (None, _) => format!("{position} ({})", describe(item)),
    }
}

/// Move the compile's findings into the outcome (positions dropped: they are lines of the
/// ResourceList), and return the KRM `results` for its warnings.
fn report(compiled: &Compiled, sources: &[(String, Value)], outcome: &mut Outcome) -> Vec<Value> {
    let mut results = Vec::new();
    for diagnostic in compiled.diagnostics.iter() {
        let mut diagnostic = diagnostic.clone();
        (diagnostic.line, diagnostic.column) = (0, 0);
        let item = sources.iter().find(|(name, _)| *name == diagnostic.source).map(|(_, item)| item);
        if let (Severity::Warning, Some(item)) = (diagnostic.severity, item) {
            results.push(warning_result(&diagnostic, item));
        }
        outcome.diagnostics.push(diagnostic);
    }
    results
}

/// The output items: kept ones as they came, rendered ones in their source's place with its
/// file path and the next free indexes; also the ids of the rendered objects. A rendered
/// ServiceAccount that is among the kept items already (a kept item without a namespace counts
/// as in the function's) is left out, as `render` leaves it out when an input holds it.
fn assemble(slots: Vec<Slot>, compiled: &Compiled, namespace: Option<&str>) -> (Vec<Value>, BTreeSet<ObjectKey>) {
    let kept: BTreeSet<ObjectKey> = slots
        .iter()
        .filter_map(|slot| match slot {
            Slot::Kept(item) => {
                let mut key = ObjectKey::of(item);
                if key.namespace.is_empty() {
                    key.namespace = namespace.unwrap_or_default().to_string();
                }
                Some(key)
            }
            Slot::Rendered { .. } => None,
        })
        .collect();
    let mut items = Vec::new();
    let mut rendered_ids = BTreeSet::new();
    let mut with_inherited_path = Vec::new();
    for slot in slots {
        match slot {
            Slot::Kept(item) => items.push(item),
            Slot::Rendered { input, source } => {
                let objects = compiled.objects.iter().zip(&compiled.origins).filter(|(object, origin)| {
                    let key = ObjectKey::of(object);
                    **origin == input && !(key.kind == "ServiceAccount" && kept.contains(&key))
                });
                for (object, _) in objects {
                    let mut object = object.clone();
                    if inherit_paths(&mut object, &source) {
                        with_inherited_path.push(items.len());
                    }
                    rendered_ids.insert(ObjectKey::of(&object));
                    items.push(object);
                }
            }
        }
    }
    assign_indexes(&mut items, &with_inherited_path);
    (items, rendered_ids)
}

/// The parts of a ResourceList this function reads.
struct ResourceList {
    items: Vec<Node>,
    function_config: Option<Node>,
}

fn read_resource_list(text: &str) -> Result<ResourceList, Box<Diagnostic>> {
    let invalid = |message: String| Diagnostic::new(Code::InvalidResourceList, "", message).with_source(STDIN);
    let documents = parse_stream(text).map_err(|error| Box::new(invalid(error.message).at(error.span)))?;
    let [document] = documents.as_slice() else {
        return Err(Box::new(invalid(format!(
            "expected one ResourceList document on stdin, found {} documents",
            documents.len()
        ))));
    };
    if document.entries().is_none() || document.get("kind").and_then(Node::as_str) != Some("ResourceList") {
        return Err(Box::new(
            invalid("stdin is not a ResourceList (kind: ResourceList)".into()).at(document.span).with_hint(
                "run flink-render krm as a kustomize or kpt function; to render files, use `flink-render render`",
            ),
        ));
    }
    let items = match document.get("items") {
        None => Vec::new(),
        Some(node) => match &node.value {
            NodeValue::Null => Vec::new(),
            NodeValue::Sequence(items) => {
                if let Some(bad) = items.iter().find(|item| item.entries().is_none()) {
                    return Err(Box::new(
                        invalid("every item of a ResourceList must be an object".into()).at(bad.span),
                    ));
                }
                items.clone()
            }
            _ => return Err(Box::new(invalid("`items` of a ResourceList must be a list".into()).at(node.span))),
        },
    };
    let function_config = match document.get("functionConfig") {
        Some(node) if node.entries().is_some() => Some(node.clone()),
        Some(node) if node.value == NodeValue::Null => None,
        Some(node) => return Err(Box::new(invalid("`functionConfig` must be an object".into()).at(node.span))),
        None => None,
    };
    Ok(ResourceList { items, function_config })
}

/// Read the mode and settings from the functionConfig; on error, record it and return None.
fn read_mode(config: Option<&Node>, outcome: &mut Outcome) -> Option<Mode> {
    let Some(config) = config.filter(|config| config.entries().is_some_and(|entries| !entries.is_empty())) else {
        return Some(Mode::Transform(Settings::default()));
    };
    let kind = config.get("kind").and_then(Node::as_str).unwrap_or_default();
    let api_version = config.get("apiVersion").and_then(Node::as_str).unwrap_or_default();
    let settings_key = match kind {
        "FlinkDeployment" | "FlinkSessionJob" => return Some(Mode::Generate),
        CONFIG_KIND if api_version == CONFIG_API_VERSION => "spec",
        "ConfigMap" if api_version == "v1" => "data",
        _ => {
            outcome.diagnostics.push(
                setting_error(Code::UnsupportedFunctionConfig, "kind", format!("flink-render cannot be configured by a {api_version} {kind}"), config)
                    .with_hint(format!(
                        "use a FlinkDeployment (generator), or `apiVersion: {CONFIG_API_VERSION}`, `kind: {CONFIG_KIND}` (transformer)"
                    )),
            );
            return None;
        }
    };
    let mut settings = Settings::default();
    let Some(block) = config.get(settings_key).filter(|block| block.value != NodeValue::Null) else {
        return Some(Mode::Transform(settings));
    };
    let Some(entries) = block.entries() else {
        outcome.diagnostics.push(setting_error(
            Code::InvalidType,
            settings_key,
            format!("`{settings_key}` must be a mapping"),
            block,
        ));
        return None;
    };
    for entry in entries {
        read_setting(entry, &format!("{settings_key}.{}", entry.key), &mut settings, outcome);
    }
    if outcome.diagnostics.has_errors() { None } else { Some(Mode::Transform(settings)) }
}

/// One setting of the functionConfig's block at `path`, read into `settings` (a problem is
/// recorded in `outcome`).
fn read_setting(entry: &Entry, path: &str, settings: &mut Settings, outcome: &mut Outcome) {
    match (entry.key.as_str(), &entry.value.value) {
        ("namespace", NodeValue::String(namespace)) => {
            settings.namespace = Some(namespace.clone()).filter(|namespace| !namespace.is_empty())
        }
        ("defaults", NodeValue::String(text)) => {
            settings.defaults = read_defaults(format!("functionConfig {path}"), text.clone(), outcome)
        }
        ("defaults", NodeValue::Mapping(_)) => {
            let text = to_yaml(&[entry.value.to_json()]);
            settings.defaults = read_defaults(format!("functionConfig {path}"), text, outcome)
        }
        ("omittedMode", NodeValue::String(mode)) => match DeploymentMode::parse(mode) {
            Some(mode) => settings.omitted_mode = Some(mode),
            None => outcome.diagnostics.push(setting_error(
                Code::InvalidEnum,
                path,
                format!("`omittedMode` must be `native` or `standalone`, not `{mode}`"),
                &entry.value,
            )),
        },
        ("omittedMode", _) => outcome.diagnostics.push(setting_error(
            Code::InvalidType,
            path,
            "`omittedMode` must be `native` or `standalone`".into(),
            &entry.value,
        )),
        ("namespace", _) => outcome.diagnostics.push(setting_error(
            Code::InvalidType,
            path,
            "`namespace` must be a string".into(),
            &entry.value,
        )),
        ("defaults", _) => outcome.diagnostics.push(setting_error(
            Code::InvalidType,
            path,
            "`defaults` must be a mapping of operator configuration keys, or that mapping as YAML text".into(),
            &entry.value,
        )),
        (key, _) => outcome.diagnostics.push(
            Diagnostic::new(Code::UnknownField, format!("functionConfig.{path}"), format!("unknown setting `{key}`"))
                .at(entry.key_span)
                .with_source(STDIN)
                .with_hint(format!("the settings are: {}", SETTINGS.join(", "))),
        ),
    }
}

/// A problem with the functionConfig's setting at `path`.
fn setting_error(code: Code, path: &str, message: String, node: &Node) -> Diagnostic {
    Diagnostic::new(code, format!("functionConfig.{path}"), message).at(node.span).with_source(STDIN)
}

/// Parse inline operator defaults, recording their text for the diagnostics.
fn read_defaults(name: String, text: String, outcome: &mut Outcome) -> Option<OperatorDefaults> {
    let parsed = OperatorDefaults::parse(&text);
    outcome.sources.push((name.clone(), text));
    match parsed {
        Ok(defaults) => Some(defaults),
        Err(diagnostics) => {
            for diagnostic in diagnostics {
                outcome.diagnostics.push(diagnostic.with_source(&name));
            }
            None
        }
    }
}

/// A KRM `results` entry for a warning about `item`.
fn warning_result(diagnostic: &Diagnostic, item: &Value) -> Value {
    let mut reference = Map::new();
    for (key, pointer) in [
        ("apiVersion", "/apiVersion"),
        ("kind", "/kind"),
        ("name", "/metadata/name"),
        ("namespace", "/metadata/namespace"),
    ] {
        if let Some(value) = item.pointer(pointer).and_then(Value::as_str) {
            reference.insert(key.into(), Value::String(value.into()));
        }
    }
    let mut result = json!({ "message": diagnostic.message, "severity": "warning", "resourceRef": reference });
    if !diagnostic.path.is_empty() {
        result["field"] = json!({ "path": diagnostic.path });
    }
    if let Some(path) = annotation(item, PATH_ANNOTATIONS[0]).or_else(|| annotation(item, PATH_ANNOTATIONS[1])) {
        result["file"] = json!({ "path": path });
    }
    result
}

/// Give a rendered object the file path of the spec it came from (kpt writes it there).
/// Returns whether there was a path to inherit.
fn inherit_paths(object: &mut Value, source: &Value) -> bool {
    let mut inherited = false;
    for key in PATH_ANNOTATIONS {
        if let Some(path) = annotation(source, key) {
            set_annotation(object, key, path.to_string());
            inherited = true;
        }
    }
    inherited
}

/// kpt requires every (path, index) pair to be unique, so the objects that inherited a path
/// get the next free indexes of that file, after every item kept in it.
fn assign_indexes(items: &mut [Value], with_inherited_path: &[usize]) {
    let path_of = |item: &Value| PATH_ANNOTATIONS.iter().find_map(|key| annotation(item, key)).map(str::to_string);
    let mut next_index: BTreeMap<String, u64> = BTreeMap::new();
    for (position, item) in items.iter().enumerate() {
        if with_inherited_path.contains(&position) {
            continue;
        }
        let Some(path) = path_of(item) else { continue };
        for key in INDEX_ANNOTATIONS {
            if let Some(index) = annotation(item, key).and_then(|index| index.parse::<u64>().ok()) {
                let next = next_index.entry(path.clone()).or_default();
                *next = (*next).max(index + 1);
            }
        }
    }
    for &position in with_inherited_path {
        let path = path_of(&items[position]).expect("the object inherited a path");
        let next = next_index.entry(path).or_default();
        for (path_key, index_key) in PATH_ANNOTATIONS.iter().zip(INDEX_ANNOTATIONS) {
            if annotation(&items[position], path_key).is_some() {
                set_annotation(&mut items[position], index_key, next.to_string());
            }
        }
        *next += 1;
    }
}

fn set_annotation(object: &mut Value, key: &str, value: String) {
    let metadata = object["metadata"].as_object_mut().expect("rendered objects have metadata");
    let annotations = metadata.entry("annotations").or_insert_with(|| Value::Object(Map::new()));
    annotations[key] = Value::String(value);
}

/// A rendered object must not replace or shadow an item it did not come from.
fn check_collisions(items: &[Value], rendered_ids: &BTreeSet<ObjectKey>, diagnostics: &mut Diagnostics) {
    let mut seen = BTreeSet::new();
    for item in items {
        let id = ObjectKey::of(item);
        if !seen.insert(id.clone()) && rendered_ids.contains(&id) {
            diagnostics.push(
                Diagnostic::new(
                    Code::DuplicateObject,
                    "",
                    format!("the rendered {id} collides with another resource of the same kind, namespace and name"),
                )
                .with_source(STDIN),
            );
        }
    }
}

/// apiVersion, kind, namespace and name: how kustomize's local-config copy of the
/// functionConfig is recognised among the items.
fn identity(object: &Value) -> [String; 4] {
    ["/apiVersion", "/kind", "/metadata/namespace", "/metadata/name"]
        .map(|pointer| object.pointer(pointer).and_then(Value::as_str).unwrap_or_default().to_string())
}

fn is_config_copy(item: &Value, config_identity: Option<&[String; 4]>) -> bool {
    config_identity.is_some_and(|config| identity(item) == *config) && is_local_config(item)
}

/// An item kustomize and kpt keep out of what they apply.
fn is_local_config(item: &Value) -> bool {
    annotation(item, LOCAL_CONFIG_ANNOTATION).is_some_and(|value| value == "true")
}

fn annotation<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object.get("metadata")?.get("annotations")?.get(key)?.as_str()
}

fn kind_of(object: &Value) -> &str {
    object.get("kind").and_then(Value::as_str).unwrap_or_default()
}

/// `FlinkDeployment basic`, for source names.
fn describe(object: &Value) -> String {
    let name = object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("(unnamed)");
    format!("{} {name}", kind_of(object))
}

/// Attaching the source name to a finding.
trait WithSource {
    fn with_source(self, source: &str) -> Self;
}

impl WithSource for Diagnostic {
    fn with_source(mut self, source: &str) -> Self {
        self.source = source.to_string();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPLOYMENT: &str = "apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata:\n  name: demo\n  annotations:\n    config.kubernetes.io/path: jobs/demo.yaml\n    config.kubernetes.io/index: '0'\nspec:\n  image: flink:1.20\n  flinkVersion: v1_20\n  serviceAccount: flink\n  jobManager:\n    resource: {memory: 2048m, cpu: 1}\n  taskManager:\n    resource: {memory: 2048m, cpu: 1}\n  job:\n    jarURI: local:///opt/flink/examples/streaming/StateMachineExample.jar\n    parallelism: 1\n    upgradeMode: stateless\n";

    fn list(items: &[&str], function_config: Option<&str>) -> String {
        let items: Vec<Value> = items.iter().map(|text| parse_stream(text).unwrap()[0].to_json()).collect();
        let mut list = json!({ "apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items });
        if let Some(config) = function_config {
            list["functionConfig"] = parse_stream(config).unwrap()[0].to_json();
        }
        to_yaml(&[list])
    }

    fn output_items(outcome: &Outcome) -> Vec<Value> {
        let output = outcome.output.as_ref().expect("the function succeeds");
        parse_stream(output).unwrap()[0].to_json()["items"].as_array().unwrap().clone()
    }

    #[test]
    fn transformer_replaces_the_deployment_in_place_and_keeps_other_items_untouched() {
        let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    kustomize.config.k8s.io/id: 'kind: Secret'\n";
        let outcome = transform(&list(&[secret, DEPLOYMENT, secret.replace("name: s", "name: t").as_str()], None));
        let items = output_items(&outcome);
        assert_eq!(items[0], parse_stream(secret).unwrap()[0].to_json());
        assert_eq!(kind_of(&items[1]), "ServiceAccount");
        assert_eq!(items.last().unwrap()["metadata"]["name"], "t");
        let rendered = &items[1..items.len() - 1];
        assert!(rendered.iter().all(|object| kind_of(object) != "FlinkDeployment"));
        for (position, object) in rendered.iter().enumerate() {
            assert_eq!(annotation(object, "config.kubernetes.io/path"), Some("jobs/demo.yaml"));
            assert_eq!(annotation(object, "config.kubernetes.io/index"), Some(position.to_string().as_str()));
            assert_eq!(annotation(object, "kustomize.config.k8s.io/id"), None);
        }
    }

    #[test]
    fn generator_drops_the_local_config_copy_and_appends_the_rendered_objects() {
        let config = DEPLOYMENT.replace(
            "    config.kubernetes.io/index: '0'\n",
            "    config.kubernetes.io/local-config: 'true'\n    config.kubernetes.io/function: |\n      exec: {path: flink-render-krm}\n",
        );
        let outcome = transform(&list(&[&config], Some(&config)));
        let items = output_items(&outcome);
        assert!(!items.is_empty());
        assert!(items.iter().all(|object| kind_of(object) != "FlinkDeployment"));
        assert!(items.iter().all(|object| annotation(object, LOCAL_CONFIG_ANNOTATION).is_none()));
    }

    #[test]
    fn config_namespace_applies_to_specs_without_one() {
        let config = "apiVersion: flink-render.dev/v1alpha1\nkind: FlinkRenderConfig\nmetadata:\n  name: c\nspec:\n  namespace: streaming\n";
        let items = output_items(&transform(&list(&[DEPLOYMENT], Some(config))));
        assert!(items.iter().all(|object| object["metadata"]["namespace"] == "streaming"));
    }

    #[test]
    fn omitted_mode_setting_chooses_how_a_spec_without_mode_renders() {
        let names = |items: &[Value]| -> Vec<String> {
            items
                .iter()
                .filter(|object| kind_of(object) == "Deployment")
                .map(|object| object["metadata"]["name"].as_str().unwrap().to_string())
                .collect()
        };
        let native = output_items(&transform(&list(&[DEPLOYMENT], None)));
        assert_eq!(names(&native), ["demo"], "native by default: no TaskManager Deployment");
        let config = "apiVersion: flink-render.dev/v1alpha1\nkind: FlinkRenderConfig\nmetadata:\n  name: c\nspec:\n  omittedMode: standalone\n";
        let standalone = output_items(&transform(&list(&[DEPLOYMENT], Some(config))));
        assert_eq!(names(&standalone), ["demo", "demo-taskmanager"]);
        let kpt = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  omittedMode: standalone\n";
        assert_eq!(names(&output_items(&transform(&list(&[DEPLOYMENT], Some(kpt))))), ["demo", "demo-taskmanager"]);
        let bad = config.replace("standalone", "Standalone");
        let outcome = transform(&list(&[DEPLOYMENT], Some(&bad)));
        assert!(outcome.output.is_none());
        assert_eq!(outcome.diagnostics.iter().next().unwrap().code, Code::InvalidEnum);
    }

    #[test]
    fn unknown_setting_is_an_error_with_the_known_ones_as_hint() {
        let config = "apiVersion: flink-render.dev/v1alpha1\nkind: FlinkRenderConfig\nmetadata:\n  name: c\nspec:\n  namespaces: x\n";
        let outcome = transform(&list(&[DEPLOYMENT], Some(config)));
        assert!(outcome.output.is_none());
        let diagnostic = outcome.diagnostics.iter().next().unwrap();
        assert_eq!(diagnostic.code, Code::UnknownField);
        assert_eq!(diagnostic.hint.as_deref(), Some("the settings are: namespace, defaults, omittedMode"));
    }

    #[test]
    fn json_in_json_out() {
        let input = serde_json::to_string(&parse_stream(&list(&[DEPLOYMENT], None)).unwrap()[0].to_json()).unwrap();
        let outcome = transform(&input);
        let output: Value = serde_json::from_str(outcome.output.as_ref().unwrap()).unwrap();
        assert_eq!(output["kind"], "ResourceList");
    }

    #[test]
    fn a_spec_error_fails_the_function_without_output() {
        let broken = DEPLOYMENT.replace("jobManager:", "jobmanager:");
        let outcome = transform(&list(&[&broken], None));
        assert!(outcome.output.is_none());
        assert!(
            outcome.diagnostics.iter().any(
                |d| d.code == Code::UnknownField && d.source == "jobs/demo.yaml, document 0 (FlinkDeployment demo)"
            )
        );
    }

    /// A FlinkSessionJob is checked against a FlinkDeployment in another item.
    #[test]
    fn flink_items_are_compiled_together() {
        let session_job = "apiVersion: flink.apache.org/v1beta1\nkind: FlinkSessionJob\nmetadata:\n  name: job\n  annotations:\n    config.kubernetes.io/path: jobs/job.yaml\nspec:\n  deploymentName: demo\n  job:\n    jarURI: https://example.com/job.jar\n    parallelism: 1\n";
        let outcome = transform(&list(&[DEPLOYMENT, session_job], None));
        assert!(outcome.output.is_none());
        let error = outcome.diagnostics.iter().find(|d| d.code == Code::SessionJobOnApplicationCluster).unwrap();
        assert_eq!(error.source, "jobs/job.yaml (FlinkSessionJob job)");
        assert_eq!((error.path.as_str(), error.line), ("spec.deploymentName", 0), "no ResourceList lines");
    }

    /// A FlinkDeployment item marked local-config is a reference: the session job's submit Job
    /// is rendered against it, the item is kept as it came, and nothing of the cluster is
    /// rendered.
    #[test]
    fn a_local_config_deployment_is_a_reference_kept_as_it_came() {
        let session_cluster = DEPLOYMENT
            .replace("name: demo", "name: shared")
            .replace("    config.kubernetes.io/index: '0'\n", "    config.kubernetes.io/local-config: 'true'\n")
            .replace("  job:\n    jarURI: local:///opt/flink/examples/streaming/StateMachineExample.jar\n    parallelism: 1\n    upgradeMode: stateless\n", "");
        let session_job = "apiVersion: flink.apache.org/v1beta1\nkind: FlinkSessionJob\nmetadata:\n  name: job\nspec:\n  deploymentName: shared\n  job:\n    jarURI: https://example.com/job.jar\n    parallelism: 1\n";
        let outcome = transform(&list(&[&session_cluster, session_job], None));
        let items = output_items(&outcome);
        let reference = parse_stream(&session_cluster).unwrap()[0].to_json();
        assert_eq!(items[0], reference, "the reference is kept exactly as it came");
        let kinds: Vec<&str> = items[1..].iter().map(kind_of).collect();
        assert!(kinds.contains(&"Job") && !kinds.contains(&"Deployment"), "{kinds:?}");
        let image =
            items.iter().find(|item| kind_of(item) == "Job").unwrap().pointer("/spec/template/spec/containers/0/image");
        assert_eq!(image, Some(&json!("flink:1.20")), "the submit Job runs on the reference's image");
    }

    #[test]
    fn not_a_resource_list_is_an_error() {
        let outcome = transform("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n");
        assert!(outcome.output.is_none());
        assert_eq!(outcome.diagnostics.iter().next().unwrap().code, Code::InvalidResourceList);
    }
}
