//! The operator's own test facts (FO §9), one named test each, asserted on flink-render's
//! output. Where flink-render deliberately differs (standalone only, a fixed `--job-id`),
//! the test says so.

use std::collections::BTreeMap;

use flink_render::{Input, Options, compile};
use serde_json::{Value, json};

/// A FlinkDeployment with the given `spec` additions (YAML lines indented by two).
fn spec(name: &str, version: &str, extra: &str) -> String {
    format!(
        "apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata:\n  name: {name}\n  namespace: flink-operator-test\nspec:\n  image: flink:latest\n  flinkVersion: {version}\n  serviceAccount: flink-operator\n  mode: standalone\n{extra}"
    )
}

const RESOURCES: &str = "  jobManager:\n    resource: {cpu: 1.0, memory: \"2048m\"}\n  taskManager:\n    resource: {cpu: 1.0, memory: \"2048m\"}\n";
const JOB: &str = "  job:\n    jarURI: local:///flink/opt/StateMachine.jar\n    parallelism: 2\n";

fn render(text: &str) -> Vec<Value> {
    let compiled = compile(&[Input { name: "test.yaml", text }], &Options::default());
    assert!(!compiled.diagnostics.has_errors(), "{:#?}", compiled.diagnostics);
    compiled.objects
}

