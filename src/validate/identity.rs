//! What a FlinkDeployment is and runs: its cluster id (FO §6 rule 1), `flinkVersion`
//! (rules 2–3, and the versions the operator deprecates), the deployment mode, the image and
//! pull policy, the service account (rule 32), and the Kubernetes names that end up in
//! objects. Also the health canary (a FlinkDeployment without spec).

use crate::diagnostics::{Code, Diagnostic};
use crate::effective::render_settings::RenderSettings;
use crate::effective::{ClusterView, DeploymentMode};
use crate::flink::config::{UserKey, parse_flat_list, parse_flat_map};
use crate::flink::version::FlinkVersion;
use crate::parse::{Parsed, ParsedDeployment};

use super::findings::{at, config_path};
use super::names::{LABEL_RULE, SUBDOMAIN_RULE, is_cluster_id, is_dns1123_label, is_dns1123_subdomain};

/// FO §6 rule 1: `metadata.name` is the Flink cluster id: lower-case alphanumerics and `-`,
/// starting with a letter, at most 45 characters.
pub fn cluster_id(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    name_rule(view.parsed)
}

/// FO §6 rule 1, for the health canary too.
pub fn canary_cluster_id(parsed: &ParsedDeployment) -> Vec<Diagnostic> {
    name_rule(parsed)
}

fn name_rule(parsed: &ParsedDeployment) -> Vec<Diagnostic> {
    match parsed.raw.metadata.name.as_deref() {
        Some(name) if is_cluster_id(name) => Vec::new(),
        Some(name) => vec![at(parsed, Code::InvalidName, "metadata.name", invalid_cluster_id(name, " "))],
        None => vec![at(
            parsed,
            Code::MissingField,
            "metadata.name",
            "metadata.name must be set: it is the Flink cluster id",
        )],
    }
}

/// Upstream's rule 1 message (its session-job copy has two spaces before `or 'abc-123'`).
pub fn invalid_cluster_id(name: &str, space: &str) -> String {
    format!(
        "The FlinkDeployment name: {name} is invalid, must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',{space}or 'abc-123'), and the length must be no more than 45 characters."
    )
}

/// Ours: a FlinkDeployment without `spec` is the operator's health canary; nothing runs it
/// here, so it renders to nothing, and says so. A spec set aside as a schema problem (a
/// misspelt `spec`) is not a canary.
pub fn canary_renders_nothing(parsed: &ParsedDeployment) -> Vec<Diagnostic> {
    if parsed.reported.covers("spec") {
        return Vec::new();
    }
    let name = parsed.raw.metadata.display_name();
    vec![at(
        parsed,
        Code::NoSpec,
        "metadata",
        format!("FlinkDeployment {name} has no spec (the operator's health canary); it renders to nothing"),
    )]
}

/// FO §6 rule 2: `flinkVersion` must be set.
pub fn flink_version_defined(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    if view.spec.flink_version.is_some() {
        return Vec::new();
    }
    vec![
        at(view.parsed, Code::MissingField, "spec.flinkVersion", "Flink Version must be defined.")
            .with_hint("set spec.flinkVersion, e.g. `v1_20` or `v2_2`"),
    ]
}

/// FO §6 rule 3: the version must be v1_15 or newer, and one the CRD knows.
pub fn flink_version_supported(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let Some(text) = view.spec.flink_version.as_deref() else { return Vec::new() };
    let path = "spec.flinkVersion";
    match view.flink_version {
        Some(version) if version < FlinkVersion::new(1, 15) => vec![
            at(
                view.parsed,
                Code::UnsupportedFlinkVersion,
                path,
                format!("Flink version {version} is not supported by this operator version"),
            )
            .with_hint("use v1_15 or newer"),
        ],
        Some(_) => Vec::new(),
        None => vec![at(
            view.parsed,
            Code::UnsupportedFlinkVersion,
            path,
            format!("`{text}` is not a Flink version the operator knows (v1_13 … v2_4)"),
        )],
    }
}

