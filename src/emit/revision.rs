//! The revision of an application cluster (DESIGN §5): a digest of its JobManager and
//! TaskManager pod templates, so that it changes exactly when either pod changes (a new image,
//! configuration, template, job or job id) and never otherwise (a savepoint nonce, a Service or
//! an Ingress). The JobManager publishes it in its configuration and the
//! TaskManagers serve only a JobManager of their own revision: during an upgrade that keeps the
//! job id (last-state), the job id alone cannot tell the old JobManager from the new one.
//!
//! The emitters put [`placeholder`] wherever a container needs the revision; [`stamp`], the last
//! step of `emit`, digests both templates with the placeholders empty and fills them in.

use serde_json::{Value, json};

use crate::digest::Fnv1a;
use crate::emit::taskmanager_template;
use crate::objects::taskmanager_name;
use crate::resolve::model::Cluster;

/// The variable that carries the revision.
pub const REVISION_ENV: &str = "FLINK_RENDER_REVISION";

/// The env entry the emitters add, empty until [`stamp`] fills it.
pub fn placeholder() -> Value {
    json!({ "name": REVISION_ENV, "value": "" })
}

/// Fill in the revision of an application cluster's `objects` (both Deployments; in native mode
/// the JobManager's and the TaskManager pod template); a session cluster has none.
pub fn stamp(cluster: &Cluster, objects: &mut [Value]) {
    if cluster.application.is_none() {
        return;
    }
    let (tm_kind, tm_name) = if cluster.native() {
        ("ConfigMap", taskmanager_template::name(cluster))
    } else {
        ("Deployment", taskmanager_name(&cluster.name))
    };
    let named = |object: &Value, kind: &str, name: &str| {
        object["kind"] == kind && object.pointer("/metadata/name").and_then(Value::as_str) == Some(name)
    };
    let jobmanager = objects.iter().position(|object| named(object, "Deployment", &cluster.name));
    let taskmanager = objects.iter().position(|object| named(object, tm_kind, &tm_name));
    let (Some(jobmanager), Some(taskmanager)) = (jobmanager, taskmanager) else { return };
    let mut digest = Fnv1a::default();
    digest.bytes(b"flink-render/revision/v1");
    for index in [jobmanager, taskmanager] {
        let pod = if index == taskmanager && cluster.native() { "/data" } else { "/spec/template" };
        digest.value(objects[index].pointer(pod).unwrap_or(&Value::Null));
    }
    let revision = Value::String(format!("{:016x}", digest.finish()));
    for index in [jobmanager, taskmanager] {
        let Some(spec) = objects[index].pointer_mut("/spec/template/spec") else { continue };
        for list in ["initContainers", "containers"] {
            for container in spec.get_mut(list).and_then(Value::as_array_mut).into_iter().flatten() {
                for entry in container.get_mut("env").and_then(Value::as_array_mut).into_iter().flatten() {
                    if entry["name"] == REVISION_ENV {
                        entry["value"] = revision.clone();
                    }
                }
            }
        }
    }
}

/// FNV-1a ([`Fnv1a`]) over a JSON tree: every node tagged with its type and every string and
/// list with its length, object keys in their (sorted) order, so no two trees feed the same
/// bytes. A revision needs no cryptographic strength, and SHA-256 over the templates cost a
/// third of a whole render when they carried the lifecycle scripts.
trait JsonDigest {
    fn value(&mut self, value: &Value);
}

