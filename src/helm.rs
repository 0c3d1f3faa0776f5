//! Helm's post-renderers, as the face `flink-render render -` shows them. Helm renders a chart's
//! templates, pipes them through the post-renderer, and installs what comes back. The two
//! versions differ in what they hand over and in what they do with the hooks that come back
//! (measured with Helm 3.17.3 and 4.1.4, `tests/external/test_helm.py`):
//!
//! | | Helm 3 (`--post-renderer PATH`) | Helm 4 (`--post-renderer NAME`, a plugin) |
//! |---|---|---|
//! | how it runs | the executable, with one argument per `--post-renderer-args` | a `postrenderer/v1` plugin (`deploy/helm/plugin.yaml`: `flink-render render - --helm-post-renderer 4`), `--post-renderer-args` appended |
//! | stdin | the documents that are not hooks, each after `# Source: <template>` | every document, hooks too, each annotated with its template ([`TEMPLATE_FILE_ANNOTATION`]) |
//! | hooks in the output | not read: every object is a plain release resource | read: `helm.sh/hook` objects are hooks |
//! | empty output | accepted | an error |
//!
//! Neither passes the release's namespace, and neither shows the post-renderer's stderr unless
//! it fails: warnings are not seen (`flink-render validate` shows them).
//!
//! The CLI lowers `--helm-post-renderer` and stdin into [`HelmHooks`] ([`helm_hooks`]).

use crate::effective::helm::{HelmHooks, TEMPLATE_FILE_ANNOTATION};

/// What the output is for, as `--helm-post-renderer` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostRenderer {
    /// Helm 3's exec post-renderer.
    Helm3,
    /// Helm 4's post-renderer plugin.
    Helm4,
    /// Not a Helm post-renderer.
    NotHelm,
}

/// What Helm does with the output's hooks: what `declared` says, else, when stdin looks like
/// Helm 3's post-renderer input ([`looks_like_helm_3_input`]), probably nothing.
pub fn helm_hooks(declared: Option<PostRenderer>, stdin: Option<&str>) -> HelmHooks {
    match declared {
        Some(PostRenderer::Helm3) => HelmHooks::Ignored,
        Some(PostRenderer::Helm4 | PostRenderer::NotHelm) => HelmHooks::Run,
        None if stdin.is_some_and(looks_like_helm_3_input) => HelmHooks::ProbablyIgnored,
        None => HelmHooks::Run,
    }
}

/// Whether a text looks like what Helm 3 hands its post-renderer: its documents follow
/// `# Source: <template>` comment lines, and no line is Helm 4's template annotation (Helm 4
/// writes it as a YAML key of its own line). The output of `helm template` looks the same:
/// `--helm-post-renderer none` says it is not going to a post-renderer.
pub fn looks_like_helm_3_input(text: &str) -> bool {
    let annotation = |line: &str| {
        let key = line.trim_start().trim_start_matches(['"', '\'']);
        key.strip_prefix(TEMPLATE_FILE_ANNOTATION)
            .is_some_and(|rest| rest.trim_start_matches(['"', '\'']).starts_with(':'))
    };
    text.lines().any(|line| line.starts_with("# Source: ")) && !text.lines().any(annotation)
}

/// What a post-renderer writes when nothing is rendered (a chart whose templates render nothing,
/// a suspended session job alone): an empty YAML stream, which Helm 4 accepts where it refuses
/// an empty output ("post-renderer produced empty output").
pub const NO_OBJECTS: &str = "# flink-render: no objects\n";

#[cfg(test)]
mod tests {
    use super::*;

    const HELM_3_INPUT: &str = "---\n# Source: chart/templates/app.yaml\napiVersion: v1\nkind: ConfigMap\n";

    #[test]
    fn helm_3_input_is_told_by_its_source_comments_and_no_template_annotation() {
        assert!(looks_like_helm_3_input(HELM_3_INPUT));
        let helm_4_input = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    {TEMPLATE_FILE_ANNOTATION}: 'chart/templates/app.yaml'\n"
        );
        assert!(!looks_like_helm_3_input(&helm_4_input));
        assert!(!looks_like_helm_3_input(&format!("# Source: x\n{helm_4_input}")));
        assert!(!looks_like_helm_3_input("apiVersion: v1\nkind: ConfigMap\n# Sources: x\n"));
        let quoted = format!("# Source: x\nmetadata:\n  annotations:\n    \"{TEMPLATE_FILE_ANNOTATION}\": x\n");
        assert!(!looks_like_helm_3_input(&quoted));
        let mentioned = format!("# Source: x\n# not {TEMPLATE_FILE_ANNOTATION}: only a comment\n{HELM_3_INPUT}");
        assert!(looks_like_helm_3_input(&mentioned), "a comment naming the annotation is no annotation");
    }

    #[test]
    fn the_declared_post_renderer_decides_and_helm_3_input_is_suspected_only_without_one() {
        assert_eq!(helm_hooks(Some(PostRenderer::Helm3), None), HelmHooks::Ignored);
        assert_eq!(helm_hooks(Some(PostRenderer::Helm4), Some(HELM_3_INPUT)), HelmHooks::Run);
        assert_eq!(helm_hooks(Some(PostRenderer::NotHelm), Some(HELM_3_INPUT)), HelmHooks::Run);
        assert_eq!(helm_hooks(None, Some(HELM_3_INPUT)), HelmHooks::ProbablyIgnored);
        assert_eq!(helm_hooks(None, Some("apiVersion: v1\nkind: ConfigMap\n")), HelmHooks::Run);
        assert_eq!(helm_hooks(None, None), HelmHooks::Run);
    }
}
