"""The Argo CD config management plugin, run the way argocd-cmp-server runs it.

The harness is `cmp_emulator.py`: a fresh copy of the repository, files 0644, no stdin, the build
environment plus ARGOCD_ENV_* / PARAM_* / ARGOCD_APP_PARAMETERS, and YAML-or-JSON parsing of
stdout, under a timeout. It reads deploy/argocd/plugin.yaml, so these tests check the shipped
plugin configuration, not a copy. `flink-render` is on the sidecar's PATH, as in the image.
The example "repository" is examples/argocd, with the apps good/ and failing/.

The sidecar patch is checked with the real kustomize, which applies it to a repo-server
Deployment shaped like Argo CD's, and with kubernetes-validate --strict on the result.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from cmp_emulator import Application, CmpError, discover, generate, load_plugin, plugin_name
from conftest import REPO, describe, load_output_docs, run_flink_render

PLUGIN = REPO / "deploy" / "argocd" / "plugin.yaml"
SIDECAR_PATCH = REPO / "deploy" / "argocd" / "repo-server-sidecar-patch.yaml"
REPOSITORY = REPO / "examples" / "argocd"
GENERATE_TIMEOUT_S = 30
DEFAULTS_PARAMETER = {"name": "defaults", "string": "../shared/operator-defaults.yaml"}


@pytest.fixture(scope="module")
def sidecar_env(flink_render_bin, tmp_path_factory) -> dict[str, str]:
    """The sidecar's own environment: flink-render installed on PATH."""
    bin_dir = tmp_path_factory.mktemp("sidecar-bin")
    (bin_dir / "flink-render").symlink_to(flink_render_bin)
    return dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def run_generate(sidecar_env, app: Application, repository: Path = REPOSITORY):
    return generate(PLUGIN, repository, app, sidecar_env=sidecar_env, timeout=GENERATE_TIMEOUT_S)


def good_app(**overrides) -> Application:
    settings = dict(name="flink-good", namespace="streaming", path="good", parameters=[DEFAULTS_PARAMETER])
    settings.update(overrides)
    return Application(**settings)


def test_plugin_yaml_is_a_valid_sidecar_plugin():
    config = load_plugin(PLUGIN)
    assert plugin_name(config) == "flink-render-v1"
    spec = config["spec"]
    assert spec["generate"]["command"] == ["flink-render", "argocd"]
    assert spec["discover"]["find"]["command"] == ["flink-render", "argocd", "--discover"]
    announced = {p["name"]: p for p in spec["parameters"]["static"]}
    # The announced parameters are exactly the ones the binary accepts (it rejects others).
    assert set(announced) == {"namespace", "defaults", "references"}
    assert all(p["collectionType"] == "string" for p in announced.values())


def test_good_app_renders_like_render_with_the_same_settings(sidecar_env):
    result = run_generate(sidecar_env, good_app())
    assert result.warnings == []
    app_dir = REPOSITORY / "good"
    expected = run_flink_render([
        "render", str(app_dir / "jobs" / "clickstream.yaml"), str(app_dir / "jobs" / "sessions.yaml"),
        str(app_dir / "serviceaccount.yaml"), "--namespace", "streaming",
        "--defaults", str(REPOSITORY / "shared" / "operator-defaults.yaml"),
    ])
    assert expected.returncode == 0, describe(expected)
    assert result.stdout == expected.stdout
    objects = result.objects
    assert "FlinkDeployment" not in {o["kind"] for o in objects}
    assert {o["metadata"]["namespace"] for o in objects} == {"streaming"}
    assert ("ServiceAccount", "flink") in {(o["kind"], o["metadata"]["name"]) for o in objects}
    # native (no `mode`): each JobManager's Role, bound to its account in the destination namespace
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert {("Role", "sessions"), ("RoleBinding", "sessions"), ("Role", "clickstream")} <= kinds
    # The defaults file applied: 2 slots and its pod-template label, in the TaskManager template.
    config = next(o for o in objects if o["metadata"]["name"] == "flink-config-clickstream")
    assert "taskmanager.numberOfTaskSlots: 2" in config["data"]["flink-conf.yaml"]
    template = next(o for o in objects if o["metadata"]["name"] == "pod-template-clickstream")
    labels = yaml.safe_load(template["data"]["taskmanager-pod-template.yaml"])["metadata"]["labels"]
    assert labels["cost-center"] == "data-platform"
    assert result.seconds < GENERATE_TIMEOUT_S


def test_settings_from_plugin_env_and_param_variables(sidecar_env):
    """Plugin env entries (with $VAR expansion) and parameters; a parameter beats an env entry."""
    by_env = run_generate(sidecar_env, good_app(
        env=[("NAMESPACE", "flink-$ARGOCD_APP_NAME"), ("DEFAULTS", "../shared/operator-defaults.yaml")],
        parameters=None,
    ))
    assert {o["metadata"]["namespace"] for o in by_env.objects} == {"flink-flink-good"}
    both = run_generate(sidecar_env, good_app(
        env=[("NAMESPACE", "from-env")],
        parameters=[DEFAULTS_PARAMETER, {"name": "namespace", "string": "from-parameter"}],
    ))
    assert {o["metadata"]["namespace"] for o in both.objects} == {"from-parameter"}


