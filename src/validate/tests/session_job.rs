//! The FlinkSessionJob rules, each against a session cluster in the same compile.

use crate::diagnostics::{Code, Diagnostic};
use crate::effective::helm::HelmHooks;
use crate::effective::operator::{ALLOWED_SCHEMES_KEY, DISALLOW_RESTRICTED_HOSTS_KEY, JarUriPolicy, jar_uri_policy};
use crate::parse::defaults::OperatorDefaults;
use crate::{Input, Options, compile};

/// The findings about the session job in `text`, checked against the FlinkDeployments in
/// it (what the FlinkDeployments' own rules say is left out).
fn check(text: &str) -> Vec<Diagnostic> {
    let compiled = compile(&[Input { name: "test.yaml", text }], &Options::default());
    let first_deployment = text.find("kind: FlinkDeployment").map_or(u32::MAX, |at| text[..at].lines().count() as u32);
    compiled
        .diagnostics
        .into_iter()
        .filter(|d| d.code != Code::SessionClusterMissing && (d.line < first_deployment || d.line == 0))
        .collect()
}

fn messages(text: &str) -> Vec<String> {
    check(text).into_iter().map(|diagnostic| diagnostic.message).collect()
}

const HEAD: &str = "apiVersion: flink.apache.org/v1beta1\nkind: FlinkSessionJob\nmetadata:\n  name: job\n";

fn job(spec: &str) -> String {
    format!("{HEAD}spec:\n{spec}")
}

const SESSION: &str = "---\napiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata:\n  name: session\nspec:\n  flinkVersion: v1_20\n";

#[test]
fn a_valid_session_job_passes() {
    assert!(
        check(&job("  deploymentName: session\n  job:\n    jarURI: https://example.com/job.jar\n    parallelism: 2\n"))
            .is_empty()
    );
}

/// FO §6 session jobs: `deploymentName` follows rule 1's name regex (fact 36's name).
#[test]
fn session_job_deployment_name_follows_the_cluster_id_rule() {
    let found = messages(&job("  deploymentName: session-cluster-1.13\n  job:\n    parallelism: 1\n"));
    assert_eq!(found.len(), 1);
    assert!(found[0].starts_with("The FlinkDeployment name: session-cluster-1.13 is invalid"));
}

#[test]
fn session_job_needs_a_deployment_name() {
    let found = check(&job("  job:\n    parallelism: 1\n"));
    assert_eq!(found[0].path, "spec.deploymentName");
}

/// FO §6 session jobs: "The job spec should not be empty".
#[test]
fn session_job_needs_a_job() {
    assert_eq!(messages(&job("  deploymentName: session\n")), ["The job spec should not be empty"]);
}

/// FO §9 fact 38 through the whole rule: the message points at `jarURI`.
#[test]
fn fo9_fact38_session_job_jar_uri_is_checked() {
    let found = check(&job("  deploymentName: session\n  job:\n    jarURI: s3://bucket/job.jar\n    parallelism: 1\n"));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].path, "spec.job.jarURI");
    assert_eq!(found[0].line, 8);
    assert!(found[0].message.starts_with("jarURI scheme 's3' is not in the allowlist [https]"));
}

#[test]
fn the_allowlist_comes_from_the_operator_defaults() {
    let defaults = OperatorDefaults::parse(&format!(
        "{ALLOWED_SCHEMES_KEY}: https;s3\n{DISALLOW_RESTRICTED_HOSTS_KEY}: \"false\"\n"
    ))
    .unwrap();
    let policy = jar_uri_policy(&defaults);
    assert_eq!(policy.allowed_schemes, ["https", "s3"]);
    assert!(!policy.disallow_restricted_hosts);
    assert_eq!(jar_uri_policy(OperatorDefaults::builtin()), JarUriPolicy::default());
}

/// FO §6 rules 16–17 with TaskManager replicas absent: parallelism 0 or unset fails.
#[test]
fn session_job_rule17_parallelism_must_be_positive() {
    assert_eq!(
        messages(&job("  deploymentName: session\n  job:\n    parallelism: 0\n")),
        ["Job parallelism must be larger than 0"]
    );
    assert_eq!(
        messages(&job("  deploymentName: session\n  job:\n    entryClass: A\n")),
        ["Job parallelism must be larger than 0"]
    );
}

/// FO §6 session jobs: "Can not submit session job to application cluster".
#[test]
fn session_job_on_an_application_cluster_is_rejected() {
    let text = format!(
        "{}{SESSION}  job:\n    jarURI: local:///x.jar\n",
        job("  deploymentName: session\n  job:\n    parallelism: 1\n")
    );
    assert_eq!(messages(&text), ["Can not submit session job to application cluster"]);
}

