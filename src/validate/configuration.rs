//! Rules over the effective configuration of a FlinkDeployment: keys the operator forbids
//! (FO §6 rule 5) or manages, rollback and health-check prerequisites (rules 6–7), values
//! Flink or Kubernetes would reject at deploy time (slots, ports, the REST Service type,
//! booleans), keys this Flink version does not read, settings that do nothing without an
//! operator, and what the configuration file of the Flink version cannot hold (FO §5.1).

use crate::diagnostics::{Code, Diagnostic};
use crate::effective::cluster::RENDERING_FLAGS;
use crate::effective::{ClusterView, DeploymentMode};
use crate::flink::keys::stays_with_the_operator;
use crate::flink::options::{
    AUTOSCALER_ENABLED, CHECKPOINTS_DIRECTORY, DEPLOYMENT_RECOVERY_ENABLED, HEALTH_CHECK_ENABLED, ROLLBACK_ENABLED,
    SAVEPOINT_DIRECTORY, parse_bool,
};
use crate::flink::quantity::parse_resource_memory;
use crate::flink::version::FlinkVersion;

use super::context::ConfigContext;
use super::findings::{at, at_config, config_path};

/// Keys the user may not set: the operator owns them (FO §6 rule 5).
const FORBIDDEN_KEYS: [&str; 3] = ["kubernetes.namespace", "kubernetes.cluster-id", "high-availability.cluster-id"];

/// FO §6 rule 5: the cluster id and namespace come from metadata, never from configuration.
pub fn forbidden_keys(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    view.parsed
        .user_keys
        .iter()
        .filter(|user| FORBIDDEN_KEYS.contains(&user.key.as_str()))
        .map(|user| {
            Diagnostic::new(
                Code::ForbiddenConfigKey,
                config_path(&user.key),
                format!("Forbidden Flink config key: {}", user.key),
            )
            .at(user.span)
            .with_hint("the cluster id and namespace come from metadata; remove this key")
        })
        .collect()
}

/// Flink's `ConfigurationParserUtils.getSlot`: `taskmanager.numberOfTaskSlots` is an integer,
/// at least 1 (`-1` is read as 1); a TaskManager with fewer slots does not start, and the
/// operator's TaskManager count divides by it.
pub fn task_slots(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let Some(text) = &view.slots_problem else { return Vec::new() };
    let key = "taskmanager.numberOfTaskSlots";
    match text.trim().parse::<i64>() {
        Ok(slots) => vec![
            at_config(
                view.parsed,
                Code::InvalidTaskSlots,
                key,
                format!("Invalid configuration value for {key} : {slots} - Number of task slots must be at least one."),
            )
            .with_hint("set it to 1 or more"),
        ],
        Err(_) => vec![at_config(
            view.parsed,
            Code::InvalidConfigValue,
            key,
            format!("`{key}` must be an integer, not `{text}`"),
        )],
    }
}

/// Ours (FO §4.1): the Services need fixed ports, so port options are single port numbers.
pub fn ports(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    view.port_problems
        .iter()
        .map(|problem| {
            let key = problem.key;
            at_config(
                view.parsed,
                Code::InvalidPort,
                key,
                format!("`{key}` must be a single port number in standalone mode, not `{}`", problem.text),
            )
            .with_hint("port ranges are not supported: the Services need fixed ports")
        })
        .collect()
}

/// Ours (Flink's `KubernetesConfigOptions.ServiceExposedType`): the REST Service type.
pub fn rest_service_type(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let value = &view.rest_service_type;
    if ["ClusterIP", "NodePort", "LoadBalancer", "Headless_ClusterIP"].contains(&value.as_str()) {
        return Vec::new();
    }
    let key = "kubernetes.rest-service.exposed.type";
    vec![at_config(
        view.parsed,
        Code::InvalidConfigValue,
        key,
        format!("`{key}` must be ClusterIP, NodePort, LoadBalancer or Headless_ClusterIP, not `{value}`"),
    )]
}

