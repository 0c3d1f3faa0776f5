//! Stage 1, **parse**: text → documents with positions ([`document`]) → raw resources
//! shaped like the CRD ([`spec`]). Schema problems (unknown fields, wrong types, a wrong
//! apiVersion) are reported here with the field path and line, **all of them**: a bad field
//! is reported, set aside, and reading goes on, so one typo never hides the next problem.
//! The paths set aside are remembered ([`Reported`]) so later stages stay quiet about them.
//! `flinkConfiguration` is flattened once, here ([`flink_configuration`]). Documents of other
//! kinds pass through untouched.

pub mod defaults;
pub mod document;
pub mod flink_configuration;
pub mod spec;

use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use crate::diagnostics::{Code, Diagnostic, Diagnostics, Span};
use crate::flink::config::UserKey;
use crate::provenance::Origin;
use document::{Node, parse_stream, path_steps};
use flink_configuration::flatten;
use spec::{RawFlinkDeployment, RawFlinkSessionJob};

/// The API group and version of the operator's resources.
pub const FLINK_API_VERSION: &str = "flink.apache.org/v1beta1";

/// Most schema problems reported for one document; past it, the document is given up.
const MAX_SCHEMA_PROBLEMS: usize = 100;

/// A Flink resource as read: the typed raw resource, the document it came from (for
/// positions), its `flinkConfiguration` flattened with positions, and the paths whose
/// schema problems were already reported.
#[derive(Debug, Clone)]
pub struct Parsed<T> {
    /// The typed raw resource, without the fields that could not be read.
    pub raw: T,
    /// The document, for positions.
    pub document: Node,
    /// `spec.flinkConfiguration`, flattened once (FO §2.1), in the order written.
    pub user_keys: Vec<UserKey>,
    /// Paths already reported as schema problems.
    pub reported: Reported,
}

impl<T> Parsed<T> {
    /// Where a field (`spec.job.upgradeMode`) is, or its nearest parent that exists.
    pub fn span(&self, path: &str) -> Span {
        self.document.span_of(&path_steps(path))
    }

    /// The field at `path` as an origin, if the user wrote it.
    pub fn written(&self, path: &str) -> Option<Origin> {
        let steps = path_steps(path);
        self.document.at(&steps).map(|_| Origin::spec(path, self.document.span_of(&steps)))
    }

    /// Where the user last wrote configuration `key` (any of `keys`), else where
    /// `flinkConfiguration` is, else its nearest parent.
    pub fn config_span(&self, keys: &[&str]) -> Span {
        self.user_keys
            .iter()
            .rev()
            .find(|user| keys.contains(&user.key.as_str()))
            .map(|user| user.span)
            .unwrap_or_else(|| self.span("spec.flinkConfiguration"))
    }
}

/// A FlinkDeployment as read.
pub type ParsedDeployment = Parsed<RawFlinkDeployment>;

/// A FlinkSessionJob as read.
pub type ParsedSessionJob = Parsed<RawFlinkSessionJob>;

/// Field paths whose schema problem was reported: the value there was set aside, so any
/// later finding at or below such a path would only repeat it. A misspelt field's likely
/// meaning (`spec.jobmanager` → `spec.jobManager`) counts too: without it, that field
/// looks missing, which the typo already explains.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reported(Vec<String>);

impl Reported {
    /// Whether a finding at `path` repeats a reported problem.
    pub fn covers(&self, path: &str) -> bool {
        self.0.iter().any(|reported| {
            path.strip_prefix(reported.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
        })
    }

    fn add(&mut self, path: String) {
        self.0.push(path);
    }
}

/// One document of the input.
#[derive(Debug, Clone)]
pub enum Resource {
    /// A `FlinkDeployment`.
    Deployment(Box<ParsedDeployment>),
    /// A `FlinkSessionJob`.
    SessionJob(Box<ParsedSessionJob>),
    /// Any other Kubernetes object: passed through unchanged.
    Other(Json),
}

/// Parse one input text into resources; problems go to `diagnostics`.
pub fn parse(text: &str, diagnostics: &mut Diagnostics) -> Vec<Resource> {
    match parse_stream(text) {
        Ok(documents) => documents.into_iter().filter_map(|document| parse_document(document, diagnostics)).collect(),
        Err(error) => {
            diagnostics.push(Diagnostic::new(Code::YamlSyntax, "", error.message).at(error.span));
            Vec::new()
        }
    }
}

/// The input's documents one at a time, for a pass over a long stream that holds none of
/// them: each document's resources with the problems reading it, or the syntax error that ends
/// the input (which then has no resources at all, as in [`parse`]).
pub fn documents(text: &str) -> impl Iterator<Item = Result<(Vec<Resource>, Vec<Diagnostic>), Diagnostic>> + '_ {
    document::parse_documents(text).map(|parsed| match parsed {
        Ok(documents) => {
            let mut diagnostics = Diagnostics::default();
            let resources =
                documents.into_iter().filter_map(|document| parse_document(document, &mut diagnostics)).collect();
            Ok((resources, diagnostics.into_iter().collect()))
        }
        Err(error) => Err(Diagnostic::new(Code::YamlSyntax, "", error.message).at(error.span)),
    })
}

