//! The diff report for people, shared by `flink-render diff` and the WASM preview: one block
//! per differing object (`~` changed, `+` added, `-` removed; in directory mode with its
//! file), each changed field on its own line as `path: old → new`, multi-line values and
//! scalar lists line by line with a little context, then a summary line. A change Kubernetes
//! refuses in place (a workload's selector, a Job's template) gets a `!` line saying so.

use std::fmt::Write as _;

use serde_json::Value;

#[cfg(feature = "provenance")]
use super::because::Because;
use super::compare::{FieldChange, Line, ObjectDiff, line_changes};
#[cfg(feature = "provenance")]
use crate::emit::config_map::CONFIG_HASH_ANNOTATION;
use crate::emit::yaml::to_yaml_document;
use crate::objects::ObjectKey;

/// Lines of unchanged text shown around a change inside a multi-line value.
const CONTEXT_LINES: usize = 2;
/// Longer compound values are printed as indented YAML rather than inline JSON.
const INLINE_WIDTH: usize = 60;

/// The report of `diffs`, for a committed directory (`is_directory`) or stream, and the
/// number of objects rendered.
pub fn report(diffs: &[ObjectDiff], is_directory: bool, rendered: usize) -> String {
    report_with(diffs, is_directory, rendered, |_, _, _| {})
}

#[cfg(feature = "provenance")]
/// [`report`], saying with `because` why each configuration changed: under a changed
/// configuration file, each changed key with its values and the new value's origin; under a
/// workload whose configuration hash changed, the keys that roll it.
pub fn report_because(diffs: &[ObjectDiff], is_directory: bool, rendered: usize, because: Because<'_>) -> String {
    report_with(diffs, is_directory, rendered, |out, key, field| explain_field(out, diffs, key, field, because))
}

/// The report, with `explain` adding lines under each changed field (a closure, so that the
/// plain report, which the WASM module carries, links none of the explaining).
fn report_with(
    diffs: &[ObjectDiff],
    is_directory: bool,
    rendered: usize,
    explain: impl Fn(&mut String, &ObjectKey, &FieldChange),
) -> String {
    let mut out = String::new();
    let (mut changed, mut added, mut removed) = (0, 0, 0);
    for diff in diffs {
        let (sign, object) = match diff {
            ObjectDiff::Changed { before, .. } => {
                changed += 1;
                ('~', before)
            }
            ObjectDiff::Added { object, .. } => {
                added += 1;
                ('+', object)
            }
            ObjectDiff::Removed { object, .. } => {
                removed += 1;
                ('-', object)
            }
        };
        let file = if is_directory { format!(" ({})", ObjectKey::of(object).file_name()) } else { String::new() };
        let _ = writeln!(out, "{sign} {}{file}", diff.key());
        if let ObjectDiff::Changed { key, fields, .. } = diff {
            for field in fields {
                format_field(&mut out, field);
                explain(&mut out, key, field);
            }
            if let Some(path) = fields.iter().map(FieldChange::path).find(|path| immutable(&key.kind, path)) {
                let _ = writeln!(
                    out,
                    "    ! {path} cannot change in place (Kubernetes refuses the update: the field is immutable): \
                     delete the {kind} before applying (Argo CD: the `Replace=true` sync option); \
                     a cluster moved between native and standalone mode changes its selectors",
                    kind = key.kind
                );
            }
        }
    }
    let _ = writeln!(out, "\n{changed} changed, {added} added, {removed} removed; {rendered} objects rendered");
    if removed > 0 && is_directory {
        let _ = writeln!(out, "(removed objects' files are not deleted by `render --output-dir`; delete them by hand)");
    }
    out
}

/// Whether Kubernetes refuses an update of `path` in an object of `kind` (apps/v1 workloads'
/// label selectors, a Job's selector and pod template).
fn immutable(kind: &str, path: &str) -> bool {
    let under = |prefix: &str| {
        path == prefix || path.starts_with(&format!("{prefix}.")) || path.starts_with(&format!("{prefix}["))
    };
    match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" => under("spec.selector"),
        "Job" => under("spec.selector") || under("spec.template"),
        _ => false,
    }
}

#[cfg(feature = "provenance")]
/// Why `field` of the object `key` changed, when it is a configuration file or a workload's
/// configuration hash.
fn explain_field(out: &mut String, diffs: &[ObjectDiff], key: &ObjectKey, field: &FieldChange, because: Because<'_>) {
    const INDENT: &str = "      ";
    if let FieldChange::Modified { path, before: Value::String(old), after: Value::String(new) } = field {
        if path.starts_with("data[") {
            let Some(keys) = because.changed_keys(key, old, new) else { return };
            let _ = writeln!(out, "    because:");
            for changed in keys {
                let show = |value: &Option<String>| value.clone().unwrap_or_else(|| "(absent)".into());
                let _ = write!(out, "{INDENT}{}: {} → {}", changed.key, show(&changed.before), show(&changed.after));
                match changed.origin {
                    Some(origin) => writeln!(out, " ← {origin}"),
                    None => writeln!(out),
                }
                .expect("writing to a String");
            }
        } else if path == &format!("spec.template.metadata.annotations[\"{CONFIG_HASH_ANNOTATION}\"]") {
            let Some(config_map) = because.config_map_of(key) else { return };
            let changed: Vec<String> = diffs
                .iter()
                .filter(|diff| *diff.key() == config_map)
                .flat_map(|diff| match diff {
                    ObjectDiff::Changed { fields, .. } => fields.clone(),
                    _ => Vec::new(),
                })
                .filter_map(|field| match field {
                    FieldChange::Modified { before: Value::String(old), after: Value::String(new), .. } => {
                        because.changed_keys(&config_map, &old, &new)
                    }
                    _ => None,
                })
                .flatten()
                .map(|changed| changed.key)
                .collect();
            if !changed.is_empty() {
                let _ = writeln!(out, "    rolls the pods because the configuration changed: {}", changed.join(", "));
            }
        }
    }
}

