//! The effective configuration of one resource (FO §2): the operator defaults for its
//! namespace and Flink version, then the user's flattened `flinkConfiguration`, then the
//! keys the operator's config builder derives from the spec, with **where each key was
//! written** ([`Traced`] origins, with what each key overrode).

use std::collections::BTreeMap;
use std::ops::Deref;

use crate::flink::config::{ConfigValue, FlinkConfig, UserKey};
use crate::parse::defaults::LayeredDefault;
use crate::provenance::{Origin, Traced};

/// The configuration, layered, with the origin of every key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EffectiveConfig {
    values: FlinkConfig,
    origins: BTreeMap<String, Traced>,
}

impl Deref for EffectiveConfig {
    type Target = FlinkConfig;
    fn deref(&self) -> &FlinkConfig {
        &self.values
    }
}

impl EffectiveConfig {
    /// The defaults in their layer order, then the user's keys (a later duplicate wins, as in
    /// Flink); each key keeps what it overrode.
    pub fn layered<'d>(defaults: impl Iterator<Item = LayeredDefault<'d>>, user_keys: &[UserKey]) -> EffectiveConfig {
        let mut config = EffectiveConfig::default();
        for default in defaults {
            config.set(default.option, ConfigValue::Text(default.value.to_string()), default.origin());
        }
        for user in user_keys {
            let origin = Origin::Config { key: user.key.clone(), span: user.span };
            config.set(&user.key, ConfigValue::Text(user.value.clone()), origin);
        }
        config
    }

    /// Where the value of `key` comes from, and what it overrode.
    pub fn origin(&self, key: &str) -> Option<&Traced> {
        self.origins.get(key)
    }

    /// The origins of every key, by key.
    pub fn origins(&self) -> &BTreeMap<String, Traced> {
        &self.origins
    }

    /// The configuration without origins.
    pub fn values(&self) -> &FlinkConfig {
        &self.values
    }

    /// Every value with its origin: the configuration and where each key comes from.
    pub fn into_parts(self) -> (FlinkConfig, BTreeMap<String, Traced>) {
        (self.values, self.origins)
    }

    fn set(&mut self, key: &str, value: ConfigValue, origin: Origin) {
        let traced = match (self.origins.remove(key), self.values.get(key)) {
            (Some(before), Some(was)) => before.overridden_by(was, origin),
            _ => Traced::new(origin),
        };
        self.values.set_value(key, value);
        self.origins.insert(key.to_string(), traced);
    }

    /// Set a derived key.
    pub(super) fn derive(&mut self, key: &str, value: impl Into<String>, origin: Origin) {
        self.set(key, ConfigValue::Text(value.into()), origin);
    }

    /// Set a derived key to a typed value.
    pub(super) fn derive_value(&mut self, key: &str, value: ConfigValue, origin: Origin) {
        self.set(key, value, origin);
    }

    /// Set a derived key unless it is set already (the builder's "default" keys).
    pub(super) fn derive_default(&mut self, key: &str, value: impl Into<String>, origin: Origin) {
        if !self.values.contains(key) {
            self.derive(key, value, origin);
        }
    }

    /// Remove a key (the builder drops some for some upgrade modes).
    pub(super) fn remove(&mut self, key: &str) {
        self.values.remove(key);
        self.origins.remove(key);
    }
}
