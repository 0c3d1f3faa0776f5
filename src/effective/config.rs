//! The effective configuration of one resource (FO §2): the operator defaults for its
//! namespace and Flink version, then the user's flattened `flinkConfiguration`, then the
//! keys the operator's config builder derives from the spec, with **where each key was
//! written** ([`Origin`]).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;

use crate::diagnostics::Span;
use crate::flink::config::{ConfigValue, FlinkConfig, UserKey};

/// Where a configuration value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The operator defaults (`--defaults`, or the built-in Helm profile).
    OperatorDefaults,
    /// The user's `flinkConfiguration`, at this position.
    Spec(Span),
    /// The config builder, from a spec field or the cluster's identity (FO §2.2).
    Derived,
}

/// The configuration, layered, with the keys the builder set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EffectiveConfig {
    values: FlinkConfig,
    derived: BTreeSet<String>,
}

impl Deref for EffectiveConfig {
    type Target = FlinkConfig;
    fn deref(&self) -> &FlinkConfig {
        &self.values
    }
}

impl EffectiveConfig {
    /// The defaults, then the user's keys (a later duplicate wins, as in Flink).
    pub fn layered(defaults: BTreeMap<String, String>, user_keys: &[UserKey]) -> EffectiveConfig {
        let mut values = FlinkConfig::default();
        for (key, value) in defaults {
            values.set(&key, value);
        }
        for user in user_keys {
            values.set(&user.key, user.value.clone());
        }
        EffectiveConfig { values, derived: BTreeSet::new() }
    }

    /// Where the value of `key` comes from, given the user's keys.
    pub fn origin(&self, key: &str, user_keys: &[UserKey]) -> Origin {
        if self.derived.contains(key) {
            return Origin::Derived;
        }
        match user_keys.iter().rev().find(|user| user.key == key) {
            Some(user) => Origin::Spec(user.span),
            None => Origin::OperatorDefaults,
        }
    }

    /// The configuration without origins.
    pub fn values(&self) -> &FlinkConfig {
        &self.values
    }

    /// Set a derived key.
    pub(super) fn derive(&mut self, key: &str, value: impl Into<String>) {
        self.derive_value(key, ConfigValue::Text(value.into()));
    }

    /// Set a derived key to a typed value.
    pub(super) fn derive_value(&mut self, key: &str, value: ConfigValue) {
        self.values.set_value(key, value);
        self.derived.insert(key.to_string());
    }

    /// Set a derived key unless it is set already (the builder's "default" keys).
    pub(super) fn derive_default(&mut self, key: &str, value: impl Into<String>) {
        if !self.values.contains(key) {
            self.derive(key, value);
        }
    }

    /// Remove a key (the builder drops some for some upgrade modes).
    pub(super) fn remove(&mut self, key: &str) {
        self.values.remove(key);
        self.derived.remove(key);
    }
}
