//! FlinkSessionJob rules (FO §6 session-job table, `DefaultValidator#validateSessionJob`):
//! the target name, the job, the jarURI policy, and, when the session cluster is among the
//! inputs, the checks against it (not an application cluster; job-spec rules 11–15 and the
//! autoscaler rule 33 over the cluster's configuration with the job's on top). Rules 16–17
//! apply with TaskManager replicas absent, so a session job needs `job.parallelism` ≥ 1.
//! [`check_session_job`] is a pure function; [`SessionClusters`] collects the session
//! clusters of one compile so a job can be checked whatever the input order.

use std::collections::BTreeMap;

use crate::diagnostics::{Code, Diagnostic};
use crate::flink::config::{FlinkConfig, parse_flat_list};
use crate::flink::version::{FlinkVersion, KNOWN_VERSIONS};
use crate::parse::defaults::OperatorDefaults;
use crate::parse::document::{Node, path_steps};
use crate::parse::flink_configuration::flatten;
use crate::parse::{ParsedDeployment, ParsedSessionJob};
use crate::resolve::is_cluster_id;

use super::common::{self, ConfigContext, JOB_RULES, JobContext};
use super::jar_uri::{ALLOWED_SCHEMES_KEY, DISALLOW_RESTRICTED_HOSTS_KEY, JarUriPolicy, check_jar_uri};
use crate::flink::options::parse_bool;

/// What a session job is checked against: a FlinkDeployment of the same compile.
#[derive(Debug, Clone)]
pub struct SessionCluster {
    /// Whether it has a `job` (an application cluster cannot take session jobs).
    pub is_application: bool,
    /// Its Flink version (the newest known one when its own is unreadable).
    pub flink_version: FlinkVersion,
    /// Operator defaults for its namespace and version, then its `flinkConfiguration`.
    pub config: FlinkConfig,
}

/// The FlinkDeployments of one compile, by namespace and name.
#[derive(Debug, Clone, Default)]
pub struct SessionClusters {
    clusters: BTreeMap<(Option<String>, String), SessionCluster>,
}

impl SessionClusters {
    /// Remember a FlinkDeployment; `namespace` is used when it has none.
    pub fn record(&mut self, parsed: &ParsedDeployment, namespace: Option<&str>, defaults: &OperatorDefaults) {
        let (Some(name), Some(spec)) = (&parsed.raw.metadata.name, &parsed.raw.spec) else { return };
        let namespace = parsed.raw.metadata.namespace.as_deref().or(namespace);
        let newest = KNOWN_VERSIONS[KNOWN_VERSIONS.len() - 1];
        let flink_version = spec.flink_version.as_deref().and_then(FlinkVersion::parse).unwrap_or(newest);
        let mut config = FlinkConfig::default();
        for (key, value) in defaults.effective(namespace, flink_version) {
            config.set(&key, value);
        }
        for user in user_keys(&parsed.document) {
            config.set(&user.key, user.value);
        }
        let cluster = SessionCluster { is_application: spec.job.is_some(), flink_version, config };
        self.clusters.insert((namespace.map(str::to_string), name.clone()), cluster);
    }

    /// The cluster named `name` in `namespace`.
    pub fn find(&self, namespace: Option<&str>, name: &str) -> Option<&SessionCluster> {
        self.clusters.get(&(namespace.map(str::to_string), name.to_string()))
    }
}

fn user_keys(document: &Node) -> Vec<crate::flink::config::UserKey> {
    document.get("spec").and_then(|spec| spec.get("flinkConfiguration")).map(flatten).unwrap_or_default()
}