/// Whether a text holds a FlinkDeployment or FlinkSessionJob document. Text that does not
/// parse counts as Flink-less here; compiling it reports the syntax error.
pub fn holds_flink_resource(text: &str) -> bool {
    parse_stream(text).is_ok_and(|documents| documents.iter().any(|document| flink_kind(document).is_some()))
}

fn flink_kind(document: &Node) -> Option<&str> {
    document.get("kind").and_then(Node::as_str).filter(|kind| matches!(*kind, "FlinkDeployment" | "FlinkSessionJob"))
}

/// Read one document: a Flink resource with every schema problem reported, or another
/// object passed through.
pub fn parse_document(document: Node, diagnostics: &mut Diagnostics) -> Option<Resource> {
    if document.entries().is_none() {
        diagnostics.push(
            Diagnostic::new(
                Code::NotAnObject,
                "",
                "a document must be a Kubernetes object (a mapping with apiVersion and kind)",
            )
            .at(document.span),
        );
        return None;
    }
    let api_version = document.get("apiVersion").and_then(Node::as_str);
    match (flink_kind(&document), api_version) {
        (Some(kind), version) if version != Some(FLINK_API_VERSION) => {
            diagnostics.push(wrong_api_version(&document, kind, version));
            None
        }
        (Some("FlinkDeployment"), _) => Some(Resource::Deployment(Box::new(read(document, diagnostics)?))),
        (Some(_), _) => Some(Resource::SessionJob(Box::new(read(document, diagnostics)?))),
        (None, Some(_)) if document.get("kind").and_then(Node::as_str).is_some() => {
            Some(Resource::Other(document.to_json()))
        }
        (None, _) => {
            diagnostics.push(
                Diagnostic::new(
                    Code::NotAnObject,
                    "",
                    "a document must be a Kubernetes object with `apiVersion` and `kind`",
                )
                .at(document.span),
            );
            None
        }
    }
}

fn wrong_api_version(document: &Node, kind: &str, version: Option<&str>) -> Diagnostic {
    Diagnostic::new(
        Code::UnsupportedApiVersion,
        "apiVersion",
        format!(
            "{kind} has apiVersion {}, flink-render reads {FLINK_API_VERSION}",
            version.map(|v| format!("`{v}`")).unwrap_or_else(|| "unset".into())
        ),
    )
    .at(document.span_of(&path_steps("apiVersion")))
    .with_hint(format!("set `apiVersion: {FLINK_API_VERSION}`"))
}

/// Read a Flink resource: the typed value with every schema problem reported, and the
/// flattened configuration.
fn read<T: DeserializeOwned>(document: Node, diagnostics: &mut Diagnostics) -> Option<Parsed<T>> {
    let (raw, reported) = typed::<T>(&document, diagnostics)?;
    let user_keys =
        document.get("spec").and_then(|spec| spec.get("flinkConfiguration")).map(flatten).unwrap_or_default();
    Some(Parsed { raw, document, user_keys, reported })
}

/// Deserialize a document into a raw type. Each problem serde finds is reported at its
/// field's line, the offending value is set aside, and deserializing starts again, until the
/// rest reads cleanly (or [`MAX_SCHEMA_PROBLEMS`] is reached).
fn typed<T: DeserializeOwned>(document: &Node, diagnostics: &mut Diagnostics) -> Option<(T, Reported)> {
    let mut json = document.to_json();
    let mut reported = Reported::default();
    for _ in 0..MAX_SCHEMA_PROBLEMS {
        let error = match serde_path_to_error::deserialize::<_, T>(&json) {
            Ok(value) => return Some((value, reported)),
            Err(error) => error,
        };
        let problem = schema_problem(document, &error.path().to_string(), &error.inner().to_string());
        let removed = set_aside(&mut json, &problem.set_aside);
        reported.add(problem.set_aside);
        if let Some(meant) = problem.meant {
            reported.add(meant);
        }
        diagnostics.push(problem.diagnostic);
        if !removed {
            return None;
        }
    }
    None
}

/// One problem serde reported: the diagnostic, the path whose value is set aside, and
/// for a misspelt field the path the user probably meant.
struct SchemaProblem {
    diagnostic: Diagnostic,
    set_aside: String,
    meant: Option<String>,
}

