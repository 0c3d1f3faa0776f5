//! What the configuration rules shared by both kinds look at: an effective configuration,
//! where the user wrote each key, and the job with its upgrade mode. A FlinkDeployment
//! gives its own; a FlinkSessionJob gives its session cluster's with its own keys on top
//! (FO §6 session-job table).

use crate::diagnostics::{Code, Diagnostic, Span};
use crate::effective::ClusterView;
use crate::effective::job::UpgradeModeRead;
use crate::flink::config::{FlinkConfig, UserKey};
use crate::flink::options::{Duration, FlinkOption, parse_bool, parse_duration};
use crate::flink::version::FlinkVersion;
use crate::parse::document::{Node, path_steps};
use crate::parse::spec::RawJobSpec;

use super::findings::config_path;

/// A configuration and where its keys were written.
pub struct ConfigContext<'a> {
    /// The effective configuration.
    pub config: &'a FlinkConfig,
    /// The user's `flinkConfiguration`, flattened, with positions.
    pub user_keys: &'a [UserKey],
    /// The document, for positions of spec fields.
    pub document: &'a Node,
    /// The Flink version, when known (session jobs run on their cluster's).
    pub flink_version: Option<FlinkVersion>,
}

impl<'a> ConfigContext<'a> {
    /// A FlinkDeployment's own configuration.
    pub fn of_cluster(view: &'a ClusterView<'_>) -> ConfigContext<'a> {
        ConfigContext {
            config: view.config.values(),
            user_keys: &view.parsed.user_keys,
            document: &view.parsed.document,
            flink_version: view.flink_version,
        }
    }

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

    /// An option's value and key, with a blank value counting as unset
    /// (`StringUtils.isNullOrWhitespaceOnly`).
    pub fn non_blank(&self, option: &FlinkOption) -> Option<(&'static str, String)> {
        option.lookup(self.config).filter(|(_, value)| !value.trim().is_empty())
    }

    /// A boolean option; a value Flink cannot read is an error at its line.
    pub fn flag(&self, option: &FlinkOption, default: bool) -> Result<bool, Box<Diagnostic>> {
        match option.lookup(self.config) {
            None => Ok(default),
            Some((key, text)) => parse_bool(&text).map_err(|error| {
                Box::new(
                    Diagnostic::new(Code::InvalidConfigValue, config_path(key), format!("`{key}`: {error}"))
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
                        config_path(key),
                        format!("`{key}` is not a duration (`{text}`): {error}"),
                    )
                    .at(self.config_span(&[key]))
                    .with_hint("write a number and a unit, e.g. `60 s`, `5 min` or `1 h`"),
                )
            }),
        }
    }
}

/// The job, its upgrade mode and its configuration, for the job-spec rules.
pub struct JobContext<'a> {
    /// The job spec.
    pub job: &'a RawJobSpec,
    /// Its upgrade mode.
    pub upgrade_mode: &'a UpgradeModeRead,
    /// Its configuration.
    pub config: ConfigContext<'a>,
}

impl JobContext<'_> {
    /// The key to suggest for an option on this Flink version: the deprecated key before
    /// Flink 1.20 (which does not know the new one), the canonical key from 1.20.
    pub fn key_to_set(&self, option: &FlinkOption) -> &'static str {
        match self.config.flink_version {
            Some(version) if version < FlinkVersion::new(1, 20) => option.fallbacks.first().unwrap_or(&option.key),
            _ => option.key,
        }
    }
}
