"""Every valid fixture, and every real-world spec that renders, renders to objects that the Kubernetes API schemas accept (strict: unknown
fields are errors), for every Kubernetes minor version we support (1.30 through 1.37), and to YAML
without duplicate keys.

Checker: kubernetes-validate 1.37.0 (bundled JSON schemas, Kubernetes 1.25 … 1.37), Python API
`kubernetes_validate.validate(obj, version, strict=True)`, which raises ValidationError, or
SchemaNotFoundError for a kind/apiVersion the version does not serve (e.g. a removed beta API).
Objects of non-built-in groups (flink.apache.org resources passed through) have no schema there
and are skipped. Any warning raised while validating is a failure too. Each fixture's output is
rendered and parsed once; the versions are looped in-process. yamllint catches duplicate keys,
which kubernetes-validate cannot see (PyYAML keeps the last one).
"""

from __future__ import annotations

import functools
import subprocess
import sys
import warnings

import kubernetes_validate
import kubernetes_validate.utils
import pytest

from conftest import (
    describe,
    expects_objects,
    fixture_id,
    fixture_params,
    real_world_paths,
    render_fixture,
    require_fixture,
    valid_fixture_paths,
)

KUBERNETES_VERSIONS = [f"1.{minor}.0" for minor in range(30, 38)]

# validate() reads and parses the schema JSON files on every call (about 6 ms of each 10 ms
# check). They cannot change during a run, so the reader is memoised; validate() is unchanged.
kubernetes_validate.utils.schema_contents = functools.lru_cache(maxsize=None)(
    kubernetes_validate.utils.schema_contents
)

# The API groups the renderer is expected to emit.
EXPECTED_BUILTIN_API_VERSIONS = {
    "v1",
    "apps/v1",
    "batch/v1",
    "networking.k8s.io/v1",
    "rbac.authorization.k8s.io/v1",
    "policy/v1",
    "autoscaling/v2",
}
_BUILTIN_GROUPS = {"", "apps", "batch", "policy", "autoscaling"}

YAMLLINT_CONFIG = "{extends: relaxed, rules: {key-duplicates: enable, line-length: disable}}"


def is_builtin(api_version: str) -> bool:
    """True for any Kubernetes built-in group (also ones not in the expected list, e.g. a removed
    policy/v1beta1: those must be validated, and fail, rather than be skipped)."""
    if api_version in EXPECTED_BUILTIN_API_VERSIONS:
        return True
    group = api_version.split("/", 1)[0] if "/" in api_version else ""
    return group in _BUILTIN_GROUPS or group.endswith(".k8s.io")


def object_id(obj: dict) -> str:
    md = obj.get("metadata") or {}
    ns = md.get("namespace")
    return f"{obj.get('apiVersion')} {obj.get('kind')} {ns + '/' if ns else ''}{md.get('name')}"


@pytest.mark.parametrize("fixture", fixture_params(valid_fixture_paths() + real_world_paths()))
def test_builtin_objects_validate_strict(fixture):
    rendered = render_fixture(require_fixture(fixture))
    if rendered.rejected_by_design:
        return  # recorded in the terminal summary by conftest
    objects = rendered.objects
    if not expects_objects(rendered.path):
        return  # e.g. the spec-less canary: nothing to validate (recorded by conftest)
    assert objects, f"no objects in the output\n{describe(rendered.proc)}"

    errors = []
    builtin = []
    for obj in objects:
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            errors.append(f"object without apiVersion/kind: {obj!r:.300}")
        elif is_builtin(api_version):
            builtin.append(obj)
    assert builtin, "the output contains no built-in Kubernetes object at all"

    for k8s_version in KUBERNETES_VERSIONS:
        for obj in builtin:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    kubernetes_validate.validate(obj, k8s_version, strict=True)
            except kubernetes_validate.ValidationError as e:
                path = ".".join(str(p) for p in e.absolute_path) or "<root>"
                errors.append(f"Kubernetes {k8s_version}: {object_id(obj)}: {path}: {e.message}")
            except kubernetes_validate.SchemaNotFoundError as e:
                errors.append(f"Kubernetes {k8s_version}: {object_id(obj)}: {e.message}")
            except Warning as w:
                errors.append(f"Kubernetes {k8s_version}: {object_id(obj)}: warning: {w}")

    assert not errors, "strict validation fails:\n" + "\n".join(errors)


@pytest.mark.parametrize("fixture", fixture_params(valid_fixture_paths() + real_world_paths()))
def test_yamllint_no_duplicate_keys(fixture):
    rendered = render_fixture(require_fixture(fixture))
    if rendered.rejected_by_design:
        return
    proc = subprocess.run(
        [sys.executable, "-m", "yamllint", "-f", "parsable", "-d", YAMLLINT_CONFIG, "-"],
        input=rendered.text,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    # Fail on duplicate keys and on YAML syntax errors. Other problems that the relaxed profile
    # reports (e.g. trailing-spaces, which stays at error level there) are surfaced as warnings.
    problems = proc.stdout.splitlines()
    fatal = [ln for ln in problems if "(key-duplicates)" in ln or "[error] syntax error" in ln]
    assert proc.returncode in (0, 1) and not proc.stderr.strip(), f"yamllint crashed:\n{proc.stderr}"
    assert not fatal, "yamllint:\n" + "\n".join(fatal)
    if problems:
        warnings.warn(f"yamllint on {fixture_id(fixture)}: " + "; ".join(problems[:5]), stacklevel=1)