def test_failing_app_fails_with_the_diagnostic_and_no_manifests(sidecar_env):
    with pytest.raises(CmpError) as failure:
        run_generate(sidecar_env, Application(name="flink-failing", namespace="streaming", path="failing"))
    message = str(failure.value)
    assert "`flink-render argocd` failed exit status 1:" in message
    assert "error[missing-checkpoint-dir]" in message
    assert "--> flinkdeployment.yaml:22:5" in message


def test_a_symlink_out_of_the_repository_is_refused_unread(sidecar_env, tmp_path):
    """A spec or defaults file that resolves outside the repository is not read, and nothing of
    it shows in the error."""
    outside = tmp_path / "outside.yaml"
    outside.write_text("secret-marker: do-not-print\n")
    repository = tmp_path / "repo"
    shutil.copytree(REPOSITORY, repository)
    (repository / "good" / "jobs" / "leak.yaml").symlink_to(outside)
    with pytest.raises(CmpError) as failure:
        run_generate(sidecar_env, good_app(), repository)
    assert "resolves outside the repository" in str(failure.value)
    assert "do-not-print" not in str(failure.value)
    (repository / "good" / "jobs" / "leak.yaml").unlink()
    (repository / "shared" / "operator-defaults.yaml").unlink()
    (repository / "shared" / "operator-defaults.yaml").symlink_to(outside)
    with pytest.raises(CmpError) as failure:
        run_generate(sidecar_env, good_app(), repository)
    assert "resolves outside the repository" in str(failure.value)
    assert "do-not-print" not in str(failure.value)


