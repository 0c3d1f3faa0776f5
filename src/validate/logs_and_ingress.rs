//! The log configuration files (FO §6 rule 10, with the FLIP-212 spelling `logging`) and
//! the Ingress template (FO §6 rules 8–9; a `{{namespace}}` placeholder needs a namespace).

use crate::diagnostics::{Code, Diagnostic};
use crate::effective::ClusterView;
use crate::effective::ingress::IngressRead;
use crate::flink::image::is_official_image;
use crate::flink::keys::LOG_CONFIG_FILES;

use super::findings::at;

/// FO §6 rule 10: `logConfiguration` holds only the files the operator ships; `logging` is
/// its FLIP-212 spelling (FO §1.6).
pub fn log_configuration_files(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let Some(field) = view.log_files_field else { return Vec::new() };
    let mut found = Vec::new();
    if field == "spec.logging" {
        found.push(
            at(view.parsed, Code::DeprecatedField, field, "`logging` is the FLIP-212 spelling of `logConfiguration`")
                .with_hint("rename spec.logging to spec.logConfiguration"),
        );
    }
    for key in view.log_files.keys().filter(|key| !LOG_CONFIG_FILES.contains(&key.as_str())) {
        found.push(at(
            view.parsed,
            Code::InvalidLogConfigKey,
            &format!("{field}.{key}"),
            format!("Invalid log config key: {key}. Allowed keys are [log4j-console.properties, logback-console.xml]"),
        ));
    }
    found
}

/// Ours (seen running the rendered pods): the official image logs with log4j2, which reads
/// `log4j-console.properties`; with only `logback-console.xml`, Flink logs nothing at all.
pub fn log4j_configuration_present(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let (Some(field), true) = (view.log_files_field, is_official_image(&view.image)) else { return Vec::new() };
    if !view.log_files.contains_key("logback-console.xml") || view.log_files.contains_key("log4j-console.properties") {
        return Vec::new();
    }
    vec![
        at(view.parsed, Code::Log4jConfigMissing, &format!("{field}.logback-console.xml"), "the official Flink image logs with log4j2, which reads log4j-console.properties: with only logback-console.xml, Flink logs nothing")
            .with_hint("add log4j-console.properties, or use an image with logback on Flink's classpath"),
    ]
}

/// FO §6 rules 8–9: an Ingress needs a template that parses as a URL; ours: a
/// `{{namespace}}` placeholder needs a known namespace.
pub fn ingress_template(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let path = "spec.ingress.template";
    let finding = match &view.ingress {
        None | Some(IngressRead::Target(_)) => return Vec::new(),
        Some(IngressRead::MissingTemplate) => {
            at(view.parsed, Code::MissingField, path, "Ingress template must be defined")
        }
        Some(IngressRead::NeedsNamespace(template)) => at(
            view.parsed,
            Code::IngressNeedsNamespace,
            path,
            format!("the Ingress template `{template}` uses {{{{namespace}}}}, but no namespace is known"),
        )
        .with_hint("set metadata.namespace or pass --namespace"),
        Some(IngressRead::InvalidPort { template, port }) => at(
            view.parsed,
            Code::InvalidIngressTemplate,
            path,
            format!("Unable to process the Ingress template({template}). Error: invalid port number `{port}`"),
        ),
    };
    vec![finding]
}