/// FO §6 rules 11–12 for session jobs, over the cluster's configuration plus the job's.
#[test]
fn session_job_rule11_and_rule12_use_cluster_and_job_configuration() {
    let spec = "  deploymentName: session\n  job:\n    parallelism: 1\n    upgradeMode: savepoint\n";
    let missing = messages(&format!("{}{SESSION}", job(spec)));
    assert_eq!(
        missing,
        [
            "Checkpoint directory[execution.checkpointing.dir] must be defined for last-state and savepoint upgrade modes",
            "Job could not be upgraded with savepoint while config key[execution.checkpointing.savepoint-dir] is not set",
        ]
    );
    let cluster_sets_them = format!(
        "{}{SESSION}  flinkConfiguration:\n    state.checkpoints.dir: s3://b/c\n",
        job(&format!("{spec}  flinkConfiguration:\n    execution.checkpointing.savepoint-dir: s3://b/s\n"))
    );
    assert!(check(&cluster_sets_them).is_empty());
    assert!(check(&job(spec)).is_empty(), "without the cluster, its configuration is unknown");
}

/// FO §6 rule 33 for session jobs.
#[test]
fn session_job_rule33_autoscaler_options() {
    let text = format!(
        "{}{SESSION}",
        job(
            "  deploymentName: session\n  job:\n    parallelism: 1\n  flinkConfiguration:\n    job.autoscaler.enabled: \"true\"\n    job.autoscaler.utilization.target: \"2\"\n"
        )
    );
    assert_eq!(
        messages(&text),
        [
            "The AutoScalerOption job.autoscaler.utilization.target is invalid, it should be a value within the range [0.0, 1.0]"
        ]
    );
}

#[test]
fn session_cluster_must_be_among_the_inputs() {
    let text =
        job("  deploymentName: elsewhere\n  job:\n    jarURI: https://example.com/job.jar\n    parallelism: 1\n");
    let compiled = compile(&[Input { name: "test.yaml", text: &text }], &Options::default());
    let codes: Vec<Code> = compiled.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::SessionClusterMissing]);
}

/// A reference input (`--reference`) holds the session cluster: the job finds it and renders
/// its submit Job; nothing of the cluster is rendered, its warnings are its own application's
/// business, and its errors are still reported, under the reference's name.
#[test]
fn session_cluster_from_a_reference_is_found_but_not_rendered() {
    let text = job("  deploymentName: session\n  job:\n    jarURI: https://example.com/job.jar\n    parallelism: 1\n");
    let cluster = "apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata:\n  name: session\nspec:\n  image: flink:1.20\n  serviceAccount: flink\n  flinkVersion: v1_20\n  jobManager:\n    resource: {memory: 2048m, cpu: 1}\n  taskManager:\n    resource: {memory: 2048m, cpu: 1}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ignored\n";
    let references = [Input { name: "cluster.yaml", text: cluster }];
    let options = Options { references: &references, ..Options::default() };
    let compiled = compile(&[Input { name: "job.yaml", text: &text }], &options);
    assert!(compiled.diagnostics.is_empty(), "{:?}", compiled.diagnostics);
    let kinds: Vec<&str> = compiled.objects.iter().filter_map(|o| o["kind"].as_str()).collect();
    assert!(kinds.contains(&"Job"), "{kinds:?}");
    assert!(!kinds.contains(&"Deployment"), "{kinds:?}");
    let config_maps: Vec<&str> = compiled
        .objects
        .iter()
        .filter(|o| o["kind"] == "ConfigMap")
        .filter_map(|o| o["metadata"]["name"].as_str())
        .collect();
    assert!(
        config_maps.len() == 1 && config_maps[0].starts_with("job-scripts-"),
        "only the session job's scripts: {config_maps:?}"
    );
    assert!(compiled.memory.is_empty(), "a reference has no memory report");

    let broken = cluster.replace("memory: 2048m, cpu: 1}\n  taskManager", "memory: 2048x, cpu: 1}\n  taskManager");
    let references = [Input { name: "cluster.yaml", text: &broken }];
    let options = Options { references: &references, ..Options::default() };
    let compiled = compile(&[Input { name: "job.yaml", text: &text }], &options);
    let errors: Vec<(&str, Code)> = compiled.diagnostics.iter().map(|d| (d.source.as_str(), d.code)).collect();
    assert_eq!(errors, [("cluster.yaml", Code::InvalidMemory)]);
    assert!(compiled.objects.is_empty());
}

