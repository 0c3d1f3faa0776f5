//! # flink-render
//!
//! An offline, deterministic compiler from Apache Flink Kubernetes Operator resources
//! (`FlinkDeployment`, `FlinkSessionJob`, `flink.apache.org/v1beta1`) to the plain
//! Kubernetes objects that run the same cluster, in **native mode** (the JobManager creates its
//! TaskManager pods, the operator's default) or **standalone mode** (every pod declared), with no
//! operator and no cluster access. The library does no IO: the CLI, the plugins and the WASM build are
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
//! [`compile_each`] runs the same steps but hands each object to a sink as it is emitted, and
//! takes long streams in two passes over their documents ([`compile_in_two_passes`]) so that
//! memory stays flat with the length of the stream.
//!
//! Below the library's faces ([`krm`], [`argocd`], [`helm`], [`diff`], [`schema`], [`memory`])
//! nothing knows about files, the environment, clap or wasm-bindgen.

pub mod argocd;
pub mod diagnostics;
pub mod diff;
pub mod digest;
pub mod effective;
pub mod emit;
#[cfg(feature = "provenance")]
pub mod explain;
pub mod flink;
pub mod helm;
pub mod krm;
pub mod memory;
pub mod objects;
pub mod parse;
pub mod provenance;
pub mod resolve;
pub mod schema;
pub mod validate;

use std::collections::BTreeSet;

use serde_json::Value;

use diagnostics::{Diagnostic, Diagnostics};
use effective::helm::HelmHooks;
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
    /// Reference inputs: their FlinkDeployments are read and checked so that session jobs find
    /// their clusters, but rendered elsewhere (another application, another repository), so
    /// nothing of them is output. Only their errors are reported; their other documents are
    /// ignored.
    pub references: &'a [Input<'a>],
    /// What Helm does with the `helm.sh/hook` annotations of the output: hooks, unless the
    /// output goes to Helm 3's post-renderer.
    pub helm_hooks: HelmHooks,
    /// How a FlinkDeployment without `spec.mode` is rendered (`None`: native, as the operator
    /// deploys it).
    pub omitted_mode: Option<effective::DeploymentMode>,
    /// Record where each configuration key comes from ([`provenance`]; `explain` turns it on).
    pub provenance: bool,
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
    /// A reference input ([`Options::references`]): its FlinkDeployments are looked up and
    /// checked, never rendered.
    pub reference: bool,
}

/// Step 1 for one input text.
pub fn read(input: &Input<'_>) -> ReadInput {
    let mut diagnostics = Diagnostics::default();
    let resources = parse::parse(input.text, &mut diagnostics);
    ReadInput { name: input.name.to_string(), resources, diagnostics, reference: false }
}

/// Step 1 for one reference input.
pub fn read_reference(input: &Input<'_>) -> ReadInput {
    ReadInput { reference: true, ..read(input) }
}

