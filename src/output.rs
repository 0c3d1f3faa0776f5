//! What the subcommands print, as pure functions over the library's results, so the CLI and
//! the WASM module write the same bytes: the `memory` JSON and the `diff` report. (`render`
//! prints [`crate::to_yaml`] / [`crate::to_json`], `diff --format json-patch` prints
//! [`crate::json_patch::to_json`].)

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::ClusterMemory;
use crate::diff::{FieldChange, Line, ObjectDiff, line_changes};
use crate::resolve::model::ProcessMemory;

/// What `flink-render memory` prints: per cluster, every component of each process in
/// bytes, the total process memory and the JVM arguments Flink's start-up script computes.
pub fn memory_json(clusters: &[ClusterMemory]) -> String {
    let clusters: Vec<Value> = clusters
        .iter()
        .map(|cluster| {
            json!({
                "name": cluster.name,
                "namespace": cluster.namespace,
                "jobmanager": process(&cluster.jobmanager),
                "taskmanager": process(&cluster.taskmanager),
            })
        })
        .collect();
    serde_json::to_string_pretty(&clusters).expect("JSON values serialize") + "\n"
}

fn process(memory: &ProcessMemory) -> Value {
    let mut value = serde_json::to_value(memory).expect("memory breakdowns serialize");
    value["totalProcess"] = json!(memory.total_process());
    value["jvmArgs"] = json!(memory.jvm_args());
    value
}

/// Lines of unchanged text shown around a change inside a multi-line value.
const CONTEXT_LINES: usize = 2;
/// Longer compound values are printed as indented YAML rather than inline JSON.
const INLINE_WIDTH: usize = 60;

/// The report: one block per differing object (`~` changed, `+` added, `-` removed), each
/// changed field on its own line as `path: old → new`, then a summary line. `file_name`
/// is given when the committed output is a `render --output-dir` directory: it names each
/// object's file there.
pub fn diff_report(diffs: &[ObjectDiff], file_name: Option<fn(&Value) -> String>, rendered: usize) -> String {
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
        let file = match file_name {
            Some(file_name) => format!(" ({})", file_name(object)),
            None => String::new(),
        };
        let _ = writeln!(out, "{sign} {}{file}", diff.key());
        if let ObjectDiff::Changed { fields, .. } = diff {
            for field in fields {
                format_field(&mut out, field);
            }
        }
    }
    let _ = writeln!(out, "\n{changed} changed, {added} added, {removed} removed; {rendered} objects rendered");
    if removed > 0 && file_name.is_some() {
        let _ = writeln!(out, "(removed objects' files are not deleted by `render --output-dir`; delete them by hand)");
    }
    out
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
    let yaml = crate::emit::yaml::to_yaml_document(value);
    for line in yaml.lines() {
        let _ = writeln!(out, "        {sign} {line}");
    }
}
