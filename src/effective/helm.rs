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
//!   the output is not read.

use crate::parse::spec::RawMetadata;

/// The annotation with which Helm 4 names the chart template a document came from
/// (`postrenderer.helm.sh/postrender-filename: <chart>/templates/<file>`).
pub const TEMPLATE_FILE_ANNOTATION: &str = "postrenderer.helm.sh/postrender-filename";

/// The chart template Helm 4 rendered a resource from, when the resource says so.
pub fn template_file(metadata: &RawMetadata) -> Option<&str> {
    metadata.annotations.as_ref()?.get(TEMPLATE_FILE_ANNOTATION).map(String::as_str)
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
}