/// The inputs, then the references, read (step 1).
fn read_all(inputs: &[Input<'_>], options: &Options<'_>) -> Vec<ReadInput> {
    inputs.iter().map(read).chain(options.references.iter().map(read_reference)).collect()
}

/// Compile every input. Inputs are processed in the given order; objects keep that order.
pub fn compile(inputs: &[Input<'_>], options: &Options<'_>) -> Compiled {
    compile_read(read_all(inputs, options), options)
}

/// Compile every input, handing each object and the index of its input to `sink` as soon as
/// it is emitted, so that a long stream is never held whole (the CLI writes each object out
/// at once). Everything is validated first: `sink` is called only when no finding is an
/// error. The result carries the diagnostics and memory; its `objects` stay empty. Inputs of
/// [`TWO_PASS_BYTES`] or more compile in two passes ([`compile_in_two_passes`]).
pub fn compile_each(inputs: &[Input<'_>], options: &Options<'_>, sink: &mut dyn FnMut(Value, usize)) -> Compiled {
    let bytes: usize = inputs.iter().map(|input| input.text.len()).sum();
    let session_jobs =
        !options.references.is_empty() || inputs.iter().any(|input| input.text.contains("FlinkSessionJob"));
    if bytes >= TWO_PASS_BYTES && !session_jobs {
        compile_in_two_passes(inputs, options, sink)
    } else {
        compile_read_each(read_all(inputs, options), options, sink)
    }
}

/// From this many input bytes on, [`compile_each`] reads the documents twice rather than
/// holding them all (about 700 `basic-application` specs).
pub const TWO_PASS_BYTES: usize = 512 * 1024;

/// [`compile_each`] in two passes over the documents, for long streams: the first reads,
/// views and checks each document and keeps only its findings and the keys of its objects;
/// when nothing is an error, the second reads each document again, lowers and emits it. Memory
/// stays flat with the length of the stream, at the price of reading every document twice.
/// The findings and objects are exactly those of one pass (`tests/streamed_output.rs`), except
/// that session jobs need their clusters' views at once: inputs with one are not for this
/// function (it leaves FlinkSessionJobs out, and reads no references).
pub fn compile_in_two_passes(
    inputs: &[Input<'_>],
    options: &Options<'_>,
    sink: &mut dyn FnMut(Value, usize),
) -> Compiled {
    let settings = settings_of(options);
    let mut checks: Vec<Checks> = Vec::with_capacity(inputs.len());
    let mut shared = BTreeSet::new();
    for (index, input) in inputs.iter().enumerate() {
        let mut check = Checks::default();
        for document in parse::documents(input.text) {
            match document {
                Ok((resources, diagnostics)) => {
                    check.read.extend(diagnostics);
                    let items = items_of(index, &resources, &settings, false);
                    check.rules.extend(rule_findings(&items, &[], &settings).into_iter().map(|(_, finding)| finding));
                    check.keys.extend(object_keys(&items));
                    shared.extend(passed_through(&items));
                }
                Err(error) => {
                    check = Checks { read: vec![error], ..Checks::default() };
                    break;
                }
            }
        }
        checks.push(check);
    }
    let mut keys = Vec::new();
    let mut per_input = Vec::with_capacity(inputs.len());
    for check in checks {
        keys.extend(check.keys);
        per_input.push(check.read.into_iter().chain(check.rules).collect());
    }
    let names: Vec<&str> = inputs.iter().map(|input| input.name).collect();
    let mut compiled = Compiled { diagnostics: finish_diagnostics(per_input, &names, &keys), ..Compiled::default() };
    if !compiled.diagnostics.has_errors() {
        for (index, input) in inputs.iter().enumerate() {
            for (resources, _) in parse::documents(input.text).flatten() {
                let items = items_of(index, &resources, &settings, false);
                emit_all(&items, std::iter::empty(), &mut shared, &mut compiled.memory, sink);
            }
        }
    }
    compiled
}

/// What the first pass keeps of one input.
#[derive(Default)]
struct Checks {
    /// Problems reading the documents.
    read: Vec<Diagnostic>,
    /// The rules' findings.
    rules: Vec<Diagnostic>,
    /// The keys of the objects the documents render to, with this input's index.
    keys: Vec<(ObjectKey, usize)>,
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

/// The compile's settings (step 2's): the options, with the built-in defaults when none are given.
fn settings_of<'a>(options: &Options<'a>) -> Settings<'a> {
    let settings = Settings::new(options.namespace, defaults_of(options));
    Settings {
        helm_hooks: options.helm_hooks,
        omitted_mode: options.omitted_mode.unwrap_or(settings.omitted_mode),
        provenance: options.provenance,
        ..settings
    }
}

fn defaults_of<'a>(options: &Options<'a>) -> &'a OperatorDefaults {
    match options.defaults {
        Some(defaults) => defaults,
        None => OperatorDefaults::builtin(),
    }
}

/// [`compile_read`] with each object handed to `sink`.
fn compile_read_each(inputs: Vec<ReadInput>, options: &Options<'_>, sink: &mut dyn FnMut(Value, usize)) -> Compiled {
    let settings = settings_of(options);
    let items: Vec<Item<'_>> = inputs
        .iter()
        .enumerate()
        .flat_map(|(index, read)| items_of(index, &read.resources, &settings, read.reference))
        .collect();
    let clusters: Vec<&ClusterView<'_>> = items.iter().filter_map(Item::cluster).collect();
    let session_jobs: Vec<(usize, SessionJobView<'_>)> = items
        .iter()
        .filter_map(|item| match item {
            Item::SessionJob { input, parsed } => Some((*input, effective::session_job(parsed, &settings, &clusters))),
            _ => None,
        })
        .collect();
    let mut per_input: Vec<Vec<Diagnostic>> =
        inputs.iter().map(|read| read.diagnostics.iter().cloned().collect()).collect();
    for (input, finding) in rule_findings(&items, &session_jobs, &settings) {
        per_input[input].push(finding);
    }
    let names: Vec<&str> = inputs.iter().map(|read| read.name.as_str()).collect();
    let diagnostics = finish_diagnostics(per_input, &names, &object_keys(&items));
    let mut compiled = Compiled { diagnostics, ..Compiled::default() };
    if !compiled.diagnostics.has_errors() {
        let mut shared = passed_through(&items).collect();
        let session_jobs = session_jobs.iter().map(|(_, view)| view);
        emit_all(&items, session_jobs, &mut shared, &mut compiled.memory, sink);
    }
    compiled
}

/// One document of the compile, with the input it came from, as later steps see it.
enum Item<'a> {
    Deployment {
        input: usize,
        view: DeploymentView<'a>,
    },
    /// A FlinkDeployment of a reference input: looked up and checked, not rendered.
    Reference {
        input: usize,
        view: DeploymentView<'a>,
    },
    SessionJob {
        input: usize,
        parsed: &'a parse::ParsedSessionJob,
    },
    Other {
        input: usize,
        object: Value,
    },
}

impl<'a> Item<'a> {
    fn cluster(&self) -> Option<&ClusterView<'a>> {
        match self {
            Item::Deployment { view: DeploymentView::Cluster(cluster), .. }
            | Item::Reference { view: DeploymentView::Cluster(cluster), .. } => Some(cluster),
            _ => None,
        }
    }
}