/// FO §1.2: `flinkVersion` v1_15 to v1_18 still work but are deprecated by the operator.
pub fn flink_version_deprecated(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let Some(version) = view.flink_version else { return Vec::new() };
    if !(FlinkVersion::new(1, 15)..=FlinkVersion::new(1, 18)).contains(&version) {
        return Vec::new();
    }
    vec![
        at(
            view.parsed,
            Code::DeprecatedFlinkVersion,
            "spec.flinkVersion",
            format!("Flink version {version} is deprecated by the operator; support for it will be removed"),
        )
        .with_hint("upgrade to v1_19 or newer"),
    ]
}

/// FO §6: `mode` is `native` or `standalone`.
pub fn mode_known(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    match view.spec.mode.as_deref() {
        None | Some("native" | "standalone") => Vec::new(),
        Some(other) => vec![at(
            view.parsed,
            Code::InvalidEnum,
            "spec.mode",
            format!("mode must be `native` or `standalone`, not `{other}`"),
        )],
    }
}

/// Ours: an omitted `mode` means native in the operator, and so here, unless the render's
/// setting for an omitted mode asks for standalone: then say once what that changes.
pub fn mode_omitted(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    if view.spec.mode.is_some() || view.mode == DeploymentMode::Native {
        return Vec::new();
    }
    vec![
        at(view.parsed, Code::ModeOmittedStandalone, "spec", "mode is not set, which the operator deploys in native mode; this render's setting for an omitted mode renders it standalone: the TaskManagers are a Deployment of a fixed size (replicas, or parallelism ÷ slots) rather than pods the JobManager creates, pods are labelled `type: flink-standalone-kubernetes`, and the JobManager runs the standalone entrypoints")
            .with_hint("set `mode: standalone` to render this without the warning, or `mode: native` for the operator's default"),
    ]
}

/// FO §1.6: `taskManager.taskSlots` is the FLIP-212 spelling of the slot count.
pub fn task_slots_spelling(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    if view.spec.task_manager.as_ref().and_then(|tm| tm.task_slots).is_none() {
        return Vec::new();
    }
    vec![
        at(
            view.parsed,
            Code::DeprecatedField,
            "spec.taskManager.taskSlots",
            "taskManager.taskSlots is the FLIP-212 spelling; use flinkConfiguration `taskmanager.numberOfTaskSlots`",
        )
        .with_hint("move it to spec.flinkConfiguration[\"taskmanager.numberOfTaskSlots\"]"),
    ]
}

/// Ours: without `spec.image` the pods would have no image; `flink:<major>.<minor>` of the
/// Flink version is used, with a warning.
pub fn image_is_set(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    if !view.image_derived || view.flink_version.is_none() {
        return Vec::new();
    }
    vec![
        at(
            view.parsed,
            Code::MissingImage,
            "spec.image",
            format!("spec.image is not set; using `{}` to match flinkVersion", view.image),
        )
        .with_hint("set spec.image to the image your jobs are built into"),
    ]
}

/// Ours (upstream fails at deploy time): `imagePullPolicy` is one of Kubernetes' values.
pub fn image_pull_policy(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    match view.image_pull_policy {
        Some(policy) if !["IfNotPresent", "Always", "Never"].contains(&policy) => vec![
            at(
                view.parsed,
                Code::InvalidEnum,
                "spec.imagePullPolicy",
                format!("imagePullPolicy must be IfNotPresent, Always or Never, not `{policy}`"),
            )
            .with_hint("the value is case-sensitive"),
        ],
        _ => Vec::new(),
    }
}

/// FO §6 rule 32: `spec.serviceAccount` must be set.
pub fn service_account_defined(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    if view.spec.service_account.is_some() {
        return Vec::new();
    }
    vec![at(
        view.parsed,
        Code::MissingField,
        "spec.serviceAccount",
        "spec.serviceAccount must be defined. If you use helm, its value should be the same with the name of jobServiceAccount.",
    )]
}

/// Ours: names flink-render writes into objects must be valid, or the API server rejects
/// them on apply: the namespace (a DNS-1123 label), service accounts and pull secrets
/// (subdomains), and `kubernetes.secrets` (a subdomain whose volume name `<secret>-volume`
/// is a label).
pub fn kubernetes_names(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let mut found = namespace_name(view);
    if let Some(account) = view.spec.service_account.as_deref().filter(|account| !account.is_empty())
        && !is_dns1123_subdomain(account)
    {
        found.push(
            at(
                view.parsed,
                Code::InvalidKubernetesName,
                "spec.serviceAccount",
                format!("serviceAccount `{account}` is not a valid ServiceAccount name"),
            )
            .with_hint(SUBDOMAIN_RULE),
        );
    }
    found.extend(view.parsed.user_keys.iter().flat_map(configured_names));
    found
}

