//! FlinkSessionJob rules (FO §6 session-job table, `DefaultValidator#validateSessionJob`):
//! the target name, the job, the jarURI policy, and, when the session cluster is among the
//! inputs (whichever input it is in), the checks against it: not an application cluster,
//! and the job-spec rules 11–15 and the autoscaler rule 33 over the cluster's configuration
//! with the job's on top. Rules 16–17 apply with TaskManager replicas absent, so a session
//! job needs `job.parallelism` ≥ 1.

use crate::diagnostics::{Code, Diagnostic};
use crate::effective::helm::HelmHooks;
use crate::effective::{ClusterView, SessionJobView, Settings};
use crate::parse::spec::RawJobSpec;

use super::autoscaler;
use super::context::{ConfigContext, JobContext};
use super::findings::at;
use super::identity::{annotation_span, invalid_cluster_id, setting_problems};
use super::jar_uri::check_jar_uri;
use super::job::job_spec_rules;
use super::names::is_cluster_id;

/// FO §6 session jobs: a session job needs a spec.
pub fn spec_is_set(view: &SessionJobView<'_>, _: &Settings<'_>) -> Vec<Diagnostic> {
    if view.spec.is_some() {
        return Vec::new();
    }
    vec![
        Diagnostic::new(Code::MissingField, "spec", "a FlinkSessionJob needs a spec with deploymentName and job")
            .at(view.parsed.document.span),
    ]
}

/// Ours: the `flink-render.dev/` annotations of a session job are settings flink-render reads
/// ([`crate::effective::render_settings`]).
pub fn render_settings_readable(view: &SessionJobView<'_>, _: &Settings<'_>) -> Vec<Diagnostic> {
    setting_problems(view.parsed, &view.render)
}

/// FO §6 session jobs: `deploymentName` names the session cluster and follows rule 1.
pub fn deployment_name(view: &SessionJobView<'_>, _: &Settings<'_>) -> Vec<Diagnostic> {
    let Some(spec) = view.spec else { return Vec::new() };
    match spec.deployment_name.as_deref() {
        None => vec![
            Diagnostic::new(
                Code::MissingField,
                "spec.deploymentName",
                "spec.deploymentName must be set: it names the session cluster the job runs on",
            )
            .at(view.parsed.span("spec"))
            .with_hint("set it to the name of a FlinkDeployment without `job`"),
        ],
        Some(name) if !is_cluster_id(name) => {
            vec![at(view.parsed, Code::InvalidName, "spec.deploymentName", invalid_cluster_id(name, "  "))]
        }
        Some(_) => Vec::new(),
    }
}

/// FO §6 session jobs: "The job spec should not be empty".
pub fn job_is_set(view: &SessionJobView<'_>, _: &Settings<'_>) -> Vec<Diagnostic> {
    if view.spec.is_none() || view.job.is_some() {
        return Vec::new();
    }
    vec![
        Diagnostic::new(Code::MissingField, "spec.job", "The job spec should not be empty")
            .at(view.parsed.span("spec"))
            .with_hint("add spec.job with at least jarURI and parallelism"),
    ]
}

/// FO §6 session jobs, `DefaultValidator#validateJarURI` (FO §9 fact 38): the jarURI is a
/// URI with an allowed scheme and, for http(s), a host that is not a restricted address.
pub fn jar_uri_policy(view: &SessionJobView<'_>, settings: &Settings<'_>) -> Vec<Diagnostic> {
    let Some(jar_uri) = view.job.as_ref().and_then(|(job, _)| job.jar_uri.as_deref()) else { return Vec::new() };
    let policy = &settings.jar_uri_policy;
    match check_jar_uri(jar_uri, policy) {
        Ok(()) => Vec::new(),
        Err(problem) => vec![
            at(view.parsed, Code::InvalidJarUri, "spec.job.jarURI", problem.message(policy)).with_hint(problem.hint()),
        ],
    }
}

/// The session cluster, when it is among the inputs and the job names it validly.
fn session_cluster<'a>(view: &SessionJobView<'a>) -> Option<(&'a ClusterView<'a>, &'a RawJobSpec)> {
    let name = view.spec?.deployment_name.as_deref()?;
    Some((view.cluster.filter(|_| is_cluster_id(name))?, view.job.as_ref()?.0))
}

/// Ours: the submit Job runs on the session cluster's image against its REST Service, so the
/// cluster must be among the inputs (any input, any document) or the references.
pub fn session_cluster_among_inputs(view: &SessionJobView<'_>, _: &Settings<'_>) -> Vec<Diagnostic> {
    let Some(name) = view.spec.and_then(|spec| spec.deployment_name.as_deref()) else { return Vec::new() };
    if view.cluster.is_some() || !is_cluster_id(name) || view.job.is_none() {
        return Vec::new();
    }
    let namespace = view.namespace.map(|namespace| format!(" in namespace `{namespace}`")).unwrap_or_default();
    vec![
        at(
            view.parsed,
            Code::SessionClusterMissing,
            "spec.deploymentName",
            format!("the session cluster `{name}`{namespace} is not among the inputs: the submit Job runs on its image, against its REST Service"),
        )
        .with_hint(
            "render the session cluster's FlinkDeployment in the same run; when it is rendered elsewhere, give its spec as a reference: `--reference FILE`, the Argo CD parameter `references`, or a kustomization item annotated `config.kubernetes.io/local-config: \"true\"`",
        ),
    ]
}

