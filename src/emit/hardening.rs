//! Hardened by default (DESIGN §3; ours: the operator sets none of this, and scanners fail
//! every workload without it). Each default is added only where the user's pod template
//! leaves the field unset, so the template wins field by field:
//!
//! - pod `securityContext`: `runAsUser`, `runAsGroup` and `fsGroup` 9999 (the official image's
//!   `flink` user, which owns `/opt/flink`; as uid 9999 its entrypoint skips `gosu`),
//!   `runAsNonRoot` (unless the template runs as root), `seccompProfile: RuntimeDefault`;
//! - `automountServiceAccountToken: false`, except on pods that call the Kubernetes API
//!   (Kubernetes HA);
//! - container `securityContext`: `allowPrivilegeEscalation: false`, `capabilities: {drop:
//!   [ALL]}`, `readOnlyRootFilesystem: true` with an `emptyDir` wherever Flink writes
//!   ([`WRITABLE_DIRS`]), unless the container enables built-in plugins, which the image's
//!   entrypoint copies into `/opt/flink/plugins` at start;
//! - every other container of the pod (the user's sidecars and init containers): the
//!   restricted profile's `allowPrivilegeEscalation: false` and `capabilities.drop: [ALL]`
//!   ([`restrict_container`]), which cost a process running as uid 9999 nothing; read-only
//!   root and resources stay the user's choice there.

use serde_json::{Map, Value, json};

/// The uid and gid of the official image's `flink` user.
pub const FLINK_UID: i64 = 9999;

/// Where the processes of the official image write, besides mounted volumes: temporary files
/// (`io.tmp.dirs`, blobs, the web UI's uploads, RocksDB's local state) and the log directory
/// (`FLINK_LOG_DIR`, `/opt/flink/log` unless `kubernetes.flink.log.dir` moves it).
pub const WRITABLE_DIRS: [(&str, &str); 2] = [("flink-tmp", "/tmp"), ("flink-log", "/opt/flink/log")];

/// The pod-level defaults.
pub fn secure_pod(spec: &mut Map<String, Value>, calls_kubernetes_api: bool) {
    let context = object(spec, "securityContext");
    let runs_as_root = context.get("runAsUser").and_then(Value::as_i64) == Some(0);
    for (key, value) in
        [("runAsUser", json!(FLINK_UID)), ("runAsGroup", json!(FLINK_UID)), ("fsGroup", json!(FLINK_UID))]
    {
        context.entry(key).or_insert(value);
    }
    if !runs_as_root {
        context.entry("runAsNonRoot").or_insert(json!(true));
    }
    context.entry("seccompProfile").or_insert(json!({ "type": "RuntimeDefault" }));
    if !calls_kubernetes_api {
        spec.entry("automountServiceAccountToken").or_insert(json!(false));
    }
}

/// The container-level defaults; returns whether the root filesystem ends up read-only.
pub fn secure_container(container: &mut Map<String, Value>, plugins_enabled: bool) -> bool {
    restrict_container(container);
    let context = object(container, "securityContext");
    context.entry("readOnlyRootFilesystem").or_insert(json!(!plugins_enabled));
    context.get("readOnlyRootFilesystem").and_then(Value::as_bool) == Some(true)
}

/// The restricted profile's container settings where the template leaves them unset:
/// `allowPrivilegeEscalation: false` (not on a privileged container, nor one that adds
/// `SYS_ADMIN`: Kubernetes refuses either pair) and `capabilities.drop: [ALL]` (what the
/// template adds is added back after the drop).
pub fn restrict_container(container: &mut Map<String, Value>) {
    let context = object(container, "securityContext");
    let privileged = context.get("privileged") == Some(&Value::Bool(true));
    let adds = context.get("capabilities").and_then(|capabilities| capabilities.get("add")).and_then(Value::as_array);
    let sys_admin = adds.is_some_and(|adds| adds.iter().any(|cap| cap == "SYS_ADMIN" || cap == "CAP_SYS_ADMIN"));
    if !privileged && !sys_admin {
        context.entry("allowPrivilegeEscalation").or_insert(json!(false));
    }
    object(context, "capabilities").entry("drop").or_insert(json!(["ALL"]));
}

/// Whether a container's environment asks the entrypoint to enable built-in plugins.
pub fn enables_plugins(env: &[Value]) -> bool {
    env.iter().any(|entry| entry.get("name").and_then(Value::as_str) == Some("ENABLE_BUILT_IN_PLUGINS"))
}

/// The writable `emptyDir`s a read-only container needs: name, source and path, for the
/// directories no volume of the container covers yet. `log_dir` replaces `/opt/flink/log`.
pub fn writable_volumes(mounted: &[&str], log_dir: Option<&str>) -> Vec<(String, Value, String)> {
    WRITABLE_DIRS
        .iter()
        .map(|(name, path)| (*name, if *name == "flink-log" { log_dir.unwrap_or(path) } else { path }))
        .filter(|(_, path)| !mounted.iter().any(|mount| mount.trim_end_matches('/') == path.trim_end_matches('/')))
        .map(|(name, path)| (name.to_string(), json!({ "emptyDir": {} }), path.to_string()))
        .collect()
}

fn object<'a>(map: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let field = map.entry(key.to_string()).or_insert_with(|| json!({}));
    if !field.is_object() {
        *field = json!({});
    }
    field.as_object_mut().expect("object")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The template wins field by field; a template that runs as root gets no runAsNonRoot.
    #[test]
    fn the_template_wins_field_by_field() {
        let mut spec = json!({"securityContext": {"runAsUser": 0, "fsGroup": 1000}}).as_object().unwrap().clone();
        secure_pod(&mut spec, false);
        assert_eq!(
            spec["securityContext"],
            json!({"runAsUser": 0, "runAsGroup": 9999, "fsGroup": 1000, "seccompProfile": {"type": "RuntimeDefault"}})
        );
        assert_eq!(spec["automountServiceAccountToken"], json!(false));
        let mut container = json!({"securityContext": {"readOnlyRootFilesystem": false}}).as_object().unwrap().clone();
        assert!(!secure_container(&mut container, false));
        assert_eq!(container["securityContext"]["capabilities"], json!({"drop": ["ALL"]}));
    }

    #[test]
    fn writable_directories_skip_what_is_mounted() {
        let volumes = writable_volumes(&["/tmp/"], Some("/var/log/flink"));
        assert_eq!(volumes.len(), 1);
        assert_eq!(volumes[0].2, "/var/log/flink");
    }
}
