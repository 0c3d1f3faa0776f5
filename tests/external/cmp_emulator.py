"""An emulation of Argo CD's config management plugin server (argocd-cmp-server, sidecar CMP v2).

No argocd binary can be installed here (reference ecosystem.md §2.7), so this module runs a
plugin.yaml's commands the way the CMP server does (ecosystem.md §1.1, items 1-9):

- **plugin.yaml** is validated like `ValidatePluginConfig`: kind `ConfigManagementPlugin`, a
  non-empty `metadata.name` and `spec.generate.command`.
- **Working copy.** The repository is copied into a fresh temporary directory under
  `$TMPDIR/_cmp_server`, which is deleted afterwards. Without `preserveFileMode`, every file
  is 0644 and every directory 0755. The working directory is `<copy>/<app path>`.
- **Process.** stdin is /dev/null, and stdout and stderr are captured separately. The command
  runs in its own process group. On timeout the group gets SIGTERM, then SIGKILL 5 s later.
- **Environment.** The sidecar's own environment, then the build environment
  (`ARGOCD_APP_NAME`, `ARGOCD_APP_NAMESPACE`, `ARGOCD_APP_PROJECT_NAME`,
  `ARGOCD_APP_REVISION[_SHORT[_8]]`, `ARGOCD_APP_SOURCE_{REPO_URL,PATH,TARGET_REVISION}`,
  `KUBE_VERSION`, `KUBE_API_VERSIONS`). Then `ARGOCD_ENV_<name>` for each plugin env entry,
  with `$VAR`, `${VAR}` and `$$` expanded against the build environment. Then
  `ARGOCD_APP_PARAMETERS` (Go's compact JSON with sorted keys, or `null`) and `PARAM_<NAME>`,
  `PARAM_<NAME>_<i>` and `PARAM_<NAME>_<KEY>`, where names are upper-cased and every
  character outside `[A-Z0-9_]` becomes `_`.
- **Failure.** A non-zero exit fails with "`<argv>` failed exit status N: <stderr>".
- **Output.** One trailing newline is trimmed. Then the output is split like apimachinery's
  YAML-or-JSON decoder: concatenated JSON objects when it starts with `{`, otherwise YAML
  documents. Empty and `null` documents are dropped, and every other document must be an
  object with `apiVersion` and `kind`. `kind: List` objects are flattened. Empty output is
  only a warning, exactly as in Argo CD (which is why the plugin must never succeed with
  nothing).
- **Discovery** evaluates `discover` like `matchRepository`: the first non-empty of
  `fileName` (a glob in the app directory), `find.glob` (with `**`) and `find.command`
  (a match needs exit 0 and non-empty stdout).

Everything here is our own code, written from the contract in ecosystem.md.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_REVISION = "0123456789abcdef0123456789abcdef01234567"
DEFAULT_KUBE_API_VERSIONS = ",".join(
    sorted(
        [
            "apps/v1", "apps/v1/Deployment", "batch/v1", "batch/v1/Job", "networking.k8s.io/v1",
            "networking.k8s.io/v1/Ingress", "rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io/v1/Role",
            "rbac.authorization.k8s.io/v1/RoleBinding", "v1", "v1/ConfigMap", "v1/Service", "v1/ServiceAccount",
        ]
    )
)


class CmpError(Exception):
    """Generation failed; the message is what Argo CD would show in the app's ComparisonError."""


@dataclass
class Application:
    """The parts of an Argo CD Application the CMP server's request carries."""

    name: str = "flink-app"
    namespace: str = "default"  # spec.destination.namespace
    project: str = "default"
    repo_url: str = "https://git.example.invalid/platform/flink-apps.git"
    path: str = "."  # spec.source.path, relative to the repository root
    target_revision: str = "HEAD"
    revision: str = DEFAULT_REVISION
    kube_version: str = "1.30.2"
    kube_api_versions: str = DEFAULT_KUBE_API_VERSIONS
    env: list[tuple[str, str]] = field(default_factory=list)  # spec.source.plugin.env
    parameters: list[dict] | None = None  # spec.source.plugin.parameters


