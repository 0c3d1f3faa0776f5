//! # flink-render as WebAssembly
//!
//! The five subcommands of the CLI that need no file system — `render`, `validate`,
//! `memoryBreakdown` (`memory`), `schema` and `diff` — for the browser preview page
//! (`wasm/www/`) and for Node. Each takes one JSON request string — the CLI's options — and
//! returns one JSON response string whose `stdout` is byte for byte what the CLI prints:
//!
//! ```text
//! request  {"inputs": [{"name": "spec.yaml", "text": "…"}],   specs, in order (PATH…)
//!           "namespace": "team-a",                           --namespace
//!           "defaults": {"name": "defaults.yaml", "text": "…"},  --defaults
//!           "omittedMode": "standalone",                     --omitted-mode
//!           "format": "yaml",                                --format
//!           "against": {"name": "committed.yaml", "text": "…"},  diff --against (a stream)
//!           "kind": "FlinkDeployment", "crd": false}         schema --kind, --crd
//! response {"exitCode": 0|1|2, "stdout": "…",
//!           "diagnostics": [{severity, code, message, path, source, line, column, hint?}],
//!           "error": "…",          exit code 2 only: the CLI's `error: …` message
//!           "objects": [{kind, namespace, name, yaml}],                 render only
//!           "changes": [{kind, namespace, name, change, fields: [{path, change, before?, after?}]}]}
//!                                                                        diff only
//! ```
//!
//! All of the work is the library's; the `shell` module only translates between JSON and its
//! types, and `json` writes the response (a render's YAML is escaped once, for `stdout` and
//! `objects` both).

#![forbid(unsafe_code)]

mod json;
mod shell;

use wasm_bindgen::prelude::wasm_bindgen;

/// `flink-render render`: `stdout` is the YAML stream (or JSON `List` with `"format": "json"`).
#[wasm_bindgen]
pub fn render(request: &str) -> String {
    shell::render(request)
}

/// `flink-render validate --format json`: `stdout` is the diagnostics JSON.
#[wasm_bindgen]
pub fn validate(request: &str) -> String {
    shell::validate(request)
}

/// `flink-render memory --format json`: `stdout` is the memory breakdown JSON. In JavaScript
/// it is `memoryBreakdown`: a module export named `memory` is the module's linear memory, and
/// a function of the same name would make the module invalid (a duplicate export).
#[wasm_bindgen(js_name = memoryBreakdown)]
pub fn memory_breakdown(request: &str) -> String {
    shell::memory(request)
}

/// `flink-render schema`: `stdout` is the JSON Schema, or the CRD YAML with `"crd": true`.
#[wasm_bindgen]
pub fn schema(request: &str) -> String {
    shell::schema(request)
}

/// `flink-render diff` against one committed stream: `stdout` is the report, or the JSON
/// Patch array with `"format": "json-patch"`.
#[wasm_bindgen]
pub fn diff(request: &str) -> String {
    shell::diff(request)
}