/// Ours: the boolean options flink-render itself reads to render (pod-template merging, the
/// startup probe, the Ingress, host networking) must be booleans Flink reads.
pub fn rendering_flags_readable(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    RENDERING_FLAGS
        .iter()
        .filter_map(|(key, _)| {
            let text = view.config.get(key)?;
            let error = parse_bool(&text).err()?;
            Some(at_config(view.parsed, Code::InvalidConfigValue, key, format!("`{key}`: {error}")))
        })
        .collect()
}

/// FO §6 rule 6: the operator rolls back to the last stable spec from HA metadata, so
/// `kubernetes.operator.deployment.rollback.enabled` needs high availability.
pub fn rollback_requires_high_availability(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    match ConfigContext::of_cluster(view).flag(&ROLLBACK_ENABLED, false) {
        Err(error) => vec![*error],
        Ok(false) => Vec::new(),
        Ok(true) if view.high_availability.is_some() => Vec::new(),
        Ok(true) => vec![
            at_config(
                view.parsed,
                Code::RollbackNeedsHa,
                ROLLBACK_ENABLED.key,
                "HA must be enabled for rollback support.",
            )
            .with_hint(
                "set flinkConfiguration `high-availability.type: kubernetes` and `high-availability.storageDir`",
            ),
        ],
    }
}

/// FO §6 rule 7: the cluster health check restarts the JobManager Deployment through
/// deployment recovery, so it needs `kubernetes.operator.jm-deployment-recovery.enabled`.
pub fn health_check_requires_recovery(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let config = ConfigContext::of_cluster(view);
    let health_check = match config.flag(&HEALTH_CHECK_ENABLED, false) {
        Ok(enabled) => enabled,
        Err(error) => return vec![*error],
    };
    let recovery = match config.flag(&DEPLOYMENT_RECOVERY_ENABLED, true) {
        Ok(enabled) => enabled,
        Err(error) => return vec![*error],
    };
    if !health_check || recovery {
        return Vec::new();
    }
    let (recovery_key, _) =
        DEPLOYMENT_RECOVERY_ENABLED.lookup(&view.config).unwrap_or((DEPLOYMENT_RECOVERY_ENABLED.key, String::new()));
    let message = format!(
        "Deployment recovery ({}) must be enabled for job health check ({}) support.",
        DEPLOYMENT_RECOVERY_ENABLED.key, HEALTH_CHECK_ENABLED.key
    );
    vec![
        at_config(view.parsed, Code::HealthCheckNeedsRecovery, HEALTH_CHECK_ENABLED.key, message)
            .with_hint(format!("remove `{recovery_key}: false`, or turn the health check off")),
    ]
}

/// Ours: Flink before 1.20 does not know the 1.20 names `execution.checkpointing.dir` and
/// `execution.checkpointing.savepoint-dir`. The operator (built on Flink 1.20) accepts them
/// for rules 11–15, but the job itself would run without the directory: warn.
pub fn state_directory_keys_known_to_flink(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let Some(version) = view.flink_version.filter(|version| *version < FlinkVersion::new(1, 20)) else {
        return Vec::new();
    };
    [CHECKPOINTS_DIRECTORY, SAVEPOINT_DIRECTORY]
        .iter()
        .filter(|option| view.user_wrote(option.key) && !option.fallbacks.iter().any(|old| view.user_wrote(old)))
        .map(|option| {
            let message = format!(
                "Flink {version} does not read `{}` (new in Flink 1.20); the job would run without this directory",
                option.key
            );
            at_config(view.parsed, Code::KeyUnknownToFlinkVersion, option.key, message)
                .with_hint(format!("use `{}` on Flink versions before 1.20", option.fallbacks[0]))
        })
        .collect()
}

