//! The memory report for people: per cluster, the JobManager's and the TaskManager's memory in
//! the parts Flink's memory model names (Total Process Memory = Total Flink Memory + JVM
//! Metaspace + JVM Overhead; Total Flink Memory is Framework Heap, Task Heap, Managed Memory,
//! Framework Off-Heap, Task Off-Heap and Network on a TaskManager, JVM Heap and Off-Heap Memory
//! on a JobManager), each in binary units and exact bytes with what configured or derived it;
//! a bar like the preview page's, one symbol per part, both processes of a cluster on one
//! scale; and the JVM arguments. The same input gives the same bytes on a terminal and in a
//! pipe: no terminal width, no colour.

use std::fmt::Write;

use crate::flink::memory_model::{JobManagerMemory, Limit, ProcessMemory, Source, TaskManagerMemory, Total};
use crate::resolve::model::ClusterMemory;

/// Columns the bar of the larger process of a cluster fills.
const BAR_WIDTH: u64 = 72;

/// Columns a line of JVM arguments may take.
const LINE_WIDTH: usize = 100;

/// One line of a process's table: a part (with its bar symbol) or a total (without).
struct Row {
    symbol: Option<char>,
    name: &'static str,
    bytes: u64,
    how: String,
}

/// The report for people: one block per cluster, in input order.
pub fn text_report(clusters: &[ClusterMemory]) -> String {
    if clusters.is_empty() {
        return "No FlinkDeployment with a spec in the input.\n".to_string();
    }
    clusters.iter().map(cluster).collect::<Vec<_>>().join("\n")
}

fn cluster(cluster: &ClusterMemory) -> String {
    let mut text = format!("FlinkDeployment {}", cluster.name);
    if let Some(namespace) = &cluster.namespace {
        write!(text, " in namespace {namespace}").expect("writing to a String");
    }
    text.push('\n');
    let scale = cluster.jobmanager.total_process().max(cluster.taskmanager.total_process()).max(1);
    for (memory, field) in
        [(&cluster.jobmanager, &cluster.jobmanager_field), (&cluster.taskmanager, &cluster.taskmanager_field)]
    {
        text.push('\n');
        text.push_str(&process(memory, field.as_deref(), scale));
    }
    text
}

/// One process: its total, its bar (`scale` bytes fill [`BAR_WIDTH`]), its table and its JVM
/// arguments. `field` is the spec field that gives the process size, when one does.
fn process(memory: &ProcessMemory, field: Option<&str>, scale: u64) -> String {
    let (title, rows) = match memory {
        ProcessMemory::JobManager(memory) => ("JobManager", jobmanager_rows(memory, field)),
        ProcessMemory::TaskManager(memory) => ("TaskManager", taskmanager_rows(memory, field)),
    };
    format!(
        "{title}: {}\n  [{}]\n{}  JVM arguments:\n{}",
        binary_size(memory.total_process()),
        bar(&rows, scale),
        table(&rows),
        jvm_arguments(&memory.jvm_args())
    )
}

