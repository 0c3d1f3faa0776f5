//! Flink versions as the CRD names them (`v1_13` … `v2_4`, FO §1.2), ordered, so rules
//! such as "config.yaml from v2_0" and "`v1_19+` defaults" compare them.

use std::fmt;

/// A `flinkVersion` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlinkVersion {
    /// Major version.
    pub major: u8,
    /// Minor version.
    pub minor: u8,
}

/// Every value the CRD's enum allows, oldest first.
pub const KNOWN_VERSIONS: [FlinkVersion; 13] = [
    FlinkVersion::new(1, 13),
    FlinkVersion::new(1, 14),
    FlinkVersion::new(1, 15),
    FlinkVersion::new(1, 16),
    FlinkVersion::new(1, 17),
    FlinkVersion::new(1, 18),
    FlinkVersion::new(1, 19),
    FlinkVersion::new(1, 20),
    FlinkVersion::new(2, 0),
    FlinkVersion::new(2, 1),
    FlinkVersion::new(2, 2),
    FlinkVersion::new(2, 3),
    FlinkVersion::new(2, 4),
];

impl FlinkVersion {
    /// The newest version the CRD knows.
    pub const NEWEST: FlinkVersion = KNOWN_VERSIONS[KNOWN_VERSIONS.len() - 1];

    /// `v<major>_<minor>`.
    pub const fn new(major: u8, minor: u8) -> Self {
        FlinkVersion { major, minor }
    }

    /// Read a CRD value such as `v1_20`; anything outside the CRD enum is `None`.
    pub fn parse(text: &str) -> Option<FlinkVersion> {
        let rest = text.strip_prefix('v')?;
        let (major, minor) = rest.split_once('_')?;
        let version = FlinkVersion::new(major.parse().ok()?, minor.parse().ok()?);
        KNOWN_VERSIONS.contains(&version).then_some(version)
    }

    /// Flink 2.0 and later read a nested `config.yaml` instead of a flat `flink-conf.yaml`.
    pub fn uses_config_yaml(self) -> bool {
        self >= FlinkVersion::new(2, 0)
    }

    /// The `*.cpu.amount` keys and `kubernetes.container.image.ref` exist from 1.17.
    pub fn has_cpu_amount_keys(self) -> bool {
        self >= FlinkVersion::new(1, 17)
    }
}

impl fmt::Display for FlinkVersion {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "v{}_{}", self.major, self.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order() {
        assert_eq!(FlinkVersion::parse("v1_20"), Some(FlinkVersion::new(1, 20)));
        assert_eq!(FlinkVersion::parse("v2_5"), None);
        assert_eq!(FlinkVersion::parse("1.14"), None);
        assert!(FlinkVersion::new(1, 20) < FlinkVersion::new(2, 0));
        assert_eq!(FlinkVersion::new(2, 2).to_string(), "v2_2");
    }

    /// FO §9 fact 30: v1_19 and v1_20 use `flink-conf.yaml`, v2_0 uses `config.yaml`.
    #[test]
    fn fo9_fact30_config_file_per_version() {
        assert!(!FlinkVersion::new(1, 19).uses_config_yaml());
        assert!(!FlinkVersion::new(1, 20).uses_config_yaml());
        assert!(FlinkVersion::new(2, 0).uses_config_yaml());
    }
}