/// Step 2: the effective view of each document of input `input`, in order; of a reference
/// input, only its FlinkDeployments.
fn items_of<'a>(input: usize, resources: &'a [Resource], settings: &Settings<'a>, reference: bool) -> Vec<Item<'a>> {
    resources
        .iter()
        .filter_map(|resource| match resource {
            Resource::Deployment(parsed) if reference => {
                Some(Item::Reference { input, view: effective::deployment(parsed, settings) })
            }
            _ if reference => None,
            Resource::Deployment(parsed) => {
                Some(Item::Deployment { input, view: effective::deployment(parsed, settings) })
            }
            Resource::SessionJob(parsed) => Some(Item::SessionJob { input, parsed }),
            Resource::Other(object) => {
                Some(Item::Other { input, object: effective::passthrough(object.clone(), settings) })
            }
        })
        .collect()
}

/// Step 3: every rule over every view, with the input each finding belongs to: deployments in
/// order, then session jobs. Findings a reported schema problem already explains are dropped.
fn rule_findings(
    items: &[Item<'_>],
    session_jobs: &[(usize, SessionJobView<'_>)],
    settings: &Settings<'_>,
) -> Vec<(usize, Diagnostic)> {
    let mut found = Vec::new();
    for item in items {
        let (input, view, reference) = match item {
            Item::Deployment { input, view } => (input, view, false),
            Item::Reference { input, view } => (input, view, true),
            Item::SessionJob { .. } | Item::Other { .. } => continue,
        };
        let reported = match view {
            DeploymentView::Canary(parsed) => &parsed.reported,
            DeploymentView::Cluster(cluster) => &cluster.parsed.reported,
        };
        let findings = new_findings(validate::check_deployment(view), reported);
        found.extend(findings.filter(|finding| !reference || finding.is_error()).map(|finding| (*input, finding)));
    }
    for (input, view) in session_jobs {
        let findings = new_findings(validate::check_session_job(view, settings), &view.parsed.reported);
        found.extend(findings.map(|finding| (*input, finding)));
    }
    found
}

/// Step 3, the end: each input's findings in position order and named after it, then the
/// objects that more than one document renders.
fn finish_diagnostics(per_input: Vec<Vec<Diagnostic>>, names: &[&str], keys: &[(ObjectKey, usize)]) -> Diagnostics {
    let mut diagnostics = Diagnostics::default();
    for (findings, name) in per_input.into_iter().zip(names) {
        diagnostics.extend(in_position_order(findings, name));
    }
    let keys: Vec<(ObjectKey, &str)> = keys.iter().map(|(key, origin)| (key.clone(), names[*origin])).collect();
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

/// The keys of the objects the documents will render to, in output order, with the input
/// each comes from.
fn object_keys(items: &[Item<'_>]) -> Vec<(ObjectKey, usize)> {
    let mut keys = Vec::new();
    for item in items {
        match item {
            Item::Deployment { input, view: DeploymentView::Cluster(cluster) } => {
                keys.extend(validate::duplicates::cluster_objects(cluster).into_iter().map(|key| (key, *input)))
            }
            Item::Other { input, object } => keys.push((ObjectKey::of(object), *input)),
            Item::Deployment { .. } | Item::Reference { .. } | Item::SessionJob { .. } => {}
        }
    }
    keys
}

/// The keys of the objects passed through (a ServiceAccount among them is not rendered again).
fn passed_through<'i>(items: &'i [Item<'_>]) -> impl Iterator<Item = ObjectKey> + 'i {
    items.iter().filter_map(|item| match item {
        Item::Other { object, .. } => Some(ObjectKey::of(object)),
        _ => None,
    })
}

/// Steps 4 and 5: lower every cluster and session job (`session_jobs`, in the order of their
/// items) and emit them, with the other objects, in input order, one at a time into `sink`.
/// ServiceAccounts are shared: each is emitted once, and not when an input holds it
/// (`shared` holds those already out or passed through).
fn emit_all<'a>(
    items: &[Item<'_>],
    mut session_jobs: impl Iterator<Item = &'a SessionJobView<'a>>,
    shared: &mut BTreeSet<ObjectKey>,
    memory: &mut Vec<resolve::model::ClusterMemory>,
    sink: &mut dyn FnMut(Value, usize),
) {
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
            Item::Deployment { .. } | Item::Reference { .. } => {}
        }
    }
}

/// `look` over the view of every cluster the inputs render, in input order, with the name of
/// its input (for faces that report on clusters, such as [`explain`]). Validated as
/// [`compile`] does: with an error, the diagnostics and nothing looked at.
pub fn each_cluster<T>(
    inputs: &[Input<'_>],
    options: &Options<'_>,
    mut look: impl FnMut(&str, &ClusterView<'_>) -> T,
) -> (Vec<T>, Diagnostics) {
    let read = read_all(inputs, options);
    let diagnostics = compile_read_each(read.clone(), options, &mut |_, _| {}).diagnostics;
    if diagnostics.has_errors() {
        return (Vec::new(), diagnostics);
    }
    let settings = settings_of(options);
    let mut looked = Vec::new();
    for (index, input) in read.iter().enumerate().filter(|(_, input)| !input.reference) {
        for item in items_of(index, &input.resources, &settings, false) {
            if let Item::Deployment { view: DeploymentView::Cluster(view), .. } = item {
                looked.push(look(&input.name, &view));
            }
        }
    }
    (looked, diagnostics)
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
