//! Operator defaults (DESIGN §3, FO §2.0): the configuration the operator would layer
//! beneath every spec. The built-in profile is the operator Helm chart's own
//! `flink-conf.yaml` (slots 1, parallelism 1, and the Java 17 `--add-opens` options that
//! Flink 1.18 / 1.19+ jobs need); `--defaults FILE` replaces it with a file using the same
//! keys. Layering, later wins:
//! 1. every key of the file;
//! 2. `kubernetes.operator.default-configuration.namespace.<ns>.<key>` for the spec's namespace;
//! 3. `kubernetes.operator.default-configuration.flink-version.v<x>_<y>+.<key>` for every
//!    version up to the spec's, oldest first, then the exact `v<x>_<y>.<key>` block.
//!
//! The file may also carry cluster-wide default pod templates under the top-level keys
//! `podTemplate`, `jobManagerPodTemplate` and `taskManagerPodTemplate`; they are merged
//! beneath the spec's own templates with the same rules (the seed's "cluster wide defaults").

use std::collections::BTreeMap;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::flink::config::UserKey;
use crate::flink::version::FlinkVersion;
use crate::parse::document::{Node, Value, parse_stream};
use crate::parse::flink_configuration::flatten;
use crate::provenance::{DefaultLayer, DefaultsProfile, Origin};

const NAMESPACE_PREFIX: &str = "kubernetes.operator.default-configuration.namespace.";
const VERSION_PREFIX: &str = "kubernetes.operator.default-configuration.flink-version.";

/// The Helm chart's default `flink-conf.yaml`.
pub const BUILTIN_FLINK_CONF: &str = include_str!("operator-defaults/flink-conf.yaml");
/// The Helm chart's default `log4j-console.properties`, shipped in every cluster's ConfigMap.
pub const BUILTIN_LOG4J_CONSOLE: &str = include_str!("operator-defaults/log4j-console.properties");

/// Default pod templates from an operator-defaults file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DefaultPodTemplates {
    /// Beneath `spec.podTemplate`.
    pub common: Option<serde_json::Value>,
    /// Beneath `spec.jobManager.podTemplate`.
    pub jobmanager: Option<serde_json::Value>,
    /// Beneath `spec.taskManager.podTemplate`.
    pub taskmanager: Option<serde_json::Value>,
}

/// A parsed operator-defaults profile.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorDefaults {
    keys: Vec<UserKey>,
    /// Whether this is the built-in profile (for provenance).
    builtin: bool,
    /// Cluster-wide default pod templates.
    pub pod_templates: DefaultPodTemplates,
}

impl OperatorDefaults {
    /// The built-in profile: the operator Helm chart's defaults, read once per process.
    pub fn builtin() -> &'static OperatorDefaults {
        static BUILTIN: std::sync::OnceLock<OperatorDefaults> = std::sync::OnceLock::new();
        BUILTIN.get_or_init(|| OperatorDefaults {
            builtin: true,
            ..OperatorDefaults::parse(BUILTIN_FLINK_CONF).expect("the built-in operator defaults parse")
        })
    }

    /// Read an operator-defaults file (flat or nested YAML keys, like `flinkConfiguration`).
    pub fn parse(text: &str) -> Result<OperatorDefaults, Diagnostics> {
        let mut diagnostics = Diagnostics::default();
        let documents = parse_stream(text).map_err(|error| {
            let mut found = Diagnostics::default();
            found.push(Diagnostic::new(Code::YamlSyntax, "", error.message).at(error.span));
            found
        })?;
        let mut defaults =
            OperatorDefaults { keys: Vec::new(), builtin: false, pod_templates: DefaultPodTemplates::default() };
        match documents.as_slice() {
            [] => {}
            [document] => match &document.value {
                Value::Mapping(entries) => {
                    let mut plain = Vec::new();
                    for entry in entries {
                        let slot = match entry.key.as_str() {
                            "podTemplate" => Some(&mut defaults.pod_templates.common),
                            "jobManagerPodTemplate" => Some(&mut defaults.pod_templates.jobmanager),
                            "taskManagerPodTemplate" => Some(&mut defaults.pod_templates.taskmanager),
                            _ => None,
                        };
                        match slot {
                            Some(slot) if matches!(entry.value.value, Value::Mapping(_)) => {
                                *slot = Some(entry.value.to_json())
                            }
                            Some(_) => diagnostics.push(
                                Diagnostic::new(
                                    Code::InvalidType,
                                    entry.key.clone(),
                                    format!("`{}` must be a pod template (a mapping)", entry.key),
                                )
                                .at(entry.key_span),
                            ),
                            None => plain.push(entry.clone()),
                        }
                    }
                    defaults.keys = flatten(&Node { value: Value::Mapping(plain), span: document.span });
                }
                _ => diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidType,
                        "",
                        "an operator-defaults file must be a mapping of Flink configuration keys",
                    )
                    .at(document.span),
                ),
            },
            [_, second, ..] => diagnostics.push(
                Diagnostic::new(Code::InvalidDefaults, "", "an operator-defaults file holds one YAML document")
                    .at(second.span),
            ),
        }
        if diagnostics.has_errors() { Err(diagnostics) } else { Ok(defaults) }
    }

    /// The default configuration for a resource in `namespace` on `version` (FO §2.0).
    pub fn effective(&self, namespace: Option<&str>, version: FlinkVersion) -> BTreeMap<String, String> {
        self.layers(namespace, version).map(|layered| (layered.option.to_string(), layered.value.to_string())).collect()
    }

    /// The keys that apply to a resource in `namespace` on `version`, in the order they are
    /// layered (a later one wins): the plain keys, the namespace's, then the version blocks,
    /// `+` blocks oldest first and the exact block last (FO §2.0).
    pub fn layers<'s>(
        &'s self,
        namespace: Option<&str>,
        version: FlinkVersion,
    ) -> impl Iterator<Item = LayeredDefault<'s>> + 's {
        let profile = if self.builtin { DefaultsProfile::BuiltIn } else { DefaultsProfile::File };
        let layered = move |key: &'s UserKey, option: &'s str, layer: DefaultLayer| LayeredDefault {
            key,
            option,
            profile,
            layer,
            value: &key.value,
        };
        let plain = self.keys.iter().map(move |key| layered(key, &key.key, DefaultLayer::Plain));
        let namespace_prefix = namespace.map(|namespace| format!("{NAMESPACE_PREFIX}{namespace}."));
        let namespaced: Vec<LayeredDefault<'s>> = match namespace_prefix {
            Some(prefix) => self
                .keys
                .iter()
                .filter_map(|key| {
                    let option = key.key.strip_prefix(prefix.as_str())?;
                    Some(layered(key, option, DefaultLayer::Namespace))
                })
                .collect(),
            None => Vec::new(),
        };
        let mut version_blocks: Vec<(FlinkVersion, bool, LayeredDefault<'s>)> = self
            .keys
            .iter()
            .filter_map(|key| {
                let rest = key.key.strip_prefix(VERSION_PREFIX)?;
                let (block, option) = rest.split_once('.')?;
                let (name, and_newer) = match block.strip_suffix('+') {
                    Some(name) => (name, true),
                    None => (block, false),
                };
                let block_version = FlinkVersion::parse(name)?;
                let applies = if and_newer { block_version <= version } else { block_version == version };
                applies.then_some((block_version, !and_newer, layered(key, option, DefaultLayer::Version)))
            })
            .collect();
        // `+` blocks oldest first, the exact block last; stable within a block.
        version_blocks.sort_by_key(|(block_version, exact, _)| (*exact, *block_version));
        plain.chain(namespaced).chain(version_blocks.into_iter().map(|(_, _, layered)| layered))
    }
}

