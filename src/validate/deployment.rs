//! The FlinkDeployment rules that need the effective configuration (FO §6 rules 6, 7,
//! 11–15 and 33), the deprecation warning for old Flink versions, and flink-render's own
//! checks: Kubernetes names that end up in objects, keys the operator overwrites, and
//! settings that have no effect without an operator. Each rule is a function from a
//! [`DeploymentContext`] to its findings; [`super::DEPLOYMENT_RULES`] lists them in order.

use crate::diagnostics::{Code, Diagnostic};
use crate::flink::config::{parse_flat_list, parse_flat_map};
use crate::flink::quantity::parse_resource_memory;
use crate::flink::version::FlinkVersion;

use super::DeploymentContext;
use super::common::{self, AUTOSCALER_ENABLED, CHECKPOINTS_DIRECTORY, ConfigContext, JOB_RULES, SAVEPOINT_DIRECTORY};
use super::names::{LABEL_RULE, SUBDOMAIN_RULE, is_dns1123_label, is_dns1123_subdomain};
use crate::flink::options::FlinkOption;

/// `high-availability.type` and the keys Flink falls back to (FO §2.2 key-name notes).
const HIGH_AVAILABILITY: FlinkOption =
    FlinkOption::with_fallbacks("high-availability.type", &["high-availability", "recovery.mode"]);
/// `KubernetesOperatorConfigOptions.DEPLOYMENT_ROLLBACK_ENABLED` (default false).
const ROLLBACK_ENABLED: FlinkOption = FlinkOption::new("kubernetes.operator.deployment.rollback.enabled");
/// `KubernetesOperatorConfigOptions.OPERATOR_CLUSTER_HEALTH_CHECK_ENABLED` (default false).
const HEALTH_CHECK_ENABLED: FlinkOption = FlinkOption::new("kubernetes.operator.cluster.health-check.enabled");
/// `KubernetesOperatorConfigOptions.OPERATOR_JM_DEPLOYMENT_RECOVERY_ENABLED` (default true).
const DEPLOYMENT_RECOVERY_ENABLED: FlinkOption = FlinkOption::with_fallbacks(
    "kubernetes.operator.jm-deployment-recovery.enabled",
    &["kubernetes.operator.reconciler.jm-deployment-recovery.enabled"],
);

/// `HighAvailabilityMode.isHighAvailabilityModeActivated`: any value but `NONE`.
fn high_availability_active(context: &DeploymentContext<'_>) -> bool {
    HIGH_AVAILABILITY.lookup(context.config).is_some_and(|(_, kind)| !kind.trim().eq_ignore_ascii_case("none"))
}

/// FO §1.2: `flinkVersion` v1_15 to v1_18 still work but are deprecated by the operator.
pub fn flink_version_deprecated(context: &DeploymentContext<'_>) -> Vec<Diagnostic> {
    let version = context.flink_version;
    if !(FlinkVersion::new(1, 15)..=FlinkVersion::new(1, 18)).contains(&version) {
        return Vec::new();
    }
    vec![
        Diagnostic::new(
            Code::DeprecatedFlinkVersion,
            "spec.flinkVersion",
            format!("Flink version {version} is deprecated by the operator; support for it will be removed"),
        )
        .at(context.span("spec.flinkVersion"))
        .with_hint("upgrade to v1_19 or newer"),
    ]
}

/// FO §6 rule 6: the operator rolls back to the last stable spec from HA metadata, so
/// `kubernetes.operator.deployment.rollback.enabled` needs high availability.
pub fn rollback_requires_high_availability(context: &DeploymentContext<'_>) -> Vec<Diagnostic> {
    match context.config_context().flag(&ROLLBACK_ENABLED, false) {
        Err(error) => vec![*error],
        Ok(false) => Vec::new(),
        Ok(true) if high_availability_active(context) => Vec::new(),
        Ok(true) => vec![
            Diagnostic::new(
                Code::RollbackNeedsHa,
                ConfigContext::config_path(ROLLBACK_ENABLED.key),
                "HA must be enabled for rollback support.",
            )
            .at(context.config_span(ROLLBACK_ENABLED.key))
            .with_hint(
                "set flinkConfiguration `high-availability.type: kubernetes` and `high-availability.storageDir`",
            ),
        ],
    }
}

