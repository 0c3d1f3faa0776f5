//! Diagnostics for people: rustc-style, with the offending source line and a caret under
//! the field, then the hint. Plain text, so the output is the same on every terminal and
//! can be kept as a golden file.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use flink_render::diagnostics::{Diagnostic, Severity};

/// Render one diagnostic; `source` is the text of the input it refers to, when known.
pub fn render(diagnostic: &Diagnostic, source: Option<&str>) -> String {
    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let title = if diagnostic.path.is_empty() {
        diagnostic.message.clone()
    } else {
        format!("{} ({})", diagnostic.message, diagnostic.path)
    };
    let line_text = source.and_then(|text| text.lines().nth(diagnostic.line.checked_sub(1)? as usize));
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
