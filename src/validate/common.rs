//! Rules the operator applies to both kinds: `DefaultValidator#validateJobSpec` (FO §6
//! rules 11–15; 16–17 for session jobs live in [`super::session_job`], FlinkDeployments get
//! them from `resolve`) and `validateAutoScalerFlinkConfiguration` (rule 33, from the
//! autoscaler's `AutoscalerValidator` and `AutoScalerOptions`). They read the effective
//! configuration with Flink's fallback keys, and every diagnostic points at the line that
//! asks for the missing or bad setting.

use crate::diagnostics::{Code, Diagnostic, Span};
use crate::flink::config::{FlinkConfig, UserKey};
use crate::flink::java::java_double_text;
use crate::flink::version::FlinkVersion;
use crate::parse::document::{Node, path_steps};
use crate::parse::spec::RawJobSpec;

use crate::flink::options::{Duration, FlinkOption, parse_bool, parse_double, parse_duration};

/// `CheckpointingOptions.CHECKPOINTS_DIRECTORY` (Flink 1.20 key, then the deprecated one).
pub const CHECKPOINTS_DIRECTORY: FlinkOption =
    FlinkOption::with_fallbacks("execution.checkpointing.dir", &["state.checkpoints.dir"]);
/// `CheckpointingOptions.SAVEPOINT_DIRECTORY`.
pub const SAVEPOINT_DIRECTORY: FlinkOption =
    FlinkOption::with_fallbacks("execution.checkpointing.savepoint-dir", &["state.savepoints.dir"]);
/// `KubernetesOperatorConfigOptions.PERIODIC_SAVEPOINT_INTERVAL`.
pub const PERIODIC_SAVEPOINT_INTERVAL: FlinkOption =
    FlinkOption::new("kubernetes.operator.periodic.savepoint.interval");
/// `KubernetesOperatorConfigOptions.OPERATOR_JOB_UPGRADE_LAST_STATE_CHECKPOINT_MAX_AGE`.
pub const LAST_STATE_MAX_CHECKPOINT_AGE: FlinkOption =
    FlinkOption::new("kubernetes.operator.job.upgrade.last-state.max.allowed.checkpoint.age");
/// `KubernetesOperatorConfigOptions.OPERATOR_RECONCILE_INTERVAL` (default 60 s).
pub const RECONCILE_INTERVAL: FlinkOption = FlinkOption::with_fallbacks(
    "kubernetes.operator.reconcile.interval",
    &["kubernetes.operator.reconciler.reschedule.interval"],
);
/// `AutoScalerOptions.AUTOSCALER_ENABLED` (default false).
pub const AUTOSCALER_ENABLED: FlinkOption =
    FlinkOption::with_fallbacks("job.autoscaler.enabled", &["kubernetes.operator.job.autoscaler.enabled"]);
/// `AutoScalerOptions.METRICS_WINDOW` (default 15 min).
pub const METRICS_WINDOW: FlinkOption = FlinkOption::with_fallbacks(
    "job.autoscaler.metrics.window",
    &["kubernetes.operator.job.autoscaler.metrics.window"],
);
/// `AutoScalerOptions.UTILIZATION_TARGET` (default 0.7).
const UTILIZATION_TARGET: FlinkOption = FlinkOption::with_fallbacks(
    "job.autoscaler.utilization.target",
    &[
        "job.autoscaler.target.utilization",
        "kubernetes.operator.job.autoscaler.utilization.target",
        "kubernetes.operator.job.autoscaler.target.utilization",
    ],
);
/// `AutoScalerOptions.EXCLUDED_PERIODS`.
const EXCLUDED_PERIODS: FlinkOption = FlinkOption::with_fallbacks(
    "job.autoscaler.excluded.periods",
    &["kubernetes.operator.job.autoscaler.excluded.periods"],
);

/// The upgrade mode a job asks for, and the field that asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpgradeMode {
    /// `stateless` (the default).
    Stateless,
    /// `savepoint`.
    Savepoint,
    /// `last-state`.
    LastState,
}

