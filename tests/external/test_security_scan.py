"""A security review of the output: checkov (pinned, offline; installed by scripts/test.sh into
its own venv, path in CHECKOV_BIN) over what every valid fixture, upstream example and real-world
spec renders to. Every failed check must be in tests/security/checkov-allowlist.yaml and meet the
condition it is allowed under there, checked on the rendered object; so is every allowlisted
check still failing somewhere (an entry nothing needs any more is stale).

Workloads get their pod and container securityContext, probes, resources and no token from
flink-render itself (emit/hardening.rs); what may still fail is what the spec decides (its image,
pull policy and namespace), the opt-in NetworkPolicy, Kubernetes HA's token, and containers the
user brought in a pod template.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import REPO, fixture_id, real_world_paths, render_fixture, valid_fixture_paths

ALLOWLIST = REPO / "tests" / "security" / "checkov-allowlist.yaml"
CHECKOV_TIMEOUT_S = 600
OURS = {"flink-main-container", "lifecycle"}
PLACEHOLDER = re.compile(r"[<>{}$]")


def checkov_bin() -> str:
    path = os.environ.get("CHECKOV_BIN", "")
    if not path or not os.access(path, os.X_OK):
        pytest.fail("CHECKOV_BIN is not set to checkov (scripts/test.sh installs it; source its env.sh)")
    return path


def pod_spec(obj: dict) -> dict | None:
    if obj.get("kind") == "Pod":
        return obj.get("spec")
    if obj.get("kind") in ("Deployment", "Job"):
        return ((obj.get("spec") or {}).get("template") or {}).get("spec")
    return None


def containers(spec: dict) -> list[dict]:
    return list(spec.get("containers") or []) + list(spec.get("initContainers") or [])


def has_user_container(spec: dict) -> bool:
    return any(c.get("name") not in OURS for c in containers(spec))


def asks_for_privilege(container: dict) -> bool:
    """Whether a container's own securityContext asks for what the restricted profile forbids:
    privilege, privilege escalation, added capabilities or root (flink-render keeps it and warns
    `restricted-profile`)."""
    context = container.get("securityContext") or {}
    return (context.get("privileged") is True or context.get("allowPrivilegeEscalation") is True
            or bool((context.get("capabilities") or {}).get("add")) or context.get("runAsUser") == 0)


def loose_tag(image: str) -> bool:
    if "@" in image:
        return False
    last = image.rsplit("/", 1)[-1]
    return ":" not in last or last.endswith(":latest") or bool(PLACEHOLDER.search(image))


def selected_by_policy(objects: list[dict], pod_owner: dict) -> bool:
    labels = (((pod_owner.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
    for o in objects:
        if o.get("kind") != "NetworkPolicy":
            continue
        wanted = ((o.get("spec") or {}).get("podSelector") or {}).get("matchLabels") or {}
        if all(labels.get(k) == v for k, v in wanted.items()):
            return True
    return False


def condition_holds(when: str, obj: dict, objects: list[dict]) -> bool:
    spec = pod_spec(obj) or {}
    main = next((c for c in spec.get("containers") or [] if c.get("name") == "flink-main-container"), {})
    return {
        "always": True,
        "namespace-as-given": (obj.get("metadata") or {}).get("namespace") in (None, "", "default"),
        "no-network-policy": bool(spec) and not selected_by_policy(objects, obj),
        "api-token": bool(spec) and spec.get("automountServiceAccountToken") is not False,
        "image-tag": any(loose_tag(c.get("image") or "") for c in containers(spec)),
        "user-container": has_user_container(spec),
        "user-asks": any(c.get("name") not in OURS and asks_for_privilege(c) for c in containers(spec)),
        "built-in-plugins": has_user_container(spec)
                            or any(e.get("name") == "ENABLE_BUILT_IN_PLUGINS" for e in main.get("env") or []),
    }[when]


def find_object(objects: list[dict], resource: str) -> dict:
    """The rendered object a checkov resource id names: `Kind.namespace.name`, or for the pods of a
    workload `Pod.namespace.<workload name>.<label>...`."""
    kind, namespace, rest = resource.split(".", 2)
    name = rest.split(".")[0] if kind == "Pod" else rest
    for o in objects:
        md = o.get("metadata") or {}
        if md.get("name") == name and (md.get("namespace") or "default") == namespace:
            if o.get("kind") == kind or (kind == "Pod" and o.get("kind") in ("Deployment", "Job")):
                return o
    raise AssertionError(f"checkov names {resource}, which is not in the rendered stream")


def load_allowlist() -> dict:
    allow = yaml.safe_load(ALLOWLIST.read_text(encoding="utf-8"))
    for check, entry in allow.items():
        assert entry.get("reason") and entry.get("when"), f"{check}: every entry needs a reason and a condition"
    return allow


def checkov_problems(streams: dict[str, list[dict]], directory: Path) -> tuple[list[str], set[str]]:
    """checkov over `directory`, where each of `streams` (file name -> its objects) is written as a
    YAML stream: the failed checks that are not allowlisted or fail outside their condition, and
    the allowlisted checks that failed within it."""
    allow = load_allowlist()
    proc = subprocess.run([checkov_bin(), "-d", str(directory), "--framework", "kubernetes", "--skip-download",
                           "--compact", "--quiet", "-o", "json"],
                          capture_output=True, text=True, timeout=CHECKOV_TIMEOUT_S,
                          env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_NO_OUTPUT_COLOR": "1"})
    assert proc.returncode in (0, 1), f"checkov crashed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    report = json.loads(proc.stdout)
    reports = report if isinstance(report, list) else [report]
    summary = reports[0]["summary"]
    resources = sum(len(objects) for objects in streams.values())
    assert summary["parsing_errors"] == 0 and summary["resource_count"] >= min(resources, 500), summary

    problems, used = [], set()
    for r in reports:
        for failed in r["results"]["failed_checks"]:
            check, resource = failed["check_id"], failed["resource"]
            stream = Path(failed["file_path"]).name
            where = f"{stream}: {resource}: {check} {failed['check_name']}"
            entry = allow.get(check)
            if entry is None:
                problems.append(f"{where} (not allowlisted)")
                continue
            obj = find_object(streams[stream], resource)
            if not condition_holds(entry["when"], obj, streams[stream]):
                problems.append(f"{where} (allowlisted only when {entry['when']})")
            used.add(check)
    return problems, used


def test_checkov_passes_but_for_the_allowlist(tmp_path):
    streams: dict[str, list[dict]] = {}
    for path in valid_fixture_paths() + real_world_paths():
        rendered = render_fixture(path)
        if rendered.rejected_by_design or not rendered.text.strip():
            continue
        name = fixture_id(path).replace("/", "__")
        (tmp_path / name).write_text(rendered.text, encoding="utf-8")
        streams[name] = rendered.objects
    assert len(streams) >= 90, f"only {len(streams)} rendered streams to scan"
    problems, used = checkov_problems(streams, tmp_path)
    assert not problems, f"{len(problems)} failed checks:\n" + "\n".join(problems[:60])
    stale = sorted(set(load_allowlist()) - used)
    assert not stale, f"allowlisted checks that no longer fail anywhere: {stale}"