fn format_field(out: &mut String, field: &FieldChange) {
    const INDENT: &str = "    ";
    match field {
        FieldChange::Modified { path, before: Value::String(old), after: Value::String(new) }
            if old.contains('\n') || new.contains('\n') =>
        {
            let _ = writeln!(out, "{INDENT}{path}:");
            format_lines(out, &line_changes(old, new), &format!("{INDENT}    "));
        }
        FieldChange::Modified { path, before: Value::Array(old), after: Value::Array(new) }
            if old.iter().chain(new).all(is_scalar) =>
        {
            let old = old.iter().map(scalar_text).collect::<Vec<_>>().join("\n");
            let new = new.iter().map(scalar_text).collect::<Vec<_>>().join("\n");
            let _ = writeln!(out, "{INDENT}{path}:");
            format_lines(out, &line_changes(&old, &new), &format!("{INDENT}    "));
        }
        FieldChange::Modified { path, before, after } => match (inline(before), inline(after)) {
            (Some(old), Some(new)) => {
                let _ = writeln!(out, "{INDENT}{path}: {old} → {new}");
            }
            _ => {
                let _ = writeln!(out, "{INDENT}{path}:");
                write_block(out, '-', before);
                write_block(out, '+', after);
            }
        },
        FieldChange::Added { path, value } => match inline(value) {
            Some(text) => {
                let _ = writeln!(out, "{INDENT}{path}: (absent) → {text}");
            }
            None => {
                let _ = writeln!(out, "{INDENT}{path}: added");
                write_block(out, '+', value);
            }
        },
        FieldChange::Removed { path, value } => match inline(value) {
            Some(text) => {
                let _ = writeln!(out, "{INDENT}{path}: {text} → (absent)");
            }
            None => {
                let _ = writeln!(out, "{INDENT}{path}: removed");
                write_block(out, '-', value);
            }
        },
        FieldChange::Reordered { path, before, after } => {
            let _ = writeln!(out, "{INDENT}{path}: order [{}] → [{}]", before.join(", "), after.join(", "));
        }
    }
}

/// Changed lines with a little context; runs of unchanged lines in between become `…`.
fn format_lines(out: &mut String, lines: &[Line<'_>], indent: &str) {
    let near_change = |index: usize| {
        let start = index.saturating_sub(CONTEXT_LINES);
        let end = (index + CONTEXT_LINES + 1).min(lines.len());
        lines[start..end].iter().any(|line| !matches!(line, Line::Same(_)))
    };
    let mut skipped = false;
    for (index, line) in lines.iter().enumerate() {
        match line {
            Line::Same(_) if !near_change(index) => {
                if !skipped {
                    let _ = writeln!(out, "{indent}  …");
                    skipped = true;
                }
                continue;
            }
            Line::Same(text) => {
                let _ = writeln!(out, "{indent}  {text}");
            }
            Line::Removed(text) => {
                let _ = writeln!(out, "{indent}- {text}");
            }
            Line::Added(text) => {
                let _ = writeln!(out, "{indent}+ {text}");
            }
        }
        skipped = false;
    }
}

/// A value on one line: scalars as written (strings unquoted unless they would read as
/// something else), short lists and mappings as JSON. `None` when it needs a block.
fn inline(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(text) if plain_string(text) => text.clone(),
        Value::String(text) if text.contains('\n') => return None,
        other => serde_json::to_string(other).expect("JSON values serialize"),
    };
    (text.chars().count() <= INLINE_WIDTH || !matches!(value, Value::Array(_) | Value::Object(_))).then_some(text)
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

/// A list item on its own line (multi-line strings as JSON, so each item stays one line).
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) if plain_string(text) => text.clone(),
        other => serde_json::to_string(other).expect("JSON values serialize"),
    }
}

/// Strings that can be shown without quotes without being mistaken for another value.
fn plain_string(text: &str) -> bool {
    !text.is_empty()
        && text.trim() == text
        && !text.contains(['\n', '"'])
        && !text.contains(" → ")
        && !matches!(text, "true" | "false" | "null" | "(absent)")
        && text.parse::<f64>().is_err()
}

fn write_block(out: &mut String, sign: char, value: &Value) {
    let yaml = to_yaml_document(value);
    for line in yaml.lines() {
        let _ = writeln!(out, "        {sign} {line}");
    }
}