/// `job.upgradeMode`, or its FLIP-212 spellings `restoreMode` / `cancelMode` (FO §1.6), with
/// the path of the field that set it. Unknown values count as stateless: `resolve` reports them.
pub fn upgrade_mode(job: &RawJobSpec) -> (UpgradeMode, &'static str) {
    let fields = [
        ("spec.job.upgradeMode", &job.upgrade_mode),
        ("spec.job.restoreMode", &job.restore_mode),
        ("spec.job.cancelMode", &job.cancel_mode),
    ];
    let Some((path, Some(text))) = fields.into_iter().find(|(_, value)| value.is_some()) else {
        return (UpgradeMode::Stateless, "spec.job");
    };
    let mode = match (path, text.as_str()) {
        (_, "savepoint") => UpgradeMode::Savepoint,
        ("spec.job.upgradeMode" | "spec.job.restoreMode", "last-state") => UpgradeMode::LastState,
        _ => UpgradeMode::Stateless,
    };
    (mode, path)
}

/// What a configuration rule can look at: the effective configuration and where the user
/// wrote each key.
pub struct ConfigContext<'a> {
    /// The effective configuration (defaults, then the user's keys).
    pub config: &'a FlinkConfig,
    /// The user's `flinkConfiguration`, flattened, with positions.
    pub user_keys: &'a [UserKey],
    /// The document, for positions of spec fields.
    pub document: &'a Node,
    /// The Flink version, when known (session jobs run on their cluster's).
    pub flink_version: Option<FlinkVersion>,
}

impl ConfigContext<'_> {
    /// Where a spec field is, or its nearest parent.
    pub fn span(&self, path: &str) -> Span {
        self.document.span_of(&path_steps(path))
    }

    /// Where the user wrote `key` (any of an option's keys), else `spec.flinkConfiguration`.
    pub fn config_span(&self, keys: &[&str]) -> Span {
        self.user_keys
            .iter()
            .rev()
            .find(|user| keys.contains(&user.key.as_str()))
            .map(|user| user.span)
            .unwrap_or_else(|| self.span("spec.flinkConfiguration"))
    }

    /// The diagnostic path of configuration `key`.
    pub fn config_path(key: &str) -> String {
        format!("spec.flinkConfiguration.{key}")
    }

    /// An option's value and key, with a blank value counting as unset
    /// (`StringUtils.isNullOrWhitespaceOnly`).
    fn non_blank(&self, option: &FlinkOption) -> Option<(&'static str, String)> {
        option.lookup(self.config).filter(|(_, value)| !value.trim().is_empty())
    }

    /// A boolean option; a value Flink cannot read is an error at its line.
    pub fn flag(&self, option: &FlinkOption, default: bool) -> Result<bool, Box<Diagnostic>> {
        match option.lookup(self.config) {
            None => Ok(default),
            Some((key, text)) => parse_bool(&text).map_err(|error| {
                Box::new(
                    Diagnostic::new(Code::InvalidConfigValue, Self::config_path(key), format!("`{key}`: {error}"))
                        .at(self.config_span(&[key])),
                )
            }),
        }
    }

    /// A duration option; a value Flink cannot read is an error at its line.
    pub fn duration(&self, option: &FlinkOption, default: Duration) -> Result<Duration, Box<Diagnostic>> {
        match option.lookup(self.config) {
            None => Ok(default),
            Some((key, text)) => parse_duration(&text).map_err(|error| {
                Box::new(
                    Diagnostic::new(
                        Code::InvalidConfigValue,
                        Self::config_path(key),
                        format!("`{key}` is not a duration (`{text}`): {error}"),
                    )
                    .at(self.config_span(&[key]))
                    .with_hint("write a number and a unit, e.g. `60 s`, `5 min` or `1 h`"),
                )
            }),
        }
    }
}

/// The job and its configuration, for the job-spec rules.
pub struct JobContext<'a> {
    /// The job spec.
    pub job: &'a RawJobSpec,
    /// Its configuration.
    pub config: ConfigContext<'a>,
}

