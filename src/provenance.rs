//! Provenance: where a rendered value comes from. Data only, like [`crate::diagnostics`]:
//! an [`Origin`] names what produced a value (a spec field the user wrote, a
//! `flinkConfiguration` key, a layer of the operator defaults, a named [`Derivation`] with
//! its inputs, a constant, a render setting), and a [`Traced`] value keeps what it overrode.
//!
//! The derivations are a registry like the diagnostic codes: one line each with a stable id,
//! the upstream reference (an FO section, a Flink class) or ours with the reason, and a
//! one-line meaning. `flink-render explain`, the docs (`docs/codes.md`) and the tests read it.
//! Positions are kept beside the objects, never inside them: no rendered byte depends on this.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::ser::SerializeMap;

use crate::diagnostics::Span;

/// Declares the derivation registry: one line per rule with its variant, id, reference and
/// meaning.
macro_rules! derivations {
    ($( $variant:ident = $id:literal, $reference:literal, $meaning:literal; )*) => {
        /// Every rule by which flink-render derives a value from others.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Derivation {
            $( #[doc = $meaning] $variant, )*
        }

        impl Derivation {
            /// Every derivation, in registry order.
            pub const ALL: &'static [Derivation] = &[$( Derivation::$variant, )*];

            /// The stable id, e.g. `process-memory`.
            pub const fn as_str(self) -> &'static str {
                match self { $( Derivation::$variant => $id, )* }
            }

            /// Where the rule comes from: an FO section, a Flink class, or `ours: <reason>`.
            pub const fn reference(self) -> &'static str {
                match self { $( Derivation::$variant => $reference, )* }
            }

            /// What the rule does, in one line.
            pub const fn meaning(self) -> &'static str {
                match self { $( Derivation::$variant => $meaning, )* }
            }
        }
    };
}