fn schema_problem(document: &Node, path: &str, message: &str) -> SchemaProblem {
    let path = if path == "." { "" } else { path };
    if let Some(field) = unknown_field(message) {
        let parent = path.rsplit_once('.').map(|(parent, _)| parent).unwrap_or_default();
        let join = |name: &str| if parent.is_empty() { name.to_string() } else { format!("{parent}.{name}") };
        let full = join(&field.name);
        let mut diagnostic =
            Diagnostic::new(Code::UnknownField, full.clone(), format!("unknown field `{}`", field.name))
                .at(document.span_of(&path_steps(&full)));
        let suggestion = suggest(&field.name, &field.expected);
        if let Some(suggestion) = &suggestion {
            diagnostic = diagnostic.with_hint(format!("did you mean `{suggestion}`?"));
        } else if !field.expected.is_empty() {
            diagnostic = diagnostic.with_hint(format!("expected one of: {}", field.expected.join(", ")));
        }
        return SchemaProblem { diagnostic, set_aside: full, meant: suggestion.map(|name| join(&name)) };
    }
    // A bad list element sets aside the whole list: removing one would shift the others.
    let set_aside = match path.rfind('[') {
        Some(open) if path.ends_with(']') => path[..open].to_string(),
        _ => path.to_string(),
    };
    let diagnostic =
        Diagnostic::new(Code::InvalidType, path, plain_type_names(message)).at(document.span_of(&path_steps(path)));
    SchemaProblem { diagnostic, set_aside, meant: None }
}

/// Remove the value at a dotted path from a JSON document; false when nothing was there to
/// remove (the problem is then not one that setting a value aside can get past).
fn set_aside(json: &mut Json, path: &str) -> bool {
    let steps = path_steps(path);
    let Some((last, parents)) = steps.split_last() else { return false };
    let mut node = json;
    for step in parents {
        node = match (step, node) {
            (document::PathStep::Key(key), Json::Object(fields)) => match fields.get_mut(*key) {
                Some(child) => child,
                None => return false,
            },
            (document::PathStep::Index(index), Json::Array(items)) => match items.get_mut(*index) {
                Some(child) => child,
                None => return false,
            },
            _ => return false,
        };
    }
    match (last, node) {
        (document::PathStep::Key(key), Json::Object(fields)) => fields.remove(*key).is_some(),
        _ => false,
    }
}

/// serde's Rust type names in words a YAML author uses.
fn plain_type_names(message: &str) -> String {
    let mut text = message.to_string();
    for (rust, plain) in [
        ("expected i64", "expected an integer"),
        ("expected i32", "expected an integer"),
        ("expected u64", "expected a non-negative integer"),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected true or false"),
        ("expected struct ", "expected a mapping: "),
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected a mapping"),
    ] {
        text = text.replace(rust, plain);
    }
    text
}

struct UnknownField {
    name: String,
    expected: Vec<String>,
}

/// Read serde's "unknown field `x`, expected one of `a`, `b`" message.
fn unknown_field(message: &str) -> Option<UnknownField> {
    let rest = message.strip_prefix("unknown field `")?;
    let (name, rest) = rest.split_once('`')?;
    let expected = rest.split('`').skip(1).step_by(2).map(str::to_string).collect();
    Some(UnknownField { name: name.to_string(), expected })
}

/// The closest expected name, for "did you mean" hints: a case-insensitive match, or the
/// nearest name within an edit distance of a third of its length.
pub fn suggest(name: &str, expected: &[String]) -> Option<String> {
    if let Some(same) = expected.iter().find(|candidate| candidate.eq_ignore_ascii_case(name)) {
        return Some(same.clone());
    }
    expected
        .iter()
        .map(|candidate| (edit_distance(&name.to_lowercase(), &candidate.to_lowercase()), candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.clone())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b_chars: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b_chars.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, b_char) in b_chars.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != *b_char);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b_chars.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_field_gets_a_did_you_mean_hint_and_its_line() {
        let mut diagnostics = Diagnostics::default();
        let text = "apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata:\n  name: x\nspec:\n  jobmanager: {}\n";
        assert_eq!(parse(text, &mut diagnostics).len(), 1, "the rest of the resource is still read");
        let diagnostic = diagnostics.iter().next().unwrap();
        assert_eq!(diagnostic.code, Code::UnknownField);
        assert_eq!(diagnostic.path, "spec.jobmanager");
        assert_eq!(diagnostic.line, 6);
        assert_eq!(diagnostic.hint.as_deref(), Some("did you mean `jobManager`?"));
    }

    #[test]
    fn wrong_type_points_at_the_field() {
        let mut diagnostics = Diagnostics::default();
        let text = "apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata:\n  name: x\nspec:\n  job:\n    parallelism: lots\n";
        parse(text, &mut diagnostics);
        let diagnostic = diagnostics.iter().next().unwrap();
        assert_eq!(diagnostic.code, Code::InvalidType);
        assert_eq!(diagnostic.path, "spec.job.parallelism");
        assert_eq!(diagnostic.line, 7);
    }

    #[test]
    fn other_kinds_pass_through() {
        let mut diagnostics = Diagnostics::default();
        let resources = parse("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n", &mut diagnostics);
        assert!(matches!(resources.as_slice(), [Resource::Other(_)]));
    }
}
