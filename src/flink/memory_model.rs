//! Flink's memory model for the JobManager and the TaskManager, as Flink's own start-up
//! scripts compute it (`BashJavaUtils` → `ProcessMemoryUtils`, `TaskExecutorFlinkMemoryUtils`,
//! `JobManagerFlinkMemoryUtils`), so that a size Flink would reject at start-up is a
//! compile-time error with Flink's numbers, and the container size is the one Flink derives.
//!
//! The derivation, per process:
//! 1. If the fine-grained options are set (TaskManager: task heap **and** managed; JobManager:
//!    heap), Total Flink memory is their sum (TaskManager network memory by inverse fraction),
//!    and JVM overhead is derived from Total Flink + metaspace by inverse fraction.
//! 2. Else if Total Flink memory (`*.memory.flink.size`) is set, the components are derived
//!    from it (fractions of Total Flink, task heap or JVM heap is the rest).
//! 3. Else if Total Process memory (`*.memory.process.size`) is set, JVM overhead is its
//!    fraction clamped to [min, max], metaspace is fixed, and Total Flink is what remains.
//!
//! Each size keeps where it comes from ([`Source`]): an option that is set, an option's
//! default, a fraction of a total (and whether the fraction was raised to its minimum or
//! lowered to its maximum), the rest of a total, or a sum.
//!
//! Exactness matters: fractions are Java `float` options widened to `double`, and
//! `MemorySize.multiply` multiplies by the double's shortest decimal text (Java's
//! `BigDecimal.valueOf`) and truncates. So the default 0.1 overhead of 2 GiB is
//! 214748368 bytes, not 214748364.

use serde::Serialize;

use crate::flink::config::FlinkConfig;
use crate::flink::options::parse_bool;
use crate::flink::quantity::parse_flink_memory;

const MIB: u64 = 1 << 20;

/// Why Flink would refuse to start with this configuration: the kind of failure, Flink's
/// message, and the key most responsible when one is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryError {
    /// What kind of failure it is.
    pub kind: MemoryErrorKind,
    /// Flink's message.
    pub message: String,
    /// The option whose value could not be read or is inconsistent, when one is.
    pub key: Option<String>,
}

/// The ways Flink's memory derivation fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryErrorKind {
    /// Neither the fine-grained sizes, nor Total Flink, nor Total Process memory is set.
    NotConfigured,
    /// An option's value is not a memory size or fraction Flink reads.
    Unreadable,
    /// Options that overlap disagree (heap vs. Total Flink, a fraction and its range, …).
    Inconsistent,
    /// The configured sizes do not fit: the fixed parts exceed the total.
    TooSmall,
}

impl MemoryError {
    fn new(kind: MemoryErrorKind, message: impl Into<String>) -> Self {
        MemoryError { kind, message: message.into(), key: None }
    }

    fn too_small(message: impl Into<String>) -> Self {
        MemoryError::new(MemoryErrorKind::TooSmall, message)
    }

    fn inconsistent(message: impl Into<String>) -> Self {
        MemoryError::new(MemoryErrorKind::Inconsistent, message)
    }
}

/// Where a size of the memory model comes from: what was configured and what Flink derived.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum Source {
    /// Set by this option (its key, or the deprecated key it was set under).
    Configured(&'static str),
    /// Its option is not set: Flink's default.
    #[default]
    Default,
    /// A fraction of a total (the fraction option's value, or its default), kept within the
    /// option's minimum and maximum.
    Fraction {
        /// The fraction, as Flink reads it (a Java `float`).
        fraction: f32,
        /// The total it is a fraction of.
        of: Total,
        /// The bound it was brought back to, when the fraction fell outside the range.
        limited: Option<Limit>,
    },
    /// What is left of a total once the other sizes are taken from it.
    Rest(Total),
    /// The sum of its parts.
    Sum,
}

/// The two totals of Flink's memory model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    /// Total Process Memory: Total Flink Memory, JVM metaspace and JVM overhead.
    Process,
    /// Total Flink Memory: what Flink itself uses, heap and off-heap.
    Flink,
}

/// The bound of an option's range that a fraction was raised or lowered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The fraction came out below the minimum (`*.min`).
    Minimum,
    /// The fraction came out above the maximum (`*.max`).
    Maximum,
}

/// A size and where it comes from.
#[derive(Clone, Copy)]
struct Size {
    bytes: u64,
    source: Source,
}

/// Where each size of a [`TaskManagerMemory`] comes from: one field per size, named as there,
/// and the two totals.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[allow(missing_docs)]
pub struct TaskManagerSources {
    pub total_process: Source,
    pub total_flink: Source,
    pub framework_heap: Source,
    pub task_heap: Source,
    pub framework_off_heap: Source,
    pub task_off_heap: Source,
    pub network: Source,
    pub managed: Source,
    pub jvm_metaspace: Source,
    pub jvm_overhead: Source,
}

/// Where each size of a [`JobManagerMemory`] comes from: one field per size, named as there,
/// and the two totals.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[allow(missing_docs)]
pub struct JobManagerSources {
    pub total_process: Source,
    pub total_flink: Source,
    pub jvm_heap: Source,
    pub off_heap: Source,
    pub jvm_metaspace: Source,
    pub jvm_overhead: Source,
}

