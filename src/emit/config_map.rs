//! `ConfigMap flink-config-<name>` (FO §4.3, §5.1): the Flink configuration file for the
//! deployment's Flink version plus the log configuration files. Its content hash is put on
//! the pod templates so that a configuration change rolls the pods while the ConfigMap
//! name stays stable (DESIGN §3).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use serde_json::Value;

use crate::emit::{common_labels, config_file, metadata, to_value};
use crate::resolve::job_id::digest_hex;
use crate::resolve::model::Deployment;

/// The pod annotation that carries the configuration hash.
pub const CONFIG_HASH_ANNOTATION: &str = "flink-render/config-hash";

/// `flink-config-<name>`.
pub fn name(deployment: &Deployment) -> String {
    format!("flink-config-{}", deployment.name)
}

/// The ConfigMap's data: log files and the config file, by file name.
pub fn data(deployment: &Deployment) -> BTreeMap<String, String> {
    let mut data = deployment.log_files.clone();
    data.insert(
        config_file::file_name(deployment.flink_version).to_string(),
        config_file::render(&deployment.config, deployment.flink_version),
    );
    data
}

/// First 16 hex digits of SHA-256 over the data, key by key.
pub fn content_hash(deployment: &Deployment) -> String {
    let data = data(deployment);
    let parts: Vec<&str> = data.iter().flat_map(|(key, value)| [key.as_str(), value.as_str()]).collect();
    digest_hex(&parts)[..16].to_string()
}

/// The ConfigMap object.
pub fn emit(deployment: &Deployment) -> Vec<Value> {
    let config_map = ConfigMap {
        metadata: metadata(deployment, name(deployment), common_labels(deployment)),
        data: Some(data(deployment)),
        ..ConfigMap::default()
    };
    vec![to_value(&config_map)]
}
