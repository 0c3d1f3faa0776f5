//! Stage 1, **parse**: text → documents with positions ([`document`]) → raw resources
//! shaped like the CRD ([`spec`]). Schema-level problems (wrong types, unknown fields,
//! wrong apiVersion) are reported here with the field path and line; documents of other
//! kinds pass through untouched.

pub mod defaults;
pub mod document;
pub mod flink_configuration;
pub mod spec;

use serde::de::DeserializeOwned;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use document::{Node, parse_stream, path_steps};
use spec::{RawFlinkDeployment, RawFlinkSessionJob};

/// The API group and version of the operator's resources.
pub const FLINK_API_VERSION: &str = "flink.apache.org/v1beta1";

/// A FlinkDeployment with the document it came from (for positions).
#[derive(Debug, Clone)]
pub struct ParsedDeployment {
    /// The typed raw resource.
    pub raw: RawFlinkDeployment,
    /// The document, for positions and for order-preserving reads of `flinkConfiguration`.
    pub document: Node,
}

/// A FlinkSessionJob with its document.
#[derive(Debug, Clone)]
pub struct ParsedSessionJob {
    /// The typed raw resource.
    pub raw: RawFlinkSessionJob,
    /// The document.
    pub document: Node,
}

/// One document of the input.
#[derive(Debug, Clone)]
pub enum Resource {
    /// A `FlinkDeployment`.
    Deployment(Box<ParsedDeployment>),
    /// A `FlinkSessionJob`.
    SessionJob(Box<ParsedSessionJob>),
    /// Any other Kubernetes object: passed through unchanged.
    Other(serde_json::Value),
}

/// Parse one input text into resources; problems go to `diagnostics`.
pub fn parse(text: &str, diagnostics: &mut Diagnostics) -> Vec<Resource> {
    let documents = match parse_stream(text) {
        Ok(documents) => documents,
        Err(error) => {
            diagnostics.push(Diagnostic::new(Code::YamlSyntax, "", error.message).at(error.span));
            return Vec::new();
        }
    };
    documents.into_iter().filter_map(|document| parse_document(document, diagnostics)).collect()
}

fn parse_document(document: Node, diagnostics: &mut Diagnostics) -> Option<Resource> {
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
    let kind = document.get("kind").and_then(Node::as_str).map(str::to_string);
    let api_version = document.get("apiVersion").and_then(Node::as_str).map(str::to_string);
    let is_flink_kind = matches!(kind.as_deref(), Some("FlinkDeployment" | "FlinkSessionJob"));
    if is_flink_kind && api_version.as_deref() != Some(FLINK_API_VERSION) {
        diagnostics.push(
            Diagnostic::new(
                Code::UnsupportedApiVersion,
                "apiVersion",
                format!(
                    "{} has apiVersion {}, flink-render reads {FLINK_API_VERSION}",
                    kind.as_deref().unwrap_or_default(),
                    api_version.as_deref().map(|v| format!("`{v}`")).unwrap_or_else(|| "unset".into())
                ),
            )
            .at(document.span_of(&path_steps("apiVersion")))
            .with_hint(format!("set `apiVersion: {FLINK_API_VERSION}`")),
        );
        return None;
    }
    match kind.as_deref() {
        Some("FlinkDeployment") => {
            let raw = typed::<RawFlinkDeployment>(&document, diagnostics)?;
            Some(Resource::Deployment(Box::new(ParsedDeployment { raw, document })))
        }
        Some("FlinkSessionJob") => {
            let raw = typed::<RawFlinkSessionJob>(&document, diagnostics)?;
            Some(Resource::SessionJob(Box::new(ParsedSessionJob { raw, document })))
        }
        Some(_) if api_version.is_some() => Some(Resource::Other(document.to_json())),
        _ => {
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

/// Deserialize a document into a raw type, turning serde errors into diagnostics at the
/// field's line.
fn typed<T: DeserializeOwned>(document: &Node, diagnostics: &mut Diagnostics) -> Option<T> {
    let json = document.to_json();
    match serde_path_to_error::deserialize::<_, T>(&json) {
        Ok(value) => Some(value),
        Err(error) => {
            let path = error.path().to_string();
            let path = if path == "." { String::new() } else { path };
            let message = error.inner().to_string();
            let mut diagnostic = if let Some(field) = unknown_field(&message) {
                let parent = path.rsplit_once('.').map(|(parent, _)| parent.to_string()).unwrap_or_default();
                let full = if parent.is_empty() { field.name.clone() } else { format!("{parent}.{}", field.name) };
                let mut diagnostic =
                    Diagnostic::new(Code::UnknownField, full.clone(), format!("unknown field `{}`", field.name))
                        .at(document.span_of(&path_steps(&full)));
                if let Some(suggestion) = suggest(&field.name, &field.expected) {
                    diagnostic = diagnostic.with_hint(format!("did you mean `{suggestion}`?"));
                } else if !field.expected.is_empty() {
                    diagnostic = diagnostic.with_hint(format!("expected one of: {}", field.expected.join(", ")));
                }
                diagnostic
            } else {
                Diagnostic::new(Code::InvalidType, path.clone(), plain_type_names(&message))
                    .at(document.span_of(&path_steps(&path)))
            };
            if diagnostic.path.is_empty() {
                diagnostic.path = path;
            }
            diagnostics.push(diagnostic);
            None
        }
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
        assert!(parse(text, &mut diagnostics).is_empty());
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
