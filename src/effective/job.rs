//! The job of an application cluster or a session job, read once: its upgrade mode (from
//! `job.upgradeMode` or the FLIP-212 spellings `restoreMode` / `cancelMode`, FO §1.6) and
//! its desired state (`job.state`). Values outside the allowed set are kept as they were
//! written, for `validate` to report.

use crate::parse::spec::RawJobSpec;

/// How the job is upgraded when the spec changes (FO §1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpgradeMode {
    /// `stateless` (the default): cancel and start fresh.
    Stateless,
    /// `savepoint`: stop with a savepoint, start from it.
    Savepoint,
    /// `last-state`: keep the job id and recover from the latest checkpoint.
    LastState,
}

impl UpgradeMode {
    /// The spelling `job.upgradeMode` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            UpgradeMode::Stateless => "stateless",
            UpgradeMode::Savepoint => "savepoint",
            UpgradeMode::LastState => "last-state",
        }
    }
}

/// The upgrade mode as the spec gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeModeRead {
    /// The mode; `None` when the field holds a value outside its allowed set.
    pub mode: Option<UpgradeMode>,
    /// The field that set it (`spec.job.upgradeMode`, a FLIP-212 field), or `spec.job` when
    /// none did and the default applies.
    pub field: &'static str,
    /// The value as written, when a field set it.
    pub text: Option<String>,
    /// FLIP-212 fields that are set but lose to `upgradeMode`.
    pub ignored_fields: Vec<&'static str>,
}

impl UpgradeModeRead {
    /// The mode rules reason with: an unreadable value counts as the default, `stateless`
    /// (and is reported on its own).
    pub fn effective(&self) -> UpgradeMode {
        self.mode.unwrap_or(UpgradeMode::Stateless)
    }

    /// Whether a FLIP-212 spelling set the mode.
    pub fn from_flip212_field(&self) -> bool {
        self.field != "spec.job.upgradeMode" && self.field != "spec.job"
    }
}

const UPGRADE_MODE: &str = "spec.job.upgradeMode";
const FLIP212_FIELDS: [&str; 2] = ["spec.job.restoreMode", "spec.job.cancelMode"];

/// Read the upgrade mode: `upgradeMode` wins; otherwise `restoreMode`, then `cancelMode`
/// (`none` means `stateless`; `cancelMode` knows no `last-state`).
pub fn upgrade_mode(job: &RawJobSpec) -> UpgradeModeRead {
    let flip212 = [&job.restore_mode, &job.cancel_mode];
    let set: Vec<(&'static str, &String)> =
        FLIP212_FIELDS.into_iter().zip(flip212).filter_map(|(field, value)| Some((field, value.as_ref()?))).collect();
    let (field, text) = match (&job.upgrade_mode, set.first()) {
        (Some(mode), _) => (UPGRADE_MODE, mode),
        (None, Some((field, mode))) => (*field, *mode),
        (None, None) => {
            return UpgradeModeRead {
                mode: Some(UpgradeMode::Stateless),
                field: "spec.job",
                text: None,
                ignored_fields: Vec::new(),
            };
        }
    };
    let mode = match (field, text.as_str()) {
        (UPGRADE_MODE, "stateless") | (_, "none") => Some(UpgradeMode::Stateless),
        ("spec.job.cancelMode", "last-state") => None,
        (_, "savepoint") => Some(UpgradeMode::Savepoint),
        (_, "last-state") => Some(UpgradeMode::LastState),
        _ => None,
    };
    let ignored_fields = if field == UPGRADE_MODE { set.iter().map(|(field, _)| *field).collect() } else { Vec::new() };
    UpgradeModeRead { mode, field, text: Some(text.clone()), ignored_fields }
}

/// The desired state of the job (`job.state`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    /// `running` (the default).
    Running,
    /// `suspended`: the job is stopped and the TaskManagers go away.
    Suspended,
    /// A value outside the allowed set, as written.
    Invalid(String),
}

/// Read `job.state`.
pub fn job_state(job: &RawJobSpec) -> JobState {
    match job.state.as_deref() {
        None | Some("running") => JobState::Running,
        Some("suspended") => JobState::Suspended,
        Some(other) => JobState::Invalid(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(upgrade: Option<&str>, restore: Option<&str>, cancel: Option<&str>) -> RawJobSpec {
        RawJobSpec {
            upgrade_mode: upgrade.map(String::from),
            restore_mode: restore.map(String::from),
            cancel_mode: cancel.map(String::from),
            ..RawJobSpec::default()
        }
    }

    /// FO §1.6: `restoreMode`/`cancelMode` map to upgrade modes, `none` is stateless, and
    /// `upgradeMode` wins over both.
    #[test]
    fn flip212_spellings_map_to_upgrade_modes() {
        assert_eq!(upgrade_mode(&job(None, Some("none"), None)).mode, Some(UpgradeMode::Stateless));
        assert_eq!(upgrade_mode(&job(None, Some("last-state"), None)).mode, Some(UpgradeMode::LastState));
        assert_eq!(upgrade_mode(&job(None, None, Some("last-state"))).mode, None);
        let both = upgrade_mode(&job(Some("savepoint"), Some("none"), Some("none")));
        assert_eq!((both.mode, both.field), (Some(UpgradeMode::Savepoint), "spec.job.upgradeMode"));
        assert_eq!(both.ignored_fields, ["spec.job.restoreMode", "spec.job.cancelMode"]);
        assert_eq!(upgrade_mode(&job(None, None, None)).field, "spec.job");
    }
}