impl JobContext<'_> {
    /// The key to suggest for an option on this Flink version: the deprecated key before
    /// Flink 1.20 (which does not know the new one), the canonical key from 1.20.
    fn key_to_set(&self, option: &FlinkOption) -> &'static str {
        match self.config.flink_version {
            Some(version) if version < FlinkVersion::new(1, 20) => option.fallbacks.first().unwrap_or(&option.key),
            _ => option.key,
        }
    }

    fn savepoint_directory_error(&self, path: &str, span: Span, message: String) -> Vec<Diagnostic> {
        let key = self.key_to_set(&SAVEPOINT_DIRECTORY);
        vec![
            Diagnostic::new(Code::MissingSavepointDir, path, message).at(span).with_hint(format!(
                "set flinkConfiguration `{key}` to a durable directory, e.g. `s3://bucket/savepoints`"
            )),
        ]
    }

    fn savepoint_directory_missing(&self) -> bool {
        self.config.non_blank(&SAVEPOINT_DIRECTORY).is_none()
    }
}

/// FO §6 rule 11: `last-state` and `savepoint` upgrades restore from checkpoints, so the
/// checkpoint directory must be set (the canonical key or the deprecated
/// `state.checkpoints.dir`; a blank value counts as unset).
pub fn checkpoint_directory_for_stateful_upgrades(context: &JobContext<'_>) -> Vec<Diagnostic> {
    let (mode, path) = upgrade_mode(context.job);
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
pub fn savepoint_directory_when_needed(context: &JobContext<'_>) -> Vec<Diagnostic> {
    if !context.savepoint_directory_missing() {
        return Vec::new();
    }
    let directory = SAVEPOINT_DIRECTORY.key;
    let (mode, mode_path) = upgrade_mode(context.job);
    let config_reason = |key: &'static str, message: String| {
        (ConfigContext::config_path(key), context.config.config_span(&[key]), message)
    };
    let (path, span, message) = if mode == UpgradeMode::Savepoint {
        let message = format!("Job could not be upgraded with savepoint while config key[{directory}] is not set");
        (mode_path.to_string(), context.config.span(mode_path), message)
    } else if context.job.savepoint_trigger_nonce.is_some() {
        let path = "spec.job.savepointTriggerNonce";
        let message = format!(
            "Savepoint could not be manually triggered for the running job while config key[{directory}] is not set"
        );
        (path.to_string(), context.config.span(path), message)
    } else if PERIODIC_SAVEPOINT_INTERVAL.is_set(context.config.config) {
        config_reason(
            PERIODIC_SAVEPOINT_INTERVAL.key,
            format!("Periodic savepoints cannot be enabled when config key[{directory}] is not set"),
        )
    } else if LAST_STATE_MAX_CHECKPOINT_AGE.is_set(context.config.config) {
        config_reason(
            LAST_STATE_MAX_CHECKPOINT_AGE.key,
            format!(
                "In order to use max-checkpoint age functionality config key[{directory}] must be set to allow triggering savepoint upgrades."
            ),
        )
    } else {
        return Vec::new();
    };
    context.savepoint_directory_error(&path, span, message)
}