/// The TaskManager's memory, in bytes (Flink's `TaskExecutorProcessSpec`); all zero by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskManagerMemory {
    /// Framework heap.
    pub framework_heap: u64,
    /// Task heap.
    pub task_heap: u64,
    /// Framework off-heap.
    pub framework_off_heap: u64,
    /// Task off-heap.
    pub task_off_heap: u64,
    /// Network buffers.
    pub network: u64,
    /// Managed memory.
    pub managed: u64,
    /// JVM metaspace.
    pub jvm_metaspace: u64,
    /// JVM overhead.
    pub jvm_overhead: u64,
    /// Where each size comes from (not part of the JSON report).
    #[serde(skip)]
    pub sources: TaskManagerSources,
}

/// The JobManager's memory, in bytes (Flink's `JobManagerProcessSpec`); all zero by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobManagerMemory {
    /// JVM heap.
    pub jvm_heap: u64,
    /// Off-heap.
    pub off_heap: u64,
    /// JVM metaspace.
    pub jvm_metaspace: u64,
    /// JVM overhead.
    pub jvm_overhead: u64,
    /// `jobmanager.memory.enable-jvm-direct-memory-limit`.
    pub direct_memory_limit: bool,
    /// Where each size comes from (not part of the JSON report).
    #[serde(skip)]
    pub sources: JobManagerSources,
}

/// The memory breakdown of one Flink process, as Flink computes it at start-up.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase", tag = "process")]
pub enum ProcessMemory {
    /// A JobManager.
    JobManager(JobManagerMemory),
    /// A TaskManager.
    TaskManager(TaskManagerMemory),
}

impl ProcessMemory {
    /// Total process memory, in bytes.
    pub fn total_process(&self) -> u64 {
        match self {
            ProcessMemory::JobManager(memory) => memory.total_process(),
            ProcessMemory::TaskManager(memory) => memory.total_process(),
        }
    }

    /// The JVM arguments Flink's start-up script passes.
    pub fn jvm_args(&self) -> String {
        match self {
            ProcessMemory::JobManager(memory) => memory.jvm_args(),
            ProcessMemory::TaskManager(memory) => memory.jvm_args(),
        }
    }
}

impl TaskManagerMemory {
    /// Total Flink memory.
    pub fn total_flink(&self) -> u64 {
        self.framework_heap
            + self.task_heap
            + self.framework_off_heap
            + self.task_off_heap
            + self.network
            + self.managed
    }
    /// Total process memory: what the container gets.
    pub fn total_process(&self) -> u64 {
        self.total_flink() + self.jvm_metaspace + self.jvm_overhead
    }
    /// `-Xmx`/`-Xms`.
    pub fn jvm_heap(&self) -> u64 {
        self.framework_heap + self.task_heap
    }
    /// `-XX:MaxDirectMemorySize`.
    pub fn jvm_direct(&self) -> u64 {
        self.framework_off_heap + self.task_off_heap + self.network
    }
    /// The JVM arguments Flink's start-up script passes.
    pub fn jvm_args(&self) -> String {
        format!(
            "-Xmx{heap} -Xms{heap} -XX:MaxDirectMemorySize={} -XX:MaxMetaspaceSize={}",
            self.jvm_direct(),
            self.jvm_metaspace,
            heap = self.jvm_heap()
        )
    }
}

impl JobManagerMemory {
    /// Total Flink memory.
    pub fn total_flink(&self) -> u64 {
        self.jvm_heap + self.off_heap
    }
    /// Total process memory: what the container gets.
    pub fn total_process(&self) -> u64 {
        self.total_flink() + self.jvm_metaspace + self.jvm_overhead
    }
    /// The JVM arguments Flink's start-up script passes.
    pub fn jvm_args(&self) -> String {
        let direct = if self.direct_memory_limit {
            format!(" -XX:MaxDirectMemorySize={}", self.off_heap)
        } else {
            String::new()
        };
        format!("-Xmx{heap} -Xms{heap}{direct} -XX:MaxMetaspaceSize={}", self.jvm_metaspace, heap = self.jvm_heap)
    }
}

/// A Java `float` option widened to `double`, as Flink reads fractions.
fn float_option(config: &FlinkConfig, keys: &[&str], default: f32) -> Result<f64, MemoryError> {
    match config.get_any(keys) {
        None => Ok(f64::from(default)),
        Some(text) => text.trim().parse::<f32>().map(f64::from).map_err(|_| MemoryError {
            kind: MemoryErrorKind::Unreadable,
            message: format!("Could not parse value '{text}' for key '{}'.", keys[0]),
            key: Some(keys[0].to_string()),
        }),
    }
}

/// A memory option (with its deprecated keys), or its default.
fn memory_option(config: &FlinkConfig, keys: &[&str], default: Option<u64>) -> Result<Option<u64>, MemoryError> {
    match config.get_any(keys) {
        None => Ok(default),
        Some(text) => parse_flink_memory(&text).map(Some).map_err(|error| MemoryError {
            kind: MemoryErrorKind::Unreadable,
            message: format!(
                "Cannot read memory size from config option '{}'. Could not parse value '{text}' for key '{}': {error}",
                keys[0], keys[0]
            ),
            key: Some(keys[0].to_string()),
        }),
    }
}

/// A boolean option, read as Flink reads booleans.
fn flag(config: &FlinkConfig, key: &str, default: bool) -> Result<bool, MemoryError> {
    match config.get(key) {
        None => Ok(default),
        Some(text) => parse_bool(&text).map_err(|error| MemoryError {
            kind: MemoryErrorKind::Unreadable,
            message: error,
            key: Some(key.to_string()),
        }),
    }
}

fn required(config: &FlinkConfig, keys: &[&str], default: u64) -> Result<u64, MemoryError> {
    memory_option(config, keys, Some(default)).map(|value| value.unwrap_or(default))
}

