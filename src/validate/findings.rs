//! Building findings at the place the user wrote the field or configuration key.

use crate::diagnostics::{Code, Diagnostic};
use crate::parse::Parsed;

/// A finding at a spec field of a FlinkDeployment or FlinkSessionJob.
pub fn at<T>(parsed: &Parsed<T>, code: Code, path: &str, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(code, path, message).at(parsed.span(path))
}

/// A finding at configuration `key`.
pub fn at_config<T>(parsed: &Parsed<T>, code: Code, key: &str, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(code, config_path(key), message).at(parsed.config_span(&[key]))
}

/// The diagnostic path of configuration `key`.
pub fn config_path(key: &str) -> String {
    format!("spec.flinkConfiguration.{key}")
}
