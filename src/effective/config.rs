//! The effective configuration of one resource (FO §2): the operator defaults for its
//! namespace and Flink version, then the user's flattened `flinkConfiguration`, then the
//! keys the operator's config builder derives from the spec, with **where each key was
//! written** ([`Traced`] origins, with what each key overrode).

use std::collections::BTreeMap;
use std::ops::Deref;

use crate::flink::config::{ConfigValue, FlinkConfig, UserKey};
use crate::parse::defaults::LayeredDefault;
use crate::provenance::{Origin, Traced};

/// Whether origins can be recorded at all (the `provenance` feature; without it every origin
/// is dropped at compile time).
const PROVENANCE: bool = cfg!(feature = "provenance");

/// The configuration, layered, with the origin of every key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EffectiveConfig {
    values: FlinkConfig,
    /// Where each key comes from, when provenance is on.
    origins: Option<BTreeMap<String, Traced>>,
}

impl Deref for EffectiveConfig {
    type Target = FlinkConfig;
    fn deref(&self) -> &FlinkConfig {
        &self.values
    }
}

impl EffectiveConfig {
    /// The defaults in their layer order, then the user's keys (a later duplicate wins, as in
    /// Flink); with `provenance`, each key keeps its origin and what it overrode.
    pub fn layered<'d>(
        defaults: impl Iterator<Item = LayeredDefault<'d>>,
        user_keys: &[UserKey],
        provenance: bool,
    ) -> EffectiveConfig {
        let origins = (PROVENANCE && provenance).then(BTreeMap::new);
        let mut config = EffectiveConfig { values: FlinkConfig::default(), origins };
        for default in defaults {
            config.set(default.option, ConfigValue::Text(default.value.to_string()), || default.origin());
        }
        for user in user_keys {
            let origin = || Origin::Config { key: user.key.clone(), span: user.span };
            config.set(&user.key, ConfigValue::Text(user.value.clone()), origin);
        }
        config
    }

    /// Whether origins are recorded.
    pub fn traced(&self) -> bool {
        PROVENANCE && self.origins.is_some()
    }

    /// Where the value of `key` comes from, and what it overrode (with provenance on).
    pub fn origin(&self, key: &str) -> Option<&Traced> {
        if !PROVENANCE {
            return None;
        }
        self.origins.as_ref()?.get(key)
    }

    /// The origins of every key, by key (empty with provenance off).
    pub fn origins(&self) -> BTreeMap<String, Traced> {
        self.origins.clone().unwrap_or_default()
    }

    /// The configuration without origins.
    pub fn values(&self) -> &FlinkConfig {
        &self.values
    }

    /// Set `key`; its origin is built only with provenance on.
    fn set(&mut self, key: &str, value: ConfigValue, origin: impl FnOnce() -> Origin) {
        if let Some(origins) = self.origins.as_mut().filter(|_| PROVENANCE) {
            Traced::record(origins, key, self.values.get(key), origin());
        }
        self.values.set_value(key, value);
    }

    /// Set a derived key.
    pub(super) fn derive(&mut self, key: &str, value: impl Into<String>, origin: Origin) {
        self.set(key, ConfigValue::Text(value.into()), || origin);
    }

    /// Set a derived key to a typed value.
    pub(super) fn derive_value(&mut self, key: &str, value: ConfigValue, origin: Origin) {
        self.set(key, value, || origin);
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
        if let Some(origins) = &mut self.origins {
            origins.remove(key);
        }
    }
}