/// The JVM arguments, indented, as many on a line as fit in [`LINE_WIDTH`].
fn jvm_arguments(arguments: &str) -> String {
    let mut text = String::new();
    let mut line = String::new();
    for argument in arguments.split(' ') {
        if !line.is_empty() && 4 + line.len() + 1 + argument.len() > LINE_WIDTH {
            writeln!(text, "    {line}").expect("writing to a String");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(argument);
    }
    writeln!(text, "    {line}").expect("writing to a String");
    text
}

fn jobmanager_rows(memory: &JobManagerMemory, field: Option<&str>) -> Vec<Row> {
    let sources = &memory.sources;
    vec![
        part('H', "JVM Heap", memory.jvm_heap, sources.jvm_heap),
        part('O', "Off-Heap Memory", memory.off_heap, sources.off_heap),
        total("Total Flink Memory", memory.total_flink(), sources.total_flink, None),
        part('S', "JVM Metaspace", memory.jvm_metaspace, sources.jvm_metaspace),
        part('V', "JVM Overhead", memory.jvm_overhead, sources.jvm_overhead),
        total("Total Process Memory", memory.total_process(), sources.total_process, field),
    ]
}

/// The TaskManager's parts in the order of Flink's memory model; the off-heap twins of
/// Framework Heap and Task Heap are their lower-case letters.
fn taskmanager_rows(memory: &TaskManagerMemory, field: Option<&str>) -> Vec<Row> {
    let sources = &memory.sources;
    vec![
        part('F', "Framework Heap", memory.framework_heap, sources.framework_heap),
        part('T', "Task Heap", memory.task_heap, sources.task_heap),
        part('M', "Managed Memory", memory.managed, sources.managed),
        part('f', "Framework Off-Heap", memory.framework_off_heap, sources.framework_off_heap),
        part('t', "Task Off-Heap", memory.task_off_heap, sources.task_off_heap),
        part('N', "Network", memory.network, sources.network),
        total("Total Flink Memory", memory.total_flink(), sources.total_flink, None),
        part('S', "JVM Metaspace", memory.jvm_metaspace, sources.jvm_metaspace),
        part('V', "JVM Overhead", memory.jvm_overhead, sources.jvm_overhead),
        total("Total Process Memory", memory.total_process(), sources.total_process, field),
    ]
}

fn part(symbol: char, name: &'static str, bytes: u64, source: Source) -> Row {
    Row { symbol: Some(symbol), name, bytes, how: how(source) }
}

/// A total; a configured one names `field` when the spec gives it (the operator writes the
/// spec's memory into `*.memory.process.size`).
fn total(name: &'static str, bytes: u64, source: Source, field: Option<&str>) -> Row {
    let how = match (source, field) {
        (Source::Configured(_), Some(field)) => field.to_string(),
        _ => how(source),
    };
    Row { symbol: None, name, bytes, how }
}

/// What configured a size, or how Flink derived it.
fn how(source: Source) -> String {
    match source {
        Source::Configured(key) => key.to_string(),
        Source::Default => "Flink's default".to_string(),
        Source::Fraction { fraction, of, limited } => {
            let limit = match limited {
                None => "",
                Some(Limit::Minimum) => ", raised to the minimum",
                Some(Limit::Maximum) => ", lowered to the maximum",
            };
            format!("{fraction} × {}{limit}", total_name(of))
        }
        Source::Rest(of) => format!("the rest of {}", total_name(of)),
        Source::Sum => "the sum of its parts".to_string(),
    }
}

fn total_name(total: Total) -> &'static str {
    match total {
        Total::Process => "Total Process Memory",
        Total::Flink => "Total Flink Memory",
    }
}

/// The parts' symbols side by side, each over its share of the columns where `scale` bytes
/// fill [`BAR_WIDTH`]: a part ends at the column nearest its running total, so the segments add
/// up to the process's share, except that a part with any bytes takes at least one column
/// (then the bar is that much longer).
fn bar(rows: &[Row], scale: u64) -> String {
    let column =
        |bytes: u64| (u128::from(bytes) * u128::from(2 * BAR_WIDTH) + u128::from(scale)) / u128::from(2 * scale);
    let mut bar = String::new();
    let (mut filled, mut end) = (0, 0);
    let parts = rows.iter().filter_map(|row| Some((row.symbol?, row.bytes)));
    for (symbol, bytes) in parts.filter(|(_, bytes)| *bytes > 0) {
        filled += bytes;
        let start = end;
        end = column(filled).max(start + 1);
        bar.extend(std::iter::repeat_n(symbol, (end - start) as usize));
    }
    bar
}

/// The rows under a header, parts indented under their symbols and totals not; columns as
/// wide as their widest entry, at least as wide as usual ones so that a cluster's two tables
/// line up.
fn table(rows: &[Row]) -> String {
    let labels: Vec<String> = rows.iter().map(label).collect();
    let sizes: Vec<String> = rows.iter().map(|row| binary_size(row.bytes)).collect();
    let label_width = labels.iter().map(|label| label.chars().count()).max().unwrap_or(0);
    let size_width = sizes.iter().map(String::len).chain([10]).max().unwrap_or(0);
    let bytes_width = rows.iter().map(|row| row.bytes.to_string().len()).chain([10]).max().unwrap_or(0);
    let mut text = format!(
        "  {:label_width$}  {:>size_width$}  {:>bytes_width$}  Configured or derived\n",
        "  Component", "Size", "Bytes"
    );
    for ((row, label), size) in rows.iter().zip(&labels).zip(&sizes) {
        let bytes = row.bytes;
        writeln!(text, "  {label:label_width$}  {size:>size_width$}  {bytes:>bytes_width$}  {}", row.how)
            .expect("writing to a String");
    }
    text
}

/// A part's symbol and name, or a total's name.
fn label(row: &Row) -> String {
    match row.symbol {
        Some(symbol) => format!("{symbol} {}", row.name),
        None => row.name.to_string(),
    }
}

