//! `ConfigMap flink-config-<name>` (FO §4.3, §5.1): the Flink configuration file for the
//! cluster's Flink version plus the log configuration files. Its content hash is put on
//! the pod templates so that a configuration change rolls the pods while the ConfigMap
//! name stays stable (DESIGN §3).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::digest::digest_hex;
use crate::emit::common::{common_labels, metadata};
use crate::emit::config_file;
use crate::objects::config_map_name;
use crate::resolve::model::{Cluster, ConfigFiles};

/// The pod annotation that carries the configuration hash.
pub const CONFIG_HASH_ANNOTATION: &str = "flink-render/config-hash";

/// `flink-config-<name>`.
pub fn name(cluster: &Cluster) -> String {
    config_map_name(&cluster.name)
}

/// The ConfigMap's data (log files and the config file, by file name) and its hash, rendered
/// once per cluster.
fn files(cluster: &Cluster) -> &ConfigFiles {
    cluster.config_files.get_or_init(|| {
        let mut data = cluster.log_files.clone();
        data.insert(
            config_file::file_name(cluster.flink_version).to_string(),
            config_file::render(&cluster.config, cluster.flink_version),
        );
        let parts: Vec<&str> = data.iter().flat_map(|(key, value)| [key.as_str(), value.as_str()]).collect();
        let hash = digest_hex(&parts)[..16].to_string();
        ConfigFiles { data, hash }
    })
}

/// The ConfigMap's data: log files and the config file, by file name.
pub fn data(cluster: &Cluster) -> &BTreeMap<String, String> {
    &files(cluster).data
}

/// First 16 hex digits of SHA-256 over the data, key by key.
pub fn content_hash(cluster: &Cluster) -> &str {
    &files(cluster).hash
}

/// The ConfigMap object.
pub fn emit(cluster: &Cluster) -> Vec<Value> {
    vec![json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(cluster, name(cluster), &common_labels(cluster)),
        "data": data(cluster),
    })]
}
