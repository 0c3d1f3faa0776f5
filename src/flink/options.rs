//! Typed reads of Flink options for the rules: the way Flink's `Configuration.get` reads a
//! key and its fallback keys, and how it parses booleans (`ConfigurationUtils.convertToBoolean`),
//! doubles (`Double.parseDouble`) and durations (`TimeUtils.parseDuration`). Messages that
//! print a duration use Java's `Duration.toString` (`PT1M`), as the operator's do.

use crate::flink::config::FlinkConfig;

/// A Flink option: its canonical key and the older keys Flink falls back to, in order.
#[derive(Debug, Clone, Copy)]
pub struct FlinkOption {
    /// The key messages print.
    pub key: &'static str,
    /// Deprecated and fallback keys, read when `key` is absent.
    pub fallbacks: &'static [&'static str],
}

impl FlinkOption {
    /// An option without fallback keys.
    pub const fn new(key: &'static str) -> FlinkOption {
        FlinkOption { key, fallbacks: &[] }
    }

    /// An option with fallback keys.
    pub const fn with_fallbacks(key: &'static str, fallbacks: &'static [&'static str]) -> FlinkOption {
        FlinkOption { key, fallbacks }
    }

    /// The key that is set and its value: the canonical key first, then the fallbacks.
    pub fn lookup(&self, config: &FlinkConfig) -> Option<(&'static str, String)> {
        std::iter::once(self.key).chain(self.fallbacks.iter().copied()).find_map(|key| Some((key, config.get(key)?)))
    }

    /// Whether any of the keys is set.
    pub fn is_set(&self, config: &FlinkConfig) -> bool {
        self.lookup(config).is_some()
    }
}

// Options the rules read, with their Flink or operator names.

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
pub const UTILIZATION_TARGET: FlinkOption = FlinkOption::with_fallbacks(
    "job.autoscaler.utilization.target",
    &[
        "job.autoscaler.target.utilization",
        "kubernetes.operator.job.autoscaler.utilization.target",
        "kubernetes.operator.job.autoscaler.target.utilization",
    ],
);
/// `AutoScalerOptions.EXCLUDED_PERIODS`.
pub const EXCLUDED_PERIODS: FlinkOption = FlinkOption::with_fallbacks(
    "job.autoscaler.excluded.periods",
    &["kubernetes.operator.job.autoscaler.excluded.periods"],
);

/// `high-availability.type` and the keys Flink falls back to (FO §2.2 key-name notes).
pub const HIGH_AVAILABILITY: FlinkOption =
    FlinkOption::with_fallbacks("high-availability.type", &["high-availability", "recovery.mode"]);
/// `KubernetesOperatorConfigOptions.DEPLOYMENT_ROLLBACK_ENABLED` (default false).
pub const ROLLBACK_ENABLED: FlinkOption = FlinkOption::new("kubernetes.operator.deployment.rollback.enabled");
/// `KubernetesOperatorConfigOptions.OPERATOR_CLUSTER_HEALTH_CHECK_ENABLED` (default false).
pub const HEALTH_CHECK_ENABLED: FlinkOption = FlinkOption::new("kubernetes.operator.cluster.health-check.enabled");
/// `KubernetesOperatorConfigOptions.OPERATOR_JM_DEPLOYMENT_RECOVERY_ENABLED` (default true).
pub const DEPLOYMENT_RECOVERY_ENABLED: FlinkOption = FlinkOption::with_fallbacks(
    "kubernetes.operator.jm-deployment-recovery.enabled",
    &["kubernetes.operator.reconciler.jm-deployment-recovery.enabled"],
);

/// Flink's boolean parsing: `true` or `false`, case-insensitive, nothing else.
pub fn parse_bool(text: &str) -> Result<bool, String> {
    if text.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if text.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(format!("Unrecognized option for boolean: {text}. Expected either true or false(case insensitive)"))
    }
}

/// Java's `Double.parseDouble`: surrounding whitespace is ignored, a `d`/`f` suffix is
/// allowed, and `NaN` / `Infinity` are spelled exactly so.
pub fn parse_double(text: &str) -> Option<f64> {
    let trimmed = text.trim();
    let unsigned = trimmed.trim_start_matches(['+', '-']);
    if unsigned.len() + 1 < trimmed.len() {
        return None;
    }
    match unsigned {
        "NaN" => return Some(f64::NAN),
        "Infinity" => return Some(if trimmed.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY }),
        _ => {}
    }
    let number = trimmed.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(trimmed);
    let plain = number.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if !plain || !number.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    number.parse::<f64>().ok()
}

/// A non-negative duration with nanosecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration {
    nanos: u128,
}

impl Duration {
    /// A duration of whole seconds.
    pub const fn from_secs(seconds: u64) -> Duration {
        Duration { nanos: seconds as u128 * 1_000_000_000 }
    }

