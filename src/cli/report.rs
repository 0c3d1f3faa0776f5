//! Diagnostics for people: rustc-style, with the offending source line and a caret under
//! the field, then the hint. Plain text, so the output is the same on every terminal and
//! can be kept as a golden file. A long stream with the same warning in every resource shows
//! the first few and one line for the rest ([`Folding`]); finding a line costs the same wherever
//! it is in the input ([`Lines`]).

use std::collections::BTreeMap;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use flink_render::diagnostics::{Diagnostic, Severity};

/// How many diagnostics of one warning (code and field path) are shown before the rest fold.
pub const SHOWN_REPEATS: usize = 3;

/// The lines of one input, indexed once (on the first diagnostic that needs them).
pub struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    /// Index `text`.
    pub fn new(text: &'a str) -> Lines<'a> {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(index, _)| index + 1)).collect();
        Lines { text, starts }
    }

    /// The 1-based `line`, as `str::lines` gives it (without its `\r\n` or `\n`).
    pub fn get(&self, line: u32) -> Option<&'a str> {
        let index = (line as usize).checked_sub(1)?;
        let start = *self.starts.get(index)?;
        if start == self.text.len() {
            return None;
        }
        let end = self.starts.get(index + 1).map_or(self.text.len(), |next| next - 1);
        let line = &self.text[start..end];
        Some(line.strip_suffix('\r').unwrap_or(line))
    }
}

/// Repeats of a warning: the same code at the same field path, as every resource of a long
/// stream gets it. The first [`SHOWN_REPEATS`] are shown; the rest are counted, and
/// [`Folding::summary`] says how many there were and where to see them all. Errors never fold.
#[derive(Default)]
pub struct Folding {
    counts: BTreeMap<(String, String), usize>,
}

impl Folding {
    /// Whether `diagnostic` is a repeat not to show.
    pub fn folds(&mut self, diagnostic: &Diagnostic) -> bool {
        if diagnostic.severity != Severity::Warning {
            return false;
        }
        let count = self.counts.entry((diagnostic.code.as_str().to_string(), diagnostic.path.clone())).or_default();
        *count += 1;
        *count > SHOWN_REPEATS
    }

    /// One line per folded warning, in code order.
    pub fn summary(&self) -> Vec<String> {
        self.counts
            .iter()
            .filter(|(_, count)| **count > SHOWN_REPEATS)
            .map(|((code, path), count)| {
                let at = if path.is_empty() { String::new() } else { format!(" ({path})") };
                format!(
                    "warning[{code}]: {} more like the above{at}, not shown; `flink-render validate --format json` lists every one",
                    count - SHOWN_REPEATS
                )
            })
            .collect()
    }
}

/// Render one diagnostic; `line_text` is the input line it points at, when known.
pub fn render(diagnostic: &Diagnostic, line_text: Option<&str>) -> String {
    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let title = if diagnostic.path.is_empty() {
        diagnostic.message.clone()
    } else {
        format!("{} ({})", diagnostic.message, diagnostic.path)
    };
    let mut report = Vec::new();
    let primary = level.primary_title(&title).id(diagnostic.code.as_str());
    let group = match line_text {
        Some(line) => {
            let start = char_to_byte(line, diagnostic.column.saturating_sub(1) as usize);
            let end = token_end(line, start);
            primary.element(
                Snippet::source(line)
                    .line_start(diagnostic.line as usize)
                    .path(&diagnostic.source)
                    .annotation(AnnotationKind::Primary.span(start..end)),
            )
        }
        None => primary.element(annotate_snippets::Origin::path(&diagnostic.source)),
    };
    report.push(group);
    if let Some(hint) = &diagnostic.hint {
        report.push(Group::with_title(Level::HELP.secondary_title(hint)));
    }
    Renderer::plain().render(&report).to_string()
}

fn char_to_byte(line: &str, chars: usize) -> usize {
    line.char_indices().nth(chars).map(|(index, _)| index).unwrap_or(line.len())
}

/// The end of the token at `start`: up to a `:` followed by a space, or the line end.
fn token_end(line: &str, start: usize) -> usize {
    let rest = &line[start..];
    let length = rest.find(": ").or_else(|| rest.strip_suffix(':').map(str::len)).unwrap_or(rest.trim_end().len());
    start + length.max(1).min(rest.len().max(1)).min(line.len() - start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_found_as_str_lines_finds_them() {
        for text in ["", "a", "a\n", "a\nb", "a\r\nb\r\n", "\n\n", "x\n\ny\n", "é\nü\r\n\r\nz"] {
            let lines = Lines::new(text);
            for line in 0..6u32 {
                let expected = line.checked_sub(1).and_then(|index| text.lines().nth(index as usize));
                assert_eq!(lines.get(line), expected, "{text:?} line {line}");
            }
        }
    }
}
