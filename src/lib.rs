//! # flink-render
//!
//! An offline, deterministic compiler from Apache Flink Kubernetes Operator resources
//! (`FlinkDeployment`, `FlinkSessionJob`, `flink.apache.org/v1beta1`) to the plain
//! Kubernetes objects that run the same cluster in **standalone mode**, with no operator and
//! no cluster access. The library does no IO: the CLI, the plugins and the WASM build are
//! thin shells over [`compile`].
//!
//! ## Steps
//!
//! [`compile`] runs these as passes over **all** inputs, so a session job sees its cluster
//! wherever it was written and every problem in every input is reported in one run:
//!
//! 1. **parse** ([`parse::parse`]): YAML/JSON text → documents whose every value keeps its
//!    line and column → raw resources shaped like the CRD, every schema problem reported and
//!    set aside; `flinkConfiguration` flattened once. Other kinds pass through.
//! 2. **effective view** ([`effective::deployment`], [`effective::session_job`]): each
//!    resource read once: name, namespace, Flink version, upgrade mode, job state, resources,
//!    and the configuration with operator defaults layered in, the builder's keys derived
//!    (FO §2.2), and where each key was written. What cannot be read is kept as data.
//! 3. **validate** ([`validate::check_deployment`], [`validate::check_session_job`],
//!    [`validate::duplicates::duplicate_objects`]): every rule, a named function listed in a
//!    registry, over the views → [`diagnostics::Diagnostic`]s, each at its spec line.
//! 4. **resolve** ([`resolve::lower_cluster`], [`resolve::lower_session_job`]): only when
//!    nothing is an error, the views are lowered to the model ([`resolve::model::Cluster`]):
//!    pod templates merged, components assembled, operator keys stripped.
//! 5. **emit** ([`emit::emit`]): one pure function per output kind, in the one fixed
//!    [`emit::ORDER`], serialized byte-for-byte deterministically ([`to_yaml`], [`to_json`]).
//!
//! Below the library's faces ([`krm`], [`argocd`], [`diff`], [`schema`], [`memory`]) nothing
//! knows about files, the environment, clap or wasm-bindgen.

pub mod argocd;
pub mod diagnostics;
pub mod diff;
pub mod digest;
pub mod effective;
pub mod emit;
pub mod flink;
pub mod krm;
pub mod memory;
pub mod objects;
pub mod parse;
pub mod resolve;
pub mod schema;
pub mod validate;

use std::collections::BTreeSet;

use serde_json::Value;

use diagnostics::{Diagnostic, Diagnostics};
use effective::{ClusterView, DeploymentView, SessionJobView, Settings};
use objects::ObjectKey;
use parse::defaults::OperatorDefaults;
use parse::{Reported, Resource};

/// One input text and the name to report it under (a path, or `-` for stdin).
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// Shown in diagnostics.
    pub name: &'a str,
    /// The YAML or JSON stream.
    pub text: &'a str,
}

/// Settings for a compile.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// Namespace for resources without `metadata.namespace`.
    pub namespace: Option<&'a str>,
    /// Operator defaults; `None` means the built-in Helm profile.
    pub defaults: Option<&'a OperatorDefaults>,
}

/// The result of a compile: objects in output order and every finding. When
/// `diagnostics` has errors, `objects` is empty.
#[derive(Debug, Clone, Default)]
pub struct Compiled {
    /// Kubernetes objects, in output order.
    pub objects: Vec<Value>,
    /// Errors and warnings, input by input, each input's in the order of its lines.
    pub diagnostics: Diagnostics,
    /// Flink's memory breakdown of each rendered cluster, in input order.
    pub memory: Vec<resolve::model::ClusterMemory>,
    /// For each object, the index of the input it came from.
    pub origins: Vec<usize>,
}

/// The resources read from one input (step 1), with the problems reading it.
#[derive(Debug, Clone)]
pub struct ReadInput {
    /// The name findings are reported under.
    pub name: String,
    /// The documents, in order.
    pub resources: Vec<Resource>,
    /// Problems found while reading.
    pub diagnostics: Diagnostics,
}

/// Step 1 for one input text.
pub fn read(input: &Input<'_>) -> ReadInput {
    let mut diagnostics = Diagnostics::default();
    let resources = parse::parse(input.text, &mut diagnostics);
    ReadInput { name: input.name.to_string(), resources, diagnostics }
}

