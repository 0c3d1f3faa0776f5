//! The deployment mode of a FlinkDeployment (`spec.mode`): native, the operator's default, where
//! the JobManager creates its TaskManager pods through the Kubernetes API, or standalone, where
//! every pod is declared.

/// How the cluster's TaskManagers come to be (`spec.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentMode {
    /// The JobManager creates its TaskManager pods through the Kubernetes API (the operator's
    /// default).
    Native,
    /// Every pod is declared: the TaskManagers are a Deployment.
    Standalone,
}

impl DeploymentMode {
    /// The mode as `spec.mode` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentMode::Native => "native",
            DeploymentMode::Standalone => "standalone",
        }
    }

    /// A mode as `spec.mode` spells it.
    pub fn parse(text: &str) -> Option<DeploymentMode> {
        match text {
            "native" => Some(DeploymentMode::Native),
            "standalone" => Some(DeploymentMode::Standalone),
            _ => None,
        }
    }

    /// The `type` label of the cluster's objects (FO §4.2; native-mode.md §4).
    pub fn type_label(self) -> &'static str {
        match self {
            DeploymentMode::Native => "flink-native-kubernetes",
            DeploymentMode::Standalone => "flink-standalone-kubernetes",
        }
    }
}
