//! Diagnostics are data: every stage reports problems as [`Diagnostic`] values with a
//! severity, a stable code, the field path in the user's words
//! (`spec.taskManager.resource.memory`), the source position, and an optional hint.
//! Nothing here formats for a terminal; the CLI renders them with a snippet and the
//! library returns them as they are.

use serde::Serialize;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The input cannot be rendered.
    Error,
    /// The input renders, but something is deprecated, ignored or surprising.
    Warning,
}

/// A position in the source text, 1-based. Line 0 means "unknown".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Span {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column number (in characters).
    pub column: u32,
}

impl Span {
    /// A span whose position is not known.
    pub const UNKNOWN: Span = Span { line: 0, column: 0 };

    /// The same place `lines` lines further down; an unknown place stays unknown.
    pub fn shift_lines(&mut self, lines: u32) {
        if self.line != 0 {
            self.line = self.line.saturating_add(lines);
        }
    }

    /// Whether this span points somewhere.
    pub fn is_known(self) -> bool {
        self.line > 0
    }
}

/// Declares the code registry: one line per code with its variant, text, severity and a
/// one-line meaning (ruff's `codes.rs` idea). Docs, tests and the CLI all read this list.
macro_rules! codes {
    ($( $variant:ident = $text:literal, $severity:ident, $meaning:literal; )*) => {
        /// Every diagnostic code flink-render reports.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( #[doc = $meaning] $variant, )*
        }

        impl Code {
            /// Every code, in registry order.
            pub const ALL: &'static [Code] = &[$( Code::$variant, )*];

            /// The stable text of the code, e.g. `unknown-field`.
            pub const fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $text, )* }
            }

            /// Whether findings with this code are errors or warnings.
            pub const fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$severity, )* }
            }

            /// What the code means, in one line.
            pub const fn meaning(self) -> &'static str {
                match self { $( Code::$variant => $meaning, )* }
            }
        }
    };
}