@dataclass
class Generated:
    objects: list[dict]
    stdout: str
    stderr: str
    seconds: float
    warnings: list[str]


def load_plugin(path: Path) -> dict:
    """Read and validate plugin.yaml like cmpserver/plugin/config.go."""
    config = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(config, dict):
        raise CmpError("invalid plugin configuration file: not a mapping")
    if config.get("kind") != "ConfigManagementPlugin":
        raise CmpError(f"invalid plugin configuration file. kind should be ConfigManagementPlugin, found {config.get('kind')}")
    if not (config.get("metadata") or {}).get("name"):
        raise CmpError("invalid plugin configuration file. metadata.name should be non-empty")
    if not ((config.get("spec") or {}).get("generate") or {}).get("command"):
        raise CmpError("invalid plugin configuration file. spec.generate command should be non-empty")
    return config


def plugin_name(config: dict) -> str:
    """`<name>` or `<name>-<version>`: what an Application's `plugin.name` must say."""
    version = (config.get("spec") or {}).get("version")
    return f"{config['metadata']['name']}-{version}" if version else config["metadata"]["name"]


def escaped(name: str) -> str:
    return re.sub(r"[^A-Z0-9_]", "_", name.upper())


def build_environment(app: Application, sidecar_env: dict[str, str]) -> dict[str, str]:
    build = {
        "ARGOCD_APP_NAME": app.name,
        "ARGOCD_APP_NAMESPACE": app.namespace,
        "ARGOCD_APP_PROJECT_NAME": app.project,
        "ARGOCD_APP_REVISION": app.revision,
        "ARGOCD_APP_REVISION_SHORT": app.revision[:7],
        "ARGOCD_APP_REVISION_SHORT_8": app.revision[:8],
        "ARGOCD_APP_SOURCE_REPO_URL": app.repo_url,
        "ARGOCD_APP_SOURCE_PATH": app.path,
        "ARGOCD_APP_SOURCE_TARGET_REVISION": app.target_revision,
        "KUBE_VERSION": app.kube_version,
        "KUBE_API_VERSIONS": app.kube_api_versions,
    }

    def expand(value: str) -> str:
        return re.sub(
            r"\$(\$|\{(\w+)\}|(\w+))",
            lambda m: "$" if m.group(1) == "$" else build.get(m.group(2) or m.group(3), ""),
            value,
        )

    environment = dict(sidecar_env)
    environment.update(build)
    for name, value in app.env:
        environment[f"ARGOCD_ENV_{name}"] = expand(value)
    environment["ARGOCD_APP_PARAMETERS"] = json.dumps(
        [dict(sorted(p.items())) for p in app.parameters] if app.parameters is not None else None,
        separators=(",", ":"),
        sort_keys=True,
    )
    for parameter in app.parameters or []:
        base = "PARAM_" + escaped(parameter["name"])
        if "string" in parameter:
            environment[base] = parameter["string"]
        for key, value in (parameter.get("map") or {}).items():
            environment[f"{base}_{escaped(key)}"] = value
        for index, value in enumerate(parameter.get("array") or []):
            environment[f"{base}_{index}"] = value
    return environment


