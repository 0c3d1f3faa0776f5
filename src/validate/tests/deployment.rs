//! The FlinkDeployment rules, tried through the whole compile as a user would: one spec per
//! rule, named after the rule it shows.

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
  mode: standalone
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
const DIRS: &str = "    execution.checkpointing.dir: s3://b/c\n    execution.checkpointing.savepoint-dir: s3://b/s\n";

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
    let message =
        "Checkpoint directory[execution.checkpointing.dir] must be defined for last-state and savepoint upgrade modes";
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
        [format!("Savepoint could not be manually triggered for the running job while config key[{key}] is not set")]
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
            "The AutoScalerOption job.autoscaler.utilization.target is invalid, it should be a value within the range [0.0, 1.0]",
            "The AutoScalerOption job.autoscaler.scale-down.max-factor is invalid, it should be a value within the range [0.0, +Infinity]",
        ],
        "in the order they are written"
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
    let valid =
        format!("{AUTOSCALER}    job.autoscaler.excluded.periods: \"09:00-17:00 && * * * ? * MON-FRI;0 0 0 * * ?\"\n");
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
    let job = "    savepointTriggerNonce: 3\n    checkpointTriggerNonce: 2\n    autoscalerResetNonce: 1\n";
    let config = format!(
        "{DIRS}{AUTOSCALER}    kubernetes.operator.periodic.savepoint.interval: 1h\n    kubernetes.operator.savepoint.format.type: NATIVE\n    kubernetes.operator.pod-template.merge-arrays-by-name: \"true\"\n    kubernetes.jobmanager.entrypoint.args: -Dx=y\n"
    );
    let text = deployment("v1_20", job, &config);
    assert_eq!(warnings(&text, "ignored-field").len(), 2);
    assert_eq!(warnings(&text, "autoscaler-not-running").len(), 1);
    assert_eq!(
        warnings(&text, "operator-setting-ignored"),
        ["operator settings have no effect without the operator: `kubernetes.operator.periodic.savepoint.interval`"]
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

/// Ours: an option Flink's decorators apply to the TaskManager pods a native JobManager creates,
/// but the rendered JobManager Deployment lacks, is warned as such in native mode only.
#[test]
fn native_taskmanagers_only_options_say_where_they_reach() {
    let key = "    kubernetes.env.secretKeyRef: env:TOKEN,secret:creds,key:token\n";
    let standalone = deployment("v1_20", "", key);
    assert!(
        warnings(&standalone, "ignored-config-key")[0].contains("does not render secret environment variables yet")
    );
    let native = standalone.replace("  mode: standalone\n", "  mode: native\n");
    let native_warnings = warnings(&native, "ignored-config-key");
    assert!(
        native_warnings[0].contains("in native mode Flink adds the variables to the TaskManager pods"),
        "{native_warnings:?}"
    );
}

/// Flink's KubernetesClusterDescriptor and ClusterEntrypoint: one jar, no reactive mode, in
/// native mode only.
#[test]
fn native_applications_need_a_jar_and_no_reactive_mode() {
    let native =
        deployment("v1_20", "", "    scheduler-mode: reactive\n").replace("  mode: standalone\n", "  mode: native\n");
    assert!(
        errors(&native).iter().any(|e| e.contains("reactive mode runs only on standalone")),
        "{:?}",
        errors(&native)
    );
    let without_jar =
        native.replace("    jarURI: local:///opt/flink/job.jar\n", "").replace("    scheduler-mode: reactive\n", "");
    assert!(errors(&without_jar).iter().any(|e| e.contains("Should only have one jar")), "{:?}", errors(&without_jar));
    let standalone = deployment("v1_20", "", "    scheduler-mode: reactive\n")
        .replace("    jarURI: local:///opt/flink/job.jar\n", "");
    assert!(errors(&standalone).is_empty(), "{:?}", errors(&standalone));
}
