//! flink-render's own settings for one FlinkDeployment, as annotations on the resource (the
//! CRD has no field for them, and annotations travel with the spec through every tool):
//!
//! | annotation | values | default |
//! |---|---|---|
//! | `flink-render.dev/service-account` | `create`: render the ServiceAccount the pods use; `existing`: it exists already (the operator's Helm chart creates `flink`) | `create` |
//! | `flink-render.dev/network-policy` | `enabled`: render a NetworkPolicy that admits only the cluster's own pods, and REST clients named by the next one | `disabled` |
//! | `flink-render.dev/rest-allowed-from` | `key=value,…`: labels of the pods (same namespace) that may reach the REST port under the NetworkPolicy | none |

use std::collections::BTreeMap;

use crate::parse::spec::RawMetadata;

/// The annotation prefix of flink-render's settings.
pub const PREFIX: &str = "flink-render.dev/";

/// The settings, and every annotation under [`PREFIX`] that could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderSettings {
    /// Whether the ServiceAccount is rendered.
    pub create_service_account: bool,
    /// Whether a NetworkPolicy is rendered.
    pub network_policy: bool,
    /// Labels of the pods that may reach the REST port under the NetworkPolicy.
    pub rest_allowed_from: BTreeMap<String, String>,
    /// `(annotation, value, what is allowed)` for every setting that cannot be read.
    pub problems: Vec<(String, String, &'static str)>,
}

/// Read the settings from the resource's annotations.
pub fn read(metadata: &RawMetadata) -> RenderSettings {
    let mut settings = RenderSettings { create_service_account: true, ..RenderSettings::default() };
    for (key, value) in metadata.annotations.iter().flatten() {
        let Some(name) = key.strip_prefix(PREFIX) else { continue };
        let problem = match name {
            "service-account" => match value.as_str() {
                "create" => None,
                "existing" => {
                    settings.create_service_account = false;
                    None
                }
                _ => Some("`create` or `existing`"),
            },
            "network-policy" => match value.as_str() {
                "enabled" => {
                    settings.network_policy = true;
                    None
                }
                "disabled" => None,
                _ => Some("`enabled` or `disabled`"),
            },
            "rest-allowed-from" => match labels(value) {
                Some(labels) => {
                    settings.rest_allowed_from = labels;
                    None
                }
                None => Some("labels as `key=value,key=value`"),
            },
            _ => Some("one of the settings `service-account`, `network-policy`, `rest-allowed-from`"),
        };
        if let Some(allowed) = problem {
            settings.problems.push((key.clone(), value.clone(), allowed));
        }
    }
    settings
}

/// `key=value,key=value` as labels; `None` when an entry is not `key=value`.
fn labels(text: &str) -> Option<BTreeMap<String, String>> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let (key, value) = entry.split_once('=')?;
            let (key, value) = (key.trim(), value.trim());
            (!key.is_empty()).then(|| (key.to_string(), value.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> RenderSettings {
        let annotations = pairs.iter().map(|(key, value)| (key.to_string(), value.to_string())).collect();
        read(&RawMetadata { annotations: Some(annotations), ..RawMetadata::default() })
    }

    #[test]
    fn defaults_create_the_service_account_and_no_network_policy() {
        let defaults = settings(&[]);
        assert!(defaults.create_service_account && !defaults.network_policy && defaults.problems.is_empty());
    }

    #[test]
    fn settings_are_read_and_bad_ones_kept() {
        let read = settings(&[
            ("flink-render.dev/service-account", "existing"),
            ("flink-render.dev/network-policy", "enabled"),
            ("flink-render.dev/rest-allowed-from", "app=gateway, tier=edge"),
            ("flink-render.dev/networkpolicy", "on"),
            ("other.example/x", "y"),
        ]);
        assert!(!read.create_service_account && read.network_policy);
        assert_eq!(read.rest_allowed_from.len(), 2);
        assert_eq!(read.problems.len(), 1);
        assert!(settings(&[("flink-render.dev/rest-allowed-from", "gateway")]).problems.len() == 1);
    }
}
