//! `flink-render explain --config` (DESIGN §4; reference adopt-and-provenance.md B.5):
//! - **completeness**: every key of every rendered configuration file, for every fixture and
//!   real-world spec, has an origin;
//! - **soundness by perturbation**: where an origin names a position in the spec or in the
//!   operator defaults, changing the value written there changes the key's value (directly
//!   written: every change does; a rule's input: some change does); a key a rule sets with no
//!   inputs keeps its value whatever is changed;
//! - goldens of the text for a default overridden by the spec, the defaults file's layers, a
//!   derived memory value and a native job id, and the JSON form.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fixture_files, fixtures, golden_settings};
use flink_render::diagnostics::Span;
use flink_render::effective::DeploymentMode;
use flink_render::explain::{ClusterConfig, configs};
use flink_render::parse::defaults::{BUILTIN_FLINK_CONF, OperatorDefaults};
use flink_render::provenance::{DefaultsProfile, Origin};
use flink_render::{Input, Options};

/// One spec with the settings its golden is rendered with.
struct Case {
    path: PathBuf,
    text: String,
    namespace: Option<String>,
    defaults: Option<String>,
    omitted_mode: Option<DeploymentMode>,
}

impl Case {
    fn of(path: &Path) -> Case {
        let text = std::fs::read_to_string(path).unwrap();
        let real_world = path.parent().is_some_and(|dir| dir.ends_with("real-world"));
        let namespace = argument(&text, "--namespace").or(real_world.then(|| "default".into()));
        let defaults = fixture_files(&text, "--defaults").first().map(|(_, text)| text.clone());
        let omitted_mode = argument(&text, "--omitted-mode").map(|mode| match mode.as_str() {
            "standalone" => DeploymentMode::Standalone,
            _ => DeploymentMode::Native,
        });
        Case { path: path.to_path_buf(), text, namespace, defaults, omitted_mode }
    }

    /// The clusters' configurations with `text` as the spec and `defaults` as the defaults'
    /// text (the built-in profile when `None`); `None` when the input is invalid.
    fn explain(&self, text: &str, defaults: Option<&str>) -> Option<Vec<ClusterConfig>> {
        let defaults = match defaults {
            Some(text) => Some(OperatorDefaults::parse(text).ok()?),
            None => None,
        };
        let name = self.path.to_string_lossy();
        let options = Options {
            namespace: self.namespace.as_deref(),
            defaults: defaults.as_ref(),
            omitted_mode: self.omitted_mode,
            ..Options::default()
        };
        let (clusters, diagnostics) = configs(&[Input { name: &name, text }], &options);
        (!diagnostics.has_errors()).then_some(clusters)
    }
}

/// The value after `option` on a `# flink-render:` line.
fn argument(text: &str, option: &str) -> Option<String> {
    let args: Vec<&str> =
        text.lines().filter_map(|line| line.strip_prefix("# flink-render:")).flat_map(str::split_whitespace).collect();
    args.windows(2).find(|pair| pair[0] == option).map(|pair| pair[1].to_string())
}

/// Every spec the perturbation runs over: the fixtures that render (and take no other input)
/// and the valid real-world specs.
fn cases() -> Vec<Case> {
    let real_world = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/real-world");
    let mut paths = fixtures();
    let mut others: Vec<PathBuf> = std::fs::read_dir(real_world)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "yaml"))
        .collect();
    others.sort();
    paths.extend(others);
    paths
        .iter()
        .map(|path| Case::of(path))
        .filter(|case| !case.text.contains("--reference") && !case.text.contains("# flink-render: krm"))
        .filter(|case| case.explain(&case.text, case.defaults.as_deref()).is_some_and(|c| !c.is_empty()))
        .collect()
}

/// A cluster's configuration as key → value.
fn values(cluster: &ClusterConfig) -> BTreeMap<&str, &str> {
    cluster.keys.iter().map(|key| (key.key.as_str(), key.value.as_str())).collect()
}