/// The annotation that asks for a stop Job.
const STOP_ON_DELETE: &str = "flink-render.dev/stop-on-delete";

/// Ours: the stop Job of `flink-render.dev/stop-on-delete` makes sense only as a `pre-delete`
/// hook. Helm 3 hands its post-renderer only the chart's non-hook documents and creates
/// whatever it returns as plain resources of the release, without looking for hooks in it, so
/// the stop Job would run at install and stop the job it should stop at uninstall.
pub fn stop_on_delete_runs_as_a_hook(view: &SessionJobView<'_>, settings: &Settings<'_>) -> Vec<Diagnostic> {
    if !view.render.stop_on_delete || !settings.helm_hooks.may_run_hooks_at_install() {
        return Vec::new();
    }
    let (why, otherwise) = if settings.helm_hooks == HelmHooks::ProbablyIgnored {
        (
            "stdin looks like what Helm 3 hands its post-renderer (`# Source:` comments, no `postrenderer.helm.sh/postrender-filename`)",
            "; if this output does not go to Helm 3's post-renderer, say so with `--helm-post-renderer none`",
        )
    } else {
        ("the output goes to Helm 3's post-renderer", "")
    };
    vec![
        Diagnostic::new(
            Code::StopOnDeleteUnderHelm3,
            format!("metadata.annotations.{STOP_ON_DELETE}"),
            format!("{why}, and Helm 3 creates what its post-renderer returns as plain resources: the stop Job of `{STOP_ON_DELETE}: enabled`, a `pre-delete` hook, would run at install and stop the job"),
        )
        .at(annotation_span(view.parsed, STOP_ON_DELETE))
        .with_hint(format!("Helm runs it as a hook from Helm 4's post-renderer plugin (`helm plugin install deploy/helm`, then `--post-renderer flink-render`) or from the chart's templates/ (`flink-render render --output-dir <chart>/templates`); or leave the annotation out{otherwise}")),
    ]
}

/// FO §6 session jobs: "Can not submit session job to application cluster".
pub fn not_an_application_cluster(view: &SessionJobView<'_>, _: &Settings<'_>) -> Vec<Diagnostic> {
    match session_cluster(view) {
        Some((cluster, _)) if cluster.job.is_some() => vec![
            at(
                view.parsed,
                Code::SessionJobOnApplicationCluster,
                "spec.deploymentName",
                "Can not submit session job to application cluster",
            )
            .with_hint("point deploymentName at a FlinkDeployment without `job`"),
        ],
        _ => Vec::new(),
    }
}

/// The configuration rules' view of a session job: its cluster's configuration with its own
/// keys on top, on its cluster's Flink version.
fn config_context<'a>(view: &'a SessionJobView<'_>, cluster: &ClusterView<'_>) -> Option<ConfigContext<'a>> {
    Some(ConfigContext {
        config: view.config.as_ref()?,
        user_keys: &view.parsed.user_keys,
        document: &view.parsed.document,
        flink_version: Some(cluster.version),
    })
}

/// FO §6 rules 11–15 for a session job, over its cluster's configuration and its own.
pub fn state_directories(view: &SessionJobView<'_>, _: &Settings<'_>) -> Vec<Diagnostic> {
    let Some((cluster, job)) = session_cluster(view) else { return Vec::new() };
    let (Some(config), Some((_, upgrade_mode))) = (config_context(view, cluster), &view.job) else {
        return Vec::new();
    };
    job_spec_rules(&JobContext { job, upgrade_mode, config })
}

/// FO §6 rule 33 for a session job, over its cluster's configuration and its own.
pub fn autoscaler(view: &SessionJobView<'_>, _: &Settings<'_>) -> Vec<Diagnostic> {
    let Some((cluster, _)) = session_cluster(view) else { return Vec::new() };
    let Some(config) = config_context(view, cluster) else { return Vec::new() };
    let mut found = autoscaler::options_in_range(&config);
    found.extend(autoscaler::metrics_window_covers_reconcile_interval(&config));
    found
}

/// FO §6 rules 16–17 with TaskManager replicas absent: Java's `int parallelism` defaults to
/// 0, so a session job needs `job.parallelism` ≥ 1.
pub fn parallelism(view: &SessionJobView<'_>, _: &Settings<'_>) -> Vec<Diagnostic> {
    let Some((job, _)) = &view.job else { return Vec::new() };
    if job.parallelism.unwrap_or(0) >= 1 {
        return Vec::new();
    }
    let path = if job.parallelism.is_some() { "spec.job.parallelism" } else { "spec.job" };
    vec![
        at(view.parsed, Code::InvalidParallelism, path, "Job parallelism must be larger than 0")
            .with_hint("set spec.job.parallelism"),
    ]
}