/// Compile every input. Inputs are processed in the given order; objects keep that order.
pub fn compile(inputs: &[Input<'_>], options: &Options<'_>) -> Compiled {
    compile_read(inputs.iter().map(read).collect(), options)
}

/// Compile every input, handing each object and the index of its input to `sink` as soon as
/// it is emitted, so that a long stream is never held whole (the CLI writes each object out
/// at once). Everything is validated first: `sink` is called only when no finding is an
/// error. The result carries the diagnostics and memory; its `objects` stay empty.
pub fn compile_each(inputs: &[Input<'_>], options: &Options<'_>, sink: &mut dyn FnMut(Value, usize)) -> Compiled {
    compile_read_each(inputs.iter().map(read).collect(), options, sink)
}

/// Steps 2–5 over inputs already read (the KRM face reads its items itself).
pub fn compile_read(inputs: Vec<ReadInput>, options: &Options<'_>) -> Compiled {
    let mut objects = Vec::new();
    let mut origins = Vec::new();
    let mut compiled = compile_read_each(inputs, options, &mut |object, origin| {
        objects.push(object);
        origins.push(origin);
    });
    compiled.objects = objects;
    compiled.origins = origins;
    compiled
}

/// [`compile_read`] with each object handed to `sink`.
fn compile_read_each(inputs: Vec<ReadInput>, options: &Options<'_>, sink: &mut dyn FnMut(Value, usize)) -> Compiled {
    let defaults: &OperatorDefaults = match options.defaults {
        Some(defaults) => defaults,
        None => OperatorDefaults::builtin(),
    };
    let settings = Settings::new(options.namespace, defaults);
    let items = views(&inputs, &settings);
    let clusters: Vec<&ClusterView<'_>> = items.iter().filter_map(Item::cluster).collect();
    let session_jobs: Vec<(usize, SessionJobView<'_>)> = items
        .iter()
        .filter_map(|item| match item {
            Item::SessionJob { input, parsed } => Some((*input, effective::session_job(parsed, &settings, &clusters))),
            _ => None,
        })
        .collect();
    let mut compiled =
        Compiled { diagnostics: validate_all(&inputs, &items, &session_jobs, &settings), ..Compiled::default() };
    if !compiled.diagnostics.has_errors() {
        emit_all(&items, session_jobs.iter().map(|(_, view)| view), &mut compiled.memory, sink);
    }
    compiled
}

/// One document of the compile, with the input it came from, as later steps see it.
enum Item<'a> {
    Deployment { input: usize, view: DeploymentView<'a> },
    SessionJob { input: usize, parsed: &'a parse::ParsedSessionJob },
    Other { input: usize, object: Value },
}

impl<'a> Item<'a> {
    fn cluster(&self) -> Option<&ClusterView<'a>> {
        match self {
            Item::Deployment { view: DeploymentView::Cluster(cluster), .. } => Some(cluster),
            _ => None,
        }
    }
}

/// Step 2: the effective view of every document, in input order.
fn views<'a>(inputs: &'a [ReadInput], settings: &Settings<'a>) -> Vec<Item<'a>> {
    let mut items = Vec::new();
    for (input, read) in inputs.iter().enumerate() {
        for resource in &read.resources {
            items.push(match resource {
                Resource::Deployment(parsed) => {
                    Item::Deployment { input, view: effective::deployment(parsed, settings) }
                }
                Resource::SessionJob(parsed) => Item::SessionJob { input, parsed },
                Resource::Other(object) => {
                    Item::Other { input, object: effective::passthrough(object.clone(), settings) }
                }
            });
        }
    }
    items
}

/// Step 3: every rule over every view, then duplicates over the whole stream. Findings a
/// reported schema problem already explains are dropped; each input's findings are ordered
/// by position.
fn validate_all(
    inputs: &[ReadInput],
    items: &[Item<'_>],
    session_jobs: &[(usize, SessionJobView<'_>)],
    settings: &Settings<'_>,
) -> Diagnostics {
    let mut per_input: Vec<Vec<Diagnostic>> =
        inputs.iter().map(|read| read.diagnostics.iter().cloned().collect()).collect();
    for item in items {
        if let Item::Deployment { input, view } = item {
            let reported = match view {
                DeploymentView::Canary(parsed) => &parsed.reported,
                DeploymentView::Cluster(cluster) => &cluster.parsed.reported,
            };
            per_input[*input].extend(new_findings(validate::check_deployment(view), reported));
        }
    }
    for (input, view) in session_jobs {
        per_input[*input].extend(new_findings(validate::check_session_job(view, settings), &view.parsed.reported));
    }
    let mut diagnostics = Diagnostics::default();
    for (findings, read) in per_input.into_iter().zip(inputs) {
        diagnostics.extend(in_position_order(findings, &read.name));
    }
    let keys = object_keys(items, inputs);
    let keys: Vec<(ObjectKey, &str)> = keys.iter().map(|(key, origin)| (key.clone(), *origin)).collect();
    for diagnostic in validate::duplicates::duplicate_objects(&keys) {
        diagnostics.push(diagnostic);
    }
    diagnostics
}

fn new_findings(findings: Vec<Diagnostic>, reported: &Reported) -> impl Iterator<Item = Diagnostic> + '_ {
    findings.into_iter().filter(move |finding| !reported.covers(&finding.path))
}

/// One input's findings, named after it and ordered by line and column (findings without a
/// position last), keeping the rules' order where positions tie.
fn in_position_order(mut findings: Vec<Diagnostic>, source: &str) -> Diagnostics {
    findings.sort_by_key(|finding| (finding.line == 0, finding.line, finding.column));
    let mut diagnostics = Diagnostics::default();
    for mut finding in findings {
        finding.source = source.to_string();
        diagnostics.push(finding);
    }
    diagnostics
}

/// The keys of the objects every document will render to, in output order, with the input
/// each comes from.
fn object_keys<'a>(items: &[Item<'_>], inputs: &'a [ReadInput]) -> Vec<(ObjectKey, &'a str)> {
    let mut keys = Vec::new();
    for item in items {
        match item {
            Item::Deployment { input, view: DeploymentView::Cluster(cluster) } => keys.extend(
                validate::duplicates::cluster_objects(cluster)
                    .into_iter()
                    .map(|key| (key, inputs[*input].name.as_str())),
            ),
            Item::Other { input, object } => keys.push((ObjectKey::of(object), inputs[*input].name.as_str())),
            Item::Deployment { .. } | Item::SessionJob { .. } => {}
        }
    }
    keys
}

/// Steps 4 and 5: lower every cluster and session job (`session_jobs`, in the order of their
/// items) and emit them, with the other objects, in input order, one at a time into `sink`.
/// ServiceAccounts are shared: each is emitted once, and not when an input holds it.
fn emit_all<'a>(
    items: &[Item<'_>],
    mut session_jobs: impl Iterator<Item = &'a SessionJobView<'a>>,
    memory: &mut Vec<resolve::model::ClusterMemory>,
    sink: &mut dyn FnMut(Value, usize),
) {
    let mut shared: BTreeSet<ObjectKey> = items
        .iter()
        .filter_map(|item| match item {
            Item::Other { object, .. } => Some(ObjectKey::of(object)),
            _ => None,
        })
        .collect();
    for item in items {
        match item {
            Item::Deployment { input, view: DeploymentView::Cluster(view) } => {
                let cluster = resolve::lower_cluster(view);
                memory.push(resolve::model::ClusterMemory::of(&cluster));
                for object in emit::emit(&cluster) {
                    let key = ObjectKey::of(&object);
                    if key.kind != "ServiceAccount" || shared.insert(key) {
                        sink(object, *input);
                    }
                }
            }
            Item::SessionJob { input, .. } => {
                let lowered = session_jobs.next().and_then(resolve::lower_session_job);
                for object in lowered.iter().flat_map(emit::emit_session_job) {
                    sink(object, *input);
                }
            }
            Item::Other { input, object } => sink(object.clone(), *input),
            Item::Deployment { .. } => {}
        }
    }
}

/// The objects as a YAML stream, documents separated by `---`.
pub fn to_yaml(objects: &[Value]) -> String {
    emit::yaml::to_yaml_stream(objects)
}

/// The objects as one pretty-printed JSON `List`.
pub fn to_json(objects: &[Value]) -> String {
    let list = serde_json::json!({ "apiVersion": "v1", "kind": "List", "items": objects });
    let mut text = serde_json::to_string_pretty(&list).expect("JSON values serialize");
    text.push('\n');
    text
}