#[test]
fn every_key_of_every_configuration_file_has_an_origin() {
    let cases = cases();
    assert!(cases.len() >= 80, "only {} specs render", cases.len());
    for case in &cases {
        // ClusterConfig::of takes every key's origin and fails without one
        let clusters = case.explain(&case.text, case.defaults.as_deref()).unwrap();
        for cluster in &clusters {
            assert!(!cluster.keys.is_empty(), "{}: an empty configuration", case.path.display());
        }
    }
}

/// The changed texts to try for the scalar written at `span` (a key's position) in `text`:
/// the same text with the value replaced. None when no scalar is written on that line.
fn perturbations(text: &str, span: Span) -> Vec<String> {
    let Some(line) = text.lines().nth(span.line as usize - 1) else { return Vec::new() };
    let start: usize = line.char_indices().nth(span.column as usize - 1).map(|(at, _)| at).unwrap_or(line.len());
    // the key ends at the first `:` followed by a space or the end of the line
    let rest = &line[start..];
    let Some(colon) =
        rest.char_indices().find(|(at, c)| *c == ':' && rest[at + 1..].chars().next().is_none_or(char::is_whitespace))
    else {
        return Vec::new();
    };
    let value_start = start + colon.0 + 1;
    let raw = &line[value_start..];
    let raw = raw.split(" #").next().unwrap_or_default().trim().trim_end_matches(',');
    if raw.is_empty() || raw.starts_with(['{', '[', '|', '>', '&', '*']) {
        return Vec::new();
    }
    let (quote, inner) = match raw.chars().next() {
        Some(q @ ('"' | '\'')) if raw.len() >= 2 && raw.ends_with(q) => (q.to_string(), &raw[1..raw.len() - 1]),
        _ => (String::new(), raw),
    };
    let variants: Vec<String> = if let Ok(number) = inner.parse::<i64>() {
        let mut all = vec![number + 1, number * 2 + 1];
        if number != 1 {
            all.push(1);
        }
        all.iter().map(i64::to_string).collect()
    } else if let Some((number, suffix)) = leading_number(inner) {
        vec![format!("{}{suffix}", number + 1.0), format!("{}{suffix}", number * 2.0 + 1.0)]
    } else if inner == "true" || inner == "false" {
        vec![if inner == "true" { "false" } else { "true" }.to_string()]
    } else {
        vec![format!("{inner}x")]
    };
    let value_at = value_start + line[value_start..].find(raw).unwrap_or(0);
    let line_start: usize = text.lines().take(span.line as usize - 1).map(|l| l.len() + 1).sum();
    variants
        .into_iter()
        .map(|variant| {
            let mut changed = text.to_string();
            let at = line_start + value_at;
            changed.replace_range(at..at + raw.len(), &format!("{quote}{variant}{quote}"));
            changed
        })
        .collect()
}

/// `2048m` → (2048, "m"), `1.5` → (1.5, ""), `2 gb` → (2, " gb").
fn leading_number(text: &str) -> Option<(f64, &str)> {
    let end = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let number = text[..end].parse::<f64>().ok()?;
    Some((number, &text[end..]))
}