fn namespace_name(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let Some(namespace) = view.namespace.filter(|namespace| !is_dns1123_label(namespace)) else {
        return Vec::new();
    };
    let written = view.parsed.raw.metadata.namespace.is_some();
    let (path, origin) = if written { ("metadata.namespace", "") } else { ("", " (from --namespace)") };
    vec![
        Diagnostic::new(
            Code::InvalidKubernetesName,
            path,
            format!("namespace `{namespace}`{origin} is not a valid Kubernetes namespace name"),
        )
        .at(view.parsed.span(if written { path } else { "metadata" }))
        .with_hint(LABEL_RULE),
    ]
}

/// Names in configuration values that become object names: service accounts, pull secrets
/// and mounted secrets.
fn configured_names(user: &UserKey) -> Vec<Diagnostic> {
    let invalid = |name: &str, what: &str, rule: &str| {
        Diagnostic::new(
            Code::InvalidKubernetesName,
            config_path(&user.key),
            format!("`{}`: `{name}` is not a valid {what}", user.key),
        )
        .at(user.span)
        .with_hint(rule.to_string())
    };
    match user.key.as_str() {
        "kubernetes.jobmanager.service-account" | "kubernetes.taskmanager.service-account"
            if !is_dns1123_subdomain(&user.value) =>
        {
            vec![invalid(&user.value, "ServiceAccount name", SUBDOMAIN_RULE)]
        }
        "kubernetes.container.image.pull-secrets" => parse_flat_list(&user.value)
            .iter()
            .filter(|name| !name.is_empty() && !is_dns1123_subdomain(name))
            .map(|name| invalid(name, "Secret name", SUBDOMAIN_RULE))
            .collect(),
        "kubernetes.secrets" => {
            let entries = parse_flat_map(&user.value);
            let pieces = user.value.split(',').filter(|piece| !piece.trim().is_empty()).count();
            let mut found = Vec::new();
            if entries.len() != pieces && !user.value.contains(['\'', '"']) {
                found.push(invalid(
                    &user.value,
                    "list of `secret-name:mount-path` entries",
                    "write `name:/mount/path,other:/other/path`",
                ));
            }
            for (secret, _) in &entries {
                if !is_dns1123_subdomain(secret) {
                    found.push(invalid(secret, "Secret name", SUBDOMAIN_RULE));
                } else if !is_dns1123_label(&format!("{secret}-volume")) {
                    found.push(invalid(
                        secret,
                        "secret to mount: its volume name must be a DNS-1123 label",
                        "the volume is named `<secret>-volume`: use a secret name without dots, at most 56 characters",
                    ));
                }
            }
            found
        }
        _ => Vec::new(),
    }
}

/// Ours: the `flink-render.dev/` annotations are settings flink-render reads
/// ([`crate::effective::render_settings`]); an unknown one or an unreadable value is an error.
pub fn render_settings_readable(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    setting_problems(view.parsed, &view.render)
}

/// An `invalid-render-setting` error for every setting of `render` that could not be read.
pub fn setting_problems<T>(parsed: &Parsed<T>, render: &RenderSettings) -> Vec<Diagnostic> {
    render
        .problems
        .iter()
        .map(|(key, value, allowed)| {
            Diagnostic::new(
                Code::InvalidRenderSetting,
                format!("metadata.annotations.{key}"),
                format!("`{key}: {value}` is not a flink-render setting it can read: expected {allowed}"),
            )
            .at(annotation_span(parsed, key))
        })
        .collect()
}

/// Where annotation `key` is written (annotation keys hold dots, so no dotted path finds it).
pub(super) fn annotation_span<T>(parsed: &Parsed<T>, key: &str) -> crate::diagnostics::Span {
    let annotations = parsed.document.get("metadata").and_then(|metadata| metadata.get("annotations"));
    annotations
        .and_then(|annotations| annotations.entry(key))
        .map_or_else(|| parsed.span("metadata.annotations"), |entry| entry.key_span)
}
