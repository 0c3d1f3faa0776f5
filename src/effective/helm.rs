//! What Helm tells flink-render about a resource, and what becomes of the lifecycle Jobs' Helm
//! hooks, when the output goes to a Helm post-renderer ([`crate::helm`] tells the two apart).
//!
//! - **Helm 4** hands its post-renderer plugin every document of the chart, hooks included, each
//!   annotated with the template file it came from ([`TEMPLATE_FILE_ANNOTATION`]), and reads the
//!   output again: it sorts out the hooks by their `helm.sh/hook` annotations and files every
//!   object under the template named by that annotation (`# Source:`, `--show-only`,
//!   `--output-dir`), then removes the annotation. An object without it is filed under
//!   `generated-by-postrender-N.yaml`. So an object rendered from a spec carries its spec's
//!   template file ([`template_file`]).
//! - **Helm 3** hands its post-renderer only the documents that are not hooks and creates
//!   everything it gets back as plain resources of the release: a `helm.sh/hook` annotation in
//!   the output is not read ([`HelmHooks`]).

use crate::parse::spec::RawMetadata;

/// The annotation with which Helm 4 names the chart template a document came from
/// (`postrenderer.helm.sh/postrender-filename: <chart>/templates/<file>`).
pub const TEMPLATE_FILE_ANNOTATION: &str = "postrenderer.helm.sh/postrender-filename";

/// The chart template Helm 4 rendered a resource from, when the resource says so.
pub fn template_file(metadata: &RawMetadata) -> Option<&str> {
    metadata.annotations.as_ref()?.get(TEMPLATE_FILE_ANNOTATION).map(String::as_str)
}

/// What Helm does with the `helm.sh/hook` annotations of the output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HelmHooks {
    /// They are hooks: the output goes to Helm 4's post-renderer plugin, into a chart's
    /// `templates/`, or to no Helm at all (where they are harmless).
    #[default]
    Run,
    /// They are not read: the output goes to Helm 3's post-renderer (`--helm-post-renderer 3`),
    /// which creates every object it gets back at install, hooks included, and deletes them at
    /// uninstall.
    Ignored,
    /// They are probably not read: the input looks like what Helm 3 hands its post-renderer, and
    /// nothing said where the output goes.
    ProbablyIgnored,
}

impl HelmHooks {
    /// Whether the lifecycle Jobs carry Helm's hook annotations: not when Helm would only
    /// create them as plain Jobs anyway.
    pub fn annotated(self) -> bool {
        self != HelmHooks::Ignored
    }

    /// Whether an object that makes sense only as a hook (the stop Job of
    /// `flink-render.dev/stop-on-delete`) would be created as a plain object: run at install.
    pub fn may_run_hooks_at_install(self) -> bool {
        self != HelmHooks::Run
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_file_is_read_from_helm_4s_annotation() {
        let annotations = [(TEMPLATE_FILE_ANNOTATION.to_string(), "chart/templates/app.yaml".to_string())];
        let metadata = RawMetadata { annotations: Some(annotations.into()), ..RawMetadata::default() };
        assert_eq!(template_file(&metadata), Some("chart/templates/app.yaml"));
        assert_eq!(template_file(&RawMetadata::default()), None);
    }

    #[test]
    fn only_helm_3_loses_the_hook_annotations_and_only_a_plain_run_keeps_hook_only_jobs() {
        assert!(HelmHooks::Run.annotated() && HelmHooks::ProbablyIgnored.annotated());
        assert!(!HelmHooks::Ignored.annotated());
        assert!(!HelmHooks::Run.may_run_hooks_at_install());
        assert!(HelmHooks::Ignored.may_run_hooks_at_install() && HelmHooks::ProbablyIgnored.may_run_hooks_at_install());
    }
}
