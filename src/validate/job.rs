//! The job of an application cluster: its parallelism (FO §6 rule 17, FO §2.4), upgrade mode
//! (with the FLIP-212 spellings, FO §1.6), state, jar, and the checkpoint and savepoint
//! directories stateful operations need (FO §6 rules 11–15, shared with session jobs).

use crate::diagnostics::{Code, Diagnostic, Span};
use crate::effective::cluster::{JarSource, JobView};
use crate::effective::job::{JobState, UpgradeMode};
use crate::effective::{ClusterView, DeploymentMode};
use crate::flink::options::{
    CHECKPOINTS_DIRECTORY, LAST_STATE_MAX_CHECKPOINT_AGE, PERIODIC_SAVEPOINT_INTERVAL, SAVEPOINT_DIRECTORY,
};
use crate::parse::suggest;

use super::context::{ConfigContext, JobContext};
use super::findings::{at, config_path};

/// FO §6 rule 17 and FO §2.4: without TaskManager replicas the job needs a parallelism of
/// at least 1; with replicas, `job.parallelism` is ignored (replicas × slots decide).
pub fn parallelism(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let Some(job) = &view.job else { return Vec::new() };
    let path = "spec.job.parallelism";
    if job.parallelism_ignored {
        return vec![at(
            view.parsed,
            Code::IgnoredField,
            path,
            "ignored: taskManager.replicas is set, so parallelism is replicas × slots",
        )];
    }
    let replicas_set = view.spec.task_manager.as_ref().is_some_and(|tm| tm.replicas.is_some());
    if job.parallelism.is_some() || replicas_set {
        return Vec::new();
    }
    vec![
        at(view.parsed, Code::InvalidParallelism, path, "Job parallelism must be larger than 0")
            .with_hint("set spec.job.parallelism, or spec.taskManager.replicas"),
    ]
}

/// FO §1.6: the upgrade mode is `stateless`, `savepoint` or `last-state`; the FLIP-212
/// spellings `restoreMode` / `cancelMode` are deprecated, and ignored next to `upgradeMode`.
pub fn upgrade_mode(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let Some(job) = &view.job else { return Vec::new() };
    let read = &job.upgrade_mode;
    let mut found: Vec<Diagnostic> = read
        .ignored_fields
        .iter()
        .map(|field| at(view.parsed, Code::IgnoredField, field, "ignored: job.upgradeMode is set and takes precedence"))
        .collect();
    let name = read.field.trim_start_matches("spec.");
    if read.from_flip212_field() {
        let current = read.mode.map(|mode| format!(": {}", mode.as_str())).unwrap_or_default();
        found.push(at(
            view.parsed,
            Code::DeprecatedField,
            read.field,
            format!("{name} is the FLIP-212 spelling; use job.upgradeMode{current}"),
        ));
    }
    if let (None, Some(text)) = (read.mode, &read.text) {
        let allowed = ["stateless", "savepoint", "last-state"].map(String::from);
        let mut error = at(
            view.parsed,
            Code::InvalidEnum,
            read.field,
            format!("{name} must be stateless, savepoint or last-state, not `{text}`"),
        );
        error.hint = suggest(text, &allowed).map(|mode| format!("did you mean `{mode}`?"));
        found.push(error);
    }
    found
}

/// Ours (upstream dereferences null at deploy time): an application jarURI needs a scheme.
pub fn jar_uri_has_scheme(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let Some(JarSource::NoScheme(jar_uri)) = view.job.as_ref().and_then(|job| job.jar.clone()) else {
        return Vec::new();
    };
    let absolute = if jar_uri.starts_with('/') { jar_uri.to_string() } else { format!("/{jar_uri}") };
    vec![
        at(
            view.parsed,
            Code::JarUriWithoutScheme,
            "spec.job.jarURI",
            format!("jarURI `{jar_uri}` has no scheme; {} mode needs one", view.mode.as_str()),
        )
        .with_hint(format!("use `local://{absolute}` for a jar inside the image")),
    ]
}

/// Flink's `KubernetesClusterDescriptor#deployApplicationCluster` ("Should only have one jar"):
/// a native application needs exactly one `pipeline.jars` entry, which only `jarURI` gives.
pub fn native_application_jar(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let Some(job) = view.job.as_ref() else { return Vec::new() };
    if view.mode != DeploymentMode::Native || job.spec.jar_uri.as_deref().is_some_and(|uri| !uri.trim().is_empty()) {
        return Vec::new();
    }
    let (path, chosen) = if view.mode_written {
        ("spec.mode", "`mode: native`")
    } else {
        ("spec.job", "an omitted mode, which is native as in the operator,")
    };
    let path = if view.spec.job.is_some() { "spec.job" } else { path };
    vec![
        at(
            view.parsed,
            Code::NativeWithoutJar,
            path,
            format!("job.jarURI is not set: with {chosen} Flink's native application mode needs exactly one jar, and fails to deploy without one (\"Should only have one jar\")"),
        )
        .with_hint("set job.jarURI (`local:///opt/flink/usrlib/<jar>` for a jar in the image), or `mode: standalone`, which runs a job from the classpath"),
    ]
}

