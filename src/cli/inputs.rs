//! Reading inputs: files, directories (their `*.yaml`, `*.yml`, `*.json`, sorted, not
//! recursive) and `-` for stdin. Text must be UTF-8.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One input read into memory.
pub struct LoadedInput {
    /// Display name: the path as given, or `-`.
    pub name: String,
    /// The content.
    pub text: Result<String, String>,
}

/// Why inputs could not be read (exit code 2).
pub struct IoError(pub String);

/// Read every path; directories expand to their spec files in name order.
pub fn load(paths: &[PathBuf]) -> Result<Vec<LoadedInput>, IoError> {
    let mut inputs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::stdin().read_to_end(&mut bytes).map_err(|error| IoError(format!("cannot read stdin: {error}")))?;
            inputs.push(LoadedInput { name: "-".into(), text: decode(bytes) });
        } else if path.is_dir() {
            let mut files: Vec<PathBuf> = fs::read_dir(path)
                .map_err(|error| IoError(format!("cannot read directory {}: {error}", path.display())))?
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|file| file.is_file() && is_spec_file(file))
                .collect();
            files.sort();
            for file in files {
                inputs.push(read_file(&file)?);
            }
        } else {
            inputs.push(read_file(path)?);
        }
    }
    Ok(inputs)
}

pub(super) fn is_spec_file(path: &Path) -> bool {
    matches!(path.extension().and_then(|ext| ext.to_str()), Some("yaml" | "yml" | "json"))
}

fn read_file(path: &Path) -> Result<LoadedInput, IoError> {
    let metadata = fs::metadata(path).map_err(|error| IoError(format!("cannot read {}: {error}", path.display())))?;
    if metadata.len() > flink_render::parse::document::MAX_INPUT_BYTES as u64 {
        return Ok(LoadedInput {
            name: path.display().to_string(),
            text: Err(format!(
                "input is {} bytes, more than the {} bytes flink-render accepts",
                metadata.len(),
                flink_render::parse::document::MAX_INPUT_BYTES
            )),
        });
    }
    let bytes = fs::read(path).map_err(|error| IoError(format!("cannot read {}: {error}", path.display())))?;
    Ok(LoadedInput { name: path.display().to_string(), text: decode(bytes) })
}

fn decode(bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes)
        .map_err(|error| format!("input is not UTF-8 (invalid byte at offset {})", error.utf8_error().valid_up_to()))
}