/// A size for people, in binary units (1 KiB = 1024 bytes): a whole number of the largest
/// unit it reaches prints as such (`128 MiB`, `2 GiB`); any other size with two decimals,
/// rounded down so that it never shows more than it is (`1.41 GiB`, `1023.99 MiB`); below
/// 1 KiB, bytes (`512 B`).
fn binary_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let Some(power) = (1..=UNITS.len()).rev().find(|power| bytes >> (10 * power) > 0) else {
        return format!("{bytes} B");
    };
    let unit = 1u64 << (10 * power);
    let (whole, rest) = (bytes / unit, bytes % unit);
    let name = UNITS[power - 1];
    if rest == 0 {
        return format!("{whole} {name}");
    }
    let hundredths = u128::from(rest) * 100 / u128::from(unit);
    format!("{whole}.{hundredths:02} {name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn whole_binary_units_print_without_decimals() {
        assert_eq!(binary_size(1024), "1 KiB");
        assert_eq!(binary_size(128 * MIB), "128 MiB");
        assert_eq!(binary_size(2048 * MIB), "2 GiB");
        assert_eq!(binary_size(3 << 40), "3 TiB");
    }

    #[test]
    fn other_sizes_print_two_decimals_rounded_down() {
        assert_eq!(binary_size(1_513_975_807), "1.40 GiB");
        assert_eq!(binary_size(214_748_368), "204.80 MiB");
        assert_eq!(binary_size((1 << 30) - 1), "1023.99 MiB", "never 1024.00 MiB");
        assert_eq!(binary_size((1 << 30) + 1), "1.00 GiB", "decimals say it is not a whole GiB");
        assert_eq!(binary_size(1536), "1.50 KiB");
    }

    #[test]
    fn sizes_below_one_kib_print_in_bytes() {
        assert_eq!(binary_size(0), "0 B");
        assert_eq!(binary_size(1023), "1023 B");
    }

    fn row(symbol: char, bytes: u64) -> Row {
        Row { symbol: Some(symbol), name: "part", bytes, how: String::new() }
    }

    #[test]
    fn bar_segments_share_the_scale_by_size() {
        let rows = [row('a', 25), row('b', 50), Row { symbol: None, ..row('x', 75) }, row('c', 25)];
        assert_eq!(bar(&rows, 100), format!("{}{}{}", "a".repeat(18), "b".repeat(36), "c".repeat(18)));
        assert_eq!(bar(&rows, 200).len(), 36, "the smaller process of a cluster has the shorter bar");
    }

    #[test]
    fn bar_segments_add_up_to_the_process_share_exactly() {
        let rows: Vec<Row> = (0..7).map(|_| row('p', 1)).collect();
        assert_eq!(bar(&rows, 7).len() as u64, BAR_WIDTH);
    }

    #[test]
    fn every_part_with_bytes_shows_in_the_bar() {
        let rows = [row('a', 1), row('z', 0), row('b', 1000), row('c', 1)];
        assert_eq!(bar(&rows, 1002), format!("a{}c", "b".repeat(71)));
    }

    #[test]
    fn jvm_arguments_wrap_between_arguments_within_the_line_width() {
        let short = "-Xmx1073741824 -Xms1073741824 -XX:MaxMetaspaceSize=268435456";
        assert_eq!(jvm_arguments(short), format!("    {short}\n"));
        let long = "-Xmx21327196930 -Xms21327196930 -XX:MaxDirectMemorySize=3435973886 -XX:MaxMetaspaceSize=268435456";
        let expected = "    -Xmx21327196930 -Xms21327196930 -XX:MaxDirectMemorySize=3435973886\n    -XX:MaxMetaspaceSize=268435456\n";
        assert_eq!(jvm_arguments(long), expected);
    }

    #[test]
    fn no_cluster_says_so() {
        assert_eq!(text_report(&[]), "No FlinkDeployment with a spec in the input.\n");
    }

    #[test]
    fn a_fraction_says_of_what_and_whether_it_was_kept_in_range() {
        let overhead = Source::Fraction { fraction: 0.1, of: Total::Process, limited: Some(Limit::Minimum) };
        assert_eq!(how(overhead), "0.1 × Total Process Memory, raised to the minimum");
        let managed = Source::Fraction { fraction: 0.4, of: Total::Flink, limited: None };
        assert_eq!(how(managed), "0.4 × Total Flink Memory");
    }

    #[test]
    fn a_process_size_from_the_spec_names_the_spec_field() {
        let configured = Source::Configured("taskmanager.memory.process.size");
        let field = "spec.taskManager.resources.requests.memory";
        assert_eq!(total("Total Process Memory", 1, configured, Some(field)).how, field);
        assert_eq!(total("Total Process Memory", 1, configured, None).how, "taskmanager.memory.process.size");
        assert_eq!(total("Total Process Memory", 1, Source::Sum, Some(field)).how, "the sum of its parts");
    }
}
