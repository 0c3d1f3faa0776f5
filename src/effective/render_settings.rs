//! flink-render's own settings for one resource, as annotations on it (the CRDs have no field
//! for them, and annotations travel with the spec through every tool).
//!
//! On a FlinkDeployment:
//!
//! | annotation | values | default |
//! |---|---|---|
//! | `flink-render.dev/service-account` | `create`: render the ServiceAccount the pods use; `existing`: it exists already (the operator's Helm chart creates `flink`) | `create` |
//! | `flink-render.dev/network-policy` | `enabled`: render a NetworkPolicy that admits only the cluster's own pods, and REST clients named by the next one | `disabled` |
//! | `flink-render.dev/rest-allowed-from` | `key=value,…`: labels of the pods (same namespace) that may reach the REST port under the NetworkPolicy | none |
//!
//! On a FlinkSessionJob:
//!
//! | annotation | values | default |
//! |---|---|---|
//! | `flink-render.dev/artifact-ca-bundle` | the name of a ConfigMap whose key `ca.crt` holds the CA certificates the submit Job trusts when it downloads the jar (a private artifact server) | the image's CA store |
//! | `flink-render.dev/stop-on-delete` | `enabled`: render a Job that stops the running job by its upgrade mode (savepoint or cancel) when the Argo CD application or Helm release is deleted (a `PreDelete` / `pre-delete` hook; `kubectl apply` and Flux would run it at once, and so would Helm 3 from its post-renderer's output, where it is an error) | `disabled` |

use std::collections::BTreeMap;

use crate::objects::is_dns1123_subdomain;
use crate::parse::spec::RawMetadata;

/// The annotation prefix of flink-render's settings.
pub const PREFIX: &str = "flink-render.dev/";

/// Which resource the annotations are on: each kind has its own settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A FlinkDeployment.
    Deployment,
    /// A FlinkSessionJob.
    SessionJob,
}

/// The settings, and every annotation under [`PREFIX`] that could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderSettings {
    /// Whether the ServiceAccount is rendered.
    pub create_service_account: bool,
    /// Whether a NetworkPolicy is rendered.
    pub network_policy: bool,
    /// Labels of the pods that may reach the REST port under the NetworkPolicy.
    pub rest_allowed_from: BTreeMap<String, String>,
    /// The ConfigMap with the CA bundle the submit Job downloads the jar with.
    pub artifact_ca_bundle: Option<String>,
    /// Whether a Job stops the session job before its application or release is deleted.
    pub stop_on_delete: bool,
    /// `(annotation, value, what is allowed)` for every setting that cannot be read.
    pub problems: Vec<(String, String, &'static str)>,
}

/// Read the settings from the annotations of a resource of kind `owner`.
pub fn read(metadata: &RawMetadata, owner: Owner) -> RenderSettings {
    let mut settings = RenderSettings { create_service_account: true, ..RenderSettings::default() };
    for (key, value) in metadata.annotations.iter().flatten() {
        let Some(name) = key.strip_prefix(PREFIX) else { continue };
        let problem = match owner {
            Owner::Deployment => deployment_setting(&mut settings, name, value),
            Owner::SessionJob => session_job_setting(&mut settings, name, value),
        };
        if let Some(allowed) = problem {
            settings.problems.push((key.clone(), value.clone(), allowed));
        }
    }
    settings
}

/// Read one FlinkDeployment setting; what is allowed when it cannot be read.
fn deployment_setting(settings: &mut RenderSettings, name: &str, value: &str) -> Option<&'static str> {
    match name {
        "service-account" => match value {
            "create" => None,
            "existing" => {
                settings.create_service_account = false;
                None
            }
            _ => Some("`create` or `existing`"),
        },
        "network-policy" => match value {
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
    }
}

/// Read one FlinkSessionJob setting; what is allowed when it cannot be read.
fn session_job_setting(settings: &mut RenderSettings, name: &str, value: &str) -> Option<&'static str> {
    match name {
        "artifact-ca-bundle" if is_dns1123_subdomain(value) => {
            settings.artifact_ca_bundle = Some(value.to_string());
            None
        }
        "artifact-ca-bundle" => Some("the name of a ConfigMap (a DNS-1123 subdomain)"),
        "stop-on-delete" => match value {
            "enabled" => {
                settings.stop_on_delete = true;
                None
            }
            "disabled" => None,
            _ => Some("`enabled` or `disabled`"),
        },
        _ => Some("one of the settings `artifact-ca-bundle`, `stop-on-delete`"),
    }
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
        read(&RawMetadata { annotations: Some(annotations), ..RawMetadata::default() }, Owner::Deployment)
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

    #[test]
    fn session_jobs_have_their_own_settings() {
        let read_job = |pairs: &[(&str, &str)]| {
            let annotations = pairs.iter().map(|(key, value)| (key.to_string(), value.to_string())).collect();
            read(&RawMetadata { annotations: Some(annotations), ..RawMetadata::default() }, Owner::SessionJob)
        };
        assert_eq!(
            read_job(&[("flink-render.dev/artifact-ca-bundle", "corp-ca")]).artifact_ca_bundle.as_deref(),
            Some("corp-ca")
        );
        assert_eq!(read_job(&[("flink-render.dev/artifact-ca-bundle", "Corp CA")]).problems.len(), 1);
        assert_eq!(read_job(&[("flink-render.dev/network-policy", "enabled")]).problems.len(), 1);
        assert_eq!(settings(&[("flink-render.dev/artifact-ca-bundle", "corp-ca")]).problems.len(), 1);
        assert!(read_job(&[("flink-render.dev/stop-on-delete", "enabled")]).stop_on_delete);
        assert!(!read_job(&[("flink-render.dev/stop-on-delete", "disabled")]).stop_on_delete);
        assert!(!read_job(&[]).stop_on_delete, "opt-in: kubectl apply would run the hook at once");
        assert_eq!(read_job(&[("flink-render.dev/stop-on-delete", "true")]).problems.len(), 1);
        assert_eq!(settings(&[("flink-render.dev/stop-on-delete", "enabled")]).problems.len(), 1);
    }
}