/// A job-spec rule: findings for one job.
pub type JobRule = fn(&JobContext<'_>) -> Vec<Diagnostic>;

/// Every job-spec rule shared by both kinds, in the operator's order.
pub const JOB_RULES: &[(&str, JobRule)] = &[
    ("11 checkpoint directory for stateful upgrades", checkpoint_directory_for_stateful_upgrades),
    ("12-15 savepoint directory when a savepoint is needed", savepoint_directory_when_needed),
];

/// A numeric autoscaler option and its allowed range (`AutoscalerValidator#validateNumber`).
struct RangeCheck {
    option: FlinkOption,
    default: Option<f64>,
    min: Bound,
    max: Bound,
    /// The feature flag that must be on for the option to be checked (`validateNumberIfEnabled`).
    only_if: Option<FlinkOption>,
}

/// One end of a range: a constant, none, or the value of `job.autoscaler.utilization.target`.
#[derive(Clone, Copy)]
enum Bound {
    Value(f64),
    Unbounded,
    UtilizationTarget,
}

const fn autoscaler(key: &'static str, fallbacks: &'static [&'static str]) -> FlinkOption {
    FlinkOption::with_fallbacks(key, fallbacks)
}

/// `AutoscalerValidator#validateAutoscalerOptions`, in its order.
const RANGE_CHECKS: [RangeCheck; 11] = [
    RangeCheck {
        option: autoscaler(
            "job.autoscaler.scale-down.max-factor",
            &["kubernetes.operator.job.autoscaler.scale-down.max-factor"],
        ),
        default: Some(0.6),
        min: Bound::Value(0.0),
        max: Bound::Unbounded,
        only_if: None,
    },
    RangeCheck {
        option: autoscaler(
            "job.autoscaler.scale-up.max-factor",
            &["kubernetes.operator.job.autoscaler.scale-up.max-factor"],
        ),
        default: Some(100000.0),
        min: Bound::Value(0.0),
        max: Bound::Unbounded,
        only_if: None,
    },
    RangeCheck {
        option: UTILIZATION_TARGET,
        default: Some(0.7),
        min: Bound::Value(0.0),
        max: Bound::Value(1.0),
        only_if: None,
    },
    RangeCheck {
        option: autoscaler(
            "job.autoscaler.target.utilization.boundary",
            &["kubernetes.operator.job.autoscaler.target.utilization.boundary"],
        ),
        default: Some(0.3),
        min: Bound::Value(0.0),
        max: Bound::Unbounded,
        only_if: None,
    },
    RangeCheck {
        option: autoscaler("job.autoscaler.utilization.max", &["kubernetes.operator.job.autoscaler.utilization.max"]),
        default: None,
        min: Bound::UtilizationTarget,
        max: Bound::Value(1.0),
        only_if: None,
    },
    RangeCheck {
        option: autoscaler("job.autoscaler.utilization.min", &["kubernetes.operator.job.autoscaler.utilization.min"]),
        default: None,
        min: Bound::Value(0.0),
        max: Bound::UtilizationTarget,
        only_if: None,
    },
    RangeCheck {
        option: autoscaler(
            "job.autoscaler.memory.gc-pressure.threshold",
            &["kubernetes.operator.job.autoscaler.memory.gc-pressure.threshold"],
        ),
        default: Some(1.0),
        min: Bound::Value(0.0),
        max: Bound::Value(1.0),
        only_if: None,
    },
    RangeCheck {
        option: autoscaler(
            "job.autoscaler.memory.heap-usage.threshold",
            &["kubernetes.operator.job.autoscaler.memory.heap-usage.threshold"],
        ),
        default: Some(1.0),
        min: Bound::Value(0.0),
        max: Bound::Value(1.0),
        only_if: None,
    },
    RangeCheck {
        option: autoscaler(
            "job.autoscaler.observed-scalability.coefficient-min",
            &["kubernetes.operator.job.autoscaler.observed-scalability.coefficient-min"],
        ),
        default: Some(0.5),
        min: Bound::Value(0.01),
        max: Bound::Value(1.0),
        only_if: Some(autoscaler(
            "job.autoscaler.observed-scalability.enabled",
            &["kubernetes.operator.job.autoscaler.observed-scalability.enabled"],
        )),
    },
    RangeCheck {
        option: autoscaler(
            "job.autoscaler.scaling.effectiveness.threshold",
            &["kubernetes.operator.job.autoscaler.scaling.effectiveness.threshold"],
        ),
        default: Some(0.1),
        min: Bound::Value(0.0),
        max: Bound::Value(1.0),
        only_if: Some(autoscaler(
            "job.autoscaler.scaling.effectiveness.detection.enabled",
            &["kubernetes.operator.job.autoscaler.scaling.effectiveness.detection.enabled"],
        )),
    },
    RangeCheck {
        option: autoscaler(
            "job.autoscaler.memory.tuning.overhead",
            &["kubernetes.operator.job.autoscaler.memory.tuning.overhead"],
        ),
        default: Some(0.2),
        min: Bound::Value(0.0),
        max: Bound::Value(1.0),
        only_if: Some(autoscaler(
            "job.autoscaler.memory.tuning.enabled",
            &["kubernetes.operator.job.autoscaler.memory.tuning.enabled"],
        )),
    },
];

/// Whether the autoscaler is on; a bad flag is reported by [`autoscaler_options_in_range`].
fn autoscaler_enabled(context: &ConfigContext<'_>) -> bool {
    context.flag(&AUTOSCALER_ENABLED, false).unwrap_or(false)
}

/// FO §6 rule 33 (options): with `job.autoscaler.enabled`, every numeric autoscaler option
/// must be a number within `AutoscalerValidator`'s range (the utilization max/min bounds are
/// the utilization target), and every excluded period must be a daily time range or a cron
/// expression. The operator reports the first problem; all are reported here.
pub fn autoscaler_options_in_range(context: &ConfigContext<'_>) -> Vec<Diagnostic> {
    let enabled = match context.flag(&AUTOSCALER_ENABLED, false) {
        Ok(enabled) => enabled,
        Err(error) => return vec![*error],
    };
    if !enabled {
        return Vec::new();
    }
    let mut found = Vec::new();
    let read = |option: &FlinkOption, default: Option<f64>| -> Result<Option<f64>, Box<Diagnostic>> {
        match option.lookup(context.config) {
            None => Ok(default),
            Some((key, text)) => parse_double(&text).map(Some).ok_or_else(|| {
                Box::new(
                    Diagnostic::new(
                        Code::InvalidAutoscalerOption,
                        ConfigContext::config_path(key),
                        format!("Invalid value in the autoscaler config {}", option.key),
                    )
                    .at(context.config_span(&[key]))
                    .with_hint(format!("`{text}` is not a number")),
                )
            }),
        }
    };
    let target = read(&UTILIZATION_TARGET, Some(0.7)).ok().flatten();
    for check in &RANGE_CHECKS {
        if let Some(flag) = &check.only_if {
            match context.flag(flag, false) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(error) => {
                    found.push(*error);
                    continue;
                }
            }
        }
        let value = match read(&check.option, check.default) {
            Ok(Some(value)) => value,
            Ok(None) => continue,
            Err(error) => {
                found.push(*error);
                continue;
            }
        };
        let bound = |bound: Bound| match bound {
            Bound::Value(value) => Some(Some(value)),
            Bound::Unbounded => Some(None),
            Bound::UtilizationTarget => target.map(Some),
        };
        let (Some(min), Some(max)) = (bound(check.min), bound(check.max)) else { continue };
        if min.is_some_and(|min| value < min) || max.is_some_and(|max| value > max) {
            let keys: Vec<&str> =
                std::iter::once(check.option.key).chain(check.option.fallbacks.iter().copied()).collect();
            found.push(
                Diagnostic::new(
                    Code::AutoscalerOptionOutOfRange,
                    ConfigContext::config_path(check.option.key),
                    format!(
                        "The AutoScalerOption {} is invalid, it should be a value within the range [{}, {}]",
                        check.option.key,
                        min.map(java_double_text).unwrap_or_else(|| "-Infinity".into()),
                        max.map(java_double_text).unwrap_or_else(|| "+Infinity".into()),
                    ),
                )
                .at(context.config_span(&keys)),
            );
        }
    }
    if let Some((key, text)) = EXCLUDED_PERIODS.lookup(context.config) {
        for expression in crate::flink::config::parse_flat_list(&text).iter().filter(|item| !item.is_empty()) {
            if let Err(problem) = excluded_period(expression) {
                found.push(
                    Diagnostic::new(
                        Code::InvalidAutoscalerOption,
                        ConfigContext::config_path(key),
                        format!(
                            "Invalid value {expression} in the autoscaler config {}{problem}",
                            EXCLUDED_PERIODS.key
                        ),
                    )
                    .at(context.config_span(&[key]))
                    .with_hint(
                        "write `HH:MM-HH:MM`, a Quartz cron expression (6 or 7 fields), or one of each joined by `&&`",
                    ),
                );
            }
        }
    }
    found
}

/// `CalendarUtils#validateExcludedExpression`: one or two `&&`-joined parts, each a daily
/// range or a cron expression, and two parts must be one of each. Cron expressions are
/// checked for their shape (6 or 7 fields of Quartz characters), not every Quartz rule.
fn excluded_period(expression: &str) -> Result<(), &'static str> {
    let parts: Vec<&str> = expression.split("&&").map(str::trim).collect();
    if parts.len() > 2 {
        return Err("");
    }
    let kinds: Vec<(bool, bool)> = parts.iter().map(|part| (is_daily_range(part), is_cron_shaped(part))).collect();
    if kinds.iter().any(|(daily, cron)| !daily && !cron) {
        return Err(", the value is neither a valid daily expression nor a valid cron expression");
    }
    if parts.len() == 2 && !(kinds.iter().any(|(daily, _)| *daily) && kinds.iter().any(|(_, cron)| *cron)) {
        return Err(
            ", the value can not be configured as dailyExpression && dailyExpression or cronExpression && cronExpression",
        );
    }
    Ok(())
}

