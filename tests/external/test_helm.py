"""flink-render as a Helm post-renderer, with real Helm 3 (3.17.3) and Helm 4 (4.1.4) over a chart
that templates an application, a session cluster with its session job and a plain ConfigMap, with
values in the specs (tests/external/helm-chart/).

Helm 3 (`--post-renderer PATH`, one `--post-renderer-args` per argument) hands its post-renderer
only the chart's non-hook documents and creates whatever comes back as plain release resources,
so `--helm-post-renderer 3` renders the lifecycle Jobs without `helm.sh/hook` annotations and
refuses `flink-render.dev/stop-on-delete`, whose pre-delete stop Job would run at install; stdin
that looks like Helm 3's input refuses it too when nothing says where the output goes. Helm 4 runs
the post-renderer plugin of deploy/helm, hands it every document annotated with its template file,
and reads hooks from the output: the lifecycle Jobs are hooks, filed under the template of the spec
they came from.

Helm binaries: FLINK_RENDER_HELM3 and FLINK_RENDER_HELM4 (scripts/test.sh installs both); a
missing one is a failure, never a skip. Helm runs with its home directories in a temporary one.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from conftest import REPO, _find_binary, describe, run_flink_render

CHART = REPO / "tests/external/helm-chart"
PLUGIN = REPO / "deploy/helm"
RELEASE = "orders"
HELM_TIMEOUT_S = 120
KUBERNETES_VERSIONS = ["1.30.0", "1.37.0"]
HOOK = "helm.sh/hook"
TEMPLATE_FILE = "postrenderer.helm.sh/postrender-filename"


def helm_binary(variable: str) -> Path:
    path = os.environ.get(variable)
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f"{variable}={path!r} is not an executable helm (scripts/test.sh installs it)")
    return Path(path)


@pytest.fixture
def helm_env(tmp_path: Path) -> dict[str, str]:
    """Helm's homes in a temporary directory, and a `flink-render` on PATH (the plugin runs it)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "flink-render").symlink_to(_find_binary())
    env = dict(os.environ)
    for name in ("CACHE", "CONFIG", "DATA"):
        env[f"HELM_{name}_HOME"] = str(tmp_path / f"helm-{name.lower()}")
    env.pop("HELM_PLUGINS", None)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    return env


def helm(binary: Path, args: list[str], env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(binary), *args], capture_output=True, text=True, env=env, timeout=HELM_TIMEOUT_S)
    if check and proc.returncode != 0:
        pytest.fail(f"helm failed\n{describe(proc)}")
    return proc


def helm3_post_renderer(*args: str) -> list[str]:
    """Helm 3's flags that run flink-render with `args`, one `--post-renderer-args` each."""
    flags = ["--post-renderer", str(_find_binary())]
    for arg in ("render", "-", *args):
        flags += ["--post-renderer-args", arg]
    return flags


def documents(text: str) -> list[tuple[str | None, dict]]:
    """Each object of a YAML stream with the `# Source:` comment above it (None without one)."""
    found = []
    for chunk in re.split(r"^---\s*$", text, flags=re.MULTILINE):
        obj = yaml.safe_load(chunk)
        if obj is None:
            continue
        source = re.search(r"^# Source: (.+)$", chunk, flags=re.MULTILINE)
        found.append((source.group(1) if source else None, obj))
    return found


def objects(text: str) -> list[dict]:
    return [obj for _, obj in documents(text)]


def flink_render(text: str, *args: str) -> list[dict]:
    proc = run_flink_render(["render", "-", *args], stdin=text)
    assert proc.returncode == 0, describe(proc)
    return objects(proc.stdout)


def key(obj: dict) -> tuple[str, str]:
    return obj["kind"], obj["metadata"]["name"]


def annotations(obj: dict) -> dict:
    return obj["metadata"].get("annotations") or {}


def lifecycle_jobs(found: list[dict]) -> list[dict]:
    return [obj for obj in found if obj["kind"] == "Job"]


def validate_strict(found: list[dict]) -> None:
    """kubernetes-validate --strict (as test_kubernetes_validate.py) over every built-in object."""
    for obj in found:
        for version in KUBERNETES_VERSIONS:
            kubernetes_validate.validate(obj, version, strict=True)


# --- Helm 3 --------------------------------------------------------------------------------------