derivations! {
    // The operator's configuration builder (FO §2.2).
    TaskSlots = "task-slots", "FO §1.6", "`taskManager.taskSlots` (FLIP-212) sets `taskmanager.numberOfTaskSlots` when no such key is written.";
    RestServiceType = "rest-service-type", "FO §2.2", "The REST Service is `ClusterIP` unless the configuration says otherwise.";
    WebCancel = "web-cancel", "FO §2.2", "The operator turns the web UI's cancel button off unless the configuration says otherwise.";
    FlinkVersionKey = "flink-version", "FO §2.2", "`spec.flinkVersion` becomes `$internal.flink.version` (the newest version when unset).";
    Image = "image", "FO §2.2", "`spec.image`, or `flink:<major>.<minor>` of `flinkVersion` when unset, is the container image.";
    ImagePullPolicy = "image-pull-policy", "FO §2.2", "`spec.imagePullPolicy` becomes `kubernetes.container.image.pull-policy`.";
    ServiceAccount = "service-account", "FO §2.2", "`spec.serviceAccount` becomes `kubernetes.service-account`.";
    ProcessMemory = "process-memory", "FO §2.2, §4.4", "A component's `resource.memory` (or `resources`) becomes its `*.memory.process.size`, in Flink's memory syntax.";
    ProcessCpu = "process-cpu", "FO §2.2", "A component's `resource.cpu` (or `resources`) becomes its `kubernetes.*.cpu.amount`.";
    LimitFactor = "limit-factor", "FO §2.2", "A component's limits over its requests become `kubernetes.*.{cpu,memory}.limit-factor`.";
    JobManagerReplicas = "jobmanager-replicas", "FO §2.2", "`jobManager.replicas` (1 when unset) becomes `kubernetes.jobmanager.replicas`.";
    TaskManagerReplicas = "taskmanager-replicas", "FO §2.4", "TaskManager replicas: `taskManager.replicas`, else ceil(parallelism / slots) in standalone mode.";
    ExecutionTarget = "execution-target", "FO §2.2, native-mode.md §1", "`execution.target`: `remote` in standalone mode, `kubernetes-application` or `kubernetes-session` in native mode.";
    ClusterMode = "cluster-mode", "FO §2.2", "Standalone mode names the cluster mode, `APPLICATION` with a job and `SESSION` without.";
    Parallelism = "parallelism", "FO §2.4", "The job's parallelism: TaskManager replicas × slots when replicas are set, else the largest vertex override (literal `mode: standalone`), else `job.parallelism`.";
    ApplicationDefaults = "application-defaults", "FO §2.2", "An application cluster keeps its JobManager after the job ends, submits a failed job, and is named after the resource unless the configuration says otherwise.";
    CheckpointDefaults = "checkpoint-defaults", "FO §2.2", "Checkpoints are retained on cancel, and last-state gets a 5 min checkpoint interval, unless the configuration says otherwise.";
    JobFields = "job-fields", "FO §2.2", "`job.allowNonRestoredState`, `job.entryClass`, `job.args` and `job.initialSavepointPath` become the keys Flink's application entrypoint reads.";
    JarKeys = "jar-keys", "FO §2.2", "`job.jarURI` becomes `pipeline.jars` (native) or `pipeline.classpaths` (standalone, a jar in the image outside usrlib); plain `http://` enables raw HTTP artifacts.";
    ClusterIdentity = "cluster-identity", "FO §2.2", "The resource's name and namespace become `kubernetes.cluster-id`, `kubernetes.namespace` and, with HA, `high-availability.cluster-id`.";
    JobResultStore = "job-result-store", "ours: FO §4.8", "With HA, the job result store lies under the HA storage directory, named by cluster and job id where upstream takes a random UUID, and keeps its entries.";
    GenerationAnnotation = "generation-annotation", "FO §2.2", "`metadata.generation` joins the JobManager's annotations, as the operator writes it.";
    RpcAddress = "rpc-address", "FO §2.2", "`jobmanager.rpc.address` is the JobManager's internal Service, `<name>.<namespace>` (`<name>` without a namespace).";
    Ports = "ports", "ours: Flink's port defaults made explicit", "Ports Flink picks at random (`0`) are fixed to the image's defaults, so that the Services can name them.";
    NativeClient = "native-client", "native-mode.md §1", "What Flink's KubernetesClusterDescriptor adds in native mode: the entrypoint class, the execution mode, with HA the JobManager's HA port.";
    JobId = "job-id", "ours: a hash of the spec", "The job id is a hash of the namespace, the name and the job's spec (with last-state, of what keeps its state), where the operator takes a random one.";
    JobGraphPath = "job-graph-path", "ours: FO §4.8", "ZooKeeper HA with last-state: the job graph is stored under a path per version of the job, so a changed job is run from its jar.";
    NativeTemplateFile = "native-template-file", "native-mode.md §1", "A native JobManager reads the TaskManager pod template from the file its ConfigMap is mounted at.";
}

/// Which operator defaults a value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefaultsProfile {
    /// The built-in profile: the operator Helm chart's own `flink-conf.yaml`.
    BuiltIn,
    /// The `--defaults` file.
    File,
}

/// The layer of the operator defaults a value comes from (FO §2.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefaultLayer {
    /// A plain key.
    Plain,
    /// `kubernetes.operator.default-configuration.namespace.<ns>.<key>`.
    Namespace,
    /// `kubernetes.operator.default-configuration.flink-version.v<x>_<y>[+].<key>`.
    Version,
}

/// What produced a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A spec field the user wrote, by its path in the user's words (`spec.image`).
    Spec {
        /// The field's path.
        path: String,
        /// Where it is written.
        span: Span,
    },
    /// A `flinkConfiguration` key the user wrote (flattened).
    Config {
        /// The flat key.
        key: String,
        /// Where it is written.
        span: Span,
    },
    /// A key of the operator defaults.
    Default {
        /// The profile.
        profile: DefaultsProfile,
        /// The layer.
        layer: DefaultLayer,
        /// The key as written in the layer (with its namespace or version prefix).
        key: String,
        /// Where it is written (in the defaults file, or in the built-in profile).
        span: Span,
    },
    /// A render setting (`--namespace`, the plugins' parameters), by its CLI name.
    Setting {
        /// The option, e.g. `--namespace`.
        name: &'static str,
    },
    /// Derived by a rule from inputs.
    Rule {
        /// The rule.
        rule: Derivation,
        /// What it read; empty when it read only the resource's identity.
        inputs: Vec<Origin>,
    },
}

