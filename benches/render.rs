//! Rendering speed (`cargo bench`; the numbers in docs/performance.md come from here):
//!
//! - `stages/<spec>/…`: each step alone on a small, a typical and a large spec: parse (text →
//!   resources), view (the effective view), validate (every rule), resolve (the model), emit
//!   (objects) and serialize (YAML);
//! - `render/<spec>`: all of it, as `flink-render render` runs it in process;
//! - `stream/10000`: ten thousand FlinkDeployments in one stream, each object serialized and
//!   dropped as it is emitted, as the CLI writes it;
//! - `render all fixtures`: every behaviour fixture in one compile.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use flink_render::effective::{self, DeploymentView, Settings};
use flink_render::emit::yaml::to_yaml_document;
use flink_render::parse::Resource;
use flink_render::parse::defaults::OperatorDefaults;
use flink_render::{Input, Options, compile, compile_each, emit, resolve, to_yaml, validate};

/// The allocator the CLI runs with (src/main.rs), so the numbers are the CLI's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).expect("fixture")
}

/// A minimal session cluster.
const SMALL: &str = "apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata:
  name: small
spec:
  image: flink:2.2
  flinkVersion: v2_2
  mode: standalone
  serviceAccount: flink
  jobManager:
    resources: {requests: {memory: 1024m, cpu: '1'}}
  taskManager:
    resources: {requests: {memory: 2048m, cpu: '1'}}
";

/// A large spec: 500 configuration keys and pod templates with 50 containers, over 2,000
/// lines of pod template in all.
fn large() -> String {
    let mut text = fixture("basic-application.yaml").replace("name: basic-application", "name: large");
    let config: String = (0..500).map(|i| format!("    metrics.reporter.r{i}.interval: \"{} s\"\n", i + 1)).collect();
    text = text.replace("  flinkConfiguration:\n", &format!("  flinkConfiguration:\n{config}"));
    let container = |role: &str, i: usize| {
        let env: String =
            (0..10).map(|j| format!("        - name: SETTING_{j}\n          value: \"{role}-{i}-{j}\"\n")).collect();
        format!(
            "      - name: {role}-sidecar-{i}\n        image: busybox:1.36\n        args: [\"sh\", \"-c\", \"sleep infinity\"]\n        env:\n{env}        - name: SIDECAR\n          value: \"{i}\"\n        - name: ROLE\n          value: {role}\n        resources:\n          requests: {{cpu: 10m, memory: 16Mi}}\n          limits: {{cpu: 50m, memory: 32Mi}}\n        volumeMounts:\n        - name: scratch\n          mountPath: /scratch/{i}\n        securityContext:\n          runAsNonRoot: true\n          allowPrivilegeEscalation: false\n        ports:\n        - containerPort: {}\n          name: p{i}\n        readinessProbe:\n          tcpSocket: {{port: {}}}\n          periodSeconds: 10\n",
            9000 + i,
            9000 + i
        )
    };
    let template = |role: &str| -> String {
        let containers: String = (0..25).map(|i| container(role, i)).collect();
        format!(
            "    podTemplate:\n      spec:\n        volumes:\n        - name: scratch\n          emptyDir: {{}}\n        containers:\n{}",
            containers.replace("\n      ", "\n        ").replacen("      - name", "        - name", 1)
        )
    };
    let jobmanager = template("jm");
    let taskmanager = template("tm");
    assert!(jobmanager.lines().count() + taskmanager.lines().count() >= 2_000, "a 2,000-line pod template");
    text = text.replacen("  jobManager:\n", &format!("  jobManager:\n{jobmanager}"), 1);
    text.replacen("  taskManager:\n", &format!("  taskManager:\n{taskmanager}"), 1)
}

fn specs() -> Vec<(&'static str, String)> {
    let specs = vec![
        ("small", SMALL.to_string()),
        ("basic-application", fixture("basic-application.yaml")),
        ("large", large()),
    ];
    for (name, text) in &specs {
        let compiled = compile(&[Input { name, text }], &Options::default());
        assert!(!compiled.diagnostics.has_errors(), "{name} is valid: {:?}", compiled.diagnostics);
    }
    specs
}

fn stages(c: &mut Criterion) {
    let defaults = OperatorDefaults::builtin();
    for (name, text) in specs() {
        let settings = Settings::new(None, defaults);
        let mut group = c.benchmark_group(format!("stages/{name}"));
        group.bench_function("parse", |b| b.iter(|| flink_render::read(&Input { name, text: &text })));
        let read = flink_render::read(&Input { name, text: &text });
        assert!(read.diagnostics.is_empty(), "{name} parses");
        let Some(Resource::Deployment(parsed)) = read.resources.first() else { panic!("{name} is a deployment") };
        group.bench_function("view", |b| b.iter(|| effective::deployment(parsed, &settings)));
        let view = effective::deployment(parsed, &settings);
        group.bench_function("validate", |b| b.iter(|| validate::check_deployment(&view)));
        let DeploymentView::Cluster(cluster_view) = &view else { panic!("{name} is a cluster") };
        group.bench_function("resolve", |b| b.iter(|| resolve::lower_cluster(cluster_view)));
        group.bench_function("emit", |b| b.iter(|| emit::emit(&resolve::lower_cluster(cluster_view))));
        let objects = emit::emit(&resolve::lower_cluster(cluster_view));
        group.bench_function("serialize", |b| b.iter(|| to_yaml(&objects)));
        group.finish();
    }
}

fn render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render");
    for (name, text) in specs() {
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                let compiled = compile(&[Input { name, text: &text }], &Options::default());
                assert!(!compiled.objects.is_empty());
                to_yaml(&compiled.objects)
            })
        });
    }
    group.finish();
}

fn stream(c: &mut Criterion) {
    let body = fixture("basic-application.yaml");
    let mut group = c.benchmark_group("stream");
    group.sample_size(10).measurement_time(Duration::from_secs(40));
    for count in [1_000, 10_000] {
        let text: String = (0..count)
            .map(|i| format!("---\n{}", body.replace("name: basic-application", &format!("name: b{i}"))))
            .collect();
        group.bench_function(BenchmarkId::from_parameter(count), |b| {
            b.iter(|| {
                let mut bytes = 0;
                compile_each(&[Input { name: "stream", text: &text }], &Options::default(), &mut |object, _| {
                    bytes += to_yaml_document(&object).len();
                });
                bytes
            })
        });
    }
    group.finish();
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
    let options = Options { namespace: Some("default"), defaults: None, ..Options::default() };
    c.bench_function(&format!("render all {} fixtures", inputs.len()), |b| {
        b.iter(|| to_yaml(&compile(&inputs, &options).objects))
    });
}

criterion_group!(benches, stages, render, stream, render_all);
criterion_main!(benches);
