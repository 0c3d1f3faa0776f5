//! Operator-level settings: read from the operator defaults only, never from a resource
//! (FO §6: the artifact policy of session jobs is the operator's).

use crate::flink::config::parse_flat_list;
use crate::flink::options::parse_bool;
use crate::flink::version::FlinkVersion;
use crate::parse::defaults::OperatorDefaults;

/// The operator settings the check uses (operator-level: values in the resource are ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JarUriPolicy {
    /// Allowed schemes, lower-cased.
    pub allowed_schemes: Vec<String>,
    /// `kubernetes.operator.user.artifacts.disallow-restricted-hosts` (default true).
    pub disallow_restricted_hosts: bool,
}

impl Default for JarUriPolicy {
    fn default() -> Self {
        JarUriPolicy { allowed_schemes: vec!["https".into()], disallow_restricted_hosts: true }
    }
}

/// The key that extends the allowlist.
pub const ALLOWED_SCHEMES_KEY: &str = "kubernetes.operator.user.artifacts.allowed-schemes";
/// The key that turns the restricted-host check off.
pub const DISALLOW_RESTRICTED_HOSTS_KEY: &str = "kubernetes.operator.user.artifacts.disallow-restricted-hosts";

/// The jarURI policy from the operator configuration (FO §6: operator-level only).
pub fn jar_uri_policy(defaults: &OperatorDefaults) -> JarUriPolicy {
    let config = defaults.effective(None, FlinkVersion::NEWEST);
    let mut policy = JarUriPolicy::default();
    if let Some(schemes) = config.get(ALLOWED_SCHEMES_KEY) {
        policy.allowed_schemes = parse_flat_list(schemes)
            .iter()
            .flat_map(|item| item.split(','))
            .map(|scheme| scheme.trim().to_lowercase())
            .filter(|scheme| !scheme.is_empty())
            .collect();
    }
    if let Some(flag) = config.get(DISALLOW_RESTRICTED_HOSTS_KEY) {
        policy.disallow_restricted_hosts = parse_bool(flag).unwrap_or(true);
    }
    policy
}