/// FO §6 rule 7: the cluster health check restarts the JobManager Deployment through
/// deployment recovery, so it needs `kubernetes.operator.jm-deployment-recovery.enabled`.
pub fn health_check_requires_deployment_recovery(context: &DeploymentContext<'_>) -> Vec<Diagnostic> {
    let config = context.config_context();
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
        DEPLOYMENT_RECOVERY_ENABLED.lookup(context.config).unwrap_or((DEPLOYMENT_RECOVERY_ENABLED.key, String::new()));
    vec![
        Diagnostic::new(
            Code::HealthCheckNeedsRecovery,
            ConfigContext::config_path(HEALTH_CHECK_ENABLED.key),
            format!(
                "Deployment recovery ({}) must be enabled for job health check ({}) support.",
                DEPLOYMENT_RECOVERY_ENABLED.key, HEALTH_CHECK_ENABLED.key
            ),
        )
        .at(context.config_span(HEALTH_CHECK_ENABLED.key))
        .with_hint(format!("remove `{recovery_key}: false`, or turn the health check off")),
    ]
}

/// FO §6 rules 11–15 for application clusters: the checkpoint directory for stateful
/// upgrade modes, and the savepoint directory for everything that takes a savepoint.
pub fn job_spec_directories(context: &DeploymentContext<'_>) -> Vec<Diagnostic> {
    let Some(job) = context.job_context() else { return Vec::new() };
    JOB_RULES.iter().flat_map(|(_, rule)| rule(&job)).collect()
}

/// Flink before 1.20 does not know the 1.20 names `execution.checkpointing.dir` and
/// `execution.checkpointing.savepoint-dir`. The operator (built on Flink 1.20) accepts them
/// for rules 11–15, but the job itself would run without the directory: warn.
pub fn state_directory_keys_known_to_flink(context: &DeploymentContext<'_>) -> Vec<Diagnostic> {
    if context.flink_version >= FlinkVersion::new(1, 20) {
        return Vec::new();
    }
    let written = |key: &str| context.user_keys.iter().any(|user| user.key == key);
    [CHECKPOINTS_DIRECTORY, SAVEPOINT_DIRECTORY]
        .iter()
        .filter(|option| written(option.key) && !option.fallbacks.iter().any(|old| written(old)))
        .map(|option| {
            let old = option.fallbacks[0];
            Diagnostic::new(
                Code::KeyUnknownToFlinkVersion,
                ConfigContext::config_path(option.key),
                format!(
                    "Flink {} does not read `{}` (new in Flink 1.20); the job would run without this directory",
                    context.flink_version, option.key
                ),
            )
            .at(context.config_span(option.key))
            .with_hint(format!("use `{old}` on Flink versions before 1.20"))
        })
        .collect()
}

