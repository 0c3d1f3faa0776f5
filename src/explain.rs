//! `flink-render explain --config`: the Flink configuration file of each rendered cluster, key
//! by key, with where each value comes from and what it overrode (as `git config
//! --show-origin` lists a configuration), for people ([`text`]) and tools ([`json`]).
//!
//! The origins are [`crate::provenance`]'s: a spec field or `flinkConfiguration` key at its
//! line and column, a layer of the operator defaults, or a named derivation with its inputs.
//! Nothing here changes what is rendered.

use std::fmt::Write as _;

use serde::Serialize;

use crate::diagnostics::Diagnostics;
use crate::effective::ClusterView;
use crate::emit::config_file;
use crate::objects::{ObjectKey, config_map_name};
use crate::provenance::{DefaultLayer, DefaultsProfile, Origin, Traced};
use crate::resolve;
use crate::{Input, Options, each_cluster};

/// The configuration file of every cluster the inputs render, with every key's origin; with an
/// error in the inputs, only the diagnostics.
pub fn configs(inputs: &[Input<'_>], options: &Options<'_>) -> (Vec<ClusterConfig>, Diagnostics) {
    each_cluster(inputs, &Options { provenance: true, ..*options }, ClusterConfig::of)
}

/// One cluster's configuration file with the origin of every key.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterConfig {
    /// The input the FlinkDeployment was read from.
    pub source: String,
    /// The FlinkDeployment's name.
    pub name: String,
    /// Its namespace, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The ConfigMap that holds the file (`flink-config-<name>`).
    #[serde(rename = "configMap")]
    pub config_map: String,
    /// The file's name in the ConfigMap (`config.yaml` or `flink-conf.yaml`).
    pub file: &'static str,
    /// Every key of the file, sorted, with its value and origin.
    pub keys: Vec<ExplainedKey>,
}

/// One key of a configuration file.
#[derive(Debug, Clone, Serialize)]
pub struct ExplainedKey {
    /// The flat key.
    pub key: String,
    /// The value as Flink reads it (lists and maps in Flink's flat form).
    pub value: String,
    /// Where it comes from, and what it overrode.
    #[serde(flatten)]
    pub traced: Traced,
}

impl ClusterConfig {
    /// The configuration file of the cluster `view` describes, read from input `source`.
    pub fn of(source: &str, view: &ClusterView<'_>) -> ClusterConfig {
        let cluster = resolve::lower_cluster(view);
        let mut origins = resolve::config_origins(view);
        let keys = cluster
            .config
            .iter()
            .map(|(key, value)| ExplainedKey {
                key: key.clone(),
                value: value.to_flat_string(),
                traced: origins.remove(key).expect("every key of the configuration file has an origin"),
            })
            .collect();
        ClusterConfig {
            source: source.to_string(),
            name: cluster.name.clone(),
            namespace: cluster.namespace.clone(),
            config_map: config_map_name(&cluster.name),
            file: config_file::file_name(cluster.flink_version),
            keys,
        }
    }

    /// The ConfigMap's key.
    pub fn config_map_key(&self) -> ObjectKey {
        ObjectKey::new("ConfigMap", self.namespace.as_deref(), self.config_map.clone())
    }
}

/// The configurations for people: per cluster a heading, then `key = value` and its origin on
/// the next line, each overridden value below it. `defaults` names the `--defaults` file.
pub fn text(clusters: &[ClusterConfig], defaults: Option<&str>) -> String {
    let mut out = String::new();
    for (index, cluster) in clusters.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let at = cluster.namespace.as_deref().map(|namespace| format!("{namespace}/")).unwrap_or_default();
        let _ = writeln!(
            out,
            "# FlinkDeployment {at}{} ({}): {} in ConfigMap {}",
            cluster.name, cluster.source, cluster.file, cluster.config_map
        );
        for key in &cluster.keys {
            let _ = writeln!(out, "{} = {}", key.key, key.value);
            let _ = writeln!(out, "    {}", describe(&key.traced.origin, &cluster.source, defaults));
            for overridden in &key.traced.overridden {
                let _ = writeln!(
                    out,
                    "    overrides {}: {}",
                    overridden.value,
                    describe(&overridden.origin, &cluster.source, defaults)
                );
            }
        }
    }
    out
}

/// The configurations for tools: a JSON array of [`ClusterConfig`]s.
pub fn json(clusters: &[ClusterConfig]) -> String {
    let mut text = serde_json::to_string_pretty(clusters).expect("JSON values serialize");
    text.push('\n');
    text
}

/// An origin in words, with `file:line:col` where it has a position: `source` is the spec's
/// input, `defaults` the `--defaults` file.
pub fn describe(origin: &Origin, source: &str, defaults: Option<&str>) -> String {
    match origin {
        Origin::Spec { path, span } => format!("{path} ({source}:{}:{})", span.line, span.column),
        Origin::Config { key, span } => format!("flinkConfiguration {key} ({source}:{}:{})", span.line, span.column),
        Origin::Default { profile, layer, key, span } => {
            let layer = match layer {
                DefaultLayer::Plain => "",
                DefaultLayer::Namespace => ", namespace layer",
                DefaultLayer::Version => ", version layer",
            };
            match profile {
                DefaultsProfile::BuiltIn => {
                    format!("default {key} (the built-in operator defaults, line {}{layer})", span.line)
                }
                DefaultsProfile::File => {
                    let file = defaults.unwrap_or("the defaults file");
                    format!("default {key} ({file}:{}:{}{layer})", span.line, span.column)
                }
            }
        }
        Origin::Setting { name } => format!("the {name} setting"),
        Origin::Rule { rule, inputs } => {
            let mut text = format!("rule {} ({})", rule.as_str(), rule.reference());
            if !inputs.is_empty() {
                let _ = write!(text, " from {}", describe_inputs(inputs, source, defaults));
            }
            text
        }
    }
}

/// A rule's inputs, a rule among them in brackets with its own inputs.
fn describe_inputs(inputs: &[Origin], source: &str, defaults: Option<&str>) -> String {
    let described: Vec<String> = inputs
        .iter()
        .map(|input| match input {
            Origin::Rule { rule, inputs } if inputs.is_empty() => format!("[rule {}]", rule.as_str()),
            Origin::Rule { rule, inputs } => {
                format!("[rule {} from {}]", rule.as_str(), describe_inputs(inputs, source, defaults))
            }
            other => describe(other, source, defaults),
        })
        .collect();
    described.join(", ")
}