/// Quartz `DailyCalendar("HH:MM[:SS[:mmm]]", …)`: two times of day, the first before the second.
fn is_daily_range(part: &str) -> bool {
    let times: Vec<&str> = part.split('-').collect();
    let [start, end] = times.as_slice() else { return false };
    match (time_of_day(start), time_of_day(end)) {
        (Some(start), Some(end)) => start < end,
        _ => false,
    }
}

fn time_of_day(text: &str) -> Option<u32> {
    let fields: Vec<&str> = text.split(':').collect();
    if !(2..=4).contains(&fields.len()) {
        return None;
    }
    let limits = [24, 60, 60, 1000];
    let mut millis = 0u32;
    for (index, scale) in [3_600_000, 60_000, 1_000, 1].into_iter().enumerate() {
        let value = match fields.get(index) {
            Some(field) => {
                let value: u32 = field.parse().ok().filter(|_| field.bytes().all(|b| b.is_ascii_digit()))?;
                (value < limits[index]).then_some(value)?
            }
            None => 0,
        };
        millis += value * scale;
    }
    Some(millis)
}

fn is_cron_shaped(part: &str) -> bool {
    let fields = part.split_whitespace().count();
    (6..=7).contains(&fields)
        && part.chars().all(|c| c.is_ascii_alphanumeric() || c.is_ascii_whitespace() || "*?/,-#".contains(c))
}