def run_command(command: dict, cwd: Path, environment: dict[str, str], timeout: float) -> tuple[str, str]:
    argv = list(command.get("command") or []) + list(command.get("args") or [])
    process = subprocess.Popen(
        argv, cwd=cwd, env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            out, err = process.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, err = process.communicate()
        raise CmpError(f"`{' '.join(argv)}` failed timeout after {timeout} s: {err.decode(errors='replace').strip()}")
    stderr = err.decode("utf-8", errors="replace")
    if process.returncode != 0:
        message = f"`{' '.join(argv)}` failed exit status {process.returncode}"
        if stderr.strip():
            message += ": " + stderr.strip()
        raise CmpError(message)
    return out.decode("utf-8"), stderr


def split_manifests(text: str) -> list[dict]:
    """apimachinery's YAML-or-JSON stream decoding, then the repo-server's List flattening."""
    documents: list = []
    if text.lstrip().startswith("{"):
        decoder = json.JSONDecoder()
        position = 0
        while True:
            while position < len(text) and text[position].isspace():
                position += 1
            if position >= len(text):
                break
            document, position = decoder.raw_decode(text, position)
            documents.append(document)
    else:
        documents = list(yaml.safe_load_all(text))
    objects = []
    for document in documents:
        if document is None:
            continue
        if not isinstance(document, dict):
            raise CmpError(f"failed to unmarshal manifest: document is a {type(document).__name__}, not an object")
        if not document.get("kind") or not document.get("apiVersion"):
            raise CmpError("failed to unmarshal manifest: Object 'Kind' or 'apiVersion' is missing")
        if document["kind"] == "List":
            objects.extend(document.get("items") or [])
        else:
            objects.append(document)
    return objects


def _working_copy(repo_root: Path, preserve_file_mode: bool) -> Path:
    base = Path(os.environ.get("ARGOCD_CMP_WORKDIR", tempfile.gettempdir())) / "_cmp_server"
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=base))
    shutil.copytree(repo_root, work, dirs_exist_ok=True, symlinks=True)
    if not preserve_file_mode:
        for root, dirs, files in os.walk(work):
            for name in dirs:
                os.chmod(os.path.join(root, name), 0o755)
            for name in files:
                path = os.path.join(root, name)
                if not os.path.islink(path):
                    os.chmod(path, 0o644)
    return work


def generate(
    plugin: Path, repo_root: Path, app: Application, sidecar_env: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> Generated:
    """Run init (output discarded) and generate for `app`, as the CMP server does."""
    config = load_plugin(plugin)
    spec = config["spec"]
    work = _working_copy(repo_root, bool(spec.get("preserveFileMode")))
    try:
        app_dir = (work / app.path).resolve()
        if work.resolve() not in [app_dir, *app_dir.parents]:
            raise CmpError(f"app path {app.path} is outside the repository")
        environment = build_environment(app, dict(os.environ if sidecar_env is None else sidecar_env))
        started = time.monotonic()
        if (spec.get("init") or {}).get("command"):
            run_command(spec["init"], app_dir, environment, timeout)
        stdout, stderr = run_command(spec["generate"], app_dir, environment, timeout)
        seconds = time.monotonic() - started
        text = stdout[:-1] if stdout.endswith("\n") else stdout
        warnings = ["Plugin command returned zero output"] if text == "" else []
        return Generated(split_manifests(text), stdout, stderr, seconds, warnings)
    except CmpError as error:
        raise CmpError(
            f'CMP processing failed for application "{app.name}": error generating manifests in cmp: '
            f"error generating manifests: {error}"
        ) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def discover(plugin: Path, repo_root: Path, app_path: str, sidecar_env: dict[str, str] | None = None) -> bool:
    """Whether the plugin claims the app directory (`matchRepository`)."""
    spec = load_plugin(plugin)["spec"]
    rules = spec.get("discover") or {}
    work = _working_copy(repo_root, bool(spec.get("preserveFileMode")))
    try:
        app_dir = work / app_path
        if rules.get("fileName"):
            return bool(glob.glob(str(app_dir / rules["fileName"])))
        find = rules.get("find") or {}
        if find.get("glob"):
            return bool(glob.glob(str(app_dir / find["glob"]), recursive=True))
        if find.get("command"):
            environment = dict(os.environ if sidecar_env is None else sidecar_env)
            try:
                stdout, _ = run_command(find, app_dir, environment, 60)
            except CmpError:
                return False
            return stdout.strip() != ""
        return False
    finally:
        shutil.rmtree(work, ignore_errors=True)