/// Where an origin reads the spec (`spec`) or the defaults (`defaults`), with whether it is
/// the value itself (`true`) or a rule's input.
fn positions(origin: &Origin, direct: bool, out: &mut Vec<(Side, Span, bool)>) {
    match origin {
        Origin::Spec { span, .. } | Origin::Config { span, .. } => out.push((Side::Spec, *span, direct)),
        Origin::Default { profile, span, .. } => out.push((Side::Defaults(*profile), *span, direct)),
        Origin::Setting { .. } => {}
        Origin::Rule { inputs, .. } => {
            for input in inputs {
                positions(input, false, out);
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Side {
    Spec,
    Defaults(DefaultsProfile),
}

#[test]
fn perturbing_a_value_where_its_origin_points_changes_it() {
    let (mut verified, mut unverified) = (0, 0);
    let mut problems = Vec::new();
    for case in cases() {
        let defaults_text = case.defaults.clone().unwrap_or_else(|| BUILTIN_FLINK_CONF.to_string());
        let base = case.explain(&case.text, case.defaults.as_deref()).unwrap();
        for (index, cluster) in base.iter().enumerate() {
            for key in &cluster.keys {
                let mut found = Vec::new();
                positions(&key.traced.origin, true, &mut found);
                for (side, span, direct) in found {
                    let changed: Vec<Option<Vec<ClusterConfig>>> = match side {
                        Side::Spec => perturbations(&case.text, span)
                            .iter()
                            .map(|text| case.explain(text, case.defaults.as_deref()))
                            .collect(),
                        Side::Defaults(_) => perturbations(&defaults_text, span)
                            .iter()
                            .map(|defaults| case.explain(&case.text, Some(defaults)))
                            .collect(),
                    };
                    let outcomes: Vec<bool> = changed
                        .iter()
                        .flatten()
                        .map(|clusters| {
                            clusters.get(index).and_then(|c| values(c).get(key.key.as_str()).map(|v| v.to_string()))
                                != Some(key.value.clone())
                        })
                        .collect();
                    let where_ =
                        format!("{}: {} ({side:?} {}:{})", case.path.display(), key.key, span.line, span.column);
                    if outcomes.is_empty() {
                        unverified += 1;
                    } else if (direct && outcomes.iter().all(|c| *c)) || (!direct && outcomes.iter().any(|c| *c)) {
                        verified += 1;
                    } else {
                        problems.push(where_);
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} origins whose perturbation left the value as it was:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(verified >= 1200 && verified >= 2 * unverified, "verified {verified}, unverified {unverified}");
}

#[test]
fn a_key_a_rule_sets_without_inputs_stays_whatever_changes() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for case in cases().iter().take(40) {
        let base = case.explain(&case.text, case.defaults.as_deref()).unwrap();
        let mut spans = Vec::new();
        for cluster in &base {
            for key in &cluster.keys {
                positions(&key.traced.origin, true, &mut spans);
            }
        }
        spans.retain(|(side, _, _)| *side == Side::Spec);
        spans.sort_by_key(|(_, span, _)| *span);
        spans.dedup_by_key(|(_, span, _)| *span);
        let perturbed: Vec<Vec<ClusterConfig>> = spans
            .iter()
            .flat_map(|(_, span, _)| perturbations(&case.text, *span))
            .filter_map(|text| case.explain(&text, case.defaults.as_deref()))
            .collect();
        for (index, cluster) in base.iter().enumerate() {
            for key in &cluster.keys {
                if !matches!(&key.traced.origin, Origin::Rule { inputs, .. } if inputs.is_empty()) {
                    continue;
                }
                for clusters in &perturbed {
                    let value =
                        clusters.get(index).and_then(|c| values(c).get(key.key.as_str()).map(|v| v.to_string()));
                    checked += 1;
                    if value.as_ref().is_some_and(|value| *value != key.value) {
                        problems.push(format!("{}: {} = {} became {value:?}", case.path.display(), key.key, key.value));
                    }
                }
            }
        }
    }
    problems.dedup();
    assert!(problems.is_empty(), "keys with no inputs that changed:\n{}", problems.join("\n"));
    assert!(checked >= 1000, "only {checked} checks");
}

fn explain(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_flink-render"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("explain")
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn explain_config_goldens() {
    golden_settings().bind(|| {
        // a default the spec overrides (slots, parallelism), derived memory and cpu
        insta::assert_snapshot!("explain@basic-application", explain(&["fixtures/basic-application.yaml", "--config"]));
        // the defaults file: plain keys, the namespace layer over them, the version layer
        insta::assert_snapshot!(
            "explain@operator-defaults-file",
            explain(&[
                "fixtures/operator-defaults-file.yaml",
                "--defaults",
                "fixtures/defaults/team-defaults.yaml",
                "--config"
            ])
        );
        // native: the client's keys, the job id from the spec's hash, Kubernetes HA
        insta::assert_snapshot!(
            "explain@native-kubernetes-ha",
            explain(&["fixtures/native-kubernetes-ha.yaml", "--config"])
        );
        insta::assert_snapshot!(
            "explain@native-application.json",
            explain(&["fixtures/native-application.yaml", "--config", "--format", "json"])
        );
    });
}

#[test]
fn invalid_input_is_refused_with_its_diagnostics() {
    let output = Command::new(env!("CARGO_BIN_EXE_flink-render"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["explain", "fixtures/invalid/native-without-jar.yaml", "--config"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("native-without-jar"));
}
