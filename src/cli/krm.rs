//! `flink-render krm`: the exec KRM function for kustomize and kpt. Reads one ResourceList
//! from stdin, hands it to [`flink_render::krm::transform`], prints the findings on stderr and
//! the output on stdout; an error exits 1 with nothing on stdout.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use flink_render::krm::{FUNCTION_PROGRAM_NAME, transform};

use super::{INVALID_INPUT, USAGE_OR_IO, io_error, print_text_diagnostics, write_stdout};

/// Whether the binary was started as [`FUNCTION_PROGRAM_NAME`] (kustomize before 5.7 cannot
/// pass a subcommand, so a symlink under that name runs this mode).
pub fn invoked_as_function() -> bool {
    std::env::args_os()
        .next()
        .is_some_and(|program| Path::new(&program).file_name().is_some_and(|name| name == FUNCTION_PROGRAM_NAME))
}

/// Run the function: stdin → stdout; returns the exit code.
pub fn run() -> ExitCode {
    if invoked_as_function() && std::env::args_os().len() > 1 {
        eprintln!(
            "error: {FUNCTION_PROGRAM_NAME} takes no arguments: it reads a ResourceList on stdin, and its settings come from the functionConfig"
        );
        return ExitCode::from(USAGE_OR_IO);
    }
    let mut bytes = Vec::new();
    if let Err(error) = std::io::stdin().read_to_end(&mut bytes) {
        return io_error(&format!("cannot read stdin: {error}"));
    }
    let Ok(text) = String::from_utf8(bytes) else {
        eprintln!("error: the ResourceList on stdin is not UTF-8");
        return ExitCode::from(INVALID_INPUT);
    };
    let outcome = transform(&text);
    print_text_diagnostics(outcome.diagnostics.iter(), &outcome.sources);
    match outcome.output {
        Some(output) => write_stdout(&output),
        None => ExitCode::from(INVALID_INPUT),
    }
}