def test_helm_3_installs_the_specs_as_plain_objects(helm_env):
    helm3 = helm_binary("FLINK_RENDER_HELM3")
    templated = helm(helm3, ["template", RELEASE, str(CHART)], helm_env).stdout
    rendered = helm(
        helm3,
        ["template", RELEASE, str(CHART), *helm3_post_renderer("--helm-post-renderer=3", "--namespace=flink")],
        helm_env,
    ).stdout
    found = objects(rendered)
    assert found == flink_render(templated, "--helm-post-renderer", "3", "--namespace", "flink")
    kinds = {obj["kind"] for obj in found}
    assert {"ConfigMap", "Deployment", "Service", "Job"} <= kinds and not kinds & {"FlinkDeployment", "FlinkSessionJob"}
    assert {obj["metadata"]["name"] for obj in found if obj["kind"] == "ConfigMap"} >= {f"{RELEASE}-settings"}
    assert all(obj["metadata"].get("namespace") == "flink" for obj in found), "--post-renderer-args --namespace"
    jobs = lifecycle_jobs(found)
    names = sorted(job["metadata"]["name"].rsplit("-", 1)[0] for job in jobs)
    assert names == [f"{RELEASE}-app-savepoint-3", f"{RELEASE}-orders-submit"], names
    for obj in found:
        assert not any(name.startswith("helm.sh/") for name in annotations(obj)), key(obj)
    assert all(annotations(job)["argocd.argoproj.io/hook"] == "PostSync" for job in jobs)
    validate_strict(found)


def test_helm_3_values_reach_the_rendered_objects(helm_env):
    helm3 = helm_binary("FLINK_RENDER_HELM3")
    args = ["--set", "application.savepointTriggerNonce=9", "--set", "image=flink:2.1", "--set", "region=us-east-2"]
    rendered = helm(
        helm3, ["template", RELEASE, str(CHART), *args, *helm3_post_renderer("--helm-post-renderer=3")], helm_env
    ).stdout
    found = objects(rendered)
    assert any(job["metadata"]["name"].startswith(f"{RELEASE}-app-savepoint-9-") for job in lifecycle_jobs(found))
    deployments = [obj for obj in found if obj["kind"] == "Deployment"]
    images = {c["image"] for d in deployments for c in d["spec"]["template"]["spec"]["containers"]}
    assert images == {"flink:2.1"}
    settings = next(obj for obj in found if key(obj) == ("ConfigMap", f"{RELEASE}-settings"))
    assert settings["data"] == {"region": "us-east-2"}


def test_helm_3_refuses_stop_on_delete(helm_env):
    helm3 = helm_binary("FLINK_RENDER_HELM3")
    proc = helm(
        helm3,
        ["template", RELEASE, str(CHART), "--set", "orders.stopOnDelete=true", *helm3_post_renderer("--helm-post-renderer=3")],
        helm_env,
        check=False,
    )
    assert proc.returncode != 0, describe(proc)
    assert "error while running post render" in proc.stderr, describe(proc)
    assert "error[stop-on-delete-under-helm-3]: the output goes to Helm 3's post-renderer" in proc.stderr, describe(proc)
    assert "Helm 4's post-renderer plugin" in proc.stderr and "templates/" in proc.stderr
    assert proc.stdout == ""


def test_helm_3_input_without_the_option_refuses_stop_on_delete_and_keeps_the_rest(helm_env):
    """The safety net: nothing says the output goes to Helm 3, but stdin looks like its input."""
    helm3 = helm_binary("FLINK_RENDER_HELM3")
    proc = helm(
        helm3,
        ["template", RELEASE, str(CHART), "--set", "orders.stopOnDelete=true", *helm3_post_renderer()],
        helm_env,
        check=False,
    )
    assert proc.returncode != 0, describe(proc)
    assert "error[stop-on-delete-under-helm-3]: stdin looks like what Helm 3 hands its post-renderer" in proc.stderr
    assert "--helm-post-renderer none" in proc.stderr, describe(proc)

    # without stop-on-delete the hooks are kept: harmless where Helm 3 reads none
    found = objects(helm(helm3, ["template", RELEASE, str(CHART), *helm3_post_renderer()], helm_env).stdout)
    assert all(HOOK in annotations(job) for job in lifecycle_jobs(found))

    # `helm template` output looks the same; piped on elsewhere, `none` says so
    templated = helm(helm3, ["template", RELEASE, str(CHART), "--set", "orders.stopOnDelete=true"], helm_env).stdout
    refused = run_flink_render(["render", "-"], stdin=templated)
    assert refused.returncode == 1 and "stop-on-delete-under-helm-3" in refused.stderr, describe(refused)
    kept = flink_render(templated, "--helm-post-renderer", "none")
    assert any(annotations(job).get(HOOK) == "pre-delete" for job in lifecycle_jobs(kept))


