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
//! 1. **parse** ([`parse::parse`]): YAML/JSON text → documents whose every value keeps its
//!    line and column → raw resources shaped like the CRD (all fields optional, pod
//!    templates untyped). Other kinds pass through.
//! 2. **validate**: schema problems are found while parsing and the rules that need the
//!    effective configuration while resolving ([`validate`]); FlinkSessionJobs are checked
//!    once every input is read, against the session clusters among them; every finding is a
//!    [`diagnostics::Diagnostic`] pointing at a spec line, and all of them are collected.
//! 3. **resolve** ([`resolve::resolve_deployment`]): operator defaults, the effective Flink
//!    configuration in the operator's builder order, pod-template merging, ports, job id →
//!    a [`resolve::model::Deployment`] with no optional parts left.
//! 4. **emit** ([`emit::emit`]): one pure function per output kind, in the one fixed
//!    [`emit::ORDER`], serialized byte-for-byte deterministically ([`to_yaml`], [`to_json`]).

pub mod diagnostics;
pub mod diff;
pub mod emit;
pub mod json_patch;
pub mod output;
pub mod parse;
pub mod resolve;
pub mod schema;
pub mod validate;

use std::collections::BTreeMap;

use serde_json::Value;

use diagnostics::{Diagnostic, Diagnostics};
use parse::Resource;
use resolve::defaults::OperatorDefaults;
use resolve::{ResolveOptions, Resolved, resolve_deployment};

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
    /// Errors and warnings, in input order.
    pub diagnostics: Diagnostics,
    /// Flink's memory breakdown of each rendered cluster, in input order.
    pub memory: Vec<ClusterMemory>,
}

/// The memory Flink gives the processes of one cluster (what the preview page draws).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClusterMemory {
    /// The FlinkDeployment's name.
    pub name: String,
    /// Its namespace, when known.
    pub namespace: Option<String>,
    /// The JobManager breakdown.
    pub jobmanager: resolve::model::ProcessMemory,
    /// The TaskManager breakdown.
    pub taskmanager: resolve::model::ProcessMemory,
}

/// Compile every input. Inputs are processed in the given order; objects keep that order.
pub fn compile(inputs: &[Input<'_>], options: &Options<'_>) -> Compiled {
    let builtin;
    let defaults = match options.defaults {
        Some(defaults) => defaults,
        None => {
            builtin = OperatorDefaults::builtin();
            &builtin
        }
    };
    let resolve_options = ResolveOptions { namespace: options.namespace, defaults };
    let mut compiled = Compiled::default();
    let mut session_clusters = validate::session_job::SessionClusters::default();
    let mut session_jobs = Vec::new();
    // The input each object came from, for duplicate reports.
    let mut origins: Vec<&str> = Vec::new();
    for input in inputs {
        let mut diagnostics = Diagnostics::default();
        for resource in parse::parse(input.text, &mut diagnostics) {
            if let Resource::Deployment(parsed) = &resource {
                session_clusters.record(parsed, options.namespace, defaults);
            }
            match resource {
                Resource::Deployment(parsed) => match resolve_deployment(&parsed, resolve_options, &mut diagnostics) {
                    Some(Resolved::Cluster(deployment)) => {
                        compiled.memory.push(ClusterMemory {
                            name: deployment.name.clone(),
                            namespace: deployment.namespace.clone(),
                            jobmanager: deployment.jobmanager.memory,
                            taskmanager: deployment.taskmanager.memory,
                        });
                        compiled.objects.extend(emit::emit(&deployment));
                    }
                    Some(Resolved::Nothing) | None => {}
                },
                Resource::SessionJob(parsed) => {
                    let name = parsed.raw.metadata.name.clone().unwrap_or_default();
                    diagnostics.push(
                        Diagnostic::warning("session-job-not-rendered", "kind", format!("FlinkSessionJob {name} is parsed but not rendered yet: its submit Job comes with the lifecycle Jobs"))
                            .at(parsed.document.span),
                    );
                    session_jobs.push((input.name, parsed));
                }
                Resource::Other(mut object) => {
                    let kind = object.get("kind").and_then(Value::as_str).unwrap_or_default().to_string();
                    if let (Some(namespace), Some(metadata)) =
                        (options.namespace, object.get_mut("metadata").and_then(Value::as_object_mut))
                        && !CLUSTER_SCOPED_KINDS.contains(&kind.as_str())
                    {
                        metadata.entry("namespace").or_insert_with(|| Value::String(namespace.into()));
                    }
                    compiled.objects.push(object)
                }
            }
        }
        origins.resize(compiled.objects.len(), input.name);
        for diagnostic in diagnostics.iter_mut() {
            diagnostic.source = input.name.to_string();
        }
        compiled.diagnostics.extend(diagnostics);
    }
    let policy = validate::session_job::jar_uri_policy(defaults);
    for (source, parsed) in &session_jobs {
        for mut diagnostic in
            validate::session_job::check_session_job(parsed, options.namespace, &policy, &session_clusters)
        {
            diagnostic.source = source.to_string();
            compiled.diagnostics.push(diagnostic);
        }
    }
    check_duplicates(&compiled.objects, &origins, &mut compiled.diagnostics);
    if compiled.diagnostics.has_errors() {
        compiled.objects.clear();
        compiled.memory.clear();
    }
    compiled
}

/// Built-in kinds that have no namespace: `--namespace` is not added to them when they pass through.
const CLUSTER_SCOPED_KINDS: [&str; 14] = [
    "Namespace",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "CSIDriver",
    "APIService",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
];

/// Two objects with the same kind, namespace and name would overwrite each other when
/// applied; that is an error, not something to resolve silently. One finding per pair of
/// inputs that clash, listing the objects.
fn check_duplicates(objects: &[Value], origins: &[&str], diagnostics: &mut Diagnostics) {
    let mut first_seen: BTreeMap<String, &str> = BTreeMap::new();
    let mut clashes: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    for (object, origin) in objects.iter().zip(origins) {
        let id = object_id(object);
        match first_seen.get(&id) {
            Some(first) => clashes.entry((*origin, *first)).or_default().push(id),
            None => {
                first_seen.insert(id, origin);
            }
        }
    }
    for ((second, first), ids) in clashes {
        let what = if ids.len() == 1 { "object is" } else { "objects are" };
        let place = if first == second {
            format!("{what} produced twice by this input")
        } else {
            format!("{what} also produced by {first}")
        };
        let mut diagnostic = Diagnostic::error(
            "duplicate-object",
            "metadata.name",
            format!("{} {place}: {}", ids.len(), ids.join(", ")),
        )
        .with_hint(
            "object names must be unique per kind and namespace: rename one resource or give it another namespace",
        );
        diagnostic.source = second.to_string();
        diagnostics.push(diagnostic);
    }
}

/// `Kind namespace/name` of an object, for messages and file names.
pub fn object_id(object: &Value) -> String {
    let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str).unwrap_or("").to_string();
    let namespace = text("/metadata/namespace");
    let name = text("/metadata/name");
    if namespace.is_empty() {
        format!("{} {name}", text("/kind"))
    } else {
        format!("{} {namespace}/{name}", text("/kind"))
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