/// One key of the operator defaults that applies to a resource, and its layer.
#[derive(Debug, Clone, Copy)]
pub struct LayeredDefault<'s> {
    /// The key as written (with its namespace or version prefix) and where.
    pub key: &'s UserKey,
    /// The configuration option it sets.
    pub option: &'s str,
    /// The built-in profile or the `--defaults` file.
    pub profile: DefaultsProfile,
    /// Its layer.
    pub layer: DefaultLayer,
    /// The value.
    pub value: &'s str,
}

impl LayeredDefault<'_> {
    /// Where the value comes from.
    pub fn origin(&self) -> Origin {
        Origin::Default { profile: self.profile, layer: self.layer, key: self.key.key.clone(), span: self.key.span }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FO §9 fact 39: `v1_16+.conf5` is overridden by `v1_17+.conf5` for v1_18; `v1_17.conf0`
    /// applies to v1_17 only; namespace entries apply to their namespace only and are
    /// themselves overridden by version entries.
    #[test]
    fn fo9_fact39_version_and_namespace_default_layering() {
        let defaults = OperatorDefaults::parse(
            "conf1: base\n\
             kubernetes.operator.default-configuration.flink-version.v1_17+.conf5: v1_17plus\n\
             kubernetes.operator.default-configuration.flink-version.v1_16+.conf5: v1_16plus\n\
             kubernetes.operator.default-configuration.flink-version.v1_17.conf0: \"true\"\n\
             kubernetes.operator.default-configuration.namespace.ns1.conf1: ns1\n\
             kubernetes.operator.default-configuration.namespace.ns1.conf5: ns1\n",
        )
        .unwrap();
        let v1_18 = defaults.effective(Some("ns1"), FlinkVersion::new(1, 18));
        assert_eq!(v1_18["conf5"], "v1_17plus");
        assert_eq!(v1_18["conf1"], "ns1");
        assert!(!v1_18.contains_key("conf0"));
        let v1_17 = defaults.effective(Some("ns2"), FlinkVersion::new(1, 17));
        assert_eq!(v1_17["conf0"], "true");
        assert_eq!(v1_17["conf1"], "base");
        let v1_16 = defaults.effective(None, FlinkVersion::new(1, 16));
        assert_eq!(v1_16["conf5"], "v1_16plus");
    }

    #[test]
    fn builtin_profile_carries_java17_options_per_version() {
        let defaults = OperatorDefaults::builtin();
        let v1_18 = defaults.effective(None, FlinkVersion::new(1, 18));
        assert!(v1_18["env.java.opts.all"].contains("--add-opens=java.base/java.lang=ALL-UNNAMED"));
        assert!(!v1_18.contains_key("env.java.default-opts.all"));
        let v2_2 = defaults.effective(None, FlinkVersion::new(2, 2));
        assert!(v2_2["env.java.default-opts.all"].contains("--add-exports=java.base/sun.net.util=ALL-UNNAMED"));
        assert_eq!(v2_2["taskmanager.numberOfTaskSlots"], "1");
        assert_eq!(v2_2["parallelism.default"], "1");
    }

    #[test]
    fn default_pod_templates_are_read() {
        let defaults =
            OperatorDefaults::parse("a: 1\npodTemplate:\n  spec:\n    nodeSelector: {pool: flink}\n").unwrap();
        assert!(defaults.pod_templates.common.is_some());
        assert_eq!(defaults.effective(None, FlinkVersion::new(2, 0)).len(), 1);
    }
}
