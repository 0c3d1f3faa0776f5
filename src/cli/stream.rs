//! `render`'s output, written object by object as the library emits them, so that a stream
//! of any length is never held whole: the YAML stream or the JSON `List` on stdout, or one
//! file per object. The bytes are exactly those of [`flink_render::to_yaml`] and
//! [`flink_render::to_json`] over all objects (tested in `tests/streamed_output.rs`).

use std::io::{BufWriter, StdoutLock, Write};
use std::path::Path;

use serde_json::Value;

use super::output_dir;

/// Where the objects go.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// A YAML stream on stdout.
    Yaml,
    /// One JSON `List` on stdout.
    Json,
    /// One file per object in a directory.
    Dir(&'a Path),
}

/// Writes objects to a [`Target`] as they come. The first write error stops further writes
/// and is reported by [`Writer::finish`]; a closed pipe is not an error.
pub struct Writer<'a> {
    target: Target<'a>,
    stdout: BufWriter<StdoutLock<'static>>,
    written: usize,
    failed: Option<String>,
    /// The text of one object, reused from object to object.
    text: String,
}

impl<'a> Writer<'a> {
    /// A writer that has written nothing yet (a directory is created with its first file).
    pub fn new(target: Target<'a>) -> Self {
        let stdout = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        Writer { target, stdout, written: 0, failed: None, text: String::new() }
    }

    /// Write one object.
    pub fn object(&mut self, object: &Value) {
        if self.failed.is_some() {
            return;
        }
        let result = match self.target {
            Target::Dir(dir) if self.written == 0 => {
                output_dir::create(dir).and_then(|()| output_dir::write_one(dir, object))
            }
            Target::Dir(dir) => output_dir::write_one(dir, object),
            Target::Yaml => {
                self.text.clear();
                self.text.push_str("---\n");
                flink_render::emit::yaml::write_yaml_document(object, &mut self.text);
                self.stdout.write_all(self.text.as_bytes()).map_err(|error| stdout_error(&error))
            }
            Target::Json => {
                let opening = if self.written == 0 { "{\n  \"apiVersion\": \"v1\",\n  \"items\": [\n" } else { ",\n" };
                let item = serde_json::to_string_pretty(object).expect("JSON values serialize");
                let mut text = String::with_capacity(opening.len() + item.len() * 2);
                text.push_str(opening);
                // JSON strings hold no raw newlines, so indenting every line nests the item.
                for (index, line) in item.lines().enumerate() {
                    text.push_str(if index == 0 { "    " } else { "\n    " });
                    text.push_str(line);
                }
                self.stdout.write_all(text.as_bytes()).map_err(|error| stdout_error(&error))
            }
        };
        self.written += 1;
        self.failed = result.err();
    }

    /// Write `text` on a YAML stream that has no object.
    pub fn when_empty(&mut self, text: &str) {
        if let (Target::Yaml, 0, None) = (self.target, self.written, &self.failed) {
            self.failed = self.stdout.write_all(text.as_bytes()).map_err(|error| stdout_error(&error)).err();
        }
    }

    /// Close the output (the JSON `List`, an empty directory) and report the first error.
    pub fn finish(mut self) -> Result<(), String> {
        if self.failed.is_none() {
            let closing = match (self.target, self.written) {
                (Target::Json, 0) => "{\n  \"apiVersion\": \"v1\",\n  \"items\": [],\n  \"kind\": \"List\"\n}\n",
                (Target::Json, _) => "\n  ],\n  \"kind\": \"List\"\n}\n",
                _ => "",
            };
            if let (Target::Dir(dir), 0) = (self.target, self.written) {
                self.failed = output_dir::create(dir).err();
            }
            if let Err(error) = self.stdout.write_all(closing.as_bytes()).and_then(|()| self.stdout.flush()) {
                self.failed = Some(stdout_error(&error));
            }
        }
        match self.failed {
            Some(message) if !message.is_empty() => Err(message),
            _ => Ok(()),
        }
    }
}

/// A write error as reported; empty for a closed pipe (the reader stopped: not an error).
fn stdout_error(error: &std::io::Error) -> String {
    if error.kind() == std::io::ErrorKind::BrokenPipe { String::new() } else { format!("cannot write stdout: {error}") }
}