    /// Java's `Duration.toString`: `PT15M`, `PT1M30S`, `PT0.5S`, `PT48H`, `PT0S`.
    pub fn java_text(self) -> String {
        let total_seconds = self.nanos / 1_000_000_000;
        let fraction = self.nanos % 1_000_000_000;
        let (hours, minutes, seconds) = (total_seconds / 3600, total_seconds % 3600 / 60, total_seconds % 60);
        let mut text = String::from("PT");
        if hours != 0 {
            text.push_str(&format!("{hours}H"));
        }
        if minutes != 0 {
            text.push_str(&format!("{minutes}M"));
        }
        if seconds == 0 && fraction == 0 && text.len() > 2 {
            return text;
        }
        text.push_str(&seconds.to_string());
        if fraction > 0 {
            text.push('.');
            text.push_str(format!("{fraction:09}").trim_end_matches('0'));
        }
        text.push('S');
        text
    }
}

/// Flink's `TimeUtils.parseDuration`: a whole number and an optional unit (milliseconds when
/// there is none). ISO-8601 text such as `PT1M` is accepted as well.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("argument is an empty- or whitespace-only string".into());
    }
    if trimmed.starts_with(['P', 'p']) {
        return parse_iso_duration(trimmed).ok_or_else(|| format!("`{trimmed}` is not an ISO-8601 duration"));
    }
    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = trimmed.split_at(digits);
    if number.is_empty() {
        return Err("text does not start with a number".into());
    }
    let value: u64 = number
        .parse()
        .map_err(|_| format!("The value '{number}' cannot be re represented as 64bit number (numeric overflow)."))?;
    let unit = unit.trim().to_lowercase();
    let nanos_per_unit: u128 = match unit.as_str() {
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1_000_000,
        "d" | "day" | "days" => 86_400_000_000_000,
        "h" | "hour" | "hours" => 3_600_000_000_000,
        "m" | "min" | "mins" | "minute" | "minutes" => 60_000_000_000,
        "s" | "sec" | "secs" | "second" | "seconds" => 1_000_000_000,
        "µs" | "micro" | "micros" | "microsecond" | "microseconds" => 1_000,
        "ns" | "nano" | "nanos" | "nanosecond" | "nanoseconds" => 1,
        other => {
            return Err(format!(
                "Time interval unit label '{other}' does not match any of the recognized units (d, h, min, s, ms, µs, ns)"
            ));
        }
    };
    Ok(Duration { nanos: value as u128 * nanos_per_unit })
}

/// `P[nD][T[nH][nM][n[.f]S]]`, case-insensitive, non-negative.
fn parse_iso_duration(text: &str) -> Option<Duration> {
    let upper = text.to_ascii_uppercase();
    let rest = upper.strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((days, time)) => (days, Some(time)),
        None => (rest, None),
    };
    let mut nanos: u128 = 0;
    if !days.is_empty() {
        nanos += days.strip_suffix('D')?.parse::<u64>().ok()? as u128 * 86_400_000_000_000;
    }
    if let Some(mut time) = time {
        if time.is_empty() {
            return None;
        }
        for (unit, nanos_per_unit) in [('H', 3_600_000_000_000u128), ('M', 60_000_000_000)] {
            if let Some((number, after)) = time.split_once(unit) {
                nanos += number.parse::<u64>().ok()? as u128 * nanos_per_unit;
                time = after;
            }
        }
        if let Some(seconds) = time.strip_suffix('S') {
            let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
            if fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            nanos += whole.parse::<u64>().ok()? as u128 * 1_000_000_000;
            if !fraction.is_empty() {
                nanos += format!("{fraction:0<9}").parse::<u128>().ok()?;
            }
        } else if !time.is_empty() {
            return None;
        }
    } else if days.is_empty() {
        return None;
    }
    Some(Duration { nanos })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_are_true_or_false_in_any_case() {
        assert_eq!(parse_bool("TRUE"), Ok(true));
        assert_eq!(parse_bool("false"), Ok(false));
        assert!(parse_bool("yes").is_err());
        assert!(parse_bool(" true").is_err());
    }

    #[test]
    fn doubles_read_like_java() {
        assert_eq!(parse_double(" 0.5 "), Some(0.5));
        assert_eq!(parse_double("1e3"), Some(1000.0));
        assert_eq!(parse_double("2d"), Some(2.0));
        assert_eq!(parse_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert!(parse_double("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_double("inf"), None);
        assert_eq!(parse_double("nan"), None);
        assert_eq!(parse_double("abc"), None);
        assert_eq!(parse_double(""), None);
        assert_eq!(parse_double("--1"), None);
    }

    #[test]
    fn durations_read_like_flink_time_utils() {
        assert_eq!(parse_duration("60 s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("1min"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("2 Minutes"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1000"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("1 d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("PT1M30S"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("1.5 min").is_err());
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("99999999999999999999999 s").is_err());
    }

    #[test]
    fn durations_print_like_java() {
        assert_eq!(Duration::from_secs(60).java_text(), "PT1M");
        assert_eq!(Duration::from_secs(15 * 60).java_text(), "PT15M");
        assert_eq!(Duration::from_secs(90).java_text(), "PT1M30S");
        assert_eq!(Duration::from_secs(0).java_text(), "PT0S");
        assert_eq!(Duration::from_secs(2 * 86_400).java_text(), "PT48H");
        assert_eq!(parse_duration("500 ms").unwrap().java_text(), "PT0.5S");
    }
}