/// Flink's `ClusterEntrypoint`: "Reactive mode is configured for an unsupported cluster type"
/// unless the cluster is a standalone application.
pub fn reactive_not_native(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    if view.mode != DeploymentMode::Native {
        return Vec::new();
    }
    let Some(user) = view.parsed.user_keys.iter().rev().find(|user| user.key == "scheduler-mode") else {
        return Vec::new();
    };
    if !user.value.trim().eq_ignore_ascii_case("reactive") {
        return Vec::new();
    }
    vec![
        Diagnostic::new(
            Code::NativeReactive,
            config_path(&user.key),
            "reactive mode runs only on standalone application clusters; Flink refuses to start it in native mode",
        )
        .at(user.span)
        .with_hint("set `mode: standalone`, or use the adaptive scheduler (`jobmanager.scheduler: adaptive`), which native mode scales through the REST API"),
    ]
}

/// Ours (the CRD's enum): `job.state` is `running` or `suspended`.
pub fn job_state(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    match view.job.as_ref().map(|job| &job.state) {
        Some(JobState::Invalid(other)) => vec![at(
            view.parsed,
            Code::InvalidEnum,
            "spec.job.state",
            format!("job.state must be `running` or `suspended`, not `{other}`"),
        )],
        _ => Vec::new(),
    }
}

/// FO §6 rules 11–15 for an application cluster, over its own configuration.
pub fn state_directories(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let Some(JobView { spec, upgrade_mode, .. }) = &view.job else { return Vec::new() };
    job_spec_rules(&JobContext { job: spec, upgrade_mode, config: ConfigContext::of_cluster(view) })
}

/// FO §6 rules 11–15 (`DefaultValidator#validateJobSpec`), for both kinds.
pub fn job_spec_rules(context: &JobContext<'_>) -> Vec<Diagnostic> {
    let mut found = checkpoint_directory_for_stateful_upgrades(context);
    found.extend(savepoint_directory_when_needed(context));
    found
}

/// FO §6 rule 11: `last-state` and `savepoint` upgrades restore from checkpoints, so the
/// checkpoint directory must be set (the canonical key or the deprecated
/// `state.checkpoints.dir`; a blank value counts as unset).
fn checkpoint_directory_for_stateful_upgrades(context: &JobContext<'_>) -> Vec<Diagnostic> {
    let (mode, path) = (context.upgrade_mode.effective(), context.upgrade_mode.field);
    if mode == UpgradeMode::Stateless || context.config.non_blank(&CHECKPOINTS_DIRECTORY).is_some() {
        return Vec::new();
    }
    let key = context.key_to_set(&CHECKPOINTS_DIRECTORY);
    vec![
        Diagnostic::new(
            Code::MissingCheckpointDir,
            path,
            format!(
                "Checkpoint directory[{}] must be defined for last-state and savepoint upgrade modes",
                CHECKPOINTS_DIRECTORY.key
            ),
        )
        .at(context.config.span(path))
        .with_hint(format!("set flinkConfiguration `{key}` to a durable directory, e.g. `s3://bucket/checkpoints`")),
    ]
}

/// FO §6 rules 12–15: what needs a savepoint directory, checked as upstream does, as one
/// chain where the first reason found is the one reported:
/// 12. a `savepoint` upgrade stops the job with a savepoint;
/// 13. a manual savepoint (`savepointTriggerNonce`);
/// 14. periodic savepoints (`kubernetes.operator.periodic.savepoint.interval` present,
///     whatever its value);
/// 15. the last-state max checkpoint age, which falls back to a savepoint upgrade when the
///     newest checkpoint is too old.
fn savepoint_directory_when_needed(context: &JobContext<'_>) -> Vec<Diagnostic> {
    if context.config.non_blank(&SAVEPOINT_DIRECTORY).is_some() {
        return Vec::new();
    }
    let Some((path, span, message)) = savepoint_reason(context) else { return Vec::new() };
    let key = context.key_to_set(&SAVEPOINT_DIRECTORY);
    vec![
        Diagnostic::new(Code::MissingSavepointDir, path, message)
            .at(span)
            .with_hint(format!("set flinkConfiguration `{key}` to a durable directory, e.g. `s3://bucket/savepoints`")),
    ]
}

/// The first reason (rules 12–15) that needs a savepoint directory: path, position, message.
fn savepoint_reason(context: &JobContext<'_>) -> Option<(String, Span, String)> {
    let directory = SAVEPOINT_DIRECTORY.key;
    let config = &context.config;
    let mode_path = context.upgrade_mode.field;
    let from_key = |key: &'static str, message: String| Some((config_path(key), config.config_span(&[key]), message));
    if context.upgrade_mode.effective() == UpgradeMode::Savepoint {
        let message = format!("Job could not be upgraded with savepoint while config key[{directory}] is not set");
        Some((mode_path.to_string(), config.span(mode_path), message))
    } else if context.job.savepoint_trigger_nonce.is_some() {
        let path = "spec.job.savepointTriggerNonce";
        let message = format!(
            "Savepoint could not be manually triggered for the running job while config key[{directory}] is not set"
        );
        Some((path.to_string(), config.span(path), message))
    } else if PERIODIC_SAVEPOINT_INTERVAL.is_set(config.config) {
        from_key(
            PERIODIC_SAVEPOINT_INTERVAL.key,
            format!("Periodic savepoints cannot be enabled when config key[{directory}] is not set"),
        )
    } else if LAST_STATE_MAX_CHECKPOINT_AGE.is_set(config.config) {
        from_key(
            LAST_STATE_MAX_CHECKPOINT_AGE.key,
            format!(
                "In order to use max-checkpoint age functionality config key[{directory}] must be set to allow triggering savepoint upgrades."
            ),
        )
    } else {
        None
    }
}
