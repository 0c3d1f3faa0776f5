//! The documentation's links: every relative link in `README.md` and `docs/*.md` resolves to a
//! file or directory of the repository, and a `#anchor` to a heading (or an `<a id>`/`<a name>`)
//! of the Markdown file it points into, by GitHub's rules; and the README links every page of the
//! manual. Links with a scheme (`https:`, `mailto:`) are not followed.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `README.md` and every `docs/*.md`, sorted.
fn documents() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    pages.sort();
    pages.insert(0, root().join("README.md"));
    pages
}

/// The lines of a Markdown text outside fenced code blocks, with their numbers (from 1).
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fence: Option<&str> = None;
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|marker| trimmed.starts_with(marker));
        match (fence, marker) {
            (None, Some(marker)) => fence = Some(marker),
            (Some(open), Some(marker)) if open == marker && trimmed.trim_end() == marker => fence = None,
            (None, None) => lines.push((index + 1, line)),
            _ => {}
        }
    }
    lines
}

/// A line whose code spans (a run of backticks up to the next run of the same length) are
/// dropped, or with `keep_text` kept without their ticks (a heading's anchor is made from them).
fn code_spans(line: &str, keep_text: bool) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let ticks = rest[start..].chars().take_while(|&c| c == '`').count();
        let after = &rest[start + ticks..];
        let closing = "`".repeat(ticks);
        match after.find(&closing) {
            Some(end) => {
                if keep_text {
                    out.push_str(&after[..end]);
                }
                rest = &after[end + ticks..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The targets of the inline links and images (`[text](target)`, `![alt](target "title")`) and of
/// the link reference definitions (`[label]: target`) of one line whose code spans are removed.
fn link_targets(line: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let trimmed = line.trim_start();
    if trimmed.starts_with('[')
        && let Some(close) = trimmed.find(']')
        && let Some(definition) = trimmed[close + 1..].strip_prefix(':')
    {
        if let Some(target) = definition.split_whitespace().next() {
            targets.push(target.trim_start_matches('<').trim_end_matches('>').to_string());
        }
        return targets;
    }
    let bytes = line.as_bytes();
    let mut at = 0;
    while let Some(found) = line[at..].find("](") {
        let open = at + found + 2;
        // The target ends at the parenthesis that closes this one (targets may hold balanced ones).
        let mut depth = 1;
        let mut end = open;
        while end < bytes.len() {
            match bytes[end] {
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            end += 1;
        }
        let inside = line[open..end].trim();
        let target = if let Some(angled) = inside.strip_prefix('<') {
            angled.split('>').next().unwrap_or_default()
        } else {
            inside.split_whitespace().next().unwrap_or_default()
        };
        targets.push(target.to_string());
        at = end.min(line.len());
    }
    targets
}

/// A heading's text as GitHub shows it: links become their text; emphasis marks and code ticks go.
fn heading_text(heading: &str) -> String {
    let heading = code_spans(heading, true);
    let mut text = String::new();
    let mut rest = heading.as_str();
    while let Some(start) = rest.find('[') {
        text.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find("](").zip(after.find(')')) {
            Some((middle, close)) if middle < close => {
                text.push_str(&after[..middle]);
                rest = &after[close + 1..];
            }
            _ => {
                text.push('[');
                rest = after;
            }
        }
    }
    text.push_str(rest);
    text.replace(['*', '`'], "")
}

/// GitHub's anchor for a heading: lowercased, spaces become `-`, and every other character but
/// letters, digits, `-` and `_` is dropped.
fn anchor(heading: &str) -> String {
    heading_text(heading)
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown text: one per heading (a repeated one gets `-1`, `-2`, … as on
/// GitHub) and one per `<a id="…">` or `<a name="…">`.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (_, line) in prose_lines(text) {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
            let base = anchor(line[hashes..].trim().trim_end_matches('#'));
            let mut name = base.clone();
            let mut repeat = 0;
            while found.contains(&name) {
                repeat += 1;
                name = format!("{base}-{repeat}");
            }
            found.insert(name);
        }
        for attribute in ["<a id=\"", "<a name=\""] {
            let mut rest = line;
            while let Some(start) = rest.find(attribute) {
                let value = &rest[start + attribute.len()..];
                let end = value.find('"').unwrap_or(value.len());
                found.insert(value[..end].to_string());
                rest = &value[end..];
            }
        }
    }
    found
}

/// Every broken relative link in `text` (read from `file`), as `file:line: target: why`.
fn broken_links(file: &Path, text: &str) -> Vec<String> {
    let here = file.parent().unwrap();
    let shown = file.strip_prefix(root()).unwrap_or(file).display().to_string();
    let mut broken = Vec::new();
    for (number, line) in prose_lines(text) {
        for target in link_targets(&code_spans(line, false)) {
            if target.is_empty() || target.contains(':') {
                continue; // a scheme (https:, mailto:): not ours to check
            }
            let (path, fragment) = match target.split_once('#') {
                Some((path, fragment)) => (path, Some(fragment)),
                None => (target.as_str(), None),
            };
            let resolved = here.join(path);
            let why = if path.starts_with('/') {
                Some("an absolute path".to_string())
            } else if !path.is_empty() && !resolved.exists() {
                Some("no such file or directory".to_string())
            } else if let Some(fragment) = fragment {
                let markdown = if path.is_empty() {
                    Some(text.to_string())
                } else if resolved.extension().is_some_and(|ext| ext == "md") {
                    Some(fs::read_to_string(&resolved).unwrap())
                } else {
                    None
                };
                match markdown {
                    Some(markdown) => (!anchors(&markdown).contains(fragment))
                        .then(|| format!("no heading with the anchor #{fragment}")),
                    None => Some("an anchor into a file that is not Markdown".to_string()),
                }
            } else {
                None
            };
            if let Some(why) = why {
                broken.push(format!("{shown}:{number}: {target}: {why}"));
            }
        }
    }
    broken
}

#[test]
fn every_relative_link_in_the_documentation_resolves() {
    let mut broken = Vec::new();
    for file in documents() {
        broken.extend(broken_links(&file, &fs::read_to_string(&file).unwrap()));
    }
    assert!(broken.is_empty(), "broken documentation links:\n{}", broken.join("\n"));
}

#[test]
fn the_readme_links_every_page_of_the_manual() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let linked: BTreeSet<String> = prose_lines(&readme)
        .into_iter()
        .flat_map(|(_, line)| link_targets(&code_spans(line, false)))
        .map(|target| target.split('#').next().unwrap().to_string())
        .collect();
    let missing: Vec<String> = documents()[1..]
        .iter()
        .map(|page| format!("docs/{}", page.file_name().unwrap().to_string_lossy()))
        .filter(|page| !linked.contains(page))
        .collect();
    assert!(missing.is_empty(), "pages of the manual the README does not link: {missing:?}");
}

#[test]
fn anchors_follow_githubs_rules() {
    assert_eq!(anchor("`flink-render render`"), "flink-render-render");
    assert_eq!(anchor("Operator defaults (`--defaults FILE`)"), "operator-defaults---defaults-file");
    assert_eq!(anchor("Argo CD plugin (`flink-render argocd`)"), "argo-cd-plugin-flink-render-argocd");
    assert_eq!(anchor("In the browser: the WASM module"), "in-the-browser-the-wasm-module");
    assert_eq!(anchor("The module's API"), "the-modules-api");
    assert_eq!(anchor("FLIP-212 spellings"), "flip-212-spellings");
    assert_eq!(anchor("snake_case and [a link](x.md)"), "snake_case-and-a-link");
    let text = "# Tests\n\n## Tests\n\n```\n# not a heading\n```\n<a id=\"here\"></a>\n";
    let found: Vec<String> = anchors(text).into_iter().collect();
    assert_eq!(found, ["here", "tests", "tests-1"]);
}

#[test]
fn a_broken_link_is_caught() {
    let file = root().join("docs/example.md");
    let text = "[ok](../README.md) [dir](../fixtures/) [anchor](cli.md#flink-render-diff) [self](#a)\n\
                # A\n\
                [gone](missing.md) [bad anchor](cli.md#no-such-heading) `[code](missing.md)`\n\
                ```\n[fenced](missing.md)\n```\n\
                [web](https://example.com/missing.md)\n";
    assert_eq!(
        broken_links(&file, text),
        [
            "docs/example.md:3: missing.md: no such file or directory",
            "docs/example.md:3: cli.md#no-such-heading: no heading with the anchor #no-such-heading",
        ]
    );
}

/// The README's tour lists the files `render --output-dir` writes for `basic-application`: the
/// listing follows the output (a new object, or the scripts ConfigMap's hash when a script
/// changes).
#[test]
fn the_readme_tour_lists_what_render_writes() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let command = "$ flink-render render fixtures/basic-application.yaml --output-dir rendered/ && ls rendered/\n";
    let (_, after) = readme.split_once(command).expect("the tour's render example");
    let listed: Vec<&str> = after.lines().take_while(|line| !line.starts_with("```")).collect();
    let dir = std::env::temp_dir().join(format!("flink-render-readme-tour-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_flink-render"))
        .args(["render", "fixtures/basic-application.yaml", "--output-dir"])
        .arg(&dir)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mut written: Vec<String> =
        fs::read_dir(&dir).unwrap().map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned()).collect();
    written.sort();
    fs::remove_dir_all(&dir).unwrap();
    assert_eq!(listed, written, "README.md's tour");
}
