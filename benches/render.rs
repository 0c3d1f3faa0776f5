//! Rendering speed: one FlinkDeployment (parse → resolve → emit → YAML), and every
//! behaviour fixture in one compile. Run with `cargo bench`.

use criterion::{Criterion, criterion_group, criterion_main};
use flink_render::{Input, Options, compile, to_yaml};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).expect("fixture")
}

fn render_one(c: &mut Criterion) {
    let text = fixture("basic-application.yaml");
    c.bench_function("render basic-application", |b| {
        b.iter(|| {
            let compiled = compile(&[Input { name: "basic", text: &text }], &Options::default());
            to_yaml(&compiled.objects)
        })
    });
}

fn render_all(c: &mut Criterion) {
    let dir = format!("{}/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".yaml") || name.ends_with(".json"))
        .collect();
    names.sort();
    let texts: Vec<(String, String)> = names.iter().map(|name| (name.clone(), fixture(name))).collect();
    let inputs: Vec<Input<'_>> = texts.iter().map(|(name, text)| Input { name, text }).collect();
    let options = Options { namespace: Some("default"), defaults: None };
    c.bench_function(&format!("render all {} fixtures", inputs.len()), |b| {
        b.iter(|| to_yaml(&compile(&inputs, &options).objects))
    });
}

criterion_group!(benches, render_one, render_all);
criterion_main!(benches);
