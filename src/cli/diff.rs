//! `flink-render diff`: renders like `render` and compares the result with committed output,
//! either a directory written by `render --output-dir` or one YAML/JSON stream file. Exit 0
//! when equal, 1 with a per-object, per-field report on stdout when not (or when the input is
//! invalid), 2 on IO errors. The text report says why each configuration changed (the new
//! value's origin, [`flink_render::explain`]). The comparison is the library's ([`flink_render::diff`]), and so
//! is the report ([`flink_render::diff::report`]) and, with `--format json-patch`, the RFC 6902
//! patches ([`flink_render::diff::json_patch`]); this reads the committed side and prints.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;
use serde_json::Value;

use flink_render::diff::because::Because;
use flink_render::diff::json_patch::{self, object_patches};
use flink_render::diff::{diff_objects, parse_objects, report_because};
use flink_render::explain;

use super::{CommonArgs, INVALID_INPUT, compile_valid, io_error, with_inputs, write_stdout};

/// `diff` arguments.
#[derive(clap::Args)]
pub struct DiffArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// The committed output: a directory written by `render --output-dir`, or a YAML stream file.
    #[arg(long, value_name = "DIR|FILE")]
    against: PathBuf,
    /// Report format: a per-field report, or a JSON array with the RFC 6902 JSON Patch of
    /// each differing object (`[]` when nothing differs).
    #[arg(long, value_enum, default_value = "text")]
    format: DiffFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum DiffFormat {
    Text,
    JsonPatch,
}

/// Run `diff`.
pub fn run(args: DiffArgs) -> ExitCode {
    let committed = match read_committed(&args.against) {
        Ok(committed) => committed,
        Err(message) => return io_error(&message),
    };
    let run = match compile_valid(&args.common, None) {
        Ok(run) => run,
        Err(code) => return code,
    };
    let rendered = &run.compiled.objects;
    let (differs, report) = match args.format {
        DiffFormat::Text => match diff_objects(&committed.objects, rendered) {
            Ok(diffs) if diffs.is_empty() => (false, String::new()),
            Ok(diffs) => {
                // the new configurations' origins, to say why each changed (the inputs are valid)
                let configs = with_inputs(&args.common, |inputs, options, _| explain::configs(inputs, options).0)
                    .map(|(configs, _, _)| configs)
                    .unwrap_or_default();
                let defaults = args.common.defaults.as_ref().map(|path| path.display().to_string());
                let because = Because { configs: &configs, defaults: defaults.as_deref() };
                (true, report_because(&diffs, committed.is_directory, rendered.len(), because))
            }
            Err(message) => return io_error(&format!("{}: {message}", args.against.display())),
        },
        DiffFormat::JsonPatch => match object_patches(&committed.objects, rendered) {
            Ok(patches) => (!patches.is_empty(), json_patch::to_json(&patches)),
            Err(message) => return io_error(&format!("{}: {message}", args.against.display())),
        },
    };
    match write_stdout(&report) {
        code if code == ExitCode::SUCCESS && differs => ExitCode::from(INVALID_INPUT),
        code => code,
    }
}

struct Committed {
    objects: Vec<Value>,
    is_directory: bool,
}

/// The committed objects: every `*.yaml` file of a directory (sorted), or one stream file.
fn read_committed(path: &Path) -> Result<Committed, String> {
    let read = |file: &Path| -> Result<Vec<Value>, String> {
        let text = fs::read_to_string(file).map_err(|error| format!("cannot read {}: {error}", file.display()))?;
        parse_objects(&text).map_err(|message| format!("{}: {message}", file.display()))
    };
    if !path.is_dir() {
        return Ok(Committed { objects: read(path)?, is_directory: false });
    }
    let mut files: Vec<PathBuf> = fs::read_dir(path)
        .map_err(|error| format!("cannot read directory {}: {error}", path.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|file| file.is_file() && file.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    let mut objects = Vec::new();
    for file in files {
        objects.extend(read(&file)?);
    }
    Ok(Committed { objects, is_directory: true })
}