/// FO §6 rule 33 (window): with the autoscaler on, `job.autoscaler.metrics.window` must not
/// be shorter than `kubernetes.operator.reconcile.interval`: one sample is taken per
/// reconcile, and fewer than two samples in the window means autoscaling never happens.
pub fn autoscaler_metrics_window_covers_reconcile_interval(context: &ConfigContext<'_>) -> Vec<Diagnostic> {
    if !autoscaler_enabled(context) {
        return Vec::new();
    }
    let window = context.duration(&METRICS_WINDOW, Duration::from_secs(15 * 60));
    let interval = context.duration(&RECONCILE_INTERVAL, Duration::from_secs(60));
    let (window, interval) = match (window, interval) {
        (Ok(window), Ok(interval)) => (window, interval),
        (window, interval) => {
            return [window.err(), interval.err()].into_iter().flatten().map(|error| *error).collect();
        }
    };
    if window >= interval {
        return Vec::new();
    }
    let keys: Vec<&str> = std::iter::once(METRICS_WINDOW.key).chain(METRICS_WINDOW.fallbacks.iter().copied()).collect();
    vec![
        Diagnostic::new(Code::AutoscalerWindowTooSmall,
            ConfigContext::config_path(METRICS_WINDOW.key),
            format!(
                "The autoscaler metric window ({}={}) must not be smaller than the operator reconcile interval ({}={}), otherwise fewer than two metric samples are retained and autoscaling is never applied.",
                METRICS_WINDOW.key,
                window.java_text(),
                RECONCILE_INTERVAL.key,
                interval.java_text()
            ),
        )
        .at(context.config_span(&keys))
        .with_hint(format!("make `{}` at least `{}`", METRICS_WINDOW.key, interval.java_text())),
    ]
}
