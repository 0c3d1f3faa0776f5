//! Name rules: the Flink cluster id (FO §6 rule 1), and Kubernetes' name rules
//! (`k8s.io/apimachinery/pkg/util/validation`) for the names flink-render writes into
//! objects: namespaces and volume names are DNS-1123 labels, Secrets and ServiceAccounts are
//! DNS-1123 subdomains. The API server rejects anything
//! else when the objects are applied, so these are errors at render time.

/// Why a DNS-1123 label is invalid, in Kubernetes' words.
pub const LABEL_RULE: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', start and end with an alphanumeric character, and be at most 63 characters";

/// Why a DNS-1123 subdomain is invalid, in Kubernetes' words.
pub const SUBDOMAIN_RULE: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', start and end with an alphanumeric character, and be at most 253 characters";

pub use crate::objects::{is_dns1123_label, is_dns1123_subdomain};

/// A Flink cluster id (FO §6 rule 1): lower-case alphanumerics and `-`, starting with a
/// letter, ending with a letter or digit, at most 45 characters.
pub fn is_cluster_id(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 45
        && bytes[0].is_ascii_lowercase()
        && bytes.last().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FO §9 fact 36 (name part): `session-cluster-1.13` is not a valid cluster id.
    #[test]
    fn fo9_fact36_cluster_id_rule() {
        assert!(is_cluster_id("basic-example"));
        assert!(!is_cluster_id("session-cluster-1.13"));
        assert!(!is_cluster_id("1abc"));
        assert!(!is_cluster_id("abc-"));
        assert!(!is_cluster_id(&"a".repeat(46)));
        assert!(is_cluster_id(&"a".repeat(45)));
    }

    #[test]
    fn labels_follow_rfc_1123() {
        assert!(is_dns1123_label("flink-jobs"));
        assert!(is_dns1123_label("0abc"));
        assert!(is_dns1123_label(&"a".repeat(63)));
        assert!(!is_dns1123_label(&"a".repeat(64)));
        assert!(!is_dns1123_label("Flink"));
        assert!(!is_dns1123_label("a_b"));
        assert!(!is_dns1123_label("-a"));
        assert!(!is_dns1123_label("a-"));
        assert!(!is_dns1123_label("a.b"));
        assert!(!is_dns1123_label(""));
    }

    #[test]
    fn subdomains_are_dotted_labels() {
        assert!(is_dns1123_subdomain("flink.service-account"));
        assert!(!is_dns1123_subdomain("a..b"));
        assert!(!is_dns1123_subdomain(".a"));
        assert!(!is_dns1123_subdomain("Flink"));
        assert!(!is_dns1123_subdomain(&format!("{}.{}", "a".repeat(63), "b".repeat(200))));
    }
}
