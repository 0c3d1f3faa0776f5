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

/// The TaskManager's memory, in bytes (Flink's `TaskExecutorProcessSpec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
}

/// The JobManager's memory, in bytes (Flink's `JobManagerProcessSpec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
}

/// The memory breakdown of one Flink process, as Flink computes it at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
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

    fn of(&self, base: u64) -> u64 {
        multiply(base, self.fraction).clamp(self.min, self.max)
    }

    fn inverse_of(&self, base: u64) -> u64 {
        multiply(base, self.fraction / (1.0 - self.fraction)).clamp(self.min, self.max)
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

/// Metaspace and overhead given the Total Flink memory (`ProcessMemoryUtils`).
fn metaspace_and_overhead_from_total_flink(
    config: &FlinkConfig,
    keys: &ProcessKeys,
    total_flink: u64,
) -> Result<(u64, u64), MemoryError> {
    let metaspace = required(config, &[keys.metaspace], 256 * MIB)?;
    let overhead_range = overhead_range(config, keys)?;
    match memory_option(config, &[keys.process], None)? {
        Some(process) => {
            let flink_and_metaspace = total_flink + metaspace;
            if process < flink_and_metaspace {
                return Err(MemoryError::too_small(format!(
                    "The configured Total Process Memory size ({}) is less than the sum of the derived Total Flink Memory size ({}) and the configured or default JVM Metaspace size  ({}).",
                    human_readable(process),
                    human_readable(total_flink),
                    human_readable(metaspace)
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
            Ok((metaspace, overhead))
        }
        None => Ok((metaspace, overhead_range.inverse_of(total_flink + metaspace))),
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
    process: u64,
) -> Result<(u64, u64), MemoryError> {
    let metaspace = required(config, &[keys.metaspace], 256 * MIB)?;
    let overhead = overhead_range(config, keys)?.of(process);
    if metaspace + overhead > process {
        return Err(MemoryError::too_small(format!(
            "Sum of configured JVM Metaspace ({}) and JVM Overhead ({}) exceed configured Total Process Memory ({}).",
            human_readable(metaspace),
            human_readable(overhead),
            human_readable(process)
        )));
    }
    Ok((metaspace, overhead))
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
    let task_heap = memory_option(config, &["taskmanager.memory.task.heap.size"], None)?;
    let managed = memory_option(config, &["taskmanager.memory.managed.size", "taskmanager.memory.size"], None)?;
    let total_flink = memory_option(config, &[keys.flink], None)?;
    if let (Some(task_heap), Some(managed)) = (task_heap, managed) {
        let memory = taskmanager_from_fine_grained(config, task_heap, managed, total_flink)?;
        let (jvm_metaspace, jvm_overhead) =
            metaspace_and_overhead_from_total_flink(config, keys, memory.total_flink())?;
        return Ok(TaskManagerMemory { jvm_metaspace, jvm_overhead, ..memory });
    }
    if let Some(total_flink) = total_flink {
        let memory = taskmanager_from_total_flink(config, total_flink, task_heap, managed)?;
        let (jvm_metaspace, jvm_overhead) = metaspace_and_overhead_from_total_flink(config, keys, total_flink)?;
        return Ok(TaskManagerMemory { jvm_metaspace, jvm_overhead, ..memory });
    }
    if let Some(process) = memory_option(config, &[keys.process], None)? {
        let (jvm_metaspace, jvm_overhead) = metaspace_and_overhead_from_total_process(config, keys, process)?;
        let memory = taskmanager_from_total_flink(config, process - jvm_metaspace - jvm_overhead, task_heap, managed)?;
        return Ok(TaskManagerMemory { jvm_metaspace, jvm_overhead, ..memory });
    }
    Err(not_configured("taskmanager.memory.task.heap.size and taskmanager.memory.managed.size", keys))
}

struct TaskManagerFixed {
    framework_heap: u64,
    framework_off_heap: u64,
    task_off_heap: u64,
    network: RangeFraction,
}

impl TaskManagerFixed {
    /// The Flink-memory components (metaspace and overhead are added by the caller).
    fn flink_memory(&self, task_heap: u64, network: u64, managed: u64) -> TaskManagerMemory {
        TaskManagerMemory {
            framework_heap: self.framework_heap,
            task_heap,
            framework_off_heap: self.framework_off_heap,
            task_off_heap: self.task_off_heap,
            network,
            managed,
            jvm_metaspace: 0,
            jvm_overhead: 0,
        }
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
        framework_heap: required(config, &["taskmanager.memory.framework.heap.size"], 128 * MIB)?,
        framework_off_heap: required(config, &["taskmanager.memory.framework.off-heap.size"], 128 * MIB)?,
        task_off_heap: required(config, &["taskmanager.memory.task.off-heap.size"], 0)?,
        network: RangeFraction::new(network_min, network_max, network_fraction, &fraction_keys, 0.1)?,
    })
}

fn managed_range(config: &FlinkConfig) -> Result<RangeFraction, MemoryError> {
    let keys = ["taskmanager.memory.managed.fraction"];
    let fraction = float_option(config, &keys, 0.4)?;
    RangeFraction::new(0, i64::MAX as u64, fraction, &keys, 0.4)
}

/// Network memory that is "the rest" must still be inside its configured range.
fn check_network_rest(fixed: &TaskManagerFixed, network: u64) -> Result<(), MemoryError> {
    if network > fixed.network.max || network < fixed.network.min {
        return Err(MemoryError::inconsistent(format!(
            "If Total Flink, Task Heap and (or) Managed Memory sizes are explicitly configured then the Network Memory size is the rest of the Total Flink memory after subtracting all other configured types of memory, but the derived Network Memory is inconsistent with its configuration. Derived Network Memory size ({}) is not in configured Network Memory range [{}, {}].",
            human_readable(network),
            human_readable(fixed.network.min),
            human_readable(fixed.network.max)
        )));
    }
    Ok(())
}

fn taskmanager_from_fine_grained(
    config: &FlinkConfig,
    task_heap: u64,
    managed: u64,
    total_flink: Option<u64>,
) -> Result<TaskManagerMemory, MemoryError> {
    let fixed = taskmanager_fixed(config)?;
    let without_network = fixed.framework_heap + fixed.framework_off_heap + task_heap + fixed.task_off_heap + managed;
    let network = match total_flink {
        Some(total) => {
            if without_network > total {
                return Err(exceeds_without_network(&fixed, task_heap, managed, total));
            }
            let network = total - without_network;
            check_network_rest(&fixed, network)?;
            network
        }
        None => fixed.network.inverse_of(without_network),
    };
    Ok(fixed.flink_memory(task_heap, network, managed))
}

fn exceeds_without_network(fixed: &TaskManagerFixed, task_heap: u64, managed: u64, total: u64) -> MemoryError {
    MemoryError::too_small(format!(
        "Sum of configured Framework Heap Memory ({}), Framework Off-Heap Memory ({}), Task Heap Memory ({}), Task Off-Heap Memory ({}) and Managed Memory ({}) exceed configured Total Flink Memory ({}).",
        human_readable(fixed.framework_heap),
        human_readable(fixed.framework_off_heap),
        human_readable(task_heap),
        human_readable(fixed.task_off_heap),
        human_readable(managed),
        human_readable(total)
    ))
}

fn taskmanager_from_total_flink(
    config: &FlinkConfig,
    total: u64,
    task_heap: Option<u64>,
    managed: Option<u64>,
) -> Result<TaskManagerMemory, MemoryError> {
    let fixed = taskmanager_fixed(config)?;
    let managed = match managed {
        Some(managed) => managed,
        None => managed_range(config)?.of(total),
    };
    let (task_heap, network) = match task_heap {
        Some(task_heap) => {
            let without_network =
                fixed.framework_heap + fixed.framework_off_heap + task_heap + fixed.task_off_heap + managed;
            if without_network > total {
                return Err(exceeds_without_network(&fixed, task_heap, managed, total));
            }
            let network = total - without_network;
            check_network_rest(&fixed, network)?;
            (task_heap, network)
        }
        None => {
            let network = fixed.network.of(total);
            let without_task_heap =
                fixed.framework_heap + fixed.framework_off_heap + fixed.task_off_heap + managed + network;
            if without_task_heap > total {
                return Err(MemoryError::too_small(format!(
                    "Sum of configured Framework Heap Memory ({}), Framework Off-Heap Memory ({}), Task Off-Heap Memory ({}), Managed Memory ({}) and Network Memory ({}) exceed configured Total Flink Memory ({}).",
                    human_readable(fixed.framework_heap),
                    human_readable(fixed.framework_off_heap),
                    human_readable(fixed.task_off_heap),
                    human_readable(managed),
                    human_readable(network),
                    human_readable(total)
                )));
            }
            (total - without_task_heap, network)
        }
    };
    let memory = fixed.flink_memory(task_heap, network, managed);
    if config.contains(TASKMANAGER_KEYS.flink) && memory.total_flink() != total {
        return Err(MemoryError::too_small(format!(
            "Configured and Derived Flink internal memory sizes (total {}) do not add up to the configured Total Flink Memory size ({}).",
            human_readable(memory.total_flink()),
            human_readable(total)
        )));
    }
    Ok(memory)
}

/// The JobManager memory Flink would compute from `config`.
pub fn jobmanager(config: &FlinkConfig) -> Result<JobManagerMemory, MemoryError> {
    let keys = &JOBMANAGER_KEYS;
    let direct_memory_limit = flag(config, "jobmanager.memory.enable-jvm-direct-memory-limit", false)?;
    let off_heap_set = memory_option(config, &["jobmanager.memory.off-heap.size"], None)?;
    let off_heap_default = off_heap_set.unwrap_or(128 * MIB);
    let total_flink = memory_option(config, &[keys.flink], None)?;
    let (jvm_heap, off_heap, total) = if let Some(heap) = memory_option(config, &["jobmanager.memory.heap.size"], None)?
    {
        let off_heap = match (total_flink, off_heap_set) {
            (Some(total), Some(off_heap)) => {
                if heap + off_heap != total {
                    return Err(MemoryError::inconsistent(format!(
                        "Sum of the configured JVM Heap Memory ({}) and the configured Off-heap Memory ({}) does not match the configured Total Flink Memory ({}). Please, make the configuration consistent or configure only one option: either JVM Heap or Total Flink Memory.",
                        human_readable(heap),
                        human_readable(off_heap),
                        human_readable(total)
                    )));
                }
                off_heap
            }
            (Some(total), None) => {
                if total < heap {
                    return Err(MemoryError::inconsistent(format!(
                        "The configured JVM Heap Memory ({}) exceeds the configured Total Flink Memory ({}). Please, make the configuration consistent or configure only one option: either JVM Heap or Total Flink Memory.",
                        human_readable(heap),
                        human_readable(total)
                    )));
                }
                total - heap
            }
            (None, _) => off_heap_default,
        };
        (heap, off_heap, None)
    } else if let Some(total) = total_flink {
        (jobmanager_heap_from_total_flink(total, off_heap_default)?, off_heap_default, Some(total))
    } else if let Some(process) = memory_option(config, &[keys.process], None)? {
        let (jvm_metaspace, jvm_overhead) = metaspace_and_overhead_from_total_process(config, keys, process)?;
        let total = process - jvm_metaspace - jvm_overhead;
        let jvm_heap = jobmanager_heap_from_total_flink(total, off_heap_default)?;
        return Ok(JobManagerMemory {
            jvm_heap,
            off_heap: off_heap_default,
            jvm_metaspace,
            jvm_overhead,
            direct_memory_limit,
        });
    } else {
        return Err(not_configured("jobmanager.memory.heap.size", keys));
    };
    let (jvm_metaspace, jvm_overhead) =
        metaspace_and_overhead_from_total_flink(config, keys, total.unwrap_or(jvm_heap + off_heap))?;
    Ok(JobManagerMemory { jvm_heap, off_heap, jvm_metaspace, jvm_overhead, direct_memory_limit })
}

fn jobmanager_heap_from_total_flink(total: u64, off_heap: u64) -> Result<u64, MemoryError> {
    if total <= off_heap {
        return Err(MemoryError::too_small(format!(
            "The configured Total Flink Memory ({}) is less than the configured Off-heap Memory ({}).",
            human_readable(total),
            human_readable(off_heap)
        )));
    }
    Ok(total - off_heap)
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