impl JsonDigest for Fnv1a {
    fn value(&mut self, value: &Value) {
        match value {
            Value::Null => self.bytes(b"n"),
            Value::Bool(flag) => self.bytes(if *flag { b"t" } else { b"f" }),
            Value::Number(number) => {
                self.bytes(b"#");
                self.text(&number.to_string());
            }
            Value::String(text) => {
                self.bytes(b"s");
                self.text(text);
            }
            Value::Array(items) => {
                self.bytes(b"[");
                self.bytes(&(items.len() as u64).to_le_bytes());
                items.iter().for_each(|item| self.value(item));
            }
            Value::Object(fields) => {
                self.bytes(b"{");
                self.bytes(&(fields.len() as u64).to_le_bytes());
                for (key, item) in fields {
                    self.text(key);
                    self.value(item);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Input, Options, compile};

    const SPEC: &str = "apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata: {name: app}\n\
        spec:\n  image: flink:2.2\n  flinkVersion: v2_2\n  mode: standalone\n  serviceAccount: flink\n\
        \x20 flinkConfiguration: {state.checkpoints.dir: 'file:///cp', state.savepoints.dir: 'file:///sp'}\n\
        \x20 jobManager: {resource: {memory: 1600m, cpu: 1}}\n\
        \x20 taskManager: {resource: {memory: 1728m, cpu: 1}}\n\
        \x20 job: {jarURI: 'local:///x.jar', parallelism: 2, upgradeMode: last-state}\n";

    /// The revision each container of the application's Deployments carries (container name →
    /// value), in output order.
    fn revisions(text: &str) -> Vec<(String, String)> {
        let compiled = compile(&[Input { name: "spec.yaml", text }], &Options::default());
        assert!(!compiled.diagnostics.has_errors(), "{text}");
        let mut found = Vec::new();
        for object in compiled.objects.iter().filter(|object| object["kind"] == "Deployment") {
            let spec = &object["spec"]["template"]["spec"];
            for container in ["initContainers", "containers"].iter().filter_map(|list| spec[list].as_array()).flatten()
            {
                for entry in
                    container["env"].as_array().into_iter().flatten().filter(|entry| entry["name"] == REVISION_ENV)
                {
                    found
                        .push((container["name"].as_str().unwrap_or_default().to_string(), entry["value"].to_string()));
                }
            }
        }
        found
    }

    fn revision(text: &str) -> String {
        let found = revisions(text);
        assert!(found.iter().all(|(_, value)| *value == found[0].1), "one revision in every container: {found:?}");
        found[0].1.clone()
    }

    #[test]
    fn both_deployments_carry_one_revision_where_the_hand_over_reads_it() {
        let names: Vec<String> = revisions(SPEC).into_iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["flink-main-container", "flink-render-await-job", "flink-main-container"]);
        assert_eq!(revision(SPEC).len(), 18, "16 hex digits, quoted");
    }

    #[test]
    fn a_change_to_either_pod_changes_the_revision() {
        let base = revision(SPEC);
        for changed in [
            SPEC.replace("memory: 1728m", "memory: 1760m"),
            SPEC.replace("memory: 1600m", "memory: 1700m"),
            SPEC.replace("flink:2.2", "flink:2.2.1"),
            SPEC.replace("parallelism: 2", "parallelism: 3"),
        ] {
            assert_ne!(revision(&changed), base, "{changed}");
        }
    }

    #[test]
    fn what_rolls_no_pod_keeps_the_revision() {
        let base = revision(SPEC);
        let nonce = SPEC.replace("upgradeMode: last-state}", "upgradeMode: last-state, savepointTriggerNonce: 3}");
        let ingress = format!("{SPEC}  ingress: {{template: 'flink.example.com'}}\n");
        for same in [nonce, ingress] {
            assert_eq!(revision(&same), base, "{same}");
        }
    }

    #[test]
    fn the_digest_tells_apart_what_serializes_alike() {
        let digest = |value: Value| {
            let mut digest = Fnv1a::default();
            digest.value(&value);
            digest.finish()
        };
        assert_ne!(digest(json!(["ab", "c"])), digest(json!(["a", "bc"])));
        assert_ne!(digest(json!({"a": "1"})), digest(json!({"a": 1})));
        assert_ne!(digest(json!([[]])), digest(json!([[], []])));
    }

    #[test]
    fn a_session_cluster_has_no_revision() {
        let session = SPEC.replace("  job: {jarURI: 'local:///x.jar', parallelism: 2, upgradeMode: last-state}\n", "");
        assert!(revisions(&session).is_empty());
    }
}
