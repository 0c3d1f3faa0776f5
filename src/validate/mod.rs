//! Stage 3, **validate**: every rule, as a small named function over the effective view
//! (and through it the raw spec), returning its findings. Rules never stop at the first
//! problem and never depend on each other, so every independent problem is reported in one
//! run. Each rule's doc comment cites what it enforces: an FO §6 rule number (the operator's
//! `DefaultValidator`), the Flink class that would fail at start-up, or "ours" with the
//! reason. The registries below are the only lists `compile` runs:
//!
//! - [`CLUSTER_RULES`] for FlinkDeployments with a spec ([`CANARY_RULES`] for those without);
//! - [`SESSION_JOB_RULES`] for FlinkSessionJobs, each against its session cluster;
//! - [`duplicates::duplicate_objects`] over the whole stream, once.
//!
//! The registries run in the order the findings' subjects appear in a typical spec; the
//! compile then orders the findings of each input by position.

pub mod autoscaler;
pub mod configuration;
pub mod context;
pub mod duplicates;
pub mod filesystems;
pub mod findings;
pub mod identity;
pub mod jar_uri;
pub mod job;
pub mod logs_and_ingress;
pub mod names;
pub mod pod_templates;
pub mod resources;
pub mod security;
pub mod session_job;

#[cfg(test)]
mod tests;

use crate::diagnostics::Diagnostic;
use crate::effective::{ClusterView, DeploymentView, SessionJobView, Settings};
use crate::parse::ParsedDeployment;

