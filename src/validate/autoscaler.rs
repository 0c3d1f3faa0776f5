//! The autoscaler's options (FO §6 rule 33, `AutoscalerValidator` and `AutoScalerOptions`):
//! with `job.autoscaler.enabled`, every numeric option is in its range, excluded periods
//! are daily ranges or cron expressions, and the metrics window covers the reconcile
//! interval. For FlinkDeployments over their own configuration; for session jobs over the
//! session cluster's with the job's keys on top.

use crate::diagnostics::{Code, Diagnostic};
use crate::effective::ClusterView;
use crate::flink::config::parse_flat_list;
use crate::flink::java::java_double_text;
use crate::flink::options::{
    AUTOSCALER_ENABLED, Duration, EXCLUDED_PERIODS, FlinkOption, METRICS_WINDOW, RECONCILE_INTERVAL,
    UTILIZATION_TARGET, parse_double,
};

use super::context::ConfigContext;
use super::findings::config_path;

/// FO §6 rule 33 (options) for a FlinkDeployment.
pub fn cluster_options_in_range(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    options_in_range(&ConfigContext::of_cluster(view))
}

/// FO §6 rule 33 (window) for a FlinkDeployment.
pub fn cluster_metrics_window(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    metrics_window_covers_reconcile_interval(&ConfigContext::of_cluster(view))
}

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

/// Whether the autoscaler is on; a bad flag is reported by [`options_in_range`].
fn autoscaler_enabled(context: &ConfigContext<'_>) -> bool {
    context.flag(&AUTOSCALER_ENABLED, false).unwrap_or(false)
}

/// FO §6 rule 33 (options): with `job.autoscaler.enabled`, every numeric autoscaler option
/// must be a number within `AutoscalerValidator`'s range (the utilization max/min bounds are
/// the utilization target), and every excluded period must be a daily time range or a cron
/// expression. The operator reports the first problem; all are reported here.
pub fn options_in_range(context: &ConfigContext<'_>) -> Vec<Diagnostic> {
    let enabled = match context.flag(&AUTOSCALER_ENABLED, false) {
        Ok(enabled) => enabled,
        Err(error) => return vec![*error],
    };
    if !enabled {
        return Vec::new();
    }
    let target = number(context, &UTILIZATION_TARGET, Some(0.7)).ok().flatten();
    let mut found: Vec<Diagnostic> =
        RANGE_CHECKS.iter().filter_map(|check| range_finding(context, check, target)).collect();
    found.extend(excluded_periods(context));
    found
}

/// A numeric option (`Double.parseDouble`), or its default; unreadable text is an error.
fn number(context: &ConfigContext<'_>, option: &FlinkOption, default: Option<f64>) -> Result<Option<f64>, Diagnostic> {
    let Some((key, text)) = option.lookup(context.config) else { return Ok(default) };
    parse_double(&text).map(Some).ok_or_else(|| {
        Diagnostic::new(
            Code::InvalidAutoscalerOption,
            config_path(key),
            format!("Invalid value in the autoscaler config {}", option.key),
        )
        .at(context.config_span(&[key]))
        .with_hint(format!("`{text}` is not a number"))
    })
}

/// `AutoscalerValidator#validateNumber(IfEnabled)` for one option: the finding, if any.
fn range_finding(context: &ConfigContext<'_>, check: &RangeCheck, target: Option<f64>) -> Option<Diagnostic> {
    if let Some(flag) = &check.only_if {
        match context.flag(flag, false) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(error) => return Some(*error),
        }
    }
    let value = match number(context, &check.option, check.default) {
        Ok(value) => value?,
        Err(error) => return Some(error),
    };
    let bound = |bound: Bound| match bound {
        Bound::Value(value) => Some(Some(value)),
        Bound::Unbounded => Some(None),
        Bound::UtilizationTarget => target.map(Some),
    };
    let (min, max) = (bound(check.min)?, bound(check.max)?);
    if !(min.is_some_and(|min| value < min) || max.is_some_and(|max| value > max)) {
        return None;
    }
    let keys: Vec<&str> = std::iter::once(check.option.key).chain(check.option.fallbacks.iter().copied()).collect();
    let message = format!(
        "The AutoScalerOption {} is invalid, it should be a value within the range [{}, {}]",
        check.option.key,
        min.map(java_double_text).unwrap_or_else(|| "-Infinity".into()),
        max.map(java_double_text).unwrap_or_else(|| "+Infinity".into()),
    );
    Some(
        Diagnostic::new(Code::AutoscalerOptionOutOfRange, config_path(check.option.key), message)
            .at(context.config_span(&keys)),
    )
}

/// Each excluded period is a daily range, a cron expression, or one of each.
fn excluded_periods(context: &ConfigContext<'_>) -> Vec<Diagnostic> {
    let Some((key, text)) = EXCLUDED_PERIODS.lookup(context.config) else { return Vec::new() };
    parse_flat_list(&text)
        .iter()
        .filter(|item| !item.is_empty())
        .filter_map(|expression| {
            let problem = excluded_period(expression).err()?;
            let message =
                format!("Invalid value {expression} in the autoscaler config {}{problem}", EXCLUDED_PERIODS.key);
            Some(
                Diagnostic::new(Code::InvalidAutoscalerOption, config_path(key), message)
                    .at(context.config_span(&[key]))
                    .with_hint(
                        "write `HH:MM-HH:MM`, a Quartz cron expression (6 or 7 fields), or one of each joined by `&&`",
                    ),
            )
        })
        .collect()
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
pub fn metrics_window_covers_reconcile_interval(context: &ConfigContext<'_>) -> Vec<Diagnostic> {
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
            config_path(METRICS_WINDOW.key),
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
