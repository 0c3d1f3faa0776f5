//! The Ingress as the spec asks for it (FO §4.6): the template's `{{name}}` and
//! `{{namespace}}` substituted case-insensitively, `http://` prepended when there is no
//! scheme, then host and path read leniently, the way Java's URL parser does (no
//! percent-encoding, so regex paths survive). Only when `kubernetes.operator.ingress.manage`
//! is on (the default).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::parse::spec::RawIngressSpec;

/// The Ingress target and its decoration, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum IngressRead {
    /// Host and path from the template, and the spec's decoration.
    Target(IngressTarget),
    /// `ingress.template` is missing or blank (FO §6 rule 8).
    MissingTemplate,
    /// The template uses `{{namespace}}` but no namespace is known.
    NeedsNamespace(String),
    /// The template's port is not a number (FO §6 rule 9).
    InvalidPort {
        /// The template as written.
        template: String,
        /// The port text.
        port: String,
    },
}

/// Host, path and decoration of the Ingress.
#[derive(Debug, Clone, PartialEq)]
pub struct IngressTarget {
    /// Rule host, when the template has one.
    pub host: Option<String>,
    /// Rule path, when the template has one.
    pub path: Option<String>,
    /// `className`.
    pub class_name: Option<String>,
    /// `annotations`.
    pub annotations: BTreeMap<String, String>,
    /// `labels`.
    pub labels: BTreeMap<String, String>,
    /// `tls`, as written.
    pub tls: Vec<Value>,
}

/// Read `spec.ingress` for the cluster `name` in `namespace`.
pub fn read(ingress: &RawIngressSpec, name: &str, namespace: Option<&str>) -> IngressRead {
    let Some(template) = ingress.template.as_deref().filter(|template| !template.trim().is_empty()) else {
        return IngressRead::MissingTemplate;
    };
    if namespace.is_none() && template.to_lowercase().contains("{{namespace}}") {
        return IngressRead::NeedsNamespace(template.to_string());
    }
    let substituted =
        replace_ignore_case(&replace_ignore_case(template, "{{name}}", name), "{{namespace}}", namespace.unwrap_or(""));
    let url = if substituted.starts_with("http://") || substituted.starts_with("https://") {
        substituted
    } else {
        format!("http://{substituted}")
    };
    let after_scheme = url.split_once("://").map(|(_, rest)| rest).unwrap_or(&url);
    let (authority, path) = match after_scheme.find('/') {
        Some(index) => (&after_scheme[..index], &after_scheme[index..]),
        None => (after_scheme, ""),
    };
    let host = match authority.rsplit_once(':') {
        Some((_, port)) if port.parse::<u16>().is_err() => {
            return IngressRead::InvalidPort { template: template.to_string(), port: port.to_string() };
        }
        Some((host, _)) => host,
        None => authority,
    };
    IngressRead::Target(IngressTarget {
        host: Some(host.to_string()).filter(|host| !host.is_empty()),
        path: Some(path.to_string()).filter(|path| !path.is_empty()),
        class_name: ingress.class_name.clone(),
        annotations: ingress.annotations.clone().unwrap_or_default(),
        labels: ingress.labels.clone().unwrap_or_default(),
        tls: ingress.tls.iter().flatten().map(|tls| serde_json::to_value(tls).unwrap_or(Value::Null)).collect(),
    })
}

fn replace_ignore_case(text: &str, pattern: &str, replacement: &str) -> String {
    let lower = text.to_lowercase();
    if lower.len() != text.len() {
        return text.replace(pattern, replacement);
    }
    let mut result = String::new();
    let mut rest = 0;
    while let Some(found) = lower[rest..].find(pattern) {
        result.push_str(&text[rest..rest + found]);
        result.push_str(replacement);
        rest += found + pattern.len();
    }
    result.push_str(&text[rest..]);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_placeholders_are_case_insensitive() {
        assert_eq!(replace_ignore_case("{{Name}}.{{NAMESPACE}}.x", "{{name}}", "n"), "n.{{NAMESPACE}}.x");
    }

    /// FO §4.6: a host template and a path template.
    #[test]
    fn host_and_path_come_from_the_template() {
        let spec = |template: &str| RawIngressSpec { template: Some(template.into()), ..RawIngressSpec::default() };
        let IngressRead::Target(host) = read(&spec("{{name}}.{{namespace}}.example.com"), "job", Some("ns")) else {
            panic!("a target")
        };
        assert_eq!((host.host.as_deref(), host.path), (Some("job.ns.example.com"), None));
        let IngressRead::Target(path) = read(&spec("/{{namespace}}/{{name}}(/|$)(.*)"), "job", Some("ns")) else {
            panic!("a target")
        };
        assert_eq!((path.host, path.path.as_deref()), (None, Some("/ns/job(/|$)(.*)")));
    }
}