/// Keys the operator's config builder sets from the spec (FO §2.2), with the spec field
/// that sets them. A user value for one of them is overwritten or dropped.
const MANAGED_KEYS: [(&str, &str); 18] = [
    ("execution.target", "standalone mode"),
    ("pipeline.classpaths", "spec.job.jarURI"),
    ("kubernetes.container.image.ref", "spec.image"),
    ("kubernetes.container.image", "spec.image"),
    ("kubernetes.container.image.pull-policy", "spec.imagePullPolicy"),
    ("kubernetes.service-account", "spec.serviceAccount"),
    ("kubernetes.jobmanager.replicas", "spec.jobManager.replicas"),
    ("parallelism.default", "spec.job.parallelism and spec.taskManager.replicas"),
    ("jobmanager.rpc.address", "the cluster name and namespace"),
    ("execution.shutdown-on-application-finish", "the operator (application clusters stay up)"),
    ("execution.savepoint.path", "spec.job.initialSavepointPath"),
    ("execution.savepoint.ignore-unclaimed-state", "spec.job.allowNonRestoredState"),
    ("jobmanager.memory.process.size", "spec.jobManager memory"),
    ("taskmanager.memory.process.size", "spec.taskManager memory"),
    ("kubernetes.jobmanager.cpu.amount", "spec.jobManager cpu"),
    ("kubernetes.taskmanager.cpu.amount", "spec.taskManager cpu"),
    ("kubernetes.jobmanager.cpu", "spec.jobManager cpu"),
    ("kubernetes.taskmanager.cpu", "spec.taskManager cpu"),
];

/// Prefixes of Flink's and the operator's internal options.
const INTERNAL_PREFIXES: [&str; 2] = ["$internal.", "kubernetes.internal."];

/// Whether two values of `key` mean the same (memory sizes and cpu amounts compare by value).
fn same_value(key: &str, user: &str, effective: &str) -> bool {
    if user == effective {
        return true;
    }
    if key.ends_with(".memory.process.size") {
        return matches!((parse_resource_memory(user), parse_resource_memory(effective)), (Ok(a), Ok(b)) if a.bytes == b.bytes);
    }
    if key.contains(".cpu") {
        return matches!((user.trim().parse::<f64>(), effective.trim().parse::<f64>()), (Ok(a), Ok(b)) if a == b);
    }
    false
}

/// Keys the operator manages (FO §2.2): a value the user writes for a key the spec sets is
/// overwritten or dropped, and internal options (`$internal.*`, `kubernetes.internal.*`) are
/// not the user's to set. Warn, so the written configuration is not a surprise.
pub fn operator_managed_keys(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (index, user) in view.parsed.user_keys.iter().enumerate() {
        if view.parsed.user_keys[index + 1..].iter().any(|later| later.key == user.key) {
            continue;
        }
        let managed = MANAGED_KEYS.iter().find(|(key, _)| *key == user.key).map(|(_, source)| *source);
        let internal = INTERNAL_PREFIXES.iter().any(|prefix| user.key.starts_with(prefix));
        if managed.is_none() && !internal {
            continue;
        }
        let source = managed.unwrap_or("the operator");
        let effective = view.config.get(&user.key);
        let message = match &effective {
            Some(effective) if same_value(&user.key, &user.value, effective) => {
                if !internal {
                    continue;
                }
                format!(
                    "`{}` is an internal option that the operator and Flink manage; setting it by hand is unsupported",
                    user.key
                )
            }
            Some(effective) => format!(
                "`{}` is set by the operator from {source}: your value `{}` is replaced by `{effective}`",
                user.key, user.value
            ),
            None => format!(
                "`{}` is managed by the operator from {source}: your value `{}` is dropped",
                user.key, user.value
            ),
        };
        found.push(Diagnostic::new(Code::OperatorManagedKey, config_path(&user.key), message).at(user.span).with_hint(
            match managed {
                Some(source) if source.starts_with("spec.") => {
                    format!("remove it from flinkConfiguration and set {source}")
                }
                _ => "remove it from flinkConfiguration".to_string(),
            },
        ));
    }
    found
}

/// `kubernetes.operator.*` keys flink-render itself reads; every other one configures an
/// operator that is not there.
const HONOURED_OPERATOR_KEYS: [&str; 4] = [
    "kubernetes.operator.pod-template.merge-arrays-by-name",
    "kubernetes.operator.savepoint.format.type",
    "kubernetes.operator.jm-deployment.startup.probe.enabled",
    "kubernetes.operator.ingress.manage",
];