codes! {
    // Reading the input.
    YamlSyntax = "yaml-syntax", Error, "The text is not YAML or JSON, or exceeds an input limit (size, depth, nodes, documents, aliases).";
    NotAnObject = "not-an-object", Error, "A document is not a Kubernetes object with `apiVersion` and `kind`.";
    UnsupportedApiVersion = "unsupported-api-version", Error, "A Flink resource has an apiVersion other than `flink.apache.org/v1beta1`.";
    UnknownField = "unknown-field", Error, "A field the CRD does not have (with a did-you-mean hint).";
    InvalidType = "invalid-type", Error, "A field holds the wrong type of value.";
    MissingField = "missing-field", Error, "A required field is not set.";
    UnreadableInput = "unreadable-input", Error, "An input file is too large or not UTF-8.";
    InvalidDefaults = "invalid-defaults", Error, "The operator-defaults file is not one mapping of configuration keys.";
    // FlinkDeployment identity and versions (FO §6 rules 1-3).
    InvalidName = "invalid-name", Error, "A FlinkDeployment name (or a session job's deploymentName) is not a valid Flink cluster id (FO §6 rule 1).";
    NoSpec = "no-spec", Warning, "A FlinkDeployment without spec (the operator's health canary) renders to nothing.";
    UnsupportedFlinkVersion = "unsupported-flink-version", Error, "`flinkVersion` is older than v1_15 or not a version the operator knows (FO §6 rule 3).";
    DeprecatedFlinkVersion = "deprecated-flink-version", Warning, "`flinkVersion` v1_15 to v1_18 is deprecated by the operator.";
    InvalidEnum = "invalid-enum", Error, "A field holds a value outside its allowed set (mode, imagePullPolicy, job.state, upgradeMode).";
    ModeOmittedStandalone = "mode-omitted-standalone", Warning, "`mode` is not set, which means native in the operator, and the render's setting for an omitted mode renders it standalone; the warning names what that changes.";
    NativeWithoutJar = "native-without-jar", Error, "A native application cluster needs exactly one jar, `job.jarURI` (Flink's KubernetesClusterDescriptor refuses anything else).";
    NativeReactive = "native-reactive", Error, "Reactive mode (`scheduler-mode: reactive`) runs only on standalone application clusters; Flink refuses it in native mode.";
    DeprecatedField = "deprecated-field", Warning, "A FLIP-212 spelling or the deprecated `resource` block; the warning names the current field.";
    IgnoredField = "ignored-field", Warning, "A field that has no effect here (overridden by another field, or needs the operator).";
    MissingImage = "missing-image", Warning, "`spec.image` is not set; `flink:<major>.<minor>` of flinkVersion is used.";
    InvalidRenderSetting = "invalid-render-setting", Error, "A `flink-render.dev/` annotation flink-render does not know, or a value it cannot read.";
    InvalidKubernetesName = "invalid-kubernetes-name", Error, "A name that ends up in an object is not a valid Kubernetes name (namespace, service account, secret).";
    // Configuration (FO §6 rules 5-7, 11-15, 33).
    ForbiddenConfigKey = "forbidden-config-key", Error, "A configuration key the operator owns (FO §6 rule 5).";
    InvalidConfigValue = "invalid-config-value", Error, "A configuration value Flink cannot read (boolean, duration, integer, Service type).";
    InvalidTaskSlots = "invalid-task-slots", Error, "`taskmanager.numberOfTaskSlots` is below 1.";
    InvalidPort = "invalid-port", Error, "A port option that is not a single port number.";
    RollbackNeedsHa = "rollback-needs-ha", Error, "Rollback needs high availability (FO §6 rule 6).";
    HealthCheckNeedsRecovery = "health-check-needs-recovery", Error, "The cluster health check needs JobManager deployment recovery (FO §6 rule 7).";
    MissingCheckpointDir = "missing-checkpoint-dir", Error, "A stateful upgrade mode without a checkpoint directory (FO §6 rule 11).";
    MissingSavepointDir = "missing-savepoint-dir", Error, "Something takes savepoints but no savepoint directory is set (FO §6 rules 12-15).";
    KeyUnknownToFlinkVersion = "key-unknown-to-flink-version", Warning, "A configuration key this Flink version does not read.";
    InvalidAutoscalerOption = "invalid-autoscaler-option", Error, "An autoscaler option that is not a number or not a valid excluded period (FO §6 rule 33).";
    AutoscalerOptionOutOfRange = "autoscaler-option-out-of-range", Error, "An autoscaler option outside its allowed range (FO §6 rule 33).";
    AutoscalerWindowTooSmall = "autoscaler-window-too-small", Error, "The autoscaler metrics window is shorter than the reconcile interval (FO §6 rule 33).";
    OperatorManagedKey = "operator-managed-key", Warning, "A configuration key the operator sets from the spec: the user's value is replaced or dropped.";
    OperatorSettingIgnored = "operator-setting-ignored", Warning, "`kubernetes.operator.*` settings have no effect without the operator.";
    IgnoredConfigKey = "ignored-config-key", Warning, "A Flink option that standalone mode or flink-render does not use.";
    AutoscalerNotRunning = "autoscaler-not-running", Warning, "The autoscaler runs inside the operator; the rendered cluster keeps its parallelism.";
    UnwritableConfigValue = "unwritable-config-value", Error, "A value a flat `flink-conf.yaml` cannot hold (line break, `#`, `: ` in a key).";
    OverlappingConfigKeys = "overlapping-config-keys", Error, "`k` next to `k.v`, which a nested Flink 2.x `config.yaml` cannot hold.";
    FilesystemPluginMissing = "filesystem-plugin-missing", Warning, "A remote filesystem path (`s3://`, `gs://`, `abfs://`, …) on the official image without its filesystem plugin enabled.";
    SecretInConfig = "secret-in-config", Warning, "A configuration key that looks like a secret lands in the ConfigMap.";
    RestExposed = "rest-exposed", Warning, "The REST API (which accepts jar uploads on session clusters) is exposed outside the cluster without TLS.";
    RestrictedProfile = "restricted-profile", Warning, "A pod template (or `kubernetes.hostnetwork.enabled`) asks for what the restricted Pod Security Standard forbids: privilege, privilege escalation, added capabilities, root, the node's namespaces, files or ports, another volume type; it keeps it.";
    // Pod templates (FO §3).
    ContainerWithoutImage = "container-without-image", Error, "A container in a pod template with no image: it is not `flink-main-container`, and Kubernetes requires one.";
    NativeLabelSelector = "native-label-selector", Warning, "A pod-template selector names the operator's native-mode label `type: flink-native-kubernetes`, which standalone pods do not carry.";
    UnknownPodTemplateField = "unknown-pod-template-field", Warning, "A pod-template field Kubernetes does not know; the API server rejects it under strict field validation.";
    // Log configuration and ingress (FO §6 rules 8-10).
    Log4jConfigMissing = "log4j-config-missing", Warning, "Only `logback-console.xml` on the official image, which logs with log4j2: Flink would log nothing.";
    InvalidLogConfigKey = "invalid-log-config-key", Error, "A log configuration file other than log4j-console.properties or logback-console.xml (FO §6 rule 10).";
    InvalidIngressTemplate = "invalid-ingress-template", Error, "The ingress template does not parse as a URL (FO §6 rule 9).";
    IngressNeedsNamespace = "ingress-needs-namespace", Error, "The ingress template uses {{namespace}} but no namespace is known.";
    // Resources, replicas and memory (FO §6 rules 16-28).
    InvalidMemory = "invalid-memory", Error, "A memory value that does not parse, or is not positive (FO §6 rules 19, 21, 25, 27).";
    InvalidQuantity = "invalid-quantity", Error, "A resource quantity that does not parse, or is negative (FO §6 rules 20, 21, 26, 27).";
    InvalidCpu = "invalid-cpu", Error, "A cpu value that is not positive (FO §6 rules 21, 27).";
    RequestExceedsLimit = "request-exceeds-limit", Error, "A cpu or memory request above its limit (FO §6 rules 21, 27).";
    MissingMemory = "missing-memory", Error, "No memory for the JobManager or TaskManager, and none Flink can derive (FO §6 rules 18, 24).";
    FlinkMemory = "flink-memory", Error, "Flink's memory model would refuse to start the process; Flink's own message.";
    TaskmanagerCpuDefaulted = "taskmanager-cpu-defaulted", Warning, "TaskManager cpu is not set; the slot count is used.";
    InvalidReplicas = "invalid-replicas", Error, "JobManager or TaskManager replicas below 1 (FO §6 rules 16, 22, 28).";
    StandbyNeedsHa = "standby-needs-ha", Error, "More than one JobManager needs high availability (FO §6 rule 23).";
    InvalidParallelism = "invalid-parallelism", Error, "Job parallelism below 1 without TaskManager replicas (FO §6 rule 17).";
    // The job.
    JarUriWithoutScheme = "jar-uri-without-scheme", Error, "An application jarURI without a scheme; standalone mode needs one.";
    // FlinkSessionJob.
    InvalidJarUri = "invalid-jar-uri", Error, "A session job's jarURI fails the operator's URI policy (scheme allowlist, restricted hosts).";
    SessionJobOnApplicationCluster = "session-job-on-application-cluster", Error, "A session job points at an application cluster.";
    SessionClusterMissing = "session-cluster-missing", Error, "A FlinkSessionJob's session cluster is neither among the inputs nor a reference (`--reference`), so its submit Job has no image or REST address.";
    StopOnDeleteUnderHelm3 = "stop-on-delete-under-helm-3", Error, "`flink-render.dev/stop-on-delete: enabled` for Helm 3's post-renderer (`--helm-post-renderer 3`, or stdin that looks like its input): Helm 3 creates what its post-renderer returns as plain resources, so the `pre-delete` stop Job would run at install and stop the job.";
    // The whole stream.
    DuplicateObject = "duplicate-object", Error, "Two objects with the same kind, namespace and name.";
    // The plugin faces.
    InvalidResourceList = "invalid-resource-list", Error, "The KRM function's stdin is not one ResourceList.";
    UnsupportedFunctionConfig = "unsupported-function-config", Error, "The KRM functionConfig is not a kind flink-render reads.";
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// One finding about the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable machine-readable code, e.g. `unknown-field` (the [`Code`] registry).
    pub code: Code,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The field path, e.g. `spec.jobManager.resource.memory`; empty for document-level findings.
    pub path: String,
    /// Which input the finding is about (file name, or `-` for stdin).
    pub source: String,
    /// 1-based line in that input (0 when unknown).
    pub line: u32,
    /// 1-based column in that input (0 when unknown).
    pub column: u32,
    /// How to fix it, when there is something useful to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A finding with code `code` at `path`; its severity is the code's.
    pub fn new(code: Code, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: code.severity(),
            code,
            message: message.into(),
            path: path.into(),
            source: String::new(),
            line: 0,
            column: 0,
            hint: None,
        }
    }

    /// Attach a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Attach a source position.
    pub fn at(mut self, span: Span) -> Self {
        self.line = span.line;
        self.column = span.column;
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The findings of one run, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// Record a finding.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// All findings.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// Mutable access, for stages that attach positions after the fact.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Diagnostic> {
        self.0.iter_mut()
    }

    /// Number of findings.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no findings.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Append all findings of `other`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