/// A memory option that is set, under its key or a deprecated one: its size, configured there.
fn configured_size(config: &FlinkConfig, keys: &[&'static str]) -> Result<Option<Size>, MemoryError> {
    let Some(key) = keys.iter().find(|key| config.contains(key)) else {
        return Ok(None);
    };
    let bytes = memory_option(config, keys, None)?;
    Ok(bytes.map(|bytes| Size { bytes, source: Source::Configured(key) }))
}

/// A memory option's size: configured, or else its default.
fn size_or_default(config: &FlinkConfig, keys: &[&'static str], default: u64) -> Result<Size, MemoryError> {
    Ok(configured_size(config, keys)?.unwrap_or(Size { bytes: default, source: Source::Default }))
}

/// `MemorySize.multiply`: bytes × the decimal text of the double, truncated.
pub fn multiply(bytes: u64, multiplier: f64) -> u64 {
    let text = format!("{multiplier}");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits: u128 = format!("{whole}{fraction}").parse().unwrap_or(0);
    let scale = 10u128.pow(fraction.len() as u32);
    let product = u128::from(bytes) * digits / scale;
    u64::try_from(product).unwrap_or(u64::MAX)
}

/// `MemorySize.toHumanReadableString`: `1.250gb (1342177280 bytes)`.
pub fn human_readable(bytes: u64) -> String {
    const UNITS: [(u64, &str); 4] = [(1 << 10, "kb"), (1 << 20, "mb"), (1 << 30, "gb"), (1 << 40, "tb")];
    match UNITS.iter().rev().find(|(multiplier, _)| bytes > *multiplier) {
        None => format!("{bytes} bytes"),
        Some((multiplier, unit)) => format!("{:.3}{unit} ({bytes} bytes)", bytes as f64 / *multiplier as f64),
    }
}

/// A size derived as a fraction of a base, clamped to [min, max].
#[derive(Clone, Copy)]
struct RangeFraction {
    min: u64,
    max: u64,
    fraction: f64,
}

/// How Flink prints a `ConfigOption` in messages: `Key: 'k' , default: 0.4 (fallback keys: [])`.
fn option_text(keys: &[&str], default: f32) -> String {
    let fallbacks: Vec<String> = keys[1..].iter().map(|key| format!("{{key={key}, isDeprecated=true}}")).collect();
    format!("Key: '{}' , default: {default} (fallback keys: [{}])", keys[0], fallbacks.join(", "))
}

impl RangeFraction {
    /// A range and fraction; `keys` and `default` describe the fraction option for messages.
    fn new(min: u64, max: u64, fraction: f64, keys: &[&str], default: f32) -> Result<Self, MemoryError> {
        if min > max || !(0.0..1.0).contains(&fraction) {
            return Err(MemoryError {
                kind: MemoryErrorKind::Inconsistent,
                message: format!(
                    "Inconsistently configured {} ({fraction}) and its min ({}), max ({}) value",
                    option_text(keys, default),
                    human_readable(min),
                    human_readable(max)
                ),
                key: Some(keys[0].to_string()),
            });
        }
        Ok(RangeFraction { min, max, fraction })
    }

    /// The fraction of `base`, which is the total `of`.
    fn of(&self, base: u64, of: Total) -> Size {
        self.within_range(multiply(base, self.fraction), of)
    }

    /// The fraction of the total `of`, given the rest of it (`base`): `base × f / (1 − f)`.
    fn inverse_of(&self, base: u64, of: Total) -> Size {
        self.within_range(multiply(base, self.fraction / (1.0 - self.fraction)), of)
    }

    fn within_range(&self, bytes: u64, of: Total) -> Size {
        let limited = if bytes < self.min {
            Some(Limit::Minimum)
        } else if bytes > self.max {
            Some(Limit::Maximum)
        } else {
            None
        };
        // the fraction was read as a Java float and widened, so narrowing it back is exact
        let source = Source::Fraction { fraction: self.fraction as f32, of, limited };
        Size { bytes: bytes.clamp(self.min, self.max), source }
    }
}

/// The option keys of one process kind.
struct ProcessKeys {
    process: &'static str,
    flink: &'static str,
    metaspace: &'static str,
    overhead_min: &'static str,
    overhead_max: &'static str,
    overhead_fraction: &'static str,
}

const TASKMANAGER_KEYS: ProcessKeys = ProcessKeys {
    process: "taskmanager.memory.process.size",
    flink: "taskmanager.memory.flink.size",
    metaspace: "taskmanager.memory.jvm-metaspace.size",
    overhead_min: "taskmanager.memory.jvm-overhead.min",
    overhead_max: "taskmanager.memory.jvm-overhead.max",
    overhead_fraction: "taskmanager.memory.jvm-overhead.fraction",
};

const JOBMANAGER_KEYS: ProcessKeys = ProcessKeys {
    process: "jobmanager.memory.process.size",
    flink: "jobmanager.memory.flink.size",
    metaspace: "jobmanager.memory.jvm-metaspace.size",
    overhead_min: "jobmanager.memory.jvm-overhead.min",
    overhead_max: "jobmanager.memory.jvm-overhead.max",
    overhead_fraction: "jobmanager.memory.jvm-overhead.fraction",
};

/// JVM metaspace and overhead, and where Total Process Memory comes from.
struct JvmMemory {
    metaspace: Size,
    overhead: Size,
    total_process: Source,
}

/// Metaspace and overhead given the Total Flink memory (`ProcessMemoryUtils`).
fn metaspace_and_overhead_from_total_flink(
    config: &FlinkConfig,
    keys: &ProcessKeys,
    total_flink: u64,
) -> Result<JvmMemory, MemoryError> {
    let metaspace = size_or_default(config, &[keys.metaspace], 256 * MIB)?;
    let overhead_range = overhead_range(config, keys)?;
    match configured_size(config, &[keys.process])? {
        Some(Size { bytes: process, source: total_process }) => {
            let flink_and_metaspace = total_flink + metaspace.bytes;
            if process < flink_and_metaspace {
                return Err(MemoryError::too_small(format!(
                    "The configured Total Process Memory size ({}) is less than the sum of the derived Total Flink Memory size ({}) and the configured or default JVM Metaspace size  ({}).",
                    human_readable(process),
                    human_readable(total_flink),
                    human_readable(metaspace.bytes)
                )));
            }
            let overhead = process - flink_and_metaspace;
            if overhead > overhead_range.max || overhead < overhead_range.min {
                return Err(MemoryError::too_small(format!(
                    "Derived JVM Overhead size ({}) is not in configured JVM Overhead range [{}, {}].",
                    human_readable(overhead),
                    human_readable(overhead_range.min),
                    human_readable(overhead_range.max)
                )));
            }
            let overhead = Size { bytes: overhead, source: Source::Rest(Total::Process) };
            Ok(JvmMemory { metaspace, overhead, total_process })
        }
        None => Ok(JvmMemory {
            metaspace,
            overhead: overhead_range.inverse_of(total_flink + metaspace.bytes, Total::Process),
            total_process: Source::Sum,
        }),
    }
}

fn overhead_range(config: &FlinkConfig, keys: &ProcessKeys) -> Result<RangeFraction, MemoryError> {
    let min = required(config, &[keys.overhead_min], 192 * MIB)?;
    let max = required(config, &[keys.overhead_max], 1024 * MIB)?;
    let fraction = float_option(config, &[keys.overhead_fraction], 0.1)?;
    RangeFraction::new(min, max, fraction, &[keys.overhead_fraction], 0.1)
}

/// Metaspace and overhead given the Total Process memory.
fn metaspace_and_overhead_from_total_process(
    config: &FlinkConfig,
    keys: &ProcessKeys,
    process: Size,
) -> Result<JvmMemory, MemoryError> {
    let metaspace = size_or_default(config, &[keys.metaspace], 256 * MIB)?;
    let overhead = overhead_range(config, keys)?.of(process.bytes, Total::Process);
    if metaspace.bytes + overhead.bytes > process.bytes {
        return Err(MemoryError::too_small(format!(
            "Sum of configured JVM Metaspace ({}) and JVM Overhead ({}) exceed configured Total Process Memory ({}).",
            human_readable(metaspace.bytes),
            human_readable(overhead.bytes),
            human_readable(process.bytes)
        )));
    }
    Ok(JvmMemory { metaspace, overhead, total_process: process.source })
}

impl JvmMemory {
    /// What Total Process Memory leaves for Total Flink Memory.
    fn total_flink_of(&self, process: Size) -> Size {
        Size { bytes: process.bytes - self.metaspace.bytes - self.overhead.bytes, source: Source::Rest(Total::Process) }
    }
}

fn not_configured(fine_grained: &str, keys: &ProcessKeys) -> MemoryError {
    MemoryError::new(
        MemoryErrorKind::NotConfigured,
        format!(
            "Either required fine-grained memory ({fine_grained}), or Total Flink Memory size (Key: '{}' , default: null (fallback keys: [])), or Total Process Memory size (Key: '{}' , default: null (fallback keys: [])) need to be configured explicitly.",
            keys.flink, keys.process
        ),
    )
}

/// The TaskManager memory Flink would compute from `config`.
pub fn taskmanager(config: &FlinkConfig) -> Result<TaskManagerMemory, MemoryError> {
    taskmanager_unprefixed(config).map_err(|error| MemoryError {
        message: format!("TaskManager memory configuration failed: {}", error.message),
        ..error
    })
}

fn taskmanager_unprefixed(config: &FlinkConfig) -> Result<TaskManagerMemory, MemoryError> {
    let keys = &TASKMANAGER_KEYS;
    let task_heap = configured_size(config, &["taskmanager.memory.task.heap.size"])?;
    let managed = configured_size(config, &["taskmanager.memory.managed.size", "taskmanager.memory.size"])?;
    let total_flink = configured_size(config, &[keys.flink])?;
    if let (Some(task_heap), Some(managed)) = (task_heap, managed) {
        let memory = taskmanager_from_fine_grained(config, task_heap, managed, total_flink)?;
        let jvm = metaspace_and_overhead_from_total_flink(config, keys, memory.total_flink())?;
        return Ok(memory.with_jvm(jvm));
    }
    if let Some(total_flink) = total_flink {
        let memory = taskmanager_from_total_flink(config, total_flink, task_heap, managed)?;
        let jvm = metaspace_and_overhead_from_total_flink(config, keys, total_flink.bytes)?;
        return Ok(memory.with_jvm(jvm));
    }
    if let Some(process) = configured_size(config, &[keys.process])? {
        let jvm = metaspace_and_overhead_from_total_process(config, keys, process)?;
        let memory = taskmanager_from_total_flink(config, jvm.total_flink_of(process), task_heap, managed)?;
        return Ok(memory.with_jvm(jvm));
    }
    Err(not_configured("taskmanager.memory.task.heap.size and taskmanager.memory.managed.size", keys))
}

impl TaskManagerMemory {
    /// These Flink-memory components with the JVM's metaspace and overhead.
    fn with_jvm(self, jvm: JvmMemory) -> TaskManagerMemory {
        TaskManagerMemory {
            jvm_metaspace: jvm.metaspace.bytes,
            jvm_overhead: jvm.overhead.bytes,
            sources: TaskManagerSources {
                total_process: jvm.total_process,
                jvm_metaspace: jvm.metaspace.source,
                jvm_overhead: jvm.overhead.source,
                ..self.sources
            },
            ..self
        }
    }
}

struct TaskManagerFixed {
    framework_heap: Size,
    framework_off_heap: Size,
    task_off_heap: Size,
    network: RangeFraction,
}

impl TaskManagerFixed {
    /// The Flink-memory components (metaspace and overhead are added by the caller), and where
    /// Total Flink Memory comes from.
    fn flink_memory(&self, task_heap: Size, network: Size, managed: Size, total_flink: Source) -> TaskManagerMemory {
        TaskManagerMemory {
            framework_heap: self.framework_heap.bytes,
            task_heap: task_heap.bytes,
            framework_off_heap: self.framework_off_heap.bytes,
            task_off_heap: self.task_off_heap.bytes,
            network: network.bytes,
            managed: managed.bytes,
            jvm_metaspace: 0,
            jvm_overhead: 0,
            sources: TaskManagerSources {
                total_flink,
                framework_heap: self.framework_heap.source,
                task_heap: task_heap.source,
                framework_off_heap: self.framework_off_heap.source,
                task_off_heap: self.task_off_heap.source,
                network: network.source,
                managed: managed.source,
                ..TaskManagerSources::default()
            },
        }
    }

    /// The sizes besides network memory, with `task_heap` and `managed`.
    fn without_network(&self, task_heap: u64, managed: u64) -> u64 {
        self.framework_heap.bytes + self.framework_off_heap.bytes + task_heap + self.task_off_heap.bytes + managed
    }
}

fn taskmanager_fixed(config: &FlinkConfig) -> Result<TaskManagerFixed, MemoryError> {
    let network_min =
        required(config, &["taskmanager.memory.network.min", "taskmanager.network.memory.min"], 64 * MIB)?;
    let network_max =
        required(config, &["taskmanager.memory.network.max", "taskmanager.network.memory.max"], i64::MAX as u64)?;
    let fraction_keys = ["taskmanager.memory.network.fraction", "taskmanager.network.memory.fraction"];
    let network_fraction = float_option(config, &fraction_keys, 0.1)?;
    Ok(TaskManagerFixed {
        framework_heap: size_or_default(config, &["taskmanager.memory.framework.heap.size"], 128 * MIB)?,
        framework_off_heap: size_or_default(config, &["taskmanager.memory.framework.off-heap.size"], 128 * MIB)?,
        task_off_heap: size_or_default(config, &["taskmanager.memory.task.off-heap.size"], 0)?,
        network: RangeFraction::new(network_min, network_max, network_fraction, &fraction_keys, 0.1)?,
    })
}

fn managed_range(config: &FlinkConfig) -> Result<RangeFraction, MemoryError> {
    let keys = ["taskmanager.memory.managed.fraction"];
    let fraction = float_option(config, &keys, 0.4)?;
    RangeFraction::new(0, i64::MAX as u64, fraction, &keys, 0.4)
}

/// Network memory that is "the rest" of Total Flink Memory must still be inside its
/// configured range.
fn network_rest(fixed: &TaskManagerFixed, total: u64, without_network: u64) -> Result<Size, MemoryError> {
    let network = total - without_network;
    if network > fixed.network.max || network < fixed.network.min {
        return Err(MemoryError::inconsistent(format!(
            "If Total Flink, Task Heap and (or) Managed Memory sizes are explicitly configured then the Network Memory size is the rest of the Total Flink memory after subtracting all other configured types of memory, but the derived Network Memory is inconsistent with its configuration. Derived Network Memory size ({}) is not in configured Network Memory range [{}, {}].",
            human_readable(network),
            human_readable(fixed.network.min),
            human_readable(fixed.network.max)
        )));
    }
    Ok(Size { bytes: network, source: Source::Rest(Total::Flink) })
}

fn taskmanager_from_fine_grained(
    config: &FlinkConfig,
    task_heap: Size,
    managed: Size,
    total_flink: Option<Size>,
) -> Result<TaskManagerMemory, MemoryError> {
    let fixed = taskmanager_fixed(config)?;
    let without_network = fixed.without_network(task_heap.bytes, managed.bytes);
    let (network, total_flink) = match total_flink {
        Some(total) => {
            if without_network > total.bytes {
                return Err(exceeds_without_network(&fixed, task_heap.bytes, managed.bytes, total.bytes));
            }
            (network_rest(&fixed, total.bytes, without_network)?, total.source)
        }
        None => (fixed.network.inverse_of(without_network, Total::Flink), Source::Sum),
    };
    Ok(fixed.flink_memory(task_heap, network, managed, total_flink))
}

fn exceeds_without_network(fixed: &TaskManagerFixed, task_heap: u64, managed: u64, total: u64) -> MemoryError {
    MemoryError::too_small(format!(
        "Sum of configured Framework Heap Memory ({}), Framework Off-Heap Memory ({}), Task Heap Memory ({}), Task Off-Heap Memory ({}) and Managed Memory ({}) exceed configured Total Flink Memory ({}).",
        human_readable(fixed.framework_heap.bytes),
        human_readable(fixed.framework_off_heap.bytes),
        human_readable(task_heap),
        human_readable(fixed.task_off_heap.bytes),
        human_readable(managed),
        human_readable(total)
    ))
}

fn taskmanager_from_total_flink(
    config: &FlinkConfig,
    total: Size,
    task_heap: Option<Size>,
    managed: Option<Size>,
) -> Result<TaskManagerMemory, MemoryError> {
    let fixed = taskmanager_fixed(config)?;
    let managed = match managed {
        Some(managed) => managed,
        None => managed_range(config)?.of(total.bytes, Total::Flink),
    };
    let (task_heap, network) = match task_heap {
        Some(task_heap) => {
            let without_network = fixed.without_network(task_heap.bytes, managed.bytes);
            if without_network > total.bytes {
                return Err(exceeds_without_network(&fixed, task_heap.bytes, managed.bytes, total.bytes));
            }
            (task_heap, network_rest(&fixed, total.bytes, without_network)?)
        }
        None => {
            let network = fixed.network.of(total.bytes, Total::Flink);
            (task_heap_rest(&fixed, total.bytes, managed.bytes, network.bytes)?, network)
        }
    };
    let memory = fixed.flink_memory(task_heap, network, managed, total.source);
    if config.contains(TASKMANAGER_KEYS.flink) && memory.total_flink() != total.bytes {
        return Err(MemoryError::too_small(format!(
            "Configured and Derived Flink internal memory sizes (total {}) do not add up to the configured Total Flink Memory size ({}).",
            human_readable(memory.total_flink()),
            human_readable(total.bytes)
        )));
    }
    Ok(memory)
}

/// Task heap when it is not configured: the rest of Total Flink Memory.
fn task_heap_rest(fixed: &TaskManagerFixed, total: u64, managed: u64, network: u64) -> Result<Size, MemoryError> {
    let without_task_heap = fixed.without_network(0, managed) + network;
    if without_task_heap > total {
        return Err(MemoryError::too_small(format!(
            "Sum of configured Framework Heap Memory ({}), Framework Off-Heap Memory ({}), Task Off-Heap Memory ({}), Managed Memory ({}) and Network Memory ({}) exceed configured Total Flink Memory ({}).",
            human_readable(fixed.framework_heap.bytes),
            human_readable(fixed.framework_off_heap.bytes),
            human_readable(fixed.task_off_heap.bytes),
            human_readable(managed),
            human_readable(network),
            human_readable(total)
        )));
    }
    Ok(Size { bytes: total - without_task_heap, source: Source::Rest(Total::Flink) })
}

/// Off-heap memory when `jobmanager.memory.off-heap.size` is not set.
const JOBMANAGER_OFF_HEAP_DEFAULT: Size = Size { bytes: 128 * MIB, source: Source::Default };

/// The JobManager's sizes before they are put together.
struct JobManagerParts {
    heap: Size,
    off_heap: Size,
    total_flink: Source,
    jvm: JvmMemory,
}

/// The JobManager memory Flink would compute from `config`.
pub fn jobmanager(config: &FlinkConfig) -> Result<JobManagerMemory, MemoryError> {
    let keys = &JOBMANAGER_KEYS;
    let direct_memory_limit = flag(config, "jobmanager.memory.enable-jvm-direct-memory-limit", false)?;
    let off_heap = configured_size(config, &["jobmanager.memory.off-heap.size"])?;
    let total_flink = configured_size(config, &[keys.flink])?;
    let JobManagerParts { heap, off_heap, total_flink, jvm } =
        match configured_size(config, &["jobmanager.memory.heap.size"])? {
            Some(heap) => {
                let (off_heap, total_flink) = jobmanager_off_heap_beside_heap(heap, off_heap, total_flink)?;
                let jvm = metaspace_and_overhead_from_total_flink(config, keys, heap.bytes + off_heap.bytes)?;
                JobManagerParts { heap, off_heap, total_flink, jvm }
            }
            None => jobmanager_heap_as_the_rest(config, off_heap.unwrap_or(JOBMANAGER_OFF_HEAP_DEFAULT), total_flink)?,
        };
    Ok(JobManagerMemory {
        jvm_heap: heap.bytes,
        off_heap: off_heap.bytes,
        jvm_metaspace: jvm.metaspace.bytes,
        jvm_overhead: jvm.overhead.bytes,
        direct_memory_limit,
        sources: JobManagerSources {
            total_process: jvm.total_process,
            total_flink,
            jvm_heap: heap.source,
            off_heap: off_heap.source,
            jvm_metaspace: jvm.metaspace.source,
            jvm_overhead: jvm.overhead.source,
        },
    })
}

/// The JobManager when its heap is not configured: Total Flink Memory is configured or the rest
/// of Total Process Memory, and the heap is what off-heap memory leaves of it.
fn jobmanager_heap_as_the_rest(
    config: &FlinkConfig,
    off_heap: Size,
    total_flink: Option<Size>,
) -> Result<JobManagerParts, MemoryError> {
    let keys = &JOBMANAGER_KEYS;
    let (total_flink, jvm) = if let Some(total) = total_flink {
        (total, metaspace_and_overhead_from_total_flink(config, keys, total.bytes)?)
    } else if let Some(process) = configured_size(config, &[keys.process])? {
        let jvm = metaspace_and_overhead_from_total_process(config, keys, process)?;
        (jvm.total_flink_of(process), jvm)
    } else {
        return Err(not_configured("jobmanager.memory.heap.size", keys));
    };
    let heap = jobmanager_heap_from_total_flink(total_flink.bytes, off_heap.bytes)?;
    Ok(JobManagerParts { heap, off_heap, total_flink: total_flink.source, jvm })
}

/// Off-heap memory when the JVM heap is configured, and where Total Flink Memory comes from:
/// configured, or the rest of a configured Total Flink Memory, or else its default (Total
/// Flink Memory is then their sum).
fn jobmanager_off_heap_beside_heap(
    heap: Size,
    off_heap: Option<Size>,
    total_flink: Option<Size>,
) -> Result<(Size, Source), MemoryError> {
    match (total_flink, off_heap) {
        (Some(total), Some(off_heap)) => {
            if heap.bytes + off_heap.bytes != total.bytes {
                return Err(MemoryError::inconsistent(format!(
                    "Sum of the configured JVM Heap Memory ({}) and the configured Off-heap Memory ({}) does not match the configured Total Flink Memory ({}). Please, make the configuration consistent or configure only one option: either JVM Heap or Total Flink Memory.",
                    human_readable(heap.bytes),
                    human_readable(off_heap.bytes),
                    human_readable(total.bytes)
                )));
            }
            Ok((off_heap, total.source))
        }
        (Some(total), None) => {
            if total.bytes < heap.bytes {
                return Err(MemoryError::inconsistent(format!(
                    "The configured JVM Heap Memory ({}) exceeds the configured Total Flink Memory ({}). Please, make the configuration consistent or configure only one option: either JVM Heap or Total Flink Memory.",
                    human_readable(heap.bytes),
                    human_readable(total.bytes)
                )));
            }
            Ok((Size { bytes: total.bytes - heap.bytes, source: Source::Rest(Total::Flink) }, total.source))
        }
        (None, off_heap) => Ok((off_heap.unwrap_or(JOBMANAGER_OFF_HEAP_DEFAULT), Source::Sum)),
    }
}

/// The JVM heap when it is not configured: the rest of Total Flink Memory.
fn jobmanager_heap_from_total_flink(total: u64, off_heap: u64) -> Result<Size, MemoryError> {
    if total <= off_heap {
        return Err(MemoryError::too_small(format!(
            "The configured Total Flink Memory ({}) is less than the configured Off-heap Memory ({}).",
            human_readable(total),
            human_readable(off_heap)
        )));
    }
    Ok(Size { bytes: total - off_heap, source: Source::Rest(Total::Flink) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(entries: &[(&str, &str)]) -> FlinkConfig {
        let mut config = FlinkConfig::default();
        for (key, value) in entries {
            config.set(key, *value);
        }
        config
    }

    /// flink-runtime.md §3.2: TM process 1728m, 2 slots → the exact bytes Flink prints.
    #[test]
    fn taskmanager_reference_1728m() {
        let memory = taskmanager(&config(&[("taskmanager.memory.process.size", "1728m")])).unwrap();
        assert_eq!(
            memory.jvm_args(),
            "-Xmx536870902 -Xms536870902 -XX:MaxDirectMemorySize=268435458 -XX:MaxMetaspaceSize=268435456"
        );
        assert_eq!(memory.managed, 536870920);
        assert_eq!(memory.network, 134217730);
        assert_eq!(memory.task_heap, 402653174);
        assert_eq!(memory.jvm_overhead, 201326592);
        assert_eq!(memory.total_process(), 1728 * MIB);
    }

    /// flink-runtime.md §3.2: JM process 1600m and 2g.
    #[test]
    fn jobmanager_reference_sizes() {
        let memory = jobmanager(&config(&[("jobmanager.memory.process.size", "1600m")])).unwrap();
        assert_eq!(memory.jvm_args(), "-Xmx1073741824 -Xms1073741824 -XX:MaxMetaspaceSize=268435456");
        let two = jobmanager(&config(&[("jobmanager.memory.process.size", "2 gb")])).unwrap();
        assert_eq!(two.jvm_heap, 1530082096);
        assert_eq!(two.jvm_overhead, 214748368);
    }

    /// flink-runtime.md §3.3: too small sizes fail with Flink's message.
    #[test]
    fn too_small_sizes_fail_like_flink() {
        let tm = taskmanager(&config(&[("taskmanager.memory.process.size", "500m")])).unwrap_err();
        assert_eq!(
            tm.message,
            "TaskManager memory configuration failed: Sum of configured Framework Heap Memory (128.000mb (134217728 bytes)), Framework Off-Heap Memory (128.000mb (134217728 bytes)), Task Off-Heap Memory (0 bytes), Managed Memory (20.800mb (21810381 bytes)) and Network Memory (64.000mb (67108864 bytes)) exceed configured Total Flink Memory (52.000mb (54525952 bytes))."
        );
        let jm = jobmanager(&config(&[("jobmanager.memory.process.size", "500m")])).unwrap_err();
        assert_eq!(
            jm.message,
            "The configured Total Flink Memory (52.000mb (54525952 bytes)) is less than the configured Off-heap Memory (128.000mb (134217728 bytes))."
        );
    }

    #[test]
    fn nothing_configured_fails_like_flink() {
        let tm = taskmanager(&FlinkConfig::default()).unwrap_err();
        assert!(tm.message.starts_with("TaskManager memory configuration failed: Either required fine-grained memory (taskmanager.memory.task.heap.size and taskmanager.memory.managed.size)"));
        assert!(
            jobmanager(&FlinkConfig::default())
                .unwrap_err()
                .message
                .starts_with("Either required fine-grained memory (jobmanager.memory.heap.size)")
        );
    }

    fn fraction(fraction: f32, of: Total, limited: Option<Limit>) -> Source {
        Source::Fraction { fraction, of, limited }
    }

    /// Total Process Memory set: overhead is its fraction (192 MiB minimum over 0.1 × 1728m),
    /// Total Flink Memory what metaspace and overhead leave, managed and network fractions of
    /// it, task heap the rest.
    #[test]
    fn process_size_set_derives_overhead_by_fraction_and_flink_memory_as_the_rest() {
        let memory = taskmanager(&config(&[("taskmanager.memory.process.size", "1728m")])).unwrap();
        let expected = TaskManagerSources {
            total_process: Source::Configured("taskmanager.memory.process.size"),
            total_flink: Source::Rest(Total::Process),
            framework_heap: Source::Default,
            task_heap: Source::Rest(Total::Flink),
            framework_off_heap: Source::Default,
            task_off_heap: Source::Default,
            network: fraction(0.1, Total::Flink, None),
            managed: fraction(0.4, Total::Flink, None),
            jvm_metaspace: Source::Default,
            jvm_overhead: fraction(0.1, Total::Process, Some(Limit::Minimum)),
        };
        assert_eq!(memory.sources, expected);
    }

    /// Task heap and managed memory set: network is its fraction of Total Flink Memory, and
    /// both totals are sums.
    #[test]
    fn fine_grained_sizes_are_configured_and_the_totals_their_sum() {
        let entries = [("taskmanager.memory.task.heap.size", "512m"), ("taskmanager.memory.size", "512m")];
        let sources = taskmanager(&config(&entries)).unwrap().sources;
        assert_eq!(sources.task_heap, Source::Configured("taskmanager.memory.task.heap.size"));
        assert_eq!(sources.managed, Source::Configured("taskmanager.memory.size"), "the deprecated key, as written");
        assert_eq!(sources.network, fraction(0.1, Total::Flink, None));
        assert_eq!((sources.total_flink, sources.total_process), (Source::Sum, Source::Sum));
    }

    /// Total Flink and Total Process Memory both set: overhead is the rest of the process.
    #[test]
    fn flink_and_process_size_set_leave_overhead_the_rest() {
        let entries = [("taskmanager.memory.flink.size", "1280m"), ("taskmanager.memory.process.size", "1728m")];
        let sources = taskmanager(&config(&entries)).unwrap().sources;
        assert_eq!(sources.total_flink, Source::Configured("taskmanager.memory.flink.size"));
        assert_eq!(sources.jvm_overhead, Source::Rest(Total::Process));
        assert_eq!(sources.task_heap, Source::Rest(Total::Flink));
    }

    /// 0.1 × 16 GiB is above the 1 GiB maximum: overhead is lowered to it.
    #[test]
    fn overhead_above_its_maximum_is_lowered_to_it() {
        let memory = taskmanager(&config(&[("taskmanager.memory.process.size", "16g")])).unwrap();
        assert_eq!(memory.jvm_overhead, 1024 * MIB);
        assert_eq!(memory.sources.jvm_overhead, fraction(0.1, Total::Process, Some(Limit::Maximum)));
    }

    /// JobManager heap set: off-heap is its default and both totals are sums.
    #[test]
    fn jobmanager_heap_set_makes_the_totals_sums() {
        let sources = jobmanager(&config(&[("jobmanager.memory.heap.size", "1g")])).unwrap().sources;
        let expected = JobManagerSources {
            total_process: Source::Sum,
            total_flink: Source::Sum,
            jvm_heap: Source::Configured("jobmanager.memory.heap.size"),
            off_heap: Source::Default,
            jvm_metaspace: Source::Default,
            jvm_overhead: fraction(0.1, Total::Process, Some(Limit::Minimum)),
        };
        assert_eq!(sources, expected);
    }

    /// JobManager heap and Total Flink Memory set: off-heap is the rest.
    #[test]
    fn jobmanager_heap_and_flink_size_set_leave_off_heap_the_rest() {
        let entries = [("jobmanager.memory.heap.size", "1g"), ("jobmanager.memory.flink.size", "1200m")];
        let memory = jobmanager(&config(&entries)).unwrap();
        assert_eq!(memory.off_heap, 176 * MIB);
        assert_eq!(memory.sources.off_heap, Source::Rest(Total::Flink));
        assert_eq!(memory.sources.total_flink, Source::Configured("jobmanager.memory.flink.size"));
    }

    /// JobManager process size set: the heap is the rest of Total Flink Memory, which is the
    /// rest of the process.
    #[test]
    fn jobmanager_process_size_set_leaves_the_heap_the_rest() {
        let sources = jobmanager(&config(&[("jobmanager.memory.process.size", "2 gb")])).unwrap().sources;
        assert_eq!(sources.total_process, Source::Configured("jobmanager.memory.process.size"));
        assert_eq!(sources.total_flink, Source::Rest(Total::Process));
        assert_eq!(sources.jvm_heap, Source::Rest(Total::Flink));
        assert_eq!(sources.jvm_overhead, fraction(0.1, Total::Process, None));
    }

    #[test]
    fn multiply_uses_the_shortest_decimal_of_the_double() {
        assert_eq!(multiply(2147483648, f64::from(0.1f32)), 214748368);
        assert_eq!(multiply(1342177280, f64::from(0.4f32)), 536870920);
        assert_eq!(multiply(100, 0.5), 50);
    }

    #[test]
    fn human_readable_matches_flink() {
        assert_eq!(human_readable(0), "0 bytes");
        assert_eq!(human_readable(1024), "1024 bytes");
        assert_eq!(human_readable(134217728), "128.000mb (134217728 bytes)");
    }
}