/// Flink options that standalone mode or flink-render does not use, and why.
const IGNORED_KEYS: [(&str, &str); 6] = [
    (
        "kubernetes.jobmanager.entrypoint.args",
        "native mode only: standalone JobManagers run `jobmanager` / `standalone-job`",
    ),
    ("kubernetes.taskmanager.entrypoint.args", "native mode only: standalone TaskManagers run `taskmanager`"),
    ("kubernetes.jobmanager.owner.reference", "flink-render writes no owner references (there is no live owner)"),
    (
        "kubernetes.env.secretKeyRef",
        "flink-render does not render secret environment variables yet; use a pod template `env` entry",
    ),
    (
        "kubernetes.hadoop.conf.config-map.name",
        "flink-render does not mount Hadoop configuration yet; use a pod template volume",
    ),
    ("kubernetes.pod-template-file.", "pod template files are operator-local paths; use spec.podTemplate"),
];

/// Options that Flink's decorators apply to the TaskManager pods a native JobManager creates, but
/// that the rendered JobManager Deployment does not carry yet, and what that means.
const NATIVE_TASKMANAGERS_ONLY: [(&str, &str); 2] = [
    (
        "kubernetes.env.secretKeyRef",
        "in native mode Flink adds the variables to the TaskManager pods it creates, but the rendered JobManager Deployment does not have them yet; use a pod template `env` entry for both",
    ),
    (
        "kubernetes.hadoop.conf.config-map.name",
        "in native mode Flink mounts it in the TaskManager pods it creates, but the rendered JobManager Deployment does not have it yet; use a pod template volume for both",
    ),
];

/// Ours: the checkpoint and autoscaler nonces ask the operator for something, and there is no
/// operator (`savepointTriggerNonce` is honoured: it renders a savepoint Job).
pub fn nonces_without_operator(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let Some(job) = &view.spec.job else { return Vec::new() };
    let nonces = [
        (
            "checkpointTriggerNonce",
            job.checkpoint_trigger_nonce,
            "asks the operator for a checkpoint; flink-render renders no checkpoint Job",
            "use periodic checkpoints (execution.checkpointing.interval) or a savepointTriggerNonce",
        ),
        ("autoscalerResetNonce", job.autoscaler_reset_nonce, "resets the operator's autoscaler", "remove it"),
    ];
    nonces
        .into_iter()
        .filter(|(_, value, _, _)| value.is_some_and(|nonce| nonce != 0))
        .map(|(field, _, what, hint)| {
            let message = format!("ignored: job.{field} {what}, and there is no operator");
            at(view.parsed, Code::IgnoredField, &format!("spec.job.{field}"), message).with_hint(hint)
        })
        .collect()
}

/// Ours: the autoscaler runs inside the operator; without it, the cluster keeps the
/// parallelism it is given.
pub fn autoscaler_not_running(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    if !ConfigContext::of_cluster(view).flag(&AUTOSCALER_ENABLED, false).unwrap_or(false) {
        return Vec::new();
    }
    let (key, _) = AUTOSCALER_ENABLED.lookup(&view.config).unwrap_or((AUTOSCALER_ENABLED.key, String::new()));
    vec![
        at_config(
            view.parsed,
            Code::AutoscalerNotRunning,
            key,
            "the autoscaler runs inside the operator: without it, the rendered cluster keeps the parallelism it is given",
        )
        .with_hint("set spec.job.parallelism (or taskManager.replicas) to the size you want"),
    ]
}

/// Ours: `kubernetes.operator.*` settings configure an operator that is not there (except
/// the few flink-render honours); one warning lists them all. The operator's old autoscaler
/// keys are left to [`autoscaler_not_running`] when the autoscaler is on.
pub fn operator_settings_ignored(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let autoscaler_warned = !autoscaler_not_running(view).is_empty();
    let operator_keys: Vec<_> = view
        .parsed
        .user_keys
        .iter()
        .filter(|user| {
            user.key.starts_with("kubernetes.operator.")
                && !HONOURED_OPERATOR_KEYS.contains(&user.key.as_str())
                && !(autoscaler_warned && user.key.starts_with("kubernetes.operator.job.autoscaler."))
        })
        .collect();
    let Some(first) = operator_keys.first() else { return Vec::new() };
    let names: Vec<String> = operator_keys.iter().map(|user| format!("`{}`", user.key)).collect();
    vec![
        Diagnostic::new(
            Code::OperatorSettingIgnored,
            config_path(&first.key),
            format!("operator settings have no effect without the operator: {}", names.join(", ")),
        )
        .at(first.span)
        .with_hint("they are validated as the operator would, then left out of the rendered configuration"),
    ]
}