# --- Helm 4 --------------------------------------------------------------------------------------


@pytest.fixture
def helm4(helm_env) -> Path:
    """Helm 4 with deploy/helm installed as its post-renderer plugin."""
    binary = helm_binary("FLINK_RENDER_HELM4")
    helm(binary, ["plugin", "install", str(PLUGIN)], helm_env)
    listed = helm(binary, ["plugin", "list"], helm_env).stdout
    assert re.search(r"^flink-render\s+\S+\s+postrenderer/v1", listed, flags=re.MULTILINE), listed
    return binary


def test_helm_4_runs_the_lifecycle_jobs_as_hooks_filed_under_their_template(helm4, helm_env):
    args = ["--set", "orders.stopOnDelete=true"]
    templated = helm(helm4, ["template", RELEASE, str(CHART), *args], helm_env).stdout
    rendered = helm(helm4, ["template", RELEASE, str(CHART), *args, "--post-renderer", "flink-render"], helm_env).stdout
    found = documents(rendered)
    sources = {source for source, _ in found}
    assert sources == {f"flinkchart/templates/{name}.yaml" for name in ("configmap", "application", "session-cluster", "orders")}
    filed = {key(obj): source for source, obj in found}
    hooks = {key(obj): annotations(obj)[HOOK] for _, obj in found if HOOK in annotations(obj)}
    submit, savepoint, stop = (
        next(k for k in hooks if k[1].startswith(prefix))
        for prefix in (f"{RELEASE}-orders-submit-", f"{RELEASE}-app-savepoint-3-", f"{RELEASE}-orders-stop-")
    )
    assert hooks == {submit: "post-install,post-upgrade", savepoint: "post-install,post-upgrade", stop: "pre-delete"}
    assert filed[submit] == filed[stop] == "flinkchart/templates/orders.yaml"
    assert filed[savepoint] == "flinkchart/templates/application.yaml"
    assert filed[("Deployment", f"{RELEASE}-session")] == "flinkchart/templates/session-cluster.yaml"
    assert all(TEMPLATE_FILE not in annotations(obj) for _, obj in found), "Helm removes its annotation"

    # the template annotation changes no other byte: what flink-render renders without it
    expected = flink_render(templated, "--helm-post-renderer", "4")
    assert sorted(map(key, expected)) == sorted(filed)
    by_key = {key(obj): obj for _, obj in found}
    for obj in expected:
        assert by_key[key(obj)] == obj, key(obj)
    validate_strict([obj for _, obj in found])


def test_helm_4_install_lists_the_lifecycle_jobs_as_hooks(helm4, helm_env):
    args = ["--set", "orders.stopOnDelete=true", "--post-renderer", "flink-render", "--post-renderer-args", "--namespace=flink"]
    proc = helm(helm4, ["install", RELEASE, str(CHART), "--namespace", "flink", "--dry-run=client", *args], helm_env)
    assert "\nHOOKS:\n" in proc.stdout and "\nMANIFEST:\n" in proc.stdout, describe(proc)
    hooks_text, manifest_text = proc.stdout.split("\nHOOKS:\n", 1)[1].split("\nMANIFEST:\n", 1)
    hooks = objects(hooks_text)
    manifest = objects(manifest_text)
    assert sorted(job["metadata"]["name"].rsplit("-", 1)[0] for job in hooks) == [
        f"{RELEASE}-app-savepoint-3",
        f"{RELEASE}-orders-stop",
        f"{RELEASE}-orders-submit",
    ]
    assert all(obj["metadata"]["namespace"] == "flink" for obj in hooks + manifest)
    assert not lifecycle_jobs(manifest), "no lifecycle Job is a plain release resource"
    assert {"ConfigMap", "Service", "Deployment", "ServiceAccount"} == {obj["kind"] for obj in manifest}


def test_helm_4_accepts_a_chart_that_renders_nothing(helm4, helm_env, tmp_path):
    chart = tmp_path / "empty"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: empty\nversion: 0.1.0\n")
    proc = helm(helm4, ["template", RELEASE, str(chart), "--post-renderer", "flink-render"], helm_env, check=False)
    assert proc.returncode == 0, describe(proc)
    assert objects(proc.stdout) == []