impl Origin {
    /// A spec field.
    pub fn spec(path: impl Into<String>, span: Span) -> Origin {
        Origin::Spec { path: path.into(), span }
    }

    /// A rule over inputs.
    pub fn rule(rule: Derivation, inputs: Vec<Origin>) -> Origin {
        Origin::Rule { rule, inputs }
    }
}

impl Serialize for Origin {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self {
            Origin::Spec { path, span } => {
                map.serialize_entry("kind", "spec")?;
                map.serialize_entry("path", path)?;
                map.serialize_entry("line", &span.line)?;
                map.serialize_entry("column", &span.column)?;
            }
            Origin::Config { key, span } => {
                map.serialize_entry("kind", "flinkConfiguration")?;
                map.serialize_entry("key", key)?;
                map.serialize_entry("line", &span.line)?;
                map.serialize_entry("column", &span.column)?;
            }
            Origin::Default { profile, layer, key, span } => {
                map.serialize_entry("kind", "default")?;
                map.serialize_entry("profile", profile)?;
                map.serialize_entry("layer", layer)?;
                map.serialize_entry("key", key)?;
                if span.is_known() {
                    map.serialize_entry("line", &span.line)?;
                    map.serialize_entry("column", &span.column)?;
                }
            }
            Origin::Setting { name } => {
                map.serialize_entry("kind", "setting")?;
                map.serialize_entry("name", name)?;
            }
            Origin::Rule { rule, inputs } => {
                map.serialize_entry("kind", "rule")?;
                map.serialize_entry("rule", rule.as_str())?;
                map.serialize_entry("reference", rule.reference())?;
                map.serialize_entry("inputs", inputs)?;
            }
        }
        map.end()
    }
}

/// A value's origin and, latest first, the values it overrode with theirs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Traced {
    /// What produced the value.
    pub origin: Origin,
    /// What it overrode, the most recent first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overridden: Vec<Overridden>,
}

/// A value that another overrode, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overridden {
    /// The value, as Flink reads it.
    pub value: String,
    /// Where it came from.
    pub origin: Origin,
}

impl Traced {
    /// A value that overrode nothing.
    pub fn new(origin: Origin) -> Traced {
        Traced { origin, overridden: Vec::new() }
    }

    /// Record `origin` for `key` in `origins`, over what was there (whose value was `previous`):
    /// the old value and what it overrode move down.
    pub fn record(origins: &mut BTreeMap<String, Traced>, key: &str, previous: Option<String>, origin: Origin) {
        let traced = match (origins.remove(key), previous) {
            (Some(before), Some(was)) => before.overridden_by(was, origin),
            _ => Traced::new(origin),
        };
        origins.insert(key.to_string(), traced);
    }

    /// `origin` set over what `self` traced, whose value was `value`: the old value and what
    /// it overrode move down.
    pub fn overridden_by(self, value: String, origin: Origin) -> Traced {
        let mut overridden = Vec::with_capacity(self.overridden.len() + 1);
        overridden.push(Overridden { value, origin: self.origin });
        overridden.extend(self.overridden);
        Traced { origin, overridden }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivation_ids_are_unique_kebab_case_with_a_reference() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in Derivation::ALL {
            let id = rule.as_str();
            assert!(seen.insert(id), "{id} twice");
            assert!(id.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{id}");
            assert!(!rule.reference().is_empty() && rule.meaning().ends_with('.'), "{id}");
        }
    }

    #[test]
    fn an_override_keeps_what_it_overrode_latest_first() {
        let (plain, span) = (DefaultLayer::Plain, Span { line: 2, column: 1 });
        let default = Origin::Default { profile: DefaultsProfile::BuiltIn, layer: plain, key: "k".into(), span };
        let file = Origin::Default { profile: DefaultsProfile::File, layer: plain, key: "k".into(), span };
        let user = Origin::Config { key: "k".into(), span: Span { line: 9, column: 5 } };
        let traced = Traced::new(default.clone())
            .overridden_by("1".into(), file.clone())
            .overridden_by("2".into(), user.clone());
        assert_eq!(traced.origin, user);
        let overridden =
            [("2", file), ("1", default)].map(|(value, origin)| Overridden { value: value.into(), origin });
        assert_eq!(traced.overridden, overridden);
    }
}
