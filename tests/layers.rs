//! The architecture, checked (DESIGN §2): the library's modules form layers that each use
//! only the ones below, and no two source files use each other, directly or through others.
//!
//! Read from the source text: every `crate::…` path and every `super::…` path outside test
//! modules is an arrow from its file to the file that defines what it names. A file's layer
//! is its top-level module's place in [`LAYERS`].

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The library's top-level modules, bottom first; a module may use its own layer's
/// vocabulary and anything below. `lib` is the crate root (`compile`); the faces above it
/// are what the shells share.
const LAYERS: &[&[&str]] = &[
    &["diagnostics", "digest", "objects", "provenance"],
    &["flink"],
    &["parse"],
    &["effective"],
    &["validate"],
    &["resolve"],
    &["emit"],
    &["lib"],
    &["argocd", "diff", "explain", "helm", "krm", "memory", "schema"],
];

fn layer(module: &str) -> usize {
    LAYERS.iter().position(|layer| layer.contains(&module)).unwrap_or_else(|| panic!("{module} is in no layer"))
}

/// Every library source file, as its module path (`["effective", "cluster"]`).
fn library_files(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut files = BTreeMap::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(src).unwrap().to_path_buf();
            let is_tests = relative.iter().any(|part| part == "tests");
            if relative.starts_with("cli") || relative == Path::new("main.rs") || is_tests {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                let mut module: Vec<String> =
                    relative.with_extension("").iter().map(|part| part.to_string_lossy().into_owned()).collect();
                if module.last().is_some_and(|last| last == "mod") {
                    module.pop();
                }
                if module == ["lib"] {
                    module.clear();
                }
                files.insert(module, path);
            }
        }
    }
    files
}

/// The text without comments and without `#[cfg(test)]` items.
fn production_code(text: &str) -> String {
    let mut code = String::new();
    let mut skipping: Option<i32> = None;
    let mut test_attribute = false;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or_default();
        if line.trim() == "#[cfg(test)]" {
            test_attribute = true;
            continue;
        }
        if test_attribute && skipping.is_none() {
            skipping = Some(0);
            test_attribute = false;
        }
        if let Some(depth) = skipping.as_mut() {
            *depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
            if *depth <= 0 && (line.contains('}') || line.trim_end().ends_with(';')) {
                skipping = None;
            }
            continue;
        }
        code.push_str(line);
        code.push('\n');
    }
    code
}

/// The child modules a file declares (`mod name;`), which it may name without `crate::`.
fn child_modules(code: &str) -> Vec<String> {
    code.lines()
        .filter_map(|line| {
            let line = line.trim().trim_start_matches("pub ");
            Some(line.strip_prefix("mod ")?.strip_suffix(';')?.trim().to_string())
        })
        .collect()
}

/// The module paths a file names, absolute, with `use` groups expanded: `crate::…`,
/// `super::…`, and paths through its own child modules.
fn named_paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let flat: String = code.split_whitespace().collect::<Vec<_>>().join(" ");
    let children: Vec<String> = child_modules(code).into_iter().map(|child| format!("{child}::")).collect();
    let starts = ["crate::", "super::"].into_iter().map(str::to_string).chain(children);
    for start in starts {
        let mut rest = flat.as_str();
        while let Some(index) = rest.find(start.as_str()) {
            let preceded_by_word =
                rest[..index].chars().last().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
            let tail = &rest[index..];
            rest = &rest[index + start.len()..];
            if preceded_by_word {
                continue;
            }
            for path in expand(tail) {
                let mut parts: Vec<String> = path.split("::").map(str::to_string).collect();
                let base: Vec<String> = match parts[0].as_str() {
                    "crate" => Vec::new(),
                    "super" => module[..module.len().saturating_sub(1)].to_vec(),
                    _ => {
                        parts.insert(0, String::new());
                        module.to_vec()
                    }
                };
                parts.remove(0);
                paths.push(base.into_iter().chain(parts).collect());
            }
        }
    }
    paths
}

/// `crate::a::{b, c::d}` → `crate::a::b`, `crate::a::c::d` (one level of braces).
fn expand(tail: &str) -> Vec<String> {
    let end = tail.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '{')).unwrap_or(tail.len());
    let head = &tail[..end];
    match head.find("::{") {
        Some(open) => {
            let prefix = &head[..open];
            let close = tail[open..].find('}').map_or(tail.len(), |close| open + close);
            tail[open + 3..close]
                .split(',')
                .map(|item| item.trim().split(" as ").next().unwrap_or_default().trim())
                .filter(|item| !item.is_empty() && *item != "self")
                .map(|item| format!("{prefix}::{item}"))
                .collect()
        }
        None => vec![head.trim_end_matches(':').to_string()],
    }
}

/// The file that defines the item a path names: its longest prefix that is a file's module.
fn defining_file<'a>(path: &[String], files: &'a BTreeMap<Vec<String>, PathBuf>) -> Option<&'a Vec<String>> {
    (0..=path.len()).rev().find_map(|length| files.get_key_value(&path[..length]).map(|(module, _)| module))
}

fn arrows(files: &BTreeMap<Vec<String>, PathBuf>) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    files
        .iter()
        .map(|(module, path)| {
            let code = production_code(&fs::read_to_string(path).unwrap());
            let targets = named_paths(&code, module)
                .iter()
                .filter_map(|named| defining_file(named, files))
                .filter(|target| *target != module)
                .cloned()
                .collect();
            (module.clone(), targets)
        })
        .collect()
}

fn top(module: &[String]) -> &str {
    module.first().map_or("lib", String::as_str)
}

#[test]
fn every_module_uses_only_the_layers_below() {
    let files = library_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let mut upward = Vec::new();
    for (module, targets) in arrows(&files) {
        for target in targets {
            if layer(top(&target)) > layer(top(&module)) {
                upward.push(format!("{} → {}", module.join("::"), target.join("::")));
            }
        }
    }
    assert!(upward.is_empty(), "arrows that run up a layer:\n{}", upward.join("\n"));
}

#[test]
fn no_source_files_use_each_other() {
    let files = library_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let graph = arrows(&files);
    let mut cycles = Vec::new();
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut pending: Vec<Vec<Vec<String>>> = vec![vec![start.clone()]];
        while let Some(trail) = pending.pop() {
            for next in graph.get(trail.last().unwrap()).into_iter().flatten() {
                if next == start {
                    let names: Vec<String> = trail.iter().chain([next]).map(|module| module.join("::")).collect();
                    cycles.push(names.join(" → "));
                } else if seen.insert(next.clone()) {
                    pending.push(trail.iter().cloned().chain([next.clone()]).collect());
                }
            }
        }
    }
    cycles.sort();
    cycles.dedup();
    assert!(cycles.is_empty(), "files that use each other:\n{}", cycles.join("\n"));
}

/// The checker itself finds arrows: these are the ones the layers are made of.
#[test]
fn the_checker_sees_the_known_arrows() {
    let files = library_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let graph = arrows(&files);
    let module = |path: &str| path.split("::").map(str::to_string).filter(|part| !part.is_empty()).collect::<Vec<_>>();
    assert!(graph[&module("")].contains(&module("validate")), "compile runs validate");
    assert!(graph[&module("validate::identity")].contains(&module("effective")), "rules read views");
    assert!(graph[&module("emit::pod")].contains(&module("resolve::model")), "emit reads the model");
}