def test_app_without_flink_resources_is_an_error_not_an_empty_success(sidecar_env, tmp_path):
    repository = tmp_path / "repo"
    (repository / "plain").mkdir(parents=True)
    (repository / "plain" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    with pytest.raises(CmpError, match="no FlinkDeployment or FlinkSessionJob in the app directory"):
        run_generate(sidecar_env, Application(path="plain"), repository)
    (repository / "empty").mkdir()
    with pytest.raises(CmpError, match="failed exit status 1"):
        run_generate(sidecar_env, Application(path="empty"), repository)


def test_unknown_parameter_and_escaping_defaults_path_are_errors(sidecar_env):
    with pytest.raises(CmpError, match="unknown plugin parameter `namespce`"):
        run_generate(sidecar_env, good_app(parameters=[{"name": "namespce", "string": "x"}]))
    with pytest.raises(CmpError, match="lies outside the repository"):
        run_generate(sidecar_env, good_app(parameters=[{"name": "defaults", "string": "../../etc/passwd"}]))


def test_session_jobs_find_a_cluster_another_app_renders_through_references(sidecar_env):
    """The parameter `references`: the session-jobs app renders its submit Job against the
    session-cluster app's spec, as `render --reference` does, and nothing of the cluster; without
    it the app fails with the hint; a reference out of the repository is refused."""
    reference = {"name": "references", "string": "../session-cluster/flinkdeployment.yaml"}
    app = Application(name="team-jobs", namespace="streaming", path="session-jobs", parameters=[reference])
    result = run_generate(sidecar_env, app)
    expected = run_flink_render([
        "render", str(REPOSITORY / "session-jobs" / "wordcount.yaml"), "--namespace", "streaming",
        "--reference", str(REPOSITORY / "session-cluster" / "flinkdeployment.yaml"),
    ])
    assert expected.returncode == 0, describe(expected)
    assert result.stdout == expected.stdout
    assert [o["kind"] for o in result.objects] == ["ConfigMap", "Job"], "the session job's scripts and its submit Job"
    submit = result.objects[1]
    assert submit["spec"]["template"]["spec"]["containers"][0]["image"] == "flink:2.2"
    with pytest.raises(CmpError, match=r"error\[session-cluster-missing\](.|\n)*the Argo CD parameter `references`"):
        run_generate(sidecar_env, Application(name="team-jobs", namespace="streaming", path="session-jobs"))
    outside = {"name": "references", "string": "../session-cluster/flinkdeployment.yaml,../../cluster.yaml"}
    with pytest.raises(CmpError, match="the reference `../../cluster.yaml` lies outside the repository"):
        run_generate(sidecar_env, Application(path="session-jobs", parameters=[outside]))


def test_recursion_reads_nested_json_and_skips_hidden_files(sidecar_env, tmp_path):
    repository = tmp_path / "repo"
    shutil.copytree(REPOSITORY, repository)
    app = repository / "good"
    nested = app / "more" / "deeper"
    nested.mkdir(parents=True)
    spec = yaml.safe_load((app / "jobs" / "clickstream.yaml").read_text())
    spec["metadata"]["name"] = "clickstream-json"
    (nested / "spec.json").write_text(json.dumps(spec))
    # Argo CD's parameter override files and a VCS dir: hidden, never manifests.
    (app / ".argocd-source-flink-good.yaml").write_text("helm:\n  parameters: []\n")
    (app / ".git").mkdir()
    (app / ".git" / "config.yaml").write_text("not: [a manifest\n")
    result = run_generate(sidecar_env, good_app(), repository)
    names = [o["metadata"]["name"] for o in result.objects if o["kind"] == "Deployment"]
    assert names == ["clickstream", "sessions", "clickstream-json"], "jobs/ then more/deeper/ (sorted walk)"


def test_kustomization_in_app_dir_is_refused(sidecar_env, tmp_path):
    repository = tmp_path / "repo"
    shutil.copytree(REPO / "examples" / "kustomize" / "generator", repository / "app")
    with pytest.raises(CmpError, match="kustomization.yaml makes this a kustomize directory"):
        run_generate(sidecar_env, Application(path="app"), repository)


def test_discover_claims_flink_apps_only(sidecar_env, tmp_path):
    assert discover(PLUGIN, REPOSITORY, "good", sidecar_env)
    assert discover(PLUGIN, REPOSITORY, "failing", sidecar_env)
    plain = tmp_path / "repo" / "plain"
    plain.mkdir(parents=True)
    (plain / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    assert not discover(PLUGIN, tmp_path / "repo", "plain", sidecar_env)


# ---------------------------------------------------------------------------------------------
# The repo-server sidecar patch
# ---------------------------------------------------------------------------------------------

# The parts of Argo CD's own argocd-repo-server Deployment the patch builds on: the shared
# var-files and plugins volumes (manifests/base/repo-server/argocd-repo-server-deployment.yaml).
REPO_SERVER = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: argocd-repo-server
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: argocd-repo-server
  template:
    metadata:
      labels:
        app.kubernetes.io/name: argocd-repo-server
    spec:
      serviceAccountName: argocd-repo-server
      containers:
        - name: argocd-repo-server
          image: argocd:v3.1.0
          volumeMounts:
            - name: var-files
              mountPath: /var/run/argocd
            - name: plugins
              mountPath: /home/argocd/cmp-server/plugins
      volumes:
        - name: var-files
          emptyDir: {}
        - name: plugins
          emptyDir: {}
"""


def test_sidecar_patch_applies_to_the_repo_server_and_validates(tmp_path):
    kustomize = shutil.which("kustomize")
    validate = shutil.which("kubernetes-validate")
    if not kustomize or not validate:
        pytest.fail("kustomize and kubernetes-validate must be on PATH (scripts/test.sh installs both)")
    (tmp_path / "repo-server.yaml").write_text(REPO_SERVER)
    shutil.copy(SIDECAR_PATCH, tmp_path / "patch.yaml")
    shutil.copy(PLUGIN, tmp_path / "plugin.yaml")
    (tmp_path / "kustomization.yaml").write_text(
        "namespace: argocd\nresources: [repo-server.yaml]\npatches:\n  - path: patch.yaml\n"
        "configMapGenerator:\n  - name: flink-render-plugin\n    files: [plugin.yaml]\n"
        "    options: {disableNameSuffixHash: true}\n"
    )
    build = subprocess.run([kustomize, "build", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, describe(build)
    objects = load_output_docs(build.stdout)
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    containers = {c["name"]: c for c in deployment["spec"]["template"]["spec"]["containers"]}
    assert set(containers) == {"argocd-repo-server", "flink-render"}
    sidecar = containers["flink-render"]
    assert sidecar["command"] == ["/var/run/argocd/argocd-cmp-server"]
    assert sidecar["securityContext"]["runAsUser"] == 999
    mounts = {m["mountPath"]: m for m in sidecar["volumeMounts"]}
    assert mounts["/var/run/argocd"]["name"] == "var-files"
    assert mounts["/home/argocd/cmp-server/plugins"]["name"] == "plugins"
    assert mounts["/home/argocd/cmp-server/config/plugin.yaml"]["subPath"] == "plugin.yaml"
    assert "/tmp" in mounts
    volumes = {v["name"] for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert {m["name"] for m in sidecar["volumeMounts"]} <= volumes
    config_map = next(o for o in objects if o["kind"] == "ConfigMap")
    assert config_map["metadata"]["name"] == "flink-render-plugin"
    assert yaml.safe_load(config_map["data"]["plugin.yaml"]) == yaml.safe_load(PLUGIN.read_text())
    (tmp_path / "built.yaml").write_text(build.stdout)
    checked = subprocess.run([validate, "--strict", "-k", "1.30", str(tmp_path / "built.yaml")],
                             capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, describe(checked)