/// A rule over a FlinkDeployment with a spec.
pub type ClusterRule = fn(&ClusterView<'_>) -> Vec<Diagnostic>;

/// A rule over a FlinkDeployment without a spec (the health canary).
pub type CanaryRule = fn(&ParsedDeployment) -> Vec<Diagnostic>;

/// A rule over a FlinkSessionJob, with the compile's settings (the artifact policy).
pub type SessionJobRule = fn(&SessionJobView<'_>, &Settings<'_>) -> Vec<Diagnostic>;

/// A named rule: what it enforces, the function, and the function's path for docs.
pub struct Rule<F> {
    /// Where the rule comes from: `FO §6 rule 1`, a Flink class, or `ours`.
    pub name: &'static str,
    /// The check.
    pub check: F,
    /// The function, as `identity::cluster_id`.
    pub function: &'static str,
}

/// `rule!("FO §6 rule 1: …", identity::cluster_id)`: a [`Rule`] that knows its function's name.
macro_rules! rule {
    ($name:literal, $module:ident :: $function:ident) => {
        Rule {
            name: $name,
            check: $module::$function,
            function: concat!(stringify!($module), "::", stringify!($function)),
        }
    };
}

/// Every FlinkDeployment rule, in the order their subjects appear in a spec.
pub const CLUSTER_RULES: &[Rule<ClusterRule>] = &[
    rule!("FO §6 rule 1: the cluster id", identity::cluster_id),
    rule!("FO §6 rule 2: flinkVersion is defined", identity::flink_version_defined),
    rule!("FO §6 rule 3: flinkVersion is supported", identity::flink_version_supported),
    rule!("FO §6: mode values", identity::mode_known),
    rule!("ours: what an omitted mode means", identity::mode_omitted),
    rule!("ours: flink-render's settings", identity::render_settings_readable),
    rule!("FO §6 rule 5: forbidden configuration keys", configuration::forbidden_keys),
    rule!("FO §1.6: taskManager.taskSlots spelling", identity::task_slots_spelling),
    rule!("ours: containers have images", pod_templates::containers_have_images),
    rule!("ours: selectors that name native pods", pod_templates::native_label_selectors),
    rule!("ours: pod-template fields Kubernetes knows", pod_templates::pod_template_fields_known),
    rule!("FO §6 rule 10: log configuration files", logs_and_ingress::log_configuration_files),
    rule!("ours: a log4j2 configuration on the official image", logs_and_ingress::log4j_configuration_present),
    rule!("ours: an image to run", identity::image_is_set),
    rule!("ours: imagePullPolicy values", identity::image_pull_policy),
    rule!("FO §6 rule 32: serviceAccount is defined", identity::service_account_defined),
    rule!("FO §6 rules 19-21: JobManager resources", resources::jobmanager_resources),
    rule!("FO §6 rules 25-27: TaskManager resources", resources::taskmanager_resources),
    rule!("FO §6 rule 22: JobManager replicas", resources::jobmanager_replicas),
    rule!("FO §6 rules 16, 28: TaskManager replicas", resources::taskmanager_replicas),
    rule!("FO §6 rule 23: standby JobManagers need HA", resources::standby_jobmanagers_need_ha),
    rule!("Flink ConfigurationParserUtils.getSlot: task slots", configuration::task_slots),
    rule!("FO §6 rule 17 and §2.4: parallelism", job::parallelism),
    rule!("FO §1.6: upgrade mode", job::upgrade_mode),
    rule!("ours: jarURI has a scheme", job::jar_uri_has_scheme),
    rule!("Flink KubernetesClusterDescriptor: one jar in native application mode", job::native_application_jar),
    rule!("Flink ClusterEntrypoint: reactive mode is standalone only", job::reactive_not_native),
    rule!("ours: job.state values", job::job_state),
    rule!("ours (FO §4.1): single port numbers", configuration::ports),
    rule!("FO §6 rules 18, 24 and Flink's memory model", resources::memory),
    rule!("ours: TaskManager cpu", resources::taskmanager_cpu),
    rule!("ours: REST Service type", configuration::rest_service_type),
    rule!("FO §6 rules 8-9: ingress template", logs_and_ingress::ingress_template),
    rule!("ours: flags flink-render reads are booleans", configuration::rendering_flags_readable),
    rule!("FO §1.2: deprecated flinkVersion", identity::flink_version_deprecated),
    rule!("FO §6 rule 6: rollback requires HA", configuration::rollback_requires_high_availability),
    rule!("FO §6 rule 7: health check requires deployment recovery", configuration::health_check_requires_recovery),
    rule!("FO §6 rules 11-15: checkpoint and savepoint directories", job::state_directories),
    rule!("ours: state directories Flink knows", configuration::state_directory_keys_known_to_flink),
    rule!("ours: Kubernetes names", identity::kubernetes_names),
    rule!("FO §6 rule 33: autoscaler options in range", autoscaler::cluster_options_in_range),
    rule!("FO §6 rule 33: autoscaler metrics window", autoscaler::cluster_metrics_window),
    rule!("ours: operator-managed keys", configuration::operator_managed_keys),
    rule!("ours: nonces need the operator", configuration::nonces_without_operator),
    rule!("ours: the autoscaler needs the operator", configuration::autoscaler_not_running),
    rule!("ours: operator settings need the operator", configuration::operator_settings_ignored),
    rule!("ours: options standalone mode does not use", configuration::ignored_config_keys),
    rule!("ours: remote filesystems need their plugin", filesystems::filesystem_plugins_enabled),
    rule!("ours: no secrets in the ConfigMap", security::secrets_in_configuration),
    rule!("ours: the REST API is not exposed without TLS", security::rest_exposure),
    rule!("ours: pod templates meet the restricted Pod Security Standard", security::restricted_profile),
    rule!("ours (FO §5.1): the configuration file can hold every value", configuration::config_file_writable),
];

/// Every rule for a FlinkDeployment without a spec.
pub const CANARY_RULES: &[Rule<CanaryRule>] = &[
    rule!("FO §6 rule 1: the cluster id", identity::canary_cluster_id),
    rule!("ours: the canary renders nothing", identity::canary_renders_nothing),
];

/// Every FlinkSessionJob rule, in the operator's order (FO §6 session-job table).
pub const SESSION_JOB_RULES: &[Rule<SessionJobRule>] = &[
    rule!("FO §6 session jobs: a spec", session_job::spec_is_set),
    rule!("ours: flink-render settings a session job's annotations give", session_job::render_settings_readable),
    rule!("FO §6 session jobs: deploymentName", session_job::deployment_name),
    rule!("FO §6 session jobs: a job", session_job::job_is_set),
    rule!("FO §6 session jobs: the jarURI policy", session_job::jar_uri_policy),
    rule!("ours: the session cluster is rendered too", session_job::session_cluster_among_inputs),
    rule!("ours: Helm runs the stop-on-delete Job as a hook", session_job::stop_on_delete_runs_as_a_hook),
    rule!("FO §6 session jobs: not an application cluster", session_job::not_an_application_cluster),
    rule!("FO §6 rules 11-15 over the session cluster", session_job::state_directories),
    rule!("FO §6 rule 33 over the session cluster", session_job::autoscaler),
    rule!("FO §6 rules 16-17 without TaskManager replicas", session_job::parallelism),
];

/// Run every rule for one FlinkDeployment.
pub fn check_deployment(view: &DeploymentView<'_>) -> Vec<Diagnostic> {
    match view {
        DeploymentView::Canary(parsed) => CANARY_RULES.iter().flat_map(|rule| (rule.check)(parsed)).collect(),
        DeploymentView::Cluster(cluster) => CLUSTER_RULES.iter().flat_map(|rule| (rule.check)(cluster)).collect(),
    }
}

/// Run every rule for one FlinkSessionJob.
pub fn check_session_job(view: &SessionJobView<'_>, settings: &Settings<'_>) -> Vec<Diagnostic> {
    SESSION_JOB_RULES.iter().flat_map(|rule| (rule.check)(view, settings)).collect()
}