fn errors(text: &str) -> Vec<String> {
    let compiled = compile(&[Input { name: "test.yaml", text }], &Options::default());
    compiled.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.message.clone()).collect()
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|object| object["kind"] == kind && object["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

/// The flat `flink-conf.yaml` of a Flink 1.x render, as a map.
fn config(objects: &[Value]) -> BTreeMap<String, String> {
    let config_map = objects.iter().find(|object| object["kind"] == "ConfigMap").expect("ConfigMap");
    config_map["data"]["flink-conf.yaml"]
        .as_str()
        .expect("a Flink 1.x render has flink-conf.yaml")
        .lines()
        .filter_map(|line| line.split_once(": "))
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

fn main_container(deployment: &Value) -> &Value {
    let containers = deployment["spec"]["template"]["spec"]["containers"].as_array().unwrap();
    let last = containers.last().unwrap();
    assert_eq!(last["name"], "flink-main-container", "the main container comes last");
    last
}

/// A main container's env as the operator sets it: without flink-render's own revision variable
/// (`FLINK_RENDER_REVISION`, the hand-over's, DESIGN §5), which upstream has no counterpart of.
fn upstream_env(container: &Value) -> Vec<Value> {
    let env = container["env"].as_array().cloned().unwrap_or_default();
    env.into_iter().filter(|entry| entry["name"] != "FLINK_RENDER_REVISION").collect()
}

fn container_names(deployment: &Value) -> Vec<String> {
    deployment["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap_or("").to_string())
        .collect()
}

const HA: &str =
    "  flinkConfiguration:\n    high-availability.type: kubernetes\n    high-availability.storageDir: file:///ha\n";

#[test]
fn fact01_apply_jobmanager_spec() {
    let text = spec(
        "test-cluster",
        "v1_20",
        &format!(
            "{HA}  jobManager:\n    replicas: 2\n    resource: {{cpu: 1.0, memory: \"2048m\"}}\n  taskManager:\n    resource: {{cpu: 1.0, memory: \"2048m\"}}\n"
        ),
    );
    let config = config(&render(&text));
    assert_eq!(config["jobmanager.memory.process.size"], "2 gb");
    assert_eq!(config["kubernetes.jobmanager.cpu.amount"], "1.0");
    assert_eq!(config["kubernetes.jobmanager.replicas"], "2");
}

#[test]
fn fact05_jobmanager_bibyte_memory_and_ephemeral_storage() {
    let text = spec(
        "test-cluster",
        "v1_20",
        "  jobManager:\n    resource: {cpu: 1.0, memory: \"1Gi\", ephemeralStorage: \"20Gi\"}\n  taskManager:\n    resource: {cpu: 1.0, memory: \"2048m\"}\n",
    );
    let objects = render(&text);
    assert_eq!(config(&objects)["jobmanager.memory.process.size"], "1073741824");
    let main = main_container(find(&objects, "Deployment", "test-cluster"));
    assert_eq!(main["resources"]["requests"]["ephemeral-storage"], "20Gi");
    assert_eq!(main["resources"]["limits"]["ephemeral-storage"], "20Gi");
    assert_eq!(main["resources"]["requests"]["memory"], "1024Mi");
}

#[test]
fn fact06_resource_requirements_take_precedence_over_resource() {
    let text = spec(
        "test-cluster",
        "v1_20",
        "  jobManager:\n    resource: {cpu: 1.0, memory: \"1024m\"}\n    resources:\n      requests: {memory: 4Gi, cpu: 2}\n  taskManager:\n    resource: {cpu: 1.0, memory: \"2048m\"}\n",
    );
    let config = config(&render(&text));
    assert_eq!(config["jobmanager.memory.process.size"], "4294967296");
    assert_eq!(config["kubernetes.jobmanager.cpu.amount"], "2.0");
}

#[test]
fn fact07_millicore_cpu() {
    let text = spec(
        "test-cluster",
        "v1_20",
        "  jobManager:\n    resource: {cpu: 1.0, memory: \"2048m\"}\n  taskManager:\n    resources:\n      requests: {memory: 2Gi, cpu: 500m}\n",
    );
    let objects = render(&text);
    assert_eq!(config(&objects)["kubernetes.taskmanager.cpu.amount"], "0.5");
    assert_eq!(
        main_container(find(&objects, "Deployment", "test-cluster-taskmanager"))["resources"]["requests"]["cpu"],
        "0.5"
    );
}

#[test]
fn fact08_limit_factors() {
    let text = spec(
        "test-cluster",
        "v1_20",
        "  jobManager:\n    resources:\n      requests: {memory: 2Gi, cpu: 1}\n      limits: {cpu: 2}\n  taskManager:\n    resources:\n      requests: {memory: 2Gi, cpu: 1}\n      limits: {memory: 4Gi, cpu: 1}\n",
    );
    let objects = render(&text);
    let config = config(&objects);
    assert_eq!(config["kubernetes.jobmanager.cpu.limit-factor"], "2.0");
    assert_eq!(config["kubernetes.taskmanager.memory.limit-factor"], "2.0");
    let jm = main_container(find(&objects, "Deployment", "test-cluster"));
    assert_eq!(jm["resources"]["limits"]["cpu"], "2.0");
    let tm = main_container(find(&objects, "Deployment", "test-cluster-taskmanager"));
    assert_eq!(tm["resources"]["limits"]["memory"], "4096Mi");
    let half = spec(
        "test-cluster",
        "v1_20",
        "  jobManager:\n    resources:\n      requests: {memory: 2Gi, cpu: 2}\n      limits: {memory: 2Gi, cpu: 1}\n  taskManager:\n    resource: {cpu: 1.0, memory: \"2048m\"}\n",
    );
    assert!(errors(&half).iter().any(|error| error.contains("cpu request (2) must not exceed its limit (1)")));
}

#[test]
fn fact09_limits_only_or_requests_only_give_no_factor() {
    let text = spec(
        "test-cluster",
        "v1_20",
        "  jobManager:\n    resources:\n      limits: {memory: 2Gi, cpu: 2}\n  taskManager:\n    resources:\n      requests: {memory: 2Gi, cpu: 2}\n",
    );
    let config = config(&render(&text));
    assert_eq!(config["jobmanager.memory.process.size"], "2147483648");
    assert_eq!(config["kubernetes.jobmanager.cpu.amount"], "2.0");
    assert!(config.keys().all(|key| !key.contains("limit-factor")), "{config:?}");
}

#[test]
fn fact10_empty_resources_fall_back_to_deprecated_resource() {
    let text = spec(
        "test-cluster",
        "v1_20",
        "  jobManager:\n    resources: {}\n    resource: {cpu: 1.5, memory: \"1024m\"}\n  taskManager:\n    resource: {cpu: 1.0, memory: \"2048m\"}\n",
    );
    let config = config(&render(&text));
    assert_eq!(config["jobmanager.memory.process.size"], "1 gb");
    assert_eq!(config["kubernetes.jobmanager.cpu.amount"], "1.5");
}

#[test]
fn fact12_deprecated_cpu_keys_before_1_17() {
    let text = spec("test-cluster", "v1_16", RESOURCES);
    let config = config(&render(&text));
    assert_eq!(config["kubernetes.jobmanager.cpu"], "1.0");
    assert_eq!(config["kubernetes.taskmanager.cpu"], "1.0");
    assert_eq!(config["kubernetes.jobmanager.cpu.amount"], "1.0");
    assert_eq!(config["kubernetes.container.image"], "flink:latest");
}

#[test]
fn fact13_rest_service_and_web_cancel_defaults() {
    let config_default = config(&render(&spec("test-cluster", "v1_20", RESOURCES)));
    assert_eq!(config_default["kubernetes.rest-service.exposed.type"], "ClusterIP");
    assert_eq!(config_default["web.cancel.enable"], "false");
    let objects = render(&spec(
        "test-cluster",
        "v1_20",
        &format!("  flinkConfiguration:\n    kubernetes.rest-service.exposed.type: LoadBalancer\n{RESOURCES}"),
    ));
    assert_eq!(config(&objects)["kubernetes.rest-service.exposed.type"], "LoadBalancer");
    assert_eq!(find(&objects, "Service", "test-cluster-rest")["spec"]["type"], "LoadBalancer");
}

#[test]
fn fact14_log_configuration_is_shipped_verbatim() {
    let objects = render(&spec(
        "test-cluster",
        "v1_20",
        &format!("  logConfiguration:\n    log4j-console.properties: \"rootLogger.level = INFO\"\n{RESOURCES}"),
    ));
    let data = find(&objects, "ConfigMap", "flink-config-test-cluster")["data"].as_object().unwrap();
    assert_eq!(data["log4j-console.properties"], "rootLogger.level = INFO");
    assert_eq!(data.len(), 2, "exactly the given log file plus the config file");
}

#[test]
fn fact15_common_pod_template_and_ephemeral_storage() {
    let text = spec(
        "test-cluster",
        "v1_20",
        "  flinkConfiguration:\n    kubernetes.operator.jm-deployment.startup.probe.enabled: \"false\"\n  podTemplate:\n    spec:\n      containers: [{name: c0, image: sidecar}]\n  jobManager:\n    resource: {cpu: 1.0, memory: \"2048m\", ephemeralStorage: 2G}\n  taskManager:\n    resource: {cpu: 1.0, memory: \"2048m\", ephemeralStorage: 3G}\n",
    );
    let objects = render(&text);
    let jm = find(&objects, "Deployment", "test-cluster");
    let tm = find(&objects, "Deployment", "test-cluster-taskmanager");
    assert_eq!(container_names(jm), ["c0", "flink-main-container"]);
    assert_eq!(container_names(tm), ["c0", "flink-main-container"]);
    assert_eq!(main_container(jm)["resources"]["requests"]["ephemeral-storage"], "2G");
    assert_eq!(main_container(tm)["resources"]["limits"]["ephemeral-storage"], "3G");
    assert!(main_container(jm).get("startupProbe").is_none());
}

#[test]
fn fact16_startup_probe_only_on_the_jobmanager() {
    let objects = render(&spec(
        "test-cluster",
        "v1_20",
        &format!("  podTemplate:\n    spec:\n      containers: [{{name: c0, image: sidecar}}]\n{RESOURCES}"),
    ));
    let jm = find(&objects, "Deployment", "test-cluster");
    let tm = find(&objects, "Deployment", "test-cluster-taskmanager");
    assert_eq!(container_names(jm), ["c0", "flink-main-container"]);
    assert_eq!(main_container(jm)["startupProbe"]["httpGet"], json!({"path": "/config", "port": "rest"}));
    assert!(main_container(tm).get("startupProbe").is_none());
}

#[test]
fn fact17_component_templates_merge_over_common_dns_policy() {
    let text = spec(
        "test-cluster",
        "v1_20",
        "  podTemplate:\n    spec:\n      dnsPolicy: test\n      containers: []\n  jobManager:\n    resource: {cpu: 1.0, memory: \"2048m\"}\n    podTemplate:\n      spec:\n        containers: [{name: flink-main-container, image: test}, {name: c0, image: sidecar}]\n  taskManager:\n    resource: {cpu: 1.0, memory: \"2048m\"}\n    podTemplate:\n      spec:\n        containers: [{name: c1, image: sidecar}]\n",
    );
    let objects = render(&text);
    let jm = find(&objects, "Deployment", "test-cluster");
    let tm = find(&objects, "Deployment", "test-cluster-taskmanager");
    assert_eq!(jm["spec"]["template"]["spec"]["dnsPolicy"], "test");
    assert_eq!(tm["spec"]["template"]["spec"]["dnsPolicy"], "test");
    assert_eq!(container_names(jm), ["c0", "flink-main-container"]);
    assert_eq!(container_names(tm), ["c1", "flink-main-container"]);
    // spec.image is set, so it wins over the template's image (FO §4.4).
    assert_eq!(main_container(jm)["image"], "flink:latest");
}

#[test]
fn fact18_no_pod_template_file_keys_reach_the_cluster() {
    let config = config(&render(&spec("test-cluster", "v1_20", RESOURCES)));
    assert!(config.keys().all(|key| !key.starts_with("kubernetes.pod-template-file")));
}

#[test]
fn fact19_job_spec_keys() {
    let text = spec(
        "test-cluster",
        "v1_20",
        &format!(
            "{RESOURCES}  job:\n    jarURI: local:///flink/opt/StateMachine.jar\n    parallelism: 2\n    allowNonRestoredState: true\n    args: [\"--test\", \"123\"]\n"
        ),
    );
    let config = config(&render(&text));
    assert_eq!(config["execution.savepoint.ignore-unclaimed-state"], "true");
    assert_eq!(config["execution.target"], "remote", "standalone overrides kubernetes-application");
    assert_eq!(config["parallelism.default"], "2");
    assert_eq!(config["$internal.application.program-args"], "--test;123");
}

#[test]
fn fact20_taskmanager_replicas_set_parallelism() {
    let text = spec(
        "test-cluster",
        "v1_20",
        "  flinkConfiguration:\n    taskmanager.numberOfTaskSlots: \"4\"\n    high-availability.type: kubernetes\n    high-availability.storageDir: file:///ha\n    state.checkpoints.dir: file:///cp\n  jobManager:\n    resource: {cpu: 1.0, memory: \"2048m\"}\n  taskManager:\n    replicas: 3\n    resource: {cpu: 1.0, memory: \"2048m\"}\n  job:\n    jarURI: local:///x.jar\n    parallelism: 2\n    upgradeMode: last-state\n",
    );
    let config = config(&render(&text));
    assert_eq!(config["parallelism.default"], "12");
    assert_eq!(config["execution.submit-failed-job-on-application-error"], "true");
    assert_eq!(config["execution.shutdown-on-application-finish"], "false");
    assert_eq!(config["pipeline.name"], "test-cluster");
    assert_eq!(config["execution.checkpointing.interval"], "5 min");
}

#[test]
fn fact21_no_jar_no_classpath() {
    let objects = render(&spec("test-cluster", "v1_20", &format!("{RESOURCES}  job:\n    parallelism: 2\n")));
    assert!(!config(&objects).contains_key("pipeline.classpaths"));
    let jm = find(&objects, "Deployment", "test-cluster");
    assert!(
        jm["spec"]["template"]["spec"]["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|volume| volume["name"] != "user-lib-dir")
    );
}

#[test]
fn fact22_standalone_application_spec() {
    let text = spec(
        "test-cluster",
        "v1_20",
        "  flinkConfiguration:\n    taskmanager.numberOfTaskSlots: \"2\"\n  jobManager:\n    resource: {cpu: 1.0, memory: \"2048m\"}\n  taskManager:\n    replicas: 3\n    resource: {cpu: 1.0, memory: \"2048m\"}\n  job:\n    jarURI: local:///flink/opt/StateMachine.jar\n    entryClass: org.apache.flink.Main\n    parallelism: 2\n",
    );
    let config = config(&render(&text));
    assert_eq!(config["execution.target"], "remote");
    assert_eq!(config["kubernetes.internal.cluster-mode"], "APPLICATION");
    assert_eq!(config["parallelism.default"], "6");
    assert_eq!(config["$internal.application.main"], "org.apache.flink.Main");
    assert_eq!(config["kubernetes.internal.taskmanager.replicas"], "3");
    assert_eq!(config["pipeline.classpaths"], "file:///flink/opt/StateMachine.jar");
    let unset = |extra: &str| {
        spec(
            "test-cluster",
            "v1_20",
            &format!(
                "  flinkConfiguration:\n    taskmanager.numberOfTaskSlots: \"2\"\n{extra}{RESOURCES}  job:\n    jarURI: local:///x.jar\n    parallelism: 10\n"
            ),
        )
    };
    assert_eq!(config_of(&unset(""))["kubernetes.internal.taskmanager.replicas"], "5");
    assert_eq!(
        config_of(&unset("    pipeline.jobvertex-parallelism-overrides: vertex1:10,vertex2:20\n"))["kubernetes.internal.taskmanager.replicas"],
        "10"
    );
}

fn config_of(text: &str) -> BTreeMap<String, String> {
    config(&render(text))
}

#[test]
fn fact23_standalone_session_spec() {
    let text = spec(
        "test-cluster",
        "v1_20",
        "  jobManager:\n    resource: {cpu: 1.0, memory: \"2048m\"}\n  taskManager:\n    replicas: 5\n    resource: {cpu: 1.0, memory: \"2048m\"}\n",
    );
    let objects = render(&text);
    let config = config(&objects);
    assert_eq!(config["execution.target"], "remote");
    assert_eq!(config["kubernetes.internal.cluster-mode"], "SESSION");
    assert_eq!(config["kubernetes.internal.taskmanager.replicas"], "5");
    assert_eq!(find(&objects, "Deployment", "test-cluster-taskmanager")["spec"]["replicas"], 5);
}

#[test]
fn fact24_parallelism_overrides_apply_in_standalone() {
    let text = spec(
        "test-cluster",
        "v1_20",
        &format!(
            "  flinkConfiguration:\n    pipeline.jobvertex-parallelism-overrides: v1:10,v2:20\n{RESOURCES}  job:\n    jarURI: local:///x.jar\n    parallelism: 5\n"
        ),
    );
    assert_eq!(config_of(&text)["parallelism.default"], "20");
}

#[test]
fn fact25_namespace_and_cluster_id() {
    let config = config_of(&spec("test-cluster", "v1_20", RESOURCES));
    assert_eq!(config["kubernetes.namespace"], "flink-operator-test");
    assert_eq!(config["kubernetes.cluster-id"], "test-cluster");
    assert_eq!(config["jobmanager.rpc.address"], "test-cluster.flink-operator-test");
}

#[test]
fn fact26_number_of_taskmanagers() {
    for (parallelism, slots, expected) in [(2, 1, "2"), (2, 3, "1"), (7, 2, "4")] {
        let text = spec(
            "test-cluster",
            "v1_20",
            &format!(
                "  flinkConfiguration:\n    taskmanager.numberOfTaskSlots: \"{slots}\"\n{RESOURCES}  job:\n    jarURI: local:///x.jar\n    parallelism: {parallelism}\n"
            ),
        );
        assert_eq!(
            config_of(&text)["kubernetes.internal.taskmanager.replicas"],
            expected,
            "P={parallelism} slots={slots}"
        );
    }
}

#[test]
fn fact31_standalone_jobmanager_objects() {
    let text = spec(
        "test-cluster",
        "v1_20",
        &format!(
            "  flinkConfiguration:\n    kubernetes.jobmanager.labels: team:data\n  podTemplate:\n    spec:\n      containers:\n      - name: flink-main-container\n        env: [{{name: TEMPLATE_ENV, value: x}}]\n        ports: [{{name: metrics, containerPort: 9249}}]\n{RESOURCES}{JOB}"
        ),
    );
    let objects = render(&text);
    let jm = find(&objects, "Deployment", "test-cluster");
    assert_eq!(
        jm["metadata"]["labels"],
        json!({"app": "test-cluster", "component": "jobmanager", "type": "flink-standalone-kubernetes", "team": "data"})
    );
    assert_eq!(jm["spec"]["replicas"], 1);
    assert_eq!(container_names(jm), ["flink-main-container"]);
    let main = main_container(jm);
    assert_eq!(main["image"], "flink:latest");
    let env: Vec<String> = upstream_env(main).iter().map(|e| e["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(env, ["TEMPLATE_ENV", "_POD_IP_ADDRESS"]);
    let ports: Vec<(&str, i64)> = main["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["containerPort"].as_i64().unwrap()))
        .collect();
    assert_eq!(ports, [("metrics", 9249), ("rest", 8081), ("jobmanager-rpc", 6123), ("blobserver", 6124)]);
    assert_eq!(main["resources"]["requests"], json!({"cpu": "1.0", "memory": "2048Mi"}));
    let internal = find(&objects, "Service", "test-cluster");
    assert_eq!(internal["metadata"]["labels"].as_object().unwrap().len(), 2);
    assert!(internal["spec"].get("type").is_none());
    assert_eq!(internal["spec"]["clusterIP"], "None");
    assert_eq!(internal["spec"]["ports"].as_array().unwrap().len(), 2);
    assert_eq!(internal["spec"]["selector"].as_object().unwrap().len(), 3);
    let rest = find(&objects, "Service", "test-cluster-rest");
    assert_eq!(rest["metadata"]["labels"].as_object().unwrap().len(), 2);
    assert_eq!(rest["spec"]["type"], "ClusterIP");
    assert_eq!(rest["spec"]["ports"].as_array().unwrap().len(), 1);
    assert_eq!(rest["spec"]["selector"].as_object().unwrap().len(), 3);
    let config_map = find(&objects, "ConfigMap", "flink-config-test-cluster");
    assert_eq!(config_map["metadata"]["labels"].as_object().unwrap().len(), 2);
}

#[test]
fn fact32_standalone_taskmanager_objects() {
    let text = spec(
        "test-cluster",
        "v1_20",
        &format!(
            "  flinkConfiguration:\n    kubernetes.taskmanager.labels: team:data\n  podTemplate:\n    metadata:\n      labels: {{from-template: x}}\n    spec:\n      containers:\n      - name: flink-main-container\n        env: [{{name: TEMPLATE_ENV, value: x}}]\n  jobManager:\n    resource: {{cpu: 1.0, memory: \"1024m\"}}\n  taskManager:\n    resource: {{cpu: 4.0, memory: \"2048m\"}}\n{JOB}"
        ),
    );
    let objects = render(&text);
    let tm = find(&objects, "Deployment", "test-cluster-taskmanager");
    assert_eq!(
        tm["metadata"]["labels"],
        json!({"app": "test-cluster", "component": "taskmanager", "type": "flink-standalone-kubernetes", "team": "data"})
    );
    assert_eq!(tm["spec"]["template"]["metadata"]["labels"]["from-template"], "x");
    let main = main_container(tm);
    assert_eq!(
        upstream_env(main),
        [json!({"name": "TEMPLATE_ENV", "value": "x"})],
        "no _POD_IP_ADDRESS on TaskManagers"
    );
    assert_eq!(main["ports"], json!([{"containerPort": 6122, "name": "taskmanager-rpc", "protocol": "TCP"}]));
    assert_eq!(main["resources"]["requests"], json!({"cpu": "4.0", "memory": "2048Mi"}));
    assert_eq!(main["args"], json!(["taskmanager"]));
}

/// Upstream's args with flink-render's `--job-id ID` pair removed.
fn args_without_job_id(objects: &[Value]) -> Vec<String> {
    let args: Vec<String> = main_container(find(objects, "Deployment", "test-cluster"))["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    match args.iter().position(|arg| arg == "--job-id") {
        Some(index) => {
            assert_eq!(args[index + 1].len(), 32);
            args.iter()
                .enumerate()
                .filter(|(i, _)| *i != index && *i != index + 1)
                .map(|(_, arg)| arg.clone())
                .collect()
        }
        None => args,
    }
}

#[test]
fn fact33_jobmanager_command_and_args() {
    let session = render(&spec("test-cluster", "v1_20", RESOURCES));
    assert_eq!(
        main_container(find(&session, "Deployment", "test-cluster"))["command"],
        json!(["/docker-entrypoint.sh"])
    );
    assert_eq!(args_without_job_id(&session), ["jobmanager"]);
    let session_ha = render(&spec("test-cluster", "v1_20", &format!("{HA}{RESOURCES}")));
    assert_eq!(args_without_job_id(&session_ha), ["jobmanager", "-D", "jobmanager.rpc.address=$(_POD_IP_ADDRESS)"]);
    let application = render(&spec(
        "test-cluster",
        "v1_20",
        &format!(
            "{RESOURCES}  job:\n    jarURI: local:///x.jar\n    parallelism: 1\n    entryClass: X\n    allowNonRestoredState: true\n    initialSavepointPath: file:///savepoint/path\n"
        ),
    ));
    // `--fromSavepoint` comes from the hand-over at start (DESIGN §5): on a first start the init
    // container hands over `initialSavepointPath` and the start wrapper puts it after the mode, so
    // the entrypoint runs `standalone-job --fromSavepoint <path> --job-classname X …`
    assert_eq!(
        args_without_job_id(&application),
        ["standalone-job", "--job-classname", "X", "--allowNonRestoredState"]
    );
    let jobmanager = find(&application, "Deployment", "test-cluster");
    let handoff = &jobmanager["spec"]["template"]["spec"]["initContainers"][0];
    let initial = handoff["env"].as_array().unwrap().iter().find(|env| env["name"] == "INITIAL_SAVEPOINT").unwrap();
    assert_eq!(initial["value"], "file:///savepoint/path");
    assert_eq!(main_container(jobmanager)["command"][4], "/docker-entrypoint.sh");
    let application_ha = render(&spec(
        "test-cluster",
        "v1_20",
        &format!(
            "{HA}{RESOURCES}  job:\n    jarURI: local:///x.jar\n    parallelism: 1\n    args: [\"--test\", \"123\"]\n"
        ),
    ));
    assert_eq!(
        args_without_job_id(&application_ha),
        ["standalone-job", "-D", "jobmanager.rpc.address=$(_POD_IP_ADDRESS)", "--test", "123"]
    );
}

fn has_user_lib(objects: &[Value]) -> bool {
    let jm = find(objects, "Deployment", "test-cluster");
    let volume = jm["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["name"] == "user-lib-dir" && v["emptyDir"] == json!({}));
    let mount = main_container(jm)["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["name"] == "user-lib-dir" && m["mountPath"] == "/opt/flink/usrlib");
    assert_eq!(volume, mount);
    volume
}

#[test]
fn fact34_user_lib_mount() {
    assert!(has_user_lib(&render(&spec("test-cluster", "v1_20", &format!("{RESOURCES}{JOB}")))));
    assert!(!has_user_lib(&render(&spec("test-cluster", "v1_20", RESOURCES))), "session mode");
    let mounted = spec(
        "test-cluster",
        "v1_20",
        &format!(
            "  podTemplate:\n    spec:\n      containers:\n      - name: flink-main-container\n        volumeMounts: [{{name: jars, mountPath: /opt/flink/usrlib}}]\n      volumes: [{{name: jars, emptyDir: {{}}}}]\n{RESOURCES}{JOB}"
        ),
    );
    assert!(!has_user_lib(&render(&mounted)), "an existing /opt/flink/usrlib mount");
}

#[test]
fn fact35_fixed_ports_and_containerized_env() {
    let text = spec(
        "test-cluster",
        "v1_20",
        &format!(
            "  flinkConfiguration:\n    blob.server.port: \"0\"\n    taskmanager.rpc.port: \"0\"\n    rest.bind-port: \"0\"\n    containerized.master.env.USER_ENV: jm\n    containerized.taskmanager.env.USER_ENV: tm\n{RESOURCES}{JOB}"
        ),
    );
    let objects = render(&text);
    let config = config(&objects);
    assert_eq!(config["blob.server.port"], "6124");
    assert_eq!(config["taskmanager.rpc.port"], "6122");
    assert_eq!(config["rest.bind-port"], "8081");
    let jm_env = upstream_env(main_container(find(&objects, "Deployment", "test-cluster")));
    assert!(jm_env.contains(&json!({"name": "USER_ENV", "value": "jm"})));
    let tm_env = upstream_env(main_container(find(&objects, "Deployment", "test-cluster-taskmanager")));
    assert_eq!(tm_env, [json!({"name": "USER_ENV", "value": "tm"})]);
    assert_eq!(find(&objects, "Service", "test-cluster-rest")["spec"]["ports"][0]["port"], 8081);
}

#[test]
fn fact36_validator_rules() {
    let name = spec("session-cluster-1.13", "v1_20", RESOURCES);
    assert!(errors(&name)[0].starts_with("The FlinkDeployment name: session-cluster-1.13 is invalid"));
    let zero =
        spec("test-cluster", "v1_20", &format!("{RESOURCES}  job:\n    jarURI: local:///x.jar\n    parallelism: 0\n"));
    assert_eq!(errors(&zero), ["Job parallelism must be larger than 0"]);
    let tm_zero = spec(
        "test-cluster",
        "v1_20",
        "  jobManager:\n    resource: {cpu: 1.0, memory: \"2048m\"}\n  taskManager:\n    replicas: 0\n    resource: {cpu: 1.0, memory: \"2048m\"}\n",
    );
    assert_eq!(errors(&tm_zero), ["TaskManager replicas must be larger than 0"]);
    let tm_one = spec(
        "test-cluster",
        "v1_20",
        "  jobManager:\n    resource: {cpu: 1.0, memory: \"2048m\"}\n  taskManager:\n    replicas: 1\n    resource: {cpu: 1.0, memory: \"2048m\"}\n  job:\n    jarURI: local:///x.jar\n    parallelism: 0\n",
    );
    assert!(errors(&tm_one).is_empty());
    let standby = spec(
        "test-cluster",
        "v1_20",
        "  jobManager:\n    replicas: 2\n    resource: {cpu: 1.0, memory: \"2048m\"}\n  taskManager:\n    resource: {cpu: 1.0, memory: \"2048m\"}\n",
    );
    assert_eq!(errors(&standby), ["High availability should be enabled when starting standby JobManagers."]);
    let forbidden =
        spec("test-cluster", "v1_20", &format!("  flinkConfiguration:\n    kubernetes.namespace: other\n{RESOURCES}"));
    assert_eq!(errors(&forbidden), ["Forbidden Flink config key: kubernetes.namespace"]);
    let log = spec("test-cluster", "v1_20", &format!("  logConfiguration:\n    random: x\n{RESOURCES}"));
    assert!(errors(&log)[0].starts_with("Invalid log config key: random"));
    let ingress =
        spec("test-cluster", "v1_20", &format!("  ingress:\n    template: \"example.com:port\"\n{RESOURCES}"));
    assert!(errors(&ingress)[0].starts_with("Unable to process the Ingress template(example.com:port). Error: "));
    let no_version = spec("test-cluster", "v1_20", RESOURCES).replace("  flinkVersion: v1_20\n", "");
    assert_eq!(errors(&no_version), ["Flink Version must be defined."]);
    let no_account = spec("test-cluster", "v1_20", RESOURCES).replace("  serviceAccount: flink-operator\n", "");
    assert!(errors(&no_account)[0].starts_with("spec.serviceAccount must be defined."));
    for version in ["v1_15", "v1_18", "v1_19"] {
        assert!(errors(&spec("test-cluster", version, RESOURCES)).is_empty(), "{version}");
    }
}

#[test]
fn fact37_validator_memory_rules() {
    let tm = |resource: &str| {
        spec(
            "test-cluster",
            "v1_20",
            &format!("  jobManager:\n    resource: {{cpu: 1.0, memory: \"2048m\"}}\n  taskManager:\n{resource}"),
        )
    };
    for memory in ["1G", "1Gi"] {
        assert!(errors(&tm(&format!("    resource: {{cpu: 1.0, memory: \"{memory}\"}}\n"))).is_empty(), "{memory}");
    }
    assert!(
        errors(&tm("    resource: {cpu: 1.0, memory: \"invalid\"}\n"))[0]
            .starts_with("TaskManager resource memory parse error")
    );
    let cpu_zero = errors(&tm("    resources:\n      requests: {memory: 2Gi, cpu: 0}\n"));
    assert!(cpu_zero[0].contains("requests cpu must be positive"), "{cpu_zero:?}");
    let negative_storage =
        errors(&tm("    resources:\n      requests: {memory: 2Gi, cpu: 1, ephemeral-storage: -5Gi}\n"));
    assert!(negative_storage[0].contains("ephemeral-storage must not be negative"), "{negative_storage:?}");
    let negative_memory = errors(&tm("    resources:\n      requests: {memory: -2Gi, cpu: 1}\n"));
    assert!(negative_memory[0].contains("memory parse error"), "{negative_memory:?}");
    let over_limit =
        errors(&tm("    resources:\n      requests: {memory: 4Gi, cpu: 1}\n      limits: {memory: 2Gi, cpu: 1}\n"));
    assert!(over_limit[0].contains("memory request (4Gi) must not exceed its limit (2Gi)"), "{over_limit:?}");
    let bad_storage = errors(&tm("    resource: {cpu: 1.0, memory: \"2048m\", ephemeralStorage: abc}\n"));
    assert!(bad_storage[0].ends_with("ephemeral storage parse error: Character a is neither a decimal digit number, decimal point, nor \"e\" notation exponential mark."), "{bad_storage:?}");
}

#[test]
fn fact40_ingress_urls() {
    let ingress = |template: &str| {
        let text = spec("basic-ingress", "v1_20", &format!("  ingress:\n    template: \"{template}\"\n{RESOURCES}"))
            .replace("flink-operator-test", "default");
        render(&text).into_iter().find(|object| object["kind"] == "Ingress").expect("an Ingress")["spec"]["rules"][0]
            .clone()
    };
    let both = ingress("flink.k8s.io/{{namespace}}/{{name}}");
    assert_eq!(both["host"], "flink.k8s.io");
    assert_eq!(both["http"]["paths"][0]["path"], "/default/basic-ingress");
    let path_only = ingress("/{{namespace}}/{{name}}(/|$)(.*)");
    assert!(path_only.get("host").is_none());
    assert_eq!(path_only["http"]["paths"][0]["path"], "/default/basic-ingress(/|$)(.*)");
    let host_only = ingress("{{name}}.{{namespace}}.flink.k8s.io");
    assert_eq!(host_only["host"], "basic-ingress.default.flink.k8s.io");
    assert!(host_only["http"]["paths"][0].get("path").is_none());
    assert_eq!(
        host_only["http"]["paths"][0]["backend"]["service"],
        json!({"name": "basic-ingress-rest", "port": {"number": 8081}})
    );
}

#[test]
fn resource_claims_reach_the_main_container() {
    let text = spec(
        "test-cluster",
        "v1_20",
        "  jobManager:\n    resource: {cpu: 1.0, memory: \"2048m\"}\n  taskManager:\n    resources:\n      requests: {memory: 2Gi, cpu: 1}\n      claims: [{name: gpu}]\n",
    );
    let objects = render(&text);
    let tm = main_container(find(&objects, "Deployment", "test-cluster-taskmanager"));
    assert_eq!(tm["resources"]["claims"], json!([{"name": "gpu"}]));
    assert_eq!(tm["resources"]["requests"]["memory"], "2048Mi");
}
