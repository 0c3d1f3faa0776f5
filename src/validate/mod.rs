//! Stage 2, **validate**: the operator's admission rules (FO §6) and the problems upstream
//! only finds at deploy time, as named rules that each return their findings. Schema-level
//! problems (types, unknown fields) are found while parsing; what resolving itself cannot
//! do (unreadable memory, bad enums) is reported by `resolve`. The rules here see the
//! effective configuration (operator defaults + `flinkConfiguration` + derived keys, before
//! operator keys are stripped), as upstream validates defaults plus spec.

use crate::diagnostics::{Diagnostic, Span};
use crate::parse::document::{path_steps, Node};
use crate::parse::spec::RawDeploymentSpec;
use crate::resolve::config::{FlinkConfig, UserKey};
use crate::resolve::version::FlinkVersion;

/// What a FlinkDeployment rule can look at.
pub struct DeploymentContext<'a> {
    /// `metadata.name`.
    pub name: &'a str,
    /// The namespace, when known.
    pub namespace: Option<&'a str>,
    /// The raw spec.
    pub spec: &'a RawDeploymentSpec,
    /// `spec.flinkVersion`, already checked.
    pub flink_version: FlinkVersion,
    /// The effective configuration, operator keys still present.
    pub config: &'a FlinkConfig,
    /// The user's `flinkConfiguration`, flattened, with positions.
    pub user_keys: &'a [UserKey],
    /// The whole document, for positions of spec fields.
    pub document: &'a Node,
}

impl DeploymentContext<'_> {
    /// Where a spec field (`spec.job.upgradeMode`) is, or its nearest parent.
    pub fn span(&self, path: &str) -> Span {
        self.document.span_of(&path_steps(path))
    }

    /// Where the user wrote configuration `key`, else where `flinkConfiguration` is, else `spec`.
    pub fn config_span(&self, key: &str) -> Span {
        self.user_keys
            .iter()
            .rev()
            .find(|user| user.key == key)
            .map(|user| user.span)
            .unwrap_or_else(|| self.span("spec.flinkConfiguration"))
    }
}

/// A FlinkDeployment rule: findings for one context.
pub type DeploymentRule = fn(&DeploymentContext<'_>) -> Vec<Diagnostic>;

/// Every FlinkDeployment rule, in the operator's evaluation order.
pub const DEPLOYMENT_RULES: &[(&str, DeploymentRule)] = &[];

/// Run every FlinkDeployment rule.
pub fn check_deployment(context: &DeploymentContext<'_>) -> Vec<Diagnostic> {
    DEPLOYMENT_RULES.iter().flat_map(|(_, rule)| rule(context)).collect()
}
