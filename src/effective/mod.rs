//! Stage 2, **effective view**: each resource read once into what every later stage needs:
//! name, namespace, Flink version, upgrade mode, job state, resources, ports, and the
//! configuration with the operator defaults layered in and the builder's keys derived, with
//! where each key was written ([`crate::provenance::Traced`]). Values that cannot be read are kept as
//! data (an unreadable memory string, a port range, an unknown enum value) for `validate`
//! to report; nothing here reports, and nothing here is rendered.

pub mod cluster;
pub mod config;
pub mod helm;
pub mod ingress;
pub mod job;
pub mod job_id;
pub mod mode;
pub mod operator;
pub mod pod_template;
pub mod ports;
pub mod render_settings;
pub mod resources;
pub mod session_job;
pub mod settings;

use crate::parse::{ParsedDeployment, ParsedSessionJob};

pub use cluster::ClusterView;
pub use mode::DeploymentMode;
pub use session_job::SessionJobView;
pub use settings::{Settings, passthrough};

/// A FlinkDeployment as the later stages see it.
#[derive(Debug, Clone)]
pub enum DeploymentView<'a> {
    /// No spec: the operator's health canary, which renders to nothing.
    Canary(&'a ParsedDeployment),
    /// A Flink cluster.
    Cluster(Box<ClusterView<'a>>),
}

/// The view of one FlinkDeployment.
pub fn deployment<'a>(parsed: &'a ParsedDeployment, settings: &Settings<'a>) -> DeploymentView<'a> {
    match &parsed.raw.spec {
        None => DeploymentView::Canary(parsed),
        Some(spec) => DeploymentView::Cluster(Box::new(cluster::build(parsed, spec, settings))),
    }
}

/// The view of one FlinkSessionJob, against the clusters of all inputs.
pub fn session_job<'a>(
    parsed: &'a ParsedSessionJob,
    settings: &Settings<'a>,
    clusters: &[&'a ClusterView<'a>],
) -> SessionJobView<'a> {
    session_job::build(parsed, settings, clusters)
}
