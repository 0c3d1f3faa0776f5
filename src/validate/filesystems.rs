//! Ours: a path on a remote filesystem (`s3://`, `gs://`, `abfs://`, …) needs that
//! filesystem's plugin in `/opt/flink/plugins`. The official image ships the plugins in
//! `/opt/flink/opt` and enables the ones named in `ENABLE_BUILT_IN_PLUGINS`; without one,
//! Flink stops with `UnsupportedFileSystemSchemeException` (seen with the rendered pods on a
//! real Flink). Custom images may bring their own plugins, so only the official image is
//! checked.

use serde_json::Value;

use crate::diagnostics::{Code, Diagnostic};
use crate::effective::ClusterView;
use crate::effective::cluster::{JarSource, ProcessView};
use crate::effective::pod_template::is_main_container;
use crate::flink::options::{CHECKPOINTS_DIRECTORY, FlinkOption, SAVEPOINT_DIRECTORY};

use crate::flink::image::is_official_image;

use super::findings::{at, at_config};

/// `high-availability.storageDir` and its older key.
const HA_STORAGE: FlinkOption =
    FlinkOption::with_fallbacks("high-availability.storageDir", &["high-availability.zookeeper.storageDir"]);

/// The plugins that serve a scheme (the jar names in `/opt/flink/opt` start with them).
fn plugins(scheme: &str) -> &'static [&'static str] {
    match scheme {
        "s3" => &["flink-s3-fs-presto", "flink-s3-fs-hadoop"],
        "s3a" => &["flink-s3-fs-hadoop"],
        "s3p" => &["flink-s3-fs-presto"],
        "gs" => &["flink-gs-fs-hadoop"],
        "abfs" | "abfss" | "wasb" | "wasbs" => &["flink-azure-fs-hadoop"],
        "oss" => &["flink-oss-fs-hadoop"],
        _ => &[],
    }
}

/// Whether the process's main container enables one of `names`, or mounts its own plugins.
fn enables(view: &ClusterView<'_>, process: &ProcessView, names: &[&str]) -> bool {
    let container = process
        .pod_template
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .and_then(|containers| containers.iter().find(|container| is_main_container(container)));
    let env = container.and_then(|container| container.get("env")).and_then(Value::as_array);
    let templated = env
        .into_iter()
        .flatten()
        .find(|entry| entry.get("name").and_then(Value::as_str) == Some("ENABLE_BUILT_IN_PLUGINS"));
    let templated = templated.and_then(|entry| entry.get("value")).and_then(Value::as_str).map(str::to_string);
    let prefix = match process.process {
        crate::effective::resources::Process::JobManager => "containerized.master.env.",
        crate::effective::resources::Process::TaskManager => "containerized.taskmanager.env.",
    };
    let configured = view.config.get(&format!("{prefix}ENABLE_BUILT_IN_PLUGINS"));
    let enabled =
        [templated, configured].into_iter().flatten().any(|value| names.iter().any(|name| value.contains(name)));
    let mounts = container.and_then(|container| container.get("volumeMounts")).and_then(Value::as_array);
    let mounted = mounts.into_iter().flatten().any(|mount| {
        mount.get("mountPath").and_then(Value::as_str).is_some_and(|path| path.starts_with("/opt/flink/plugins"))
    });
    enabled || mounted
}

/// The remote paths a cluster uses: the setting (a configuration key or `spec.job.jarURI`),
/// and the scheme.
fn remote_paths(view: &ClusterView<'_>) -> Vec<(String, bool, String)> {
    let mut paths = Vec::new();
    for option in [CHECKPOINTS_DIRECTORY, SAVEPOINT_DIRECTORY, HA_STORAGE] {
        if let Some((key, value)) = option.lookup(&view.config)
            && let Some((scheme, _)) = value.trim().split_once("://")
        {
            paths.push((key.to_string(), true, scheme.to_lowercase()));
        }
    }
    if let Some(JarSource::Remote(uri)) = view.job.as_ref().and_then(|job| job.jar.clone())
        && let Some((scheme, _)) = uri.split_once("://")
    {
        paths.push(("spec.job.jarURI".to_string(), false, scheme.to_lowercase()));
    }
    paths
}

/// Ours: every remote path's filesystem plugin is enabled on the official image.
pub fn filesystem_plugins_enabled(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    if !is_official_image(&view.image) {
        return Vec::new();
    }
    remote_paths(view)
        .into_iter()
        .filter_map(|(setting, is_key, scheme)| {
            let names = plugins(&scheme);
            if names.is_empty() || [&view.jobmanager, &view.taskmanager].iter().all(|process| enables(view, process, names)) {
                return None;
            }
            let message = format!(
                "`{setting}` is a `{scheme}://` path, but the official image enables no {scheme} filesystem plugin: Flink stops with UnsupportedFileSystemSchemeException"
            );
            let hint = format!(
                "set env ENABLE_BUILT_IN_PLUGINS={}-<Flink version>.jar (a jar in /opt/flink/opt) on flink-main-container in spec.podTemplate",
                names[0]
            );
            let diagnostic = if is_key {
                at_config(view.parsed, Code::FilesystemPluginMissing, &setting, message)
            } else {
                at(view.parsed, Code::FilesystemPluginMissing, &setting, message)
            };
            Some(diagnostic.with_hint(hint))
        })
        .collect()
}
