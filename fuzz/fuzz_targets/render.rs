//! Fuzz the whole entry point: arbitrary UTF-8 through `compile` (parse, validate, resolve,
//! emit) and both serializers. A panic, a hang, an out-of-memory or objects next to errors
//! is a finding. Half of the inputs are compiled with `--namespace`, so the rules that need
//! a namespace (Kubernetes HA, `{{namespace}}` ingress templates) are reached too.

#![no_main]

use flink_render::{Input, Options, compile, to_json, to_yaml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let namespace = (data.len() % 2 == 1).then_some("fuzz");
    let options = Options { namespace, ..Options::default() };
    let compiled = compile(&[Input { name: "fuzz.yaml", text }], &options);
    assert!(!compiled.diagnostics.has_errors() || compiled.objects.is_empty(), "objects next to errors");
    to_yaml(&compiled.objects);
    to_json(&compiled.objects);
});
