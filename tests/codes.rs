//! The diagnostic code registry and the rule registries, held against the fixtures and the
//! manual: every error code is shown by at least one invalid fixture's golden output (of
//! `fixtures/invalid`, or `fixtures/helm` for what only Helm's post-renderer input shows), every
//! warning code by some golden output, and the code table and rule list in `docs/validation.md`
//! are the registries' own (regenerate them with `UPDATE_DOCS=1 cargo test --test codes`).

use std::fs;
use std::path::Path;

use flink_render::diagnostics::{Code, Severity};
use flink_render::provenance::Derivation;
use flink_render::validate::{CANARY_RULES, CLUSTER_RULES, Rule, SESSION_JOB_RULES};

fn goldens(prefix: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut text = String::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with(prefix) {
            text.push_str(&fs::read_to_string(path).unwrap());
        }
    }
    text
}

#[test]
fn every_error_code_has_an_invalid_fixture() {
    // what only Helm's post-renderer input can show is in fixtures/helm
    let invalid = goldens("invalid_fixtures@") + &goldens("helm_post_renderer_inputs@");
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|code| code.severity() == Severity::Error)
        .map(|code| code.as_str())
        .filter(|code| !invalid.contains(&format!("error[{code}]")))
        .collect();
    assert!(
        missing.is_empty(),
        "error codes without an invalid fixture in fixtures/invalid (or fixtures/helm): {missing:?}"
    );
}

#[test]
fn every_warning_code_is_shown_by_a_fixture() {
    let all = goldens("");
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|code| code.severity() == Severity::Warning)
        .map(|code| code.as_str())
        .filter(|code| !all.contains(&format!("warning[{code}]")))
        .collect();
    assert!(missing.is_empty(), "warning codes no golden output shows: {missing:?}");
}

#[test]
fn codes_are_unique_and_spelled_alike() {
    let mut texts: Vec<&str> = Code::ALL.iter().map(|code| code.as_str()).collect();
    assert!(texts.iter().all(|text| text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')));
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), Code::ALL.len());
}

fn code_table() -> String {
    let mut table = String::from("| code | severity | meaning |\n|---|---|---|\n");
    for code in Code::ALL {
        let severity = match code.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        table.push_str(&format!("| `{}` | {severity} | {} |\n", code.as_str(), code.meaning()));
    }
    table
}

fn rule_rows<F>(kind: &str, rules: &[Rule<F>], table: &mut String) {
    for rule in rules {
        table.push_str(&format!("| {kind} | {} | `validate::{}` |\n", rule.name, rule.function));
    }
}

fn rule_table() -> String {
    let mut table = String::from("| resource | rule | function |\n|---|---|---|\n");
    rule_rows("FlinkDeployment", CLUSTER_RULES, &mut table);
    rule_rows("FlinkDeployment without spec", CANARY_RULES, &mut table);
    rule_rows("FlinkSessionJob", SESSION_JOB_RULES, &mut table);
    table.push_str("| the whole stream | ours: unique object names | `validate::duplicates::duplicate_objects` |\n");
    table
}

/// The derivations `explain` names (the provenance registry).
fn derivation_table() -> String {
    let mut table = String::from("| rule | reference | meaning |\n|---|---|---|\n");
    for rule in Derivation::ALL {
        table.push_str(&format!("| `{}` | {} | {} |\n", rule.as_str(), rule.reference(), rule.meaning()));
    }
    table
}

/// The manual's page that holds the generated code table and rule list.
const PAGE: &str = "docs/validation.md";
/// The manual's page that holds the derivations.
const EXPLAIN_PAGE: &str = "docs/explain.md";

/// Replace the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->`.
fn with_section(page: &str, name: &str, content: &str) -> String {
    let begin = format!("<!-- {name}:begin -->\n");
    let end = format!("<!-- {name}:end -->");
    let start = page.find(&begin).unwrap_or_else(|| panic!("the page has no {begin}")) + begin.len();
    let stop = page[start..].find(&end).unwrap_or_else(|| panic!("the page has no {end}")) + start;
    format!("{}{content}{}", &page[..start], &page[stop..])
}

#[test]
fn the_explain_page_lists_the_derivations() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(EXPLAIN_PAGE);
    let page = fs::read_to_string(&path).unwrap();
    let expected = with_section(&page, "derivations", &derivation_table());
    if std::env::var_os("UPDATE_DOCS").is_some() {
        fs::write(&path, &expected).unwrap();
        return;
    }
    assert!(
        page == expected,
        "the derivations in {EXPLAIN_PAGE} are stale: run `UPDATE_DOCS=1 cargo test --test codes`"
    );
}

#[test]
fn the_validation_page_lists_the_registries() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(PAGE);
    let page = fs::read_to_string(&path).unwrap();
    let expected = with_section(&with_section(&page, "codes", &code_table()), "rules", &rule_table());
    if std::env::var_os("UPDATE_DOCS").is_some() {
        fs::write(&path, &expected).unwrap();
        return;
    }
    assert!(
        page == expected,
        "the code table or rule list in {PAGE} is stale: run `UPDATE_DOCS=1 cargo test --test codes`"
    );
}
