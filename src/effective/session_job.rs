//! The effective view of a FlinkSessionJob: its target session cluster, found among the
//! FlinkDeployments of **all** inputs (wherever they were written), its job and upgrade mode,
//! and the configuration the operator validates it with: the session cluster's effective
//! configuration with the job's own `flinkConfiguration` on top (FO §6 session-job table).

use crate::flink::config::FlinkConfig;
use crate::parse::ParsedSessionJob;
use crate::parse::spec::{RawJobSpec, RawSessionJobSpec};

use super::cluster::ClusterView;
use super::helm::{self, HelmHooks};
use super::job::{UpgradeModeRead, upgrade_mode};
use super::render_settings::{self, Owner, RenderSettings};
use super::settings::Settings;

/// A FlinkSessionJob as the rules and the lowering see it.
#[derive(Debug, Clone)]
pub struct SessionJobView<'a> {
    /// The resource as read.
    pub parsed: &'a ParsedSessionJob,
    /// `metadata.name` (empty when missing).
    pub name: &'a str,
    /// `metadata.namespace`, else the namespace of the compile.
    pub namespace: Option<&'a str>,
    /// The spec, when there is one.
    pub spec: Option<&'a RawSessionJobSpec>,
    /// The job and its upgrade mode, when the spec has one.
    pub job: Option<(&'a RawJobSpec, UpgradeModeRead)>,
    /// The FlinkDeployment named by `deploymentName` in the same namespace, when it is among
    /// the inputs.
    pub cluster: Option<&'a ClusterView<'a>>,
    /// The cluster's configuration with the job's keys on top, when the cluster is known.
    pub config: Option<FlinkConfig>,
    /// flink-render's settings for the job, from its annotations.
    pub render: RenderSettings,
    /// The chart template Helm 4 rendered the spec from ([`helm::template_file`]).
    pub template_file: Option<&'a str>,
    /// What Helm does with the hook annotations of its Jobs.
    pub helm_hooks: HelmHooks,
}

/// Build the view of a session job; `clusters` are the FlinkDeployments of the compile.
pub(super) fn build<'a>(
    parsed: &'a ParsedSessionJob,
    settings: &Settings<'a>,
    clusters: &[&'a ClusterView<'a>],
) -> SessionJobView<'a> {
    let metadata = &parsed.raw.metadata;
    let namespace = metadata.namespace.as_deref().or(settings.namespace);
    let spec = parsed.raw.spec.as_ref();
    let deployment_name = spec.and_then(|spec| spec.deployment_name.as_deref());
    let cluster = deployment_name.and_then(|name| {
        clusters.iter().copied().find(|cluster| cluster.name == name && cluster.namespace == namespace)
    });
    let config = cluster.map(|cluster| {
        let mut config = cluster.config.values().clone();
        for user in &parsed.user_keys {
            config.set(&user.key, user.value.clone());
        }
        config
    });
    SessionJobView {
        parsed,
        name: metadata.name.as_deref().unwrap_or_default(),
        namespace,
        spec,
        job: spec.and_then(|spec| spec.job.as_ref()).map(|job| (job, upgrade_mode(job))),
        cluster,
        config,
        render: render_settings::read(metadata, Owner::SessionJob),
        template_file: helm::template_file(metadata),
        helm_hooks: settings.helm_hooks,
    }
}
