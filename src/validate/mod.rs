//! Stage 2, **validate**: the operator's admission rules (FO §6) and the problems upstream
//! only finds at deploy time, as named rules that each return their findings. Schema-level
//! problems (types, unknown fields) are found while parsing; what resolving itself cannot
//! do (unreadable memory, bad enums) is reported by `resolve`. The rules here see the
//! effective configuration (operator defaults + `flinkConfiguration` + derived keys, before
//! operator keys are stripped), as upstream validates defaults plus spec.

pub mod common;
pub mod deployment;
pub mod jar_uri;
pub mod names;
pub mod session_job;

use crate::diagnostics::{Diagnostic, Span};
use crate::flink::config::{FlinkConfig, UserKey, user_key_span};
use crate::flink::version::FlinkVersion;
use crate::parse::document::{Node, path_steps};
use crate::parse::spec::RawDeploymentSpec;

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
        user_key_span(self.user_keys, key).unwrap_or_else(|| self.span("spec.flinkConfiguration"))
    }

    /// The view the configuration rules shared with session jobs take.
    pub fn config_context(&self) -> common::ConfigContext<'_> {
        common::ConfigContext {
            config: self.config,
            user_keys: self.user_keys,
            document: self.document,
            flink_version: Some(self.flink_version),
        }
    }

    /// The job and its configuration, for application clusters.
    pub fn job_context(&self) -> Option<common::JobContext<'_>> {
        Some(common::JobContext { job: self.spec.job.as_ref()?, config: self.config_context() })
    }
}

/// A FlinkDeployment rule: findings for one context.
pub type DeploymentRule = fn(&DeploymentContext<'_>) -> Vec<Diagnostic>;

/// Every FlinkDeployment rule, in the operator's evaluation order (FO §6 numbers first;
/// flink-render's own rules where their subject comes up). Rules 1–3, 5, 8–10, 16–28 and
/// 32 are reported while resolving, because resolving needs their answer.
pub const DEPLOYMENT_RULES: &[(&str, DeploymentRule)] = &[
    ("3 deprecated flinkVersion", deployment::flink_version_deprecated),
    ("6 rollback requires high availability", deployment::rollback_requires_high_availability),
    ("7 health check requires deployment recovery", deployment::health_check_requires_deployment_recovery),
    ("11-15 checkpoint and savepoint directories", deployment::job_spec_directories),
    ("state directories Flink knows", deployment::state_directory_keys_known_to_flink),
    ("Kubernetes names", deployment::kubernetes_names),
    ("33 autoscaler options in range", deployment::autoscaler_options_in_range),
    ("33 autoscaler metrics window", deployment::autoscaler_metrics_window),
    ("operator-managed keys", deployment::operator_managed_keys),
    ("settings without effect", deployment::settings_without_effect),
];

/// Run every FlinkDeployment rule.
pub fn check_deployment(context: &DeploymentContext<'_>) -> Vec<Diagnostic> {
    DEPLOYMENT_RULES.iter().flat_map(|(_, rule)| rule(context)).collect()
}