/// The jarURI policy from the operator configuration (FO §6: operator-level only).
pub fn jar_uri_policy(defaults: &OperatorDefaults) -> JarUriPolicy {
    let newest = KNOWN_VERSIONS[KNOWN_VERSIONS.len() - 1];
    let config = defaults.effective(None, newest);
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

/// Every FlinkSessionJob rule, in the operator's order. `namespace` is used when the job
/// has none; `clusters` are the FlinkDeployments of the same compile.
pub fn check_session_job(
    parsed: &ParsedSessionJob,
    namespace: Option<&str>,
    policy: &JarUriPolicy,
    clusters: &SessionClusters,
) -> Vec<Diagnostic> {
    let span = |path: &str| parsed.document.span_of(&path_steps(path));
    let mut found = Vec::new();
    let Some(spec) = &parsed.raw.spec else {
        found.push(
            Diagnostic::new(Code::MissingField, "spec", "a FlinkSessionJob needs a spec with deploymentName and job")
                .at(parsed.document.span),
        );
        return found;
    };
    let cluster = match spec.deployment_name.as_deref() {
        None => {
            found.push(
                Diagnostic::new(
                    Code::MissingField,
                    "spec.deploymentName",
                    "spec.deploymentName must be set: it names the session cluster the job runs on",
                )
                .at(span("spec"))
                .with_hint("set it to the name of a FlinkDeployment without `job`"),
            );
            None
        }
        Some(name) if !is_cluster_id(name) => {
            found.push(
                Diagnostic::new(Code::InvalidName, "spec.deploymentName", format!(
                    "The FlinkDeployment name: {name} is invalid, must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123'), and the length must be no more than 45 characters."
                ))
                .at(span("spec.deploymentName")),
            );
            None
        }
        Some(name) => clusters.find(parsed.raw.metadata.namespace.as_deref().or(namespace), name),
    };
    let Some(job) = &spec.job else {
        found.push(
            Diagnostic::new(Code::MissingField, "spec.job", "The job spec should not be empty")
                .at(span("spec"))
                .with_hint("add spec.job with at least jarURI and parallelism"),
        );
        return found;
    };
    if let Some(jar_uri) = job.jar_uri.as_deref()
        && let Err(problem) = check_jar_uri(jar_uri, policy)
    {
        found.push(
            Diagnostic::new(Code::InvalidJarUri, "spec.job.jarURI", problem.message(policy))
                .at(span("spec.job.jarURI"))
                .with_hint(problem.hint()),
        );
    }
    if let Some(cluster) = cluster {
        if cluster.is_application {
            found.push(
                Diagnostic::new(
                    Code::SessionJobOnApplicationCluster,
                    "spec.deploymentName",
                    "Can not submit session job to application cluster",
                )
                .at(span("spec.deploymentName"))
                .with_hint("point deploymentName at a FlinkDeployment without `job`"),
            );
        }
        let mut config = cluster.config.clone();
        let own_keys = user_keys(&parsed.document);
        for user in &own_keys {
            config.set(&user.key, user.value.clone());
        }
        let config_context = ConfigContext {
            config: &config,
            user_keys: &own_keys,
            document: &parsed.document,
            flink_version: Some(cluster.flink_version),
        };
        let job_context = JobContext { job, config: config_context };
        found.extend(JOB_RULES.iter().flat_map(|(_, rule)| rule(&job_context)));
        found.extend(common::autoscaler_options_in_range(&job_context.config));
        found.extend(common::autoscaler_metrics_window_covers_reconcile_interval(&job_context.config));
    }
    // Rules 16–17 with TaskManager replicas absent: Java's `int parallelism` defaults to 0.
    if job.parallelism.unwrap_or(0) < 1 {
        let path = if job.parallelism.is_some() { "spec.job.parallelism" } else { "spec.job" };
        found.push(
            Diagnostic::new(Code::InvalidParallelism, path, "Job parallelism must be larger than 0")
                .at(span(path))
                .with_hint("set spec.job.parallelism"),
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Diagnostics;
    use crate::parse::{Resource, parse};

    fn parsed(text: &str) -> Vec<Resource> {
        let mut diagnostics = Diagnostics::default();
        let resources = parse(text, &mut diagnostics);
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
        resources
    }

    /// Check the session job in `text` against the FlinkDeployments in it.
    fn check(text: &str) -> Vec<Diagnostic> {
        let defaults = OperatorDefaults::builtin();
        let mut clusters = SessionClusters::default();
        let mut jobs = Vec::new();
        for resource in parsed(text) {
            match resource {
                Resource::Deployment(deployment) => clusters.record(&deployment, None, &defaults),
                Resource::SessionJob(job) => jobs.push(job),
                Resource::Other(_) => {}
            }
        }
        jobs.iter().flat_map(|job| check_session_job(job, None, &jar_uri_policy(&defaults), &clusters)).collect()
    }

    fn messages(text: &str) -> Vec<String> {
        check(text).into_iter().map(|diagnostic| diagnostic.message).collect()
    }

    const HEAD: &str = "apiVersion: flink.apache.org/v1beta1\nkind: FlinkSessionJob\nmetadata:\n  name: job\n";

    fn job(spec: &str) -> String {
        format!("{HEAD}spec:\n{spec}")
    }

    const SESSION: &str = "---\napiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata:\n  name: session\nspec:\n  flinkVersion: v1_20\n";

    #[test]
    fn a_valid_session_job_passes() {
        assert!(
            check(&job(
                "  deploymentName: session\n  job:\n    jarURI: https://example.com/job.jar\n    parallelism: 2\n"
            ))
            .is_empty()
        );
    }

    /// FO §6 session jobs: `deploymentName` follows rule 1's name regex (fact 36's name).
    #[test]
    fn session_job_deployment_name_follows_the_cluster_id_rule() {
        let found = messages(&job("  deploymentName: session-cluster-1.13\n  job:\n    parallelism: 1\n"));
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("The FlinkDeployment name: session-cluster-1.13 is invalid"));
    }

    #[test]
    fn session_job_needs_a_deployment_name() {
        let found = check(&job("  job:\n    parallelism: 1\n"));
        assert_eq!(found[0].path, "spec.deploymentName");
    }

    /// FO §6 session jobs: "The job spec should not be empty".
    #[test]
    fn session_job_needs_a_job() {
        assert_eq!(messages(&job("  deploymentName: session\n")), ["The job spec should not be empty"]);
    }

    /// FO §9 fact 38 through the whole rule: the message points at `jarURI`.
    #[test]
    fn fo9_fact38_session_job_jar_uri_is_checked() {
        let found =
            check(&job("  deploymentName: session\n  job:\n    jarURI: s3://bucket/job.jar\n    parallelism: 1\n"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "spec.job.jarURI");
        assert_eq!(found[0].line, 8);
        assert!(found[0].message.starts_with("jarURI scheme 's3' is not in the allowlist [https]"));
    }

    #[test]
    fn the_allowlist_comes_from_the_operator_defaults() {
        let defaults = OperatorDefaults::parse(&format!(
            "{ALLOWED_SCHEMES_KEY}: https;s3\n{DISALLOW_RESTRICTED_HOSTS_KEY}: \"false\"\n"
        ))
        .unwrap();
        let policy = jar_uri_policy(&defaults);
        assert_eq!(policy.allowed_schemes, ["https", "s3"]);
        assert!(!policy.disallow_restricted_hosts);
        assert_eq!(jar_uri_policy(&OperatorDefaults::builtin()), JarUriPolicy::default());
    }

    /// FO §6 rules 16–17 with TaskManager replicas absent: parallelism 0 or unset fails.
    #[test]
    fn session_job_rule17_parallelism_must_be_positive() {
        assert_eq!(
            messages(&job("  deploymentName: session\n  job:\n    parallelism: 0\n")),
            ["Job parallelism must be larger than 0"]
        );
        assert_eq!(
            messages(&job("  deploymentName: session\n  job:\n    entryClass: A\n")),
            ["Job parallelism must be larger than 0"]
        );
    }

    /// FO §6 session jobs: "Can not submit session job to application cluster".
    #[test]
    fn session_job_on_an_application_cluster_is_rejected() {
        let text = format!(
            "{}{SESSION}  job:\n    jarURI: local:///x.jar\n",
            job("  deploymentName: session\n  job:\n    parallelism: 1\n")
        );
        assert_eq!(messages(&text), ["Can not submit session job to application cluster"]);
    }

    /// FO §6 rules 11–12 for session jobs, over the cluster's configuration plus the job's.
    #[test]
    fn session_job_rule11_and_rule12_use_cluster_and_job_configuration() {
        let spec = "  deploymentName: session\n  job:\n    parallelism: 1\n    upgradeMode: savepoint\n";
        let missing = messages(&format!("{}{SESSION}", job(spec)));
        assert_eq!(
            missing,
            [
                "Checkpoint directory[execution.checkpointing.dir] must be defined for last-state and savepoint upgrade modes",
                "Job could not be upgraded with savepoint while config key[execution.checkpointing.savepoint-dir] is not set",
            ]
        );
        let cluster_sets_them = format!(
            "{}{SESSION}  flinkConfiguration:\n    state.checkpoints.dir: s3://b/c\n",
            job(&format!("{spec}  flinkConfiguration:\n    execution.checkpointing.savepoint-dir: s3://b/s\n"))
        );
        assert!(check(&cluster_sets_them).is_empty());
        assert!(check(&job(spec)).is_empty(), "without the cluster, its configuration is unknown");
    }

    /// FO §6 rule 33 for session jobs.
    #[test]
    fn session_job_rule33_autoscaler_options() {
        let text = format!(
            "{}{SESSION}",
            job(
                "  deploymentName: session\n  job:\n    parallelism: 1\n  flinkConfiguration:\n    job.autoscaler.enabled: \"true\"\n    job.autoscaler.utilization.target: \"2\"\n"
            )
        );
        assert_eq!(
            messages(&text),
            [
                "The AutoScalerOption job.autoscaler.utilization.target is invalid, it should be a value within the range [0.0, 1.0]"
            ]
        );
    }
}
