//! What a security review of the rendered objects would flag and only the spec can change:
//! secrets written into the configuration (they land in a ConfigMap) and the REST API exposed
//! outside the cluster without TLS (it accepts jar uploads on session clusters).

use crate::diagnostics::{Code, Diagnostic};
use crate::effective::ClusterView;
use crate::effective::ingress::IngressRead;
use crate::flink::keys::stays_with_the_operator;

use super::findings::{at, at_config};

/// Words that, as a segment of a configuration key, mark a secret.
const SECRET_WORDS: [&str; 7] = ["password", "passwd", "secret", "token", "key", "credential", "credentials"];

/// Whether a key names a secret: one of its segments (split at `.`, `-`, `_`) is one of
/// [`SECRET_WORDS`] (`s3.access-key`, `keystore-password`); `keystore` is a path, and
/// `kubernetes.secrets` names Secrets to mount.
fn looks_like_a_secret(key: &str) -> bool {
    key.to_lowercase().split(['.', '-', '_']).any(|segment| SECRET_WORDS.contains(&segment))
}

/// Ours: a configuration value that looks like a secret is written into the ConfigMap, which
/// anyone who may read ConfigMaps in the namespace can read.
pub fn secrets_in_configuration(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let config_map = crate::objects::config_map_name(view.name);
    view.parsed
        .user_keys
        .iter()
        .filter(|user| !stays_with_the_operator(&user.key) && looks_like_a_secret(&user.key) && !user.value.trim().is_empty())
        .map(|user| {
            at_config(
                view.parsed,
                Code::SecretInConfig,
                &user.key,
                format!("`{}` looks like a secret: it is written into the ConfigMap `{config_map}`, which is not secret", user.key),
            )
            .with_hint("keep credentials out of flinkConfiguration: mount a Secret (`kubernetes.secrets`), or use the platform's workload identity")
        })
        .collect()
}

/// Ours: the REST API runs jobs (and on session clusters accepts jar uploads); exposed by a
/// `LoadBalancer` or `NodePort` Service without REST TLS, or by an Ingress without `tls`, it
/// is reachable in plain text from outside the cluster.
pub fn rest_exposure(view: &ClusterView<'_>) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let rest_tls = view.flag("security.ssl.rest.enabled", false);
    let key = "kubernetes.rest-service.exposed.type";
    if matches!(view.rest_service_type.as_str(), "LoadBalancer" | "NodePort") && !rest_tls {
        found.push(
            at_config(view.parsed, Code::RestExposed, key, format!("`{key}: {}` exposes Flink's REST API outside the cluster without TLS; it runs jobs, and on a session cluster accepts jar uploads", view.rest_service_type))
                .with_hint("keep the REST Service ClusterIP and reach it through an authenticating proxy, or enable `security.ssl.rest.enabled`"),
        );
    }
    if let Some(IngressRead::Target(target)) = &view.ingress
        && target.tls.is_empty()
    {
        found.push(
            at(view.parsed, Code::RestExposed, "spec.ingress", "the Ingress exposes Flink's REST API without TLS; it runs jobs, and on a session cluster accepts jar uploads")
                .with_hint("add spec.ingress.tls, and authentication at the Ingress controller"),
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_are_recognised() {
        for key in [
            "s3.access-key",
            "s3.secret-key",
            "security.ssl.rest.keystore-password",
            "fs.azure.account.key.x",
            "my.token",
        ] {
            assert!(looks_like_a_secret(key), "{key}");
        }
        for key in ["security.ssl.rest.keystore", "pipeline.name", "kubernetes.secrets", "keyed.state"] {
            assert!(!looks_like_a_secret(key), "{key}");
        }
    }
}
