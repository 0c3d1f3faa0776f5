//! Why a rendered configuration changed: for a ConfigMap `flink-config-<name>` whose
//! configuration file differs from the committed one, each changed key with its old and new value
//! and where the new value comes from ([`crate::explain`]'s origins), and for a workload rolled by
//! its `flink-render/config-hash`, the keys that rolled it.

use std::collections::{BTreeMap, BTreeSet};

use crate::explain::{ClusterConfig, describe};
use crate::objects::ObjectKey;
use crate::parse::document::parse_stream;
use crate::parse::flink_configuration::flatten;

/// The origins of the new rendering's configurations, to say why a configuration changed.
#[derive(Debug, Clone, Copy)]
pub struct Because<'c> {
    /// Every rendered cluster's configuration with its origins.
    pub configs: &'c [ClusterConfig],
    /// The `--defaults` file's name, if any.
    pub defaults: Option<&'c str>,
}

/// One changed key of a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedKey {
    /// The flat key.
    pub key: String,
    /// Its committed value, if it was there.
    pub before: Option<String>,
    /// Its new value, if it is there.
    pub after: Option<String>,
    /// Where the new value comes from, in words (removed keys have none).
    pub origin: Option<String>,
}

impl Because<'_> {
    /// The configuration of the cluster whose ConfigMap is `key`.
    fn config(&self, key: &ObjectKey) -> Option<&ClusterConfig> {
        self.configs.iter().find(|config| config.config_map_key() == *key)
    }

    /// The keys that differ between the committed configuration file `before` and the new
    /// one `after` of the ConfigMap `key`, sorted, each new value with its origin; `None` when
    /// `key` is no rendered cluster's configuration.
    pub fn changed_keys(&self, key: &ObjectKey, before: &str, after: &str) -> Option<Vec<ChangedKey>> {
        let config = self.config(key)?;
        let (old, new) = (flat(before), flat(after));
        let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        let changed = keys
            .into_iter()
            .filter(|name| old.get(*name) != new.get(*name))
            .map(|name| ChangedKey {
                key: name.clone(),
                before: old.get(name).cloned(),
                after: new.get(name).cloned(),
                origin: new.contains_key(name).then(|| origin_of(config, name, self.defaults)).flatten(),
            })
            .collect();
        Some(changed)
    }

    /// The changed keys of the configuration the workload `key` mounts, for a change of its
    /// `flink-render/config-hash`: the cluster is the one whose ConfigMap shares its namespace
    /// and whose name the workload's begins with.
    pub fn config_map_of(&self, key: &ObjectKey) -> Option<ObjectKey> {
        self.configs
            .iter()
            .filter(|config| config.namespace.as_deref().unwrap_or_default() == key.namespace)
            .filter(|config| key.name == config.name || key.name.starts_with(&format!("{}-", config.name)))
            .max_by_key(|config| config.name.len())
            .map(ClusterConfig::config_map_key)
    }
}

/// A configuration file's keys as Flink reads them (nested `config.yaml` or flat
/// `flink-conf.yaml` alike).
fn flat(text: &str) -> BTreeMap<String, String> {
    let Ok(documents) = parse_stream(text) else { return BTreeMap::new() };
    documents.first().map(flatten).unwrap_or_default().into_iter().map(|key| (key.key, key.value)).collect()
}

/// The origin of a key of the file: its own, or for an entry of a map option written nested
/// (`kubernetes.jobmanager.annotations.team`), the option's.
fn origin_of(config: &ClusterConfig, name: &str, defaults: Option<&str>) -> Option<String> {
    let explained = config
        .keys
        .iter()
        .filter(|explained| name == explained.key || name.starts_with(&format!("{}.", explained.key)))
        .max_by_key(|explained| explained.key.len())?;
    Some(describe(&explained.traced.origin, &config.source, defaults))
}