/// Ours: Flink options that standalone mode or flink-render does not use ([`IGNORED_KEYS`]; a
/// native cluster uses the entrypoint args).
pub fn ignored_config_keys(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let native = view.mode == DeploymentMode::Native;
    view.parsed
        .user_keys
        .iter()
        .filter(|user| !(native && user.key.ends_with(".entrypoint.args")))
        .filter_map(|user| {
            let (key, reason) = IGNORED_KEYS
                .iter()
                .find(|(key, _)| if key.ends_with('.') { user.key.starts_with(key) } else { user.key == *key })?;
            // a native JobManager passes these on to the TaskManager pods it creates
            let reason = match NATIVE_TASKMANAGERS_ONLY.iter().find(|(only, _)| only == key) {
                Some((_, what)) if native => what,
                _ => reason,
            };
            Some(
                Diagnostic::new(
                    Code::IgnoredConfigKey,
                    config_path(&user.key),
                    format!("ignored: `{}` has no effect here ({reason})", user.key),
                )
                .at(user.span),
            )
        })
        .collect()
}

/// Ours (FO §5.1): what the configuration file of the Flink version cannot hold. A flat
/// `flink-conf.yaml` (Flink 1.x) holds one `key: value` per line, cuts `#` as a comment and
/// splits at `: `; a nested `config.yaml` (Flink 2.x) cannot hold `k` next to `k.v`.
pub fn config_file_writable(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let Some(version) = view.flink_version else { return Vec::new() };
    let written: Vec<&String> =
        view.config.iter().map(|(key, _)| key).filter(|key| !stays_with_the_operator(key)).collect();
    written
        .iter()
        .filter_map(|key| {
            let problem = if version.uses_config_yaml() {
                overlapping_key(key, &written, view)
            } else {
                flat_file_problem(key, &view.config.get(key).unwrap_or_default())
            }?;
            let (code, message, hint) = problem;
            let mut diagnostic =
                Diagnostic::new(code, config_path(key), message).at(view.parsed.config_span(&[key.as_str()]));
            diagnostic.hint = hint.map(String::from);
            Some(diagnostic)
        })
        .collect()
}

type Problem = (Code, String, Option<&'static str>);

fn flat_file_problem(key: &str, text: &str) -> Option<Problem> {
    if text.contains('\n') || key.contains('\n') {
        Some((
            Code::UnwritableConfigValue,
            format!("`{key}` contains a line break, which a flat flink-conf.yaml cannot hold"),
            None,
        ))
    } else if text.contains('#') || key.contains('#') {
        Some((
            Code::UnwritableConfigValue,
            format!("`{key}` contains `#`: Flink's flat flink-conf.yaml parser cuts the rest of the line as a comment"),
            Some("Flink 2.x (config.yaml) can hold it; on 1.x avoid `#` in configuration values"),
        ))
    } else if !text.is_empty() && !key.is_empty() && (key.contains(": ") || key.ends_with(':')) {
        Some((
            Code::UnwritableConfigValue,
            format!("the key `{key}` contains `: `, which a flat flink-conf.yaml cannot hold"),
            None,
        ))
    } else {
        None
    }
}

fn overlapping_key(key: &str, written: &[&String], view: &ClusterView<'_>) -> Option<Problem> {
    let prefix = format!("{key}.");
    let longer =
        written.iter().filter(|other| other.starts_with(&prefix)).min_by_key(|other| !view.user_wrote(other))?;
    Some((
        Code::OverlappingConfigKeys,
        format!(
            "Overlapping key prefixes detected ({key} -> {longer}), please replace with Flink v2 compatible, non-deprecated keys."
        ),
        Some("Flink 2.x reads a nested config.yaml: a key cannot be both a value and a section"),
    ))
}
