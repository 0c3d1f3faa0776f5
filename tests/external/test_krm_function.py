"""`flink-render krm` under the real KRM runners: Debian's kustomize (with --enable-exec) and kpt.

kustomize builds every overlay in examples/kustomize. kpt runs the function on the example
Argo CD app directory, both to stdout and in place. The function is found the way the examples
declare it: `exec.path: flink-render-krm`, a symlink to the binary on PATH. kustomize 5.8's
`exec.args` form is checked too. scripts/test.sh installs kustomize; kpt comes with the machine
image. A missing tool is a failure, not a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from conftest import REPO, describe, load_output_docs, run_flink_render

EXAMPLES = REPO / "examples" / "kustomize"
ARGOCD_GOOD = REPO / "examples" / "argocd" / "good"
TOOL_TIMEOUT_S = 120

# Annotations kustomize and kpt use while a function runs; none may survive into a build.
ORCHESTRATOR_PREFIXES = ("config.kubernetes.io/", "internal.config.kubernetes.io/", "config.k8s.io/",
                         "kustomize.config.k8s.io/")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        pytest.fail(f"`{name}` not on PATH: run scripts/test.sh (or source its env.sh), which installs kustomize; kpt comes with the machine image")
    return path


@pytest.fixture(scope="module")
def function_path(flink_render_bin, tmp_path_factory) -> dict[str, str]:
    """An environment whose PATH has flink-render and flink-render-krm (both the binary under test)."""
    bin_dir = tmp_path_factory.mktemp("krm-bin")
    (bin_dir / "flink-render-krm").symlink_to(flink_render_bin)
    (bin_dir / "flink-render").symlink_to(flink_render_bin)
    return dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


@pytest.fixture(scope="module")
def kustomize() -> str:
    path = _tool("kustomize")
    help_text = subprocess.run([path, "build", "--help"], capture_output=True, text=True, timeout=TOOL_TIMEOUT_S).stdout
    assert "--enable-exec" in help_text, f"{path} has no --enable-exec: it cannot run exec KRM functions"
    return path


def kustomize_build(kustomize: str, directory: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    started = time.monotonic()
    proc = subprocess.run(
        [kustomize, "build", "--enable-alpha-plugins", "--enable-exec", str(directory)],
        capture_output=True, text=True, env=env, timeout=TOOL_TIMEOUT_S, stdin=subprocess.DEVNULL,
    )
    proc.seconds = time.monotonic() - started
    return proc


def by_id(objects: list[dict]) -> dict[tuple, dict]:
    out = {}
    for obj in objects:
        key = (obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"])
        assert key not in out, f"{key} twice"
        out[key] = obj
    return out


def rendered(args: list[str]) -> dict[tuple, dict]:
    proc = run_flink_render(["render", *args])
    assert proc.returncode == 0, describe(proc)
    return by_id(load_output_docs(proc.stdout))


def assert_no_orchestrator_annotations(objects):
    for obj in objects:
        for key in (obj["metadata"].get("annotations") or {}):
            assert not key.startswith(ORCHESTRATOR_PREFIXES), f"{obj['kind']} {obj['metadata']['name']} kept {key}"


def test_generator_renders_the_flinkdeployment_like_render_does(kustomize, function_path):
    proc = kustomize_build(kustomize, EXAMPLES / "generator", function_path)
    assert proc.returncode == 0, describe(proc)
    objects = load_output_docs(proc.stdout)
    assert_no_orchestrator_annotations(objects)
    # kustomize reorders objects and keys, but every object is the one `render` emits.
    assert by_id(objects) == rendered([str(EXAMPLES / "generator" / "flinkdeployment.yaml")])
    # native (the spec has no `mode`): the JobManager's Role and RoleBinding (its subject names no
    # namespace: the binding's own), no TaskManager Deployment
    assert {o["kind"] for o in objects} == {"ServiceAccount", "ConfigMap", "Service", "Deployment", "Role",
                                            "RoleBinding"}


def test_generator_through_exec_args(kustomize, function_path, tmp_path):
    """kustomize >= 5.7 can pass `exec.args`: `path: flink-render, args: [krm]` works the same."""
    work = tmp_path / "generator"
    shutil.copytree(EXAMPLES / "generator", work)
    spec = work / "flinkdeployment.yaml"
    spec.write_text(
        spec.read_text().replace("path: flink-render-krm", "path: flink-render\n        args: [krm]"), encoding="utf-8"
    )
    via_args = kustomize_build(kustomize, work, function_path)
    assert via_args.returncode == 0, describe(via_args)
    via_symlink = kustomize_build(kustomize, EXAMPLES / "generator", function_path)
    assert via_args.stdout == via_symlink.stdout


def test_transformer_replaces_flink_resources_and_keeps_the_rest(kustomize, function_path, tmp_path):
    directory = EXAMPLES / "transformer"
    proc = kustomize_build(kustomize, directory, function_path)
    assert proc.returncode == 0, describe(proc)
    objects = by_id(load_output_docs(proc.stdout))
    assert_no_orchestrator_annotations(objects.values())
    # The ServiceAccount comes out exactly as it went in.
    service_account = yaml.safe_load((directory / "serviceaccount.yaml").read_text())
    assert objects.pop(("ServiceAccount", "streaming", "flink")) == service_account
    # The FlinkDeployment is replaced by what `render` makes of it with the config's settings.
    config = yaml.safe_load((directory / "flink-render.yaml").read_text())
    defaults = tmp_path / "defaults.yaml"
    defaults.write_text(yaml.safe_dump(config["spec"]["defaults"]), encoding="utf-8")
    expected = rendered([str(directory / "flinkdeployment.yaml"), "--namespace", config["spec"]["namespace"],
                         "--defaults", str(defaults)])
    # `render` of the spec alone renders that ServiceAccount too; the kept one stands instead.
    expected.pop(("ServiceAccount", "streaming", "flink"))
    assert objects == expected
    config_map = objects[("ConfigMap", "streaming", "flink-config-sessions")]
    assert yaml.safe_load(config_map["data"]["config.yaml"])["taskmanager"]["numberOfTaskSlots"] in (4, "4")


def test_overlay_namespace_and_common_labels_reach_every_rendered_object(kustomize, function_path):
    proc = kustomize_build(kustomize, EXAMPLES / "overlay", function_path)
    assert proc.returncode == 0, describe(proc)
    objects = load_output_docs(proc.stdout)
    assert len(objects) == 9, [o["kind"] for o in objects]
    for obj in objects:
        assert obj["metadata"]["namespace"] == "clickstream-prod"
        assert obj["metadata"]["labels"]["team"] == "data-platform"
        # The ServiceAccount may serve several clusters, so it carries no cluster's `app` label.
        assert obj["kind"] == "ServiceAccount" or obj["metadata"]["labels"]["app"] == "clickstream"
    for deployment in (o for o in objects if o["kind"] == "Deployment"):
        assert deployment["spec"]["selector"]["matchLabels"]["team"] == "data-platform"
        template = deployment["spec"]["template"]["metadata"]
        assert template["labels"]["team"] == "data-platform"
        assert "flink-render/config-hash" in template["annotations"]
    for service in (o for o in objects if o["kind"] == "Service"):
        assert service["spec"]["selector"]["team"] == "data-platform"


def test_failing_spec_fails_the_build_with_our_diagnostic(kustomize, function_path):
    proc = kustomize_build(kustomize, EXAMPLES / "failing", function_path)
    assert proc.returncode != 0, describe(proc)
    assert proc.stdout == "", describe(proc)
    assert "error[unknown-field]: unknown field `jobmanager` (spec.jobmanager)" in proc.stderr, describe(proc)
    assert "did you mean `jobManager`?" in proc.stderr
    assert "couldn't execute function" in proc.stderr


def test_session_job_is_checked_against_its_cluster_in_another_file(kustomize, function_path):
    """All Flink items of a kustomization are compiled together, as on the CLI: the session
    job in one file is checked against the FlinkDeployment in another."""
    good = kustomize_build(kustomize, EXAMPLES / "session-jobs", function_path)
    assert good.returncode == 0, describe(good)
    directory = EXAMPLES / "session-jobs"
    expected = rendered([str(directory / "session-cluster.yaml"), str(directory / "session-job.yaml"),
                         "--namespace", "streaming"])
    assert by_id(load_output_docs(good.stdout)) == expected
    failing = kustomize_build(kustomize, EXAMPLES / "failing-session-job", function_path)
    assert failing.returncode != 0 and failing.stdout == "", describe(failing)
    assert "error[session-job-on-application-cluster]: Can not submit session job to application cluster" in failing.stderr
    assert "(FlinkSessionJob clickstream)" in failing.stderr, describe(failing)


def test_a_local_config_session_cluster_is_a_reference(kustomize, function_path):
    """A session cluster rendered by another application comes in from its base marked
    local-config: the session job renders against it exactly as `render --reference` does, and
    nothing of the cluster comes out (kustomize drops the local-config item itself)."""
    build = kustomize_build(kustomize, EXAMPLES / "session-jobs-elsewhere", function_path)
    assert build.returncode == 0, describe(build)
    objects = load_output_docs(build.stdout)
    assert [o["kind"] for o in objects] == ["ConfigMap", "Job"], "the session job's scripts and its submit Job"
    expected = rendered([str(EXAMPLES / "session-jobs-elsewhere" / "session-job.yaml"), "--namespace", "streaming",
                         "--reference", str(EXAMPLES / "shared-session-cluster" / "session-cluster.yaml")])
    assert by_id(objects) == expected
    base = kustomize_build(kustomize, EXAMPLES / "shared-session-cluster", function_path)
    assert base.returncode == 0 and [o["kind"] for o in load_output_docs(base.stdout)] == ["FlinkDeployment"]


def test_every_example_overlay_is_tested():
    tested = {"generator", "transformer", "overlay", "failing", "session-jobs", "failing-session-job",
              "session-jobs-elsewhere", "shared-session-cluster"}
    present = {p.name for p in EXAMPLES.iterdir() if (p / "kustomization.yaml").is_file()}
    assert present == tested


# ---------------------------------------------------------------------------------------------
# kpt
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kpt() -> str:
    path = _tool("kpt")
    version = subprocess.run([path, "version"], capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)
    assert version.returncode == 0, describe(version)
    return path


def kpt_eval(kpt: str, directory: Path, flink_render_bin: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [kpt, "fn", "eval", str(directory), "--exec", f"{flink_render_bin} krm", *extra],
        capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, stdin=subprocess.DEVNULL,
    )


def test_kpt_transformer_to_stdout_with_configmap_settings(kpt, flink_render_bin, tmp_path):
    package = tmp_path / "package"
    shutil.copytree(ARGOCD_GOOD, package)
    proc = kpt_eval(kpt, package, flink_render_bin, "-o", "stdout", "--", "namespace=streaming")
    assert proc.returncode == 0, describe(proc)
    result = yaml.safe_load(proc.stdout)
    assert result["kind"] == "ResourceList"
    items = result["items"]
    assert "FlinkDeployment" not in {i["kind"] for i in items}
    # The package's own ServiceAccount stands; the rendered one would be the same account.
    expected = {key: obj for key, obj in rendered([
        str(package / "jobs" / "clickstream.yaml"), str(package / "jobs" / "sessions.yaml"), "--namespace", "streaming",
    ]).items() if key[0] != "ServiceAccount"}
    produced = {}
    seen_positions = set()
    for item in items:
        annotations = item["metadata"].pop("annotations")
        path, index = annotations.pop("config.kubernetes.io/path"), annotations.pop("config.kubernetes.io/index")
        assert (path, index) not in seen_positions, f"two items at {path}#{index}"
        seen_positions.add((path, index))
        for key in list(annotations):
            if key.startswith(ORCHESTRATOR_PREFIXES):
                annotations.pop(key)
        if annotations:
            item["metadata"]["annotations"] = annotations
        if item["kind"] != "ServiceAccount":
            assert path in ("jobs/clickstream.yaml", "jobs/sessions.yaml"), "rendered objects stay in their spec's file"
            produced[(item["kind"], item["metadata"].get("namespace"), item["metadata"]["name"])] = item
    assert produced == expected


def test_kpt_in_place_writes_rendered_objects_into_the_specs_file(kpt, flink_render_bin, tmp_path):
    package = tmp_path / "package"
    shutil.copytree(ARGOCD_GOOD, package)
    proc = kpt_eval(kpt, package, flink_render_bin, "--", "namespace=streaming")
    assert proc.returncode == 0, describe(proc)
    written = load_output_docs((package / "jobs" / "clickstream.yaml").read_text())
    assert [o["kind"] for o in written] == ["ConfigMap", "ConfigMap", "ConfigMap", "Role", "RoleBinding", "Service",
                                            "Service", "Deployment"]
    assert_no_orchestrator_annotations(written)
    assert load_output_docs((package / "serviceaccount.yaml").read_text()) == load_output_docs(
        (ARGOCD_GOOD / "serviceaccount.yaml").read_text()
    )


def test_kpt_in_place_keeps_a_local_config_reference_as_it_is(kpt, flink_render_bin, tmp_path):
    """In a kpt package, a session cluster spec annotated local-config (so kpt never applies it)
    is a reference: the session job's file gets its submit Job, the reference's file stays as it
    was."""
    package = tmp_path / "package"
    package.mkdir()
    cluster = yaml.safe_load((EXAMPLES / "shared-session-cluster" / "session-cluster.yaml").read_text())
    cluster["metadata"]["annotations"] = {"config.kubernetes.io/local-config": "true"}
    (package / "cluster.yaml").write_text(yaml.safe_dump(cluster, sort_keys=False))
    shutil.copy(EXAMPLES / "session-jobs-elsewhere" / "session-job.yaml", package / "session-job.yaml")
    proc = kpt_eval(kpt, package, flink_render_bin, "--", "namespace=streaming")
    assert proc.returncode == 0, describe(proc)
    assert load_output_docs((package / "cluster.yaml").read_text()) == [cluster]
    written = load_output_docs((package / "session-job.yaml").read_text())
    assert [o["kind"] for o in written] == ["ConfigMap", "Job"]
    assert written[1]["spec"]["template"]["spec"]["containers"][0]["image"] == "flink:2.2"


def test_kpt_generator_from_fn_config(kpt, flink_render_bin, tmp_path):
    proc = kpt_eval(kpt, tmp_path, flink_render_bin, "--fn-config",
                    str(EXAMPLES / "generator" / "flinkdeployment.yaml"), "-o", "stdout")
    assert proc.returncode == 0, describe(proc)
    kinds = sorted(i["kind"] for i in yaml.safe_load(proc.stdout)["items"])
    assert kinds == ["ConfigMap", "ConfigMap", "ConfigMap", "Deployment", "Role", "RoleBinding", "Service", "Service",
                     "ServiceAccount"]


def test_kpt_failing_spec_fails_with_our_diagnostic(kpt, flink_render_bin, tmp_path):
    proc = kpt_eval(kpt, tmp_path, flink_render_bin, "--fn-config",
                    str(EXAMPLES / "failing" / "flinkdeployment.yaml"), "-o", "stdout",
                    "--truncate-output=false")
    assert proc.returncode != 0, describe(proc)
    assert "unknown field `jobmanager`" in proc.stderr, describe(proc)


# ---------------------------------------------------------------------------------------------
# The function's own contract, without a runner
# ---------------------------------------------------------------------------------------------


def test_json_resource_list_in_json_out():
    spec = yaml.safe_load((ARGOCD_GOOD / "jobs" / "clickstream.yaml").read_text())
    config = {"apiVersion": "flink-render.dev/v1alpha1", "kind": "FlinkRenderConfig",
              "metadata": {"name": "c"}, "spec": {"namespace": "analytics"}}
    stdin = yaml.safe_dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
                            "items": [spec], "functionConfig": config})
    proc = run_flink_render(["krm"], stdin=json.dumps(yaml.safe_load(stdin)))
    assert proc.returncode == 0, describe(proc)
    output = json.loads(proc.stdout)
    assert {i["metadata"]["namespace"] for i in output["items"]} == {"analytics"}


def test_bad_function_config_exits_1_with_nothing_on_stdout():
    stdin = yaml.safe_dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [],
                            "functionConfig": {"apiVersion": "flink-render.dev/v1alpha1", "kind": "FlinkRenderConfig",
                                               "metadata": {"name": "c"}, "spec": {"namespaces": "x"}}})
    proc = run_flink_render(["krm"], stdin=stdin)
    assert proc.returncode == 1, describe(proc)
    assert proc.stdout == ""
    assert "unknown setting `namespaces`" in proc.stderr
