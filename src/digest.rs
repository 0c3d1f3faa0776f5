//! Content digests for names and ids that must be stable across runs and platforms: SHA-256 for
//! what is derived from a user's input (job ids, the configuration hash on pod templates), and
//! FNV-1a for large texts that only need to tell versions apart, fast (the revision of a
//! cluster's pod templates, the name of the lifecycle scripts' ConfigMap).

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

/// FNV-1a, 64 bits: some 4 instructions a byte against SHA-256's 20 or so.
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    /// Feed bytes.
    pub fn bytes(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// Feed a text, its length first, so that no two lists of texts feed the same bytes.
    pub fn text(&mut self, text: &str) {
        self.bytes(&(text.len() as u64).to_le_bytes());
        self.bytes(text.as_bytes());
    }

    /// The digest.
    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// 16 hex digits of FNV-1a over `parts`, each length-prefixed.
pub fn fnv1a_hex(parts: &[&str]) -> String {
    let mut digest = Fnv1a::default();
    parts.iter().for_each(|part| digest.text(part));
    format!("{:016x}", digest.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_is_the_published_function_and_length_prefixes_parts() {
        let mut empty = Fnv1a::default();
        empty.bytes(b"");
        assert_eq!(empty.finish(), 0xcbf2_9ce4_8422_2325);
        let mut a = Fnv1a::default();
        a.bytes(b"a");
        assert_eq!(a.finish(), 0xaf63_dc4c_8601_ec8c, "FNV-1a 64 of \"a\"");
        assert_ne!(fnv1a_hex(&["ab", "c"]), fnv1a_hex(&["a", "bc"]));
        assert_eq!(fnv1a_hex(&["x"]).len(), 16);
    }
}
