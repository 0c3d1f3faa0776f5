//! Stage 4, **emit**: the resolved model → Kubernetes objects, one module per output kind
//! (FO §4), each a pure function. [`ORDER`] is the one list that fixes which objects
//! come out and in what order, so the output is byte-for-byte deterministic.

pub mod common;
pub mod config_file;
pub mod config_map;
pub mod hardening;
pub mod ingress;
pub mod jobmanager;
pub mod lifecycle;
pub mod network_policy;
pub mod pod;
pub mod rbac;
pub mod revision;
pub mod service_account;
pub mod services;
pub mod taskmanager;
pub mod taskmanager_template;
pub mod yaml;

use serde_json::Value;

use crate::resolve::model::{Cluster, SessionJob};

/// One emitter: the objects of one kind for a cluster (possibly none).
pub type Emitter = fn(&Cluster) -> Vec<Value>;

/// Every emitter, in output order.
pub const ORDER: [(&str, Emitter); 12] = [
    ("ServiceAccount", service_account::emit),
    ("ConfigMap", config_map::emit),
    ("ConfigMap (TaskManager pod template)", taskmanager_template::emit),
    ("ConfigMap (lifecycle scripts)", lifecycle::files::emit),
    ("Role/RoleBinding", rbac::emit),
    ("Service (internal)", services::emit_internal),
    ("Service (rest)", services::emit_rest),
    ("Deployment (JobManager)", jobmanager::emit),
    ("Deployment (TaskManager)", taskmanager::emit),
    ("Ingress", ingress::emit),
    ("NetworkPolicy", network_policy::emit),
    ("Job (lifecycle)", lifecycle::emit),
];

/// The objects of a session job: its lifecycle Jobs, filed under its chart template
/// ([`common::carry_template_file`]).
pub fn emit_session_job(job: &SessionJob) -> Vec<Value> {
    let mut objects = lifecycle::emit_session_job(job);
    common::carry_template_file(&mut objects, job.template_file.as_deref());
    objects
}

/// All objects for one cluster, in [`ORDER`], with the revision of an application cluster
/// filled in ([`revision::stamp`]), filed under its chart template
/// ([`common::carry_template_file`]).
pub fn emit(cluster: &Cluster) -> Vec<Value> {
    let mut objects: Vec<Value> = ORDER.iter().flat_map(|(_, emitter)| emitter(cluster)).collect();
    revision::stamp(cluster, &mut objects);
    common::carry_template_file(&mut objects, cluster.template_file.as_deref());
    objects
}
