//! Configuration keys with a fixed meaning to the operator: what never reaches the cluster's
//! configuration file (FO §5.1, FO §2.0) and the log configuration files the operator ships
//! (FO §1.2).

/// Log configuration files a `logConfiguration` may hold (FO §6 rule 10).
pub const LOG_CONFIG_FILES: [&str; 2] = ["log4j-console.properties", "logback-console.xml"];

/// Keys removed before the configuration file is written (FO §5.1), plus the
/// operator-local bind settings that mean nothing in the cluster (FO §4.8).
const REMOVED_KEYS: [&str; 6] = [
    "kubernetes.config.file",
    "$internal.deployment.config-dir",
    "rest.bind-address",
    "jobmanager.bind-host",
    "taskmanager.bind-host",
    "taskmanager.host",
];

/// Whether `key` is left out of the written configuration file: the operator's own settings
/// (`kubernetes.operator.*`), the autoscaler's (`job.autoscaler.*`), operator-local
/// pod-template file paths, and [`REMOVED_KEYS`].
pub fn stays_with_the_operator(key: &str) -> bool {
    key.starts_with("kubernetes.operator.")
        || key.starts_with("job.autoscaler.")
        || key.starts_with("kubernetes.pod-template-file.")
        || REMOVED_KEYS.contains(&key)
}
