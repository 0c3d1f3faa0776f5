//! Deterministic job ids (DESIGN §3, FO §4.8). Upstream rolls a random 32-hex JobID on
//! every deploy that is not a last-state upgrade and keeps it for last-state upgrades.
//! flink-render derives it instead, as a pure function:
//!
//! `job id = first 32 hex digits of SHA-256("flink-render/job-id/v1", namespace, name, material)`
//!
//! * `upgradeMode: last-state`: material is the upgrade mode and `savepointRedeployNonce`
//!   only, so every last-state upgrade keeps the id and HA recovery finds the job; a new
//!   `savepointRedeployNonce` starts a new job.
//! * `stateless` / `savepoint`: material is the whole spec minus the fields upstream's spec
//!   diff ignores (`upgradeMode`, `initialSavepointPath`, snapshot and autoscaler nonces,
//!   `job.state`, and `flinkConfiguration` keys under `kubernetes.operator.`, `job.autoscaler.`
//!   and `parallelism.default`). Any change that upgrades the job gives a new id, including a
//!   new `restartNonce`; re-rendering an unchanged spec gives the same id.

use serde_json::Value;

use crate::digest::digest_hex;

/// Fields of `spec.job` that do not restart the job (upstream diff type IGNORE).
const IGNORED_JOB_FIELDS: [&str; 7] = [
    "upgradeMode",
    "initialSavepointPath",
    "savepointTriggerNonce",
    "checkpointTriggerNonce",
    "autoscalerResetNonce",
    "state",
    "cancelMode",
];

/// Configuration prefixes the spec diff ignores.
const IGNORED_CONFIG_PREFIXES: [&str; 3] = ["kubernetes.operator.", "job.autoscaler.", "parallelism.default"];

/// The job id for a FlinkDeployment. `spec` is the spec as JSON, `flat_config` the
/// flattened user `flinkConfiguration`.
pub fn job_id(
    namespace: Option<&str>,
    name: &str,
    spec: &Value,
    flat_config: &[(String, String)],
    last_state: bool,
) -> String {
    let material = if last_state {
        let nonce = spec.pointer("/job/savepointRedeployNonce").map(Value::to_string).unwrap_or_default();
        format!("last-state\0{nonce}")
    } else {
        let mut relevant = spec.clone();
        if let Some(job) = relevant.get_mut("job").and_then(Value::as_object_mut) {
            for field in IGNORED_JOB_FIELDS {
                job.remove(field);
            }
        }
        if let Some(object) = relevant.as_object_mut() {
            object.remove("flinkConfiguration");
        }
        let config: Vec<&(String, String)> = flat_config
            .iter()
            .filter(|(key, _)| !IGNORED_CONFIG_PREFIXES.iter().any(|prefix| key.starts_with(prefix)))
            .collect();
        format!("{}\0{}", relevant, serde_json::to_string(&config).unwrap_or_default())
    };
    digest_hex(&["flink-render/job-id/v1", namespace.unwrap_or(""), name, &material])[..32].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn id(spec: Value, last_state: bool) -> String {
        job_id(Some("ns"), "job", &spec, &[], last_state)
    }

    #[test]
    fn job_id_is_32_hex_and_stable() {
        let spec = json!({"job": {"jarURI": "local:///x.jar", "parallelism": 2}});
        let first = id(spec.clone(), false);
        assert_eq!(first.len(), 32);
        assert!(first.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(first, id(spec, false));
    }

    #[test]
    fn job_id_changes_on_restart_nonce_but_not_on_ignored_fields() {
        let base = json!({"job": {"parallelism": 2, "upgradeMode": "savepoint"}});
        let nonce = json!({"restartNonce": 1, "job": {"parallelism": 2, "upgradeMode": "savepoint"}});
        let trigger = json!({"job": {"parallelism": 2, "upgradeMode": "savepoint", "savepointTriggerNonce": 7}});
        assert_ne!(id(base.clone(), false), id(nonce, false));
        assert_eq!(id(base, false), id(trigger, false));
    }

    #[test]
    fn last_state_keeps_the_id_across_upgrades() {
        let before = json!({"image": "a", "job": {"upgradeMode": "last-state"}});
        let after = json!({"image": "b", "restartNonce": 2, "job": {"upgradeMode": "last-state"}});
        let redeploy = json!({"image": "b", "job": {"upgradeMode": "last-state", "savepointRedeployNonce": 1}});
        assert_eq!(id(before.clone(), true), id(after, true));
        assert_ne!(id(before, true), id(redeploy, true));
    }

    #[test]
    fn namespace_and_name_are_part_of_the_id() {
        let spec = json!({});
        assert_ne!(job_id(Some("a"), "x", &spec, &[], false), job_id(Some("b"), "x", &spec, &[], false));
        assert_ne!(job_id(None, "x", &spec, &[], false), job_id(None, "y", &spec, &[], false));
    }
}
