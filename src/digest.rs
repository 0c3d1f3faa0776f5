//! Content digests for names and ids that must be stable across runs and platforms (job ids,
//! the configuration hash on pod templates).

use sha2::{Digest, Sha256};

/// Hex SHA-256 of `parts`, each length-prefixed so that no two part lists collide.
pub fn digest_hex(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}