/// Ours, `stop_on_delete_runs_as_a_hook`: Helm 3 creates what its post-renderer returns as plain
/// resources, so a `pre-delete` stop Job would run at install; an error at the annotation, for
/// the option and for stdin that looks like Helm 3's, and nothing otherwise.
#[test]
fn stop_on_delete_runs_as_a_hook() {
    let cluster = "apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata:\n  name: session\nspec:\n  image: flink:1.20\n  mode: standalone\n  serviceAccount: flink\n  flinkVersion: v1_20\n  jobManager:\n    resource: {memory: 2048m, cpu: 1}\n  taskManager:\n    resource: {memory: 2048m, cpu: 1}\n---\n";
    let text = format!(
        "{cluster}{}",
        job("  deploymentName: session\n  job:\n    jarURI: https://example.com/job.jar\n    parallelism: 1\n")
            .replace("  name: job\n", "  name: job\n  annotations:\n    flink-render.dev/stop-on-delete: enabled\n")
    );
    let run =
        |helm_hooks| compile(&[Input { name: "job.yaml", text: &text }], &Options { helm_hooks, ..Options::default() });
    let stop_jobs = |objects: &[serde_json::Value]| {
        objects.iter().filter(|o| o["metadata"]["name"].as_str().is_some_and(|n| n.starts_with("job-stop-"))).count()
    };
    assert_eq!(stop_jobs(&run(HelmHooks::Run).objects), 1);
    for helm_hooks in [HelmHooks::Ignored, HelmHooks::ProbablyIgnored] {
        let compiled = run(helm_hooks);
        let found: Vec<(Code, &str, u32)> =
            compiled.diagnostics.iter().map(|d| (d.code, d.path.as_str(), d.line)).collect();
        assert_eq!(
            found,
            [(Code::StopOnDeleteUnderHelm3, "metadata.annotations.flink-render.dev/stop-on-delete", 20)],
            "{helm_hooks:?}"
        );
        let hint = compiled.diagnostics.iter().next().and_then(|d| d.hint.clone()).unwrap_or_default();
        assert!(hint.contains("Helm 4's post-renderer plugin") && hint.contains("templates/"), "{hint}");
        assert_eq!(hint.contains("--helm-post-renderer none"), helm_hooks == HelmHooks::ProbablyIgnored, "{hint}");
        assert!(compiled.objects.is_empty());
    }
}

/// Under Helm 3's post-renderer the submit and savepoint Jobs are plain Jobs: no `helm.sh/`
/// annotation (Argo CD's stay), the same names, and nothing else changes.
#[test]
fn helm_3_lifecycle_jobs_carry_no_helm_hook() {
    let cluster = "apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata:\n  name: session\nspec:\n  image: flink:1.20\n  mode: standalone\n  serviceAccount: flink\n  flinkVersion: v1_20\n  flinkConfiguration:\n    execution.checkpointing.savepoint-dir: file:///savepoints\n  jobManager:\n    resource: {memory: 2048m, cpu: 1}\n  taskManager:\n    resource: {memory: 2048m, cpu: 1}\n---\n";
    let text = format!(
        "{cluster}{}",
        job(
            "  deploymentName: session\n  job:\n    jarURI: https://example.com/job.jar\n    parallelism: 1\n    savepointTriggerNonce: 4\n"
        )
    );
    let run =
        |helm_hooks| compile(&[Input { name: "job.yaml", text: &text }], &Options { helm_hooks, ..Options::default() });
    let (hooks, plain) = (run(HelmHooks::Run).objects, run(HelmHooks::Ignored).objects);
    let jobs = |objects: &[serde_json::Value]| -> Vec<serde_json::Value> {
        objects.iter().filter(|o| o["kind"] == "Job").cloned().collect()
    };
    assert_eq!(jobs(&plain).len(), 2, "a submit and a savepoint Job");
    for (mut hook, plain) in jobs(&hooks).into_iter().zip(jobs(&plain)) {
        let annotations = hook["metadata"]["annotations"].as_object_mut().expect("annotations");
        assert!(annotations.keys().any(|key| key.starts_with("helm.sh/")));
        annotations.retain(|key, _| !key.starts_with("helm.sh/"));
        assert_eq!(hook, plain);
        assert_eq!(plain["metadata"]["annotations"]["argocd.argoproj.io/hook"], "PostSync");
    }
    assert_eq!(hooks.len(), plain.len());
}