/// Kubernetes names flink-render writes into objects must be valid, or the API server
/// rejects them on apply: the namespace (a DNS-1123 label), service accounts and pull
/// secrets (subdomains), and `kubernetes.secrets` (a subdomain whose volume name
/// `<secret>-volume` is a label).
pub fn kubernetes_names(context: &DeploymentContext<'_>) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    if let Some(namespace) = context.namespace.filter(|namespace| !is_dns1123_label(namespace)) {
        let written = context.document.get("metadata").and_then(|metadata| metadata.get("namespace")).is_some();
        let (path, origin) = if written { ("metadata.namespace", "") } else { ("", " (from --namespace)") };
        found.push(
            Diagnostic::new(
                Code::InvalidKubernetesName,
                path,
                format!("namespace `{namespace}`{origin} is not a valid Kubernetes namespace name"),
            )
            .at(context.span(if written { path } else { "metadata" }))
            .with_hint(LABEL_RULE),
        );
    }
    if let Some(account) = context.spec.service_account.as_deref().filter(|account| !account.is_empty())
        && !is_dns1123_subdomain(account)
    {
        found.push(
            Diagnostic::new(
                Code::InvalidKubernetesName,
                "spec.serviceAccount",
                format!("serviceAccount `{account}` is not a valid ServiceAccount name"),
            )
            .at(context.span("spec.serviceAccount"))
            .with_hint(SUBDOMAIN_RULE),
        );
    }
    for user in context.user_keys {
        let path = ConfigContext::config_path(&user.key);
        let mut invalid = |name: &str, what: &str, rule: &str| {
            found.push(
                Diagnostic::new(
                    Code::InvalidKubernetesName,
                    path.clone(),
                    format!("`{}`: `{name}` is not a valid {what}", user.key),
                )
                .at(user.span)
                .with_hint(rule.to_string()),
            )
        };
        match user.key.as_str() {
            "kubernetes.jobmanager.service-account" | "kubernetes.taskmanager.service-account"
                if !is_dns1123_subdomain(&user.value) =>
            {
                invalid(&user.value, "ServiceAccount name", SUBDOMAIN_RULE);
            }
            "kubernetes.container.image.pull-secrets" => {
                for name in parse_flat_list(&user.value).iter().filter(|name| !name.is_empty()) {
                    if !is_dns1123_subdomain(name) {
                        invalid(name, "Secret name", SUBDOMAIN_RULE);
                    }
                }
            }
            "kubernetes.secrets" => {
                let entries = parse_flat_map(&user.value);
                let pieces = user.value.split(',').filter(|piece| !piece.trim().is_empty()).count();
                if entries.len() != pieces && !user.value.contains(['\'', '"']) {
                    invalid(
                        &user.value,
                        "list of `secret-name:mount-path` entries",
                        "write `name:/mount/path,other:/other/path`",
                    );
                }
                for (secret, _) in &entries {
                    if !is_dns1123_subdomain(secret) {
                        invalid(secret, "Secret name", SUBDOMAIN_RULE);
                    } else if !is_dns1123_label(&format!("{secret}-volume")) {
                        invalid(
                            secret,
                            "secret to mount: its volume name must be a DNS-1123 label",
                            "the volume is named `<secret>-volume`: use a secret name without dots, at most 56 characters",
                        );
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// FO §6 rule 33, option ranges (see [`common::autoscaler_options_in_range`]).
pub fn autoscaler_options_in_range(context: &DeploymentContext<'_>) -> Vec<Diagnostic> {
    common::autoscaler_options_in_range(&context.config_context())
}

/// FO §6 rule 33, metrics window (see [`common::autoscaler_metrics_window_covers_reconcile_interval`]).
pub fn autoscaler_metrics_window(context: &DeploymentContext<'_>) -> Vec<Diagnostic> {
    common::autoscaler_metrics_window_covers_reconcile_interval(&context.config_context())
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
pub fn operator_managed_keys(context: &DeploymentContext<'_>) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (index, user) in context.user_keys.iter().enumerate() {
        if context.user_keys[index + 1..].iter().any(|later| later.key == user.key) {
            continue;
        }
        let managed = MANAGED_KEYS.iter().find(|(key, _)| *key == user.key).map(|(_, source)| *source);
        let internal = INTERNAL_PREFIXES.iter().any(|prefix| user.key.starts_with(prefix));
        if managed.is_none() && !internal {
            continue;
        }
        let source = managed.unwrap_or("the operator");
        let effective = context.config.get(&user.key);
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
        found.push(
            Diagnostic::new(Code::OperatorManagedKey, ConfigContext::config_path(&user.key), message)
                .at(user.span)
                .with_hint(match managed {
                    Some(source) if source.starts_with("spec.") => {
                        format!("remove it from flinkConfiguration and set {source}")
                    }
                    _ => "remove it from flinkConfiguration".to_string(),
                }),
        );
    }
    found
}

/// `kubernetes.operator.*` keys flink-render itself reads; every other one configures an
/// operator that is not there.
const HONOURED_OPERATOR_KEYS: [&str; 3] = [
    "kubernetes.operator.pod-template.merge-arrays-by-name",
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

/// Settings that do nothing in a rendered cluster, silently upstream of here: the snapshot
/// and autoscaler nonces (no lifecycle Jobs, no autoscaler), the autoscaler itself (it runs
/// inside the operator), operator settings, and native-only or unrendered Flink options.
pub fn settings_without_effect(context: &DeploymentContext<'_>) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    if let Some(job) = &context.spec.job {
        let nonces = [
            (
                "savepointTriggerNonce",
                job.savepoint_trigger_nonce,
                "asks the operator for a savepoint",
                "use a FlinkStateSnapshot resource (the nonce is deprecated upstream too)",
            ),
            (
                "checkpointTriggerNonce",
                job.checkpoint_trigger_nonce,
                "asks the operator for a checkpoint",
                "use a FlinkStateSnapshot resource (the nonce is deprecated upstream too)",
            ),
            ("autoscalerResetNonce", job.autoscaler_reset_nonce, "resets the operator's autoscaler", "remove it"),
        ];
        for (field, value, what, hint) in nonces {
            if value.is_some() {
                let path = format!("spec.job.{field}");
                found.push(
                    Diagnostic::new(Code::IgnoredField,
                        path.clone(),
                        format!("ignored: job.{field} {what}, and there is no operator; flink-render renders no lifecycle Jobs yet"),
                    )
                    .at(context.span(&path))
                    .with_hint(hint),
                );
            }
        }
    }
    let config = context.config_context();
    if config.flag(&AUTOSCALER_ENABLED, false).unwrap_or(false) {
        let (key, _) = AUTOSCALER_ENABLED.lookup(context.config).unwrap_or((AUTOSCALER_ENABLED.key, String::new()));
        found.push(
            Diagnostic::new(Code::AutoscalerNotRunning,
                ConfigContext::config_path(key),
                "the autoscaler runs inside the operator: without it, the rendered cluster keeps the parallelism it is given",
            )
            .at(context.config_span(key))
            .with_hint("set spec.job.parallelism (or taskManager.replicas) to the size you want"),
        );
    }
    let operator_keys: Vec<_> = context
        .user_keys
        .iter()
        .filter(|user| {
            user.key.starts_with("kubernetes.operator.") && !HONOURED_OPERATOR_KEYS.contains(&user.key.as_str())
        })
        .collect();
    if let Some(first) = operator_keys.first() {
        let names: Vec<String> = operator_keys.iter().map(|user| format!("`{}`", user.key)).collect();
        found.push(
            Diagnostic::new(
                Code::OperatorSettingIgnored,
                ConfigContext::config_path(&first.key),
                format!("operator settings have no effect without the operator: {}", names.join(", ")),
            )
            .at(first.span)
            .with_hint("they are validated as the operator would, then left out of the rendered configuration"),
        );
    }
    for user in context.user_keys {
        let reason = IGNORED_KEYS
            .iter()
            .find(|(key, _)| if key.ends_with('.') { user.key.starts_with(key) } else { user.key == *key })
            .map(|(_, reason)| *reason);
        if let Some(reason) = reason {
            found.push(
                Diagnostic::new(
                    Code::IgnoredConfigKey,
                    ConfigContext::config_path(&user.key),
                    format!("ignored: `{}` has no effect here ({reason})", user.key),
                )
                .at(user.span),
            );
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use crate::diagnostics::{Diagnostic, Severity};
    use crate::{Input, Options, compile};

    /// A valid application cluster on `version` with extra `job` lines and configuration.
    fn deployment(version: &str, job: &str, configuration: &str) -> String {
        format!(
            "apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata:
  name: rules
  namespace: flink
spec:
  image: flink:1.20
  flinkVersion: {version}
  serviceAccount: flink
  jobManager:
    resources:
      requests: {{memory: \"2g\", cpu: \"1\"}}
  taskManager:
    resources:
      requests: {{memory: \"2g\", cpu: \"1\"}}
  job:
    jarURI: local:///opt/flink/job.jar
    parallelism: 2
{job}  flinkConfiguration:
    pipeline.name: rules
{configuration}"
        )
    }

    fn findings(text: &str) -> Vec<Diagnostic> {
        compile(&[Input { name: "test.yaml", text }], &Options::default()).diagnostics.into_iter().collect()
    }

    fn errors(text: &str) -> Vec<String> {
        findings(text).into_iter().filter(Diagnostic::is_error).map(|d| d.message).collect()
    }

    fn warnings(text: &str, code: &str) -> Vec<String> {
        findings(text)
            .into_iter()
            .filter(|d| d.severity == Severity::Warning && d.code.as_str() == code)
            .map(|d| d.message)
            .collect()
    }

    const HA: &str = "    high-availability.type: kubernetes\n    high-availability.storageDir: s3://b/ha\n";
    const DIRS: &str =
        "    execution.checkpointing.dir: s3://b/c\n    execution.checkpointing.savepoint-dir: s3://b/s\n";

    #[test]
    fn the_base_spec_is_clean() {
        assert!(findings(&deployment("v1_20", "", "")).is_empty(), "{:?}", findings(&deployment("v1_20", "", "")));
    }

    /// FO §9 fact 36: v1_15, v1_18 and v1_19 are accepted; v1_15–v1_18 are deprecated (FO §1.2).
    #[test]
    fn fo9_fact36_supported_versions_are_accepted_and_old_ones_deprecated() {
        for version in ["v1_15", "v1_18", "v1_19"] {
            assert!(errors(&deployment(version, "", "")).is_empty(), "{version}");
        }
        assert_eq!(
            warnings(&deployment("v1_18", "", ""), "deprecated-flink-version"),
            ["Flink version v1_18 is deprecated by the operator; support for it will be removed"]
        );
        assert!(warnings(&deployment("v1_19", "", ""), "deprecated-flink-version").is_empty());
    }

    /// FO §6 rule 6.
    #[test]
    fn rule6_rollback_requires_high_availability() {
        let rollback = "    kubernetes.operator.deployment.rollback.enabled: \"true\"\n";
        assert_eq!(errors(&deployment("v1_20", "", rollback)), ["HA must be enabled for rollback support."]);
        assert!(errors(&deployment("v1_20", "", &format!("{rollback}{HA}"))).is_empty());
        let none = "    high-availability.type: NONE\n";
        assert_eq!(
            errors(&deployment("v1_20", "", &format!("{rollback}{none}"))),
            ["HA must be enabled for rollback support."]
        );
    }

    /// FO §6 rule 7, with the deprecated recovery key.
    #[test]
    fn rule7_health_check_requires_deployment_recovery() {
        let health = "    kubernetes.operator.cluster.health-check.enabled: \"true\"\n";
        assert!(errors(&deployment("v1_20", "", health)).is_empty(), "recovery is on by default");
        let off = "    kubernetes.operator.reconciler.jm-deployment-recovery.enabled: \"false\"\n";
        assert_eq!(
            errors(&deployment("v1_20", "", &format!("{health}{off}"))),
            [
                "Deployment recovery (kubernetes.operator.jm-deployment-recovery.enabled) must be enabled for job health check (kubernetes.operator.cluster.health-check.enabled) support."
            ]
        );
    }

    #[test]
    fn a_boolean_flink_cannot_read_is_an_error() {
        let found = errors(&deployment("v1_20", "", "    kubernetes.operator.deployment.rollback.enabled: \"yes\"\n"));
        assert_eq!(
            found,
            [
                "`kubernetes.operator.deployment.rollback.enabled`: Unrecognized option for boolean: yes. Expected either true or false(case insensitive)"
            ]
        );
    }

    /// FO §6 rule 11: savepoint and last-state need a checkpoint directory; blank is unset;
    /// the deprecated key counts.
    #[test]
    fn rule11_checkpoint_directory_for_stateful_upgrades() {
        let message = "Checkpoint directory[execution.checkpointing.dir] must be defined for last-state and savepoint upgrade modes";
        let savepoint_dir = "    execution.checkpointing.savepoint-dir: s3://b/s\n";
        assert_eq!(errors(&deployment("v1_20", "    upgradeMode: savepoint\n", savepoint_dir)), [message]);
        assert_eq!(
            errors(&deployment("v1_20", "    upgradeMode: last-state\n", &format!("{savepoint_dir}{HA}"))),
            [message]
        );
        let blank = "    execution.checkpointing.dir: \" \"\n";
        assert_eq!(
            errors(&deployment("v1_20", "    upgradeMode: savepoint\n", &format!("{savepoint_dir}{blank}"))),
            [message]
        );
        let deprecated = "    state.checkpoints.dir: s3://b/c\n";
        assert!(
            errors(&deployment("v1_20", "    upgradeMode: savepoint\n", &format!("{savepoint_dir}{deprecated}")))
                .is_empty()
        );
        assert!(errors(&deployment("v1_20", "    upgradeMode: stateless\n", "")).is_empty());
    }

    /// FO §6 rules 12–15: the first applicable savepoint-directory message, as upstream.
    #[test]
    fn rules12_to_15_savepoint_directory() {
        let checkpoint_dir = "    state.checkpoints.dir: s3://b/c\n";
        let key = "execution.checkpointing.savepoint-dir";
        assert_eq!(
            errors(&deployment("v1_20", "    upgradeMode: savepoint\n    savepointTriggerNonce: 1\n", checkpoint_dir)),
            [format!("Job could not be upgraded with savepoint while config key[{key}] is not set")]
        );
        assert_eq!(
            errors(&deployment(
                "v1_20",
                "    savepointTriggerNonce: 1\n",
                "    kubernetes.operator.periodic.savepoint.interval: 1h\n"
            )),
            [format!(
                "Savepoint could not be manually triggered for the running job while config key[{key}] is not set"
            )]
        );
        assert_eq!(
            errors(&deployment("v1_20", "", "    kubernetes.operator.periodic.savepoint.interval: \"\"\n")),
            [format!("Periodic savepoints cannot be enabled when config key[{key}] is not set")]
        );
        assert_eq!(
            errors(&deployment(
                "v1_20",
                "",
                "    kubernetes.operator.job.upgrade.last-state.max.allowed.checkpoint.age: 10 min\n"
            )),
            [format!(
                "In order to use max-checkpoint age functionality config key[{key}] must be set to allow triggering savepoint upgrades."
            )]
        );
        let deprecated = "    state.savepoints.dir: s3://b/s\n";
        assert!(
            errors(&deployment("v1_20", "    upgradeMode: savepoint\n", &format!("{checkpoint_dir}{deprecated}")))
                .is_empty()
        );
    }

    #[test]
    fn rule11_reads_the_flip212_spelling_of_upgrade_mode() {
        let found = findings(&deployment("v1_20", "    restoreMode: savepoint\n", ""));
        let rule11 = found.iter().find(|d| d.code.as_str() == "missing-checkpoint-dir").expect("rule 11 fires");
        assert_eq!(rule11.path, "spec.job.restoreMode");
    }

    #[test]
    fn new_directory_keys_on_old_flink_are_warned() {
        let found = warnings(&deployment("v1_19", "", DIRS), "key-unknown-to-flink-version");
        assert_eq!(found.len(), 2);
        assert!(found[0].starts_with("Flink v1_19 does not read `execution.checkpointing.dir`"));
        assert!(warnings(&deployment("v1_20", "", DIRS), "key-unknown-to-flink-version").is_empty());
    }

    const AUTOSCALER: &str = "    job.autoscaler.enabled: \"true\"\n";

    /// FO §6 rule 33: ranges, the utilization bounds and unreadable numbers.
    #[test]
    fn rule33_autoscaler_options_in_range() {
        let out_of_range = format!(
            "{AUTOSCALER}    job.autoscaler.utilization.target: \"1.5\"\n    job.autoscaler.scale-down.max-factor: \"-1\"\n"
        );
        assert_eq!(
            errors(&deployment("v1_20", "", &out_of_range)),
            [
                "The AutoScalerOption job.autoscaler.scale-down.max-factor is invalid, it should be a value within the range [0.0, +Infinity]",
                "The AutoScalerOption job.autoscaler.utilization.target is invalid, it should be a value within the range [0.0, 1.0]",
            ]
        );
        let below_target = format!("{AUTOSCALER}    job.autoscaler.utilization.max: \"0.5\"\n");
        assert_eq!(
            errors(&deployment("v1_20", "", &below_target)),
            [
                "The AutoScalerOption job.autoscaler.utilization.max is invalid, it should be a value within the range [0.7, 1.0]",
            ]
        );
        let unreadable = format!("{AUTOSCALER}    job.autoscaler.target.utilization.boundary: lots\n");
        assert_eq!(
            errors(&deployment("v1_20", "", &unreadable)),
            ["Invalid value in the autoscaler config job.autoscaler.target.utilization.boundary"]
        );
        let disabled = "    job.autoscaler.utilization.target: \"1.5\"\n";
        assert!(errors(&deployment("v1_20", "", disabled)).is_empty(), "only checked when the autoscaler is on");
        let feature_off = format!("{AUTOSCALER}    job.autoscaler.memory.tuning.overhead: \"7\"\n");
        assert!(errors(&deployment("v1_20", "", &feature_off)).is_empty(), "only checked with memory tuning on");
        let legacy = "    kubernetes.operator.job.autoscaler.enabled: \"true\"\n    kubernetes.operator.job.autoscaler.target.utilization: \"3\"\n";
        assert_eq!(errors(&deployment("v1_20", "", legacy)).len(), 1, "fallback keys are read");
    }

    /// FO §6 rule 33: excluded periods are daily ranges or cron expressions.
    #[test]
    fn rule33_autoscaler_excluded_periods() {
        let valid = format!(
            "{AUTOSCALER}    job.autoscaler.excluded.periods: \"09:00-17:00 && * * * ? * MON-FRI;0 0 0 * * ?\"\n"
        );
        assert!(errors(&deployment("v1_20", "", &valid)).is_empty());
        let invalid = format!("{AUTOSCALER}    job.autoscaler.excluded.periods: \"17:00-09:00\"\n");
        assert_eq!(
            errors(&deployment("v1_20", "", &invalid)),
            [
                "Invalid value 17:00-09:00 in the autoscaler config job.autoscaler.excluded.periods, the value is neither a valid daily expression nor a valid cron expression",
            ]
        );
        let two_daily = format!("{AUTOSCALER}    job.autoscaler.excluded.periods: \"09:00-10:00 && 11:00-12:00\"\n");
        assert!(errors(&deployment("v1_20", "", &two_daily))[0].ends_with(
            "the value can not be configured as dailyExpression && dailyExpression or cronExpression && cronExpression"
        ));
    }

    /// FO §6 rule 33: the metrics window must cover the reconcile interval, printed as Java durations.
    #[test]
    fn rule33_metrics_window_covers_reconcile_interval() {
        let short = format!("{AUTOSCALER}    job.autoscaler.metrics.window: 30 s\n");
        assert_eq!(
            errors(&deployment("v1_20", "", &short)),
            [
                "The autoscaler metric window (job.autoscaler.metrics.window=PT30S) must not be smaller than the operator reconcile interval (kubernetes.operator.reconcile.interval=PT1M), otherwise fewer than two metric samples are retained and autoscaling is never applied.",
            ]
        );
        let slow = format!("{AUTOSCALER}    kubernetes.operator.reconcile.interval: 20 min\n");
        assert_eq!(errors(&deployment("v1_20", "", &slow)).len(), 1, "the default window of 15 min is too small");
        let unreadable = format!("{AUTOSCALER}    job.autoscaler.metrics.window: soon\n");
        assert!(
            errors(&deployment("v1_20", "", &unreadable))[0]
                .starts_with("`job.autoscaler.metrics.window` is not a duration (`soon`)")
        );
    }

    #[test]
    fn kubernetes_names_are_checked() {
        let bad_namespace = deployment("v1_20", "", "").replace("namespace: flink", "namespace: Flink_Jobs");
        assert_eq!(errors(&bad_namespace), ["namespace `Flink_Jobs` is not a valid Kubernetes namespace name"]);
        let bad_account = deployment("v1_20", "", "").replace("serviceAccount: flink", "serviceAccount: Flink");
        assert_eq!(errors(&bad_account), ["serviceAccount `Flink` is not a valid ServiceAccount name"]);
        let secrets = "    kubernetes.secrets: \"good:/a,Bad:/b,dotted.name:/c\"\n";
        assert_eq!(
            errors(&deployment("v1_20", "", secrets)),
            [
                "`kubernetes.secrets`: `Bad` is not a valid Secret name",
                "`kubernetes.secrets`: `dotted.name` is not a valid secret to mount: its volume name must be a DNS-1123 label",
            ]
        );
        let malformed = "    kubernetes.secrets: \"just-a-name\"\n";
        assert_eq!(errors(&deployment("v1_20", "", malformed)).len(), 1);
        let pull = "    kubernetes.container.image.pull-secrets: \"ok;NOT_OK\"\n";
        assert_eq!(
            errors(&deployment("v1_20", "", pull)),
            ["`kubernetes.container.image.pull-secrets`: `NOT_OK` is not a valid Secret name"]
        );
    }

    #[test]
    fn operator_managed_keys_are_warned() {
        let config = "    execution.target: kubernetes-application\n    $internal.pipeline.job-id: abc\n    taskmanager.memory.process.size: 2048m\n    parallelism.default: \"8\"\n";
        let found = warnings(&deployment("v1_20", "", config), "operator-managed-key");
        assert_eq!(
            found,
            [
                "`execution.target` is set by the operator from standalone mode: your value `kubernetes-application` is replaced by `remote`",
                "`$internal.pipeline.job-id` is an internal option that the operator and Flink manage; setting it by hand is unsupported",
                "`parallelism.default` is set by the operator from spec.job.parallelism and spec.taskManager.replicas: your value `8` is replaced by `2`",
            ]
        );
    }

    #[test]
    fn settings_without_effect_are_warned() {
        let job = "    savepointTriggerNonce: 3\n    autoscalerResetNonce: 1\n";
        let config = format!(
            "{DIRS}{AUTOSCALER}    kubernetes.operator.periodic.savepoint.interval: 1h\n    kubernetes.operator.pod-template.merge-arrays-by-name: \"true\"\n    kubernetes.jobmanager.entrypoint.args: -Dx=y\n"
        );
        let text = deployment("v1_20", job, &config);
        assert_eq!(warnings(&text, "ignored-field").len(), 2);
        assert_eq!(warnings(&text, "autoscaler-not-running").len(), 1);
        assert_eq!(
            warnings(&text, "operator-setting-ignored"),
            [
                "operator settings have no effect without the operator: `kubernetes.operator.periodic.savepoint.interval`"
            ]
        );
        assert_eq!(warnings(&text, "ignored-config-key").len(), 1);
        assert!(errors(&text).is_empty());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let config = format!(
            "{AUTOSCALER}    job.autoscaler.metrics.window: 1 s\n    kubernetes.operator.deployment.rollback.enabled: \"true\"\n"
        );
        let found = errors(&deployment("v1_20", "    upgradeMode: savepoint\n", &config));
        assert_eq!(found.len(), 4, "{found:?}");
    }
}
