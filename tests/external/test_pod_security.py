"""Every pod flink-render renders meets the Pod Security Standards' restricted profile (which
includes the baseline), checked rule by rule as the Kubernetes documentation states them
(kubernetes.io/docs/concepts/security/pod-security-standards, "Baseline" and "Restricted"
tables), over every valid fixture's, upstream example's and real-world spec's output: the
Deployments' pods, the TaskManagers' (in native mode: the template in `pod-template-<name>` the
JobManager builds them from, whose security contexts Flink keeps), and the lifecycle Jobs'.

A pod template may ask for what the profile forbids (a privileged init container, a sidecar that
runs as root or adds capabilities); flink-render keeps it and warns `restricted-profile` naming
the container and the rule. Such a violation is allowed only where that warning says so.
"""

from __future__ import annotations

import re
import sys

import pytest
import yaml

from conftest import REPO, fixture_id, fixture_params, real_world_paths, render_fixture, valid_fixture_paths

sys.path.insert(0, str(REPO / "tests"))

from kubelet.admission import violations  # noqa: E402

WARNED = re.compile(r"warning\[restricted-profile\]: (?:container `([^`]*)`|the pod) [^(]*\(([^)]*)\)")


def pods(objects: list[dict]):
    for o in objects:
        if o.get("kind") in ("Deployment", "Job"):
            yield f"{o['kind']}/{o['metadata']['name']}", o["spec"]["template"]["spec"]
        elif o.get("kind") == "ConfigMap" and "taskmanager-pod-template.yaml" in (o.get("data") or {}):
            template = yaml.safe_load(o["data"]["taskmanager-pod-template.yaml"])
            yield f"ConfigMap/{o['metadata']['name']} (the TaskManager pods)", template["spec"]


PATHS = valid_fixture_paths() + real_world_paths()


@pytest.mark.parametrize("path", fixture_params(PATHS))
def test_every_rendered_pod_meets_the_restricted_profile(path):
    rendered = render_fixture(path)
    if rendered.rejected_by_design or rendered.proc.returncode != 0:
        assert not rendered.objects, "a rejected spec renders nothing"
        return
    warned = set()
    for who, rule in WARNED.findall(rendered.proc.stderr):
        warned.add((who or "the pod", rule))
        if rule in ("Privileged Containers", "Capabilities"):
            # Kubernetes refuses allowPrivilegeEscalation false on a privileged container, or one
            # that adds SYS_ADMIN: the warning about either covers it
            warned.add((who, "Privilege Escalation"))
        if rule == "HostPath Volumes":
            warned.add(("the pod", "Volume Types"))  # hostPath is not among the allowed types
    problems = []
    for pod, spec in pods(rendered.objects):
        for who, rule in violations(spec):
            if (who, rule) not in warned:
                problems.append(f"{pod}: {who}: {rule}")
    assert not problems, f"{fixture_id(path)}:\n" + "\n".join(sorted(set(problems)))


def test_the_check_sees_what_a_template_asks_for():
    """The warned fixture breaks exactly the rules its warnings name, so the check can fail."""
    (path,) = [p for p in PATHS if p.name == "warning-restricted-profile.yaml"]
    rendered = render_fixture(path)
    seen = {v for _, spec in pods(rendered.objects) for v in violations(spec)}
    assert seen == {("tune-kernel", "Privileged Containers"), ("traffic-shaper", "Running as Non-root user"),
                    ("traffic-shaper", "Capabilities"), ("tune-kernel", "Privilege Escalation")}, seen
    assert {(w or "the pod", r) for w, r in WARNED.findall(rendered.proc.stderr)} == {
        ("tune-kernel", "Privileged Containers"), ("traffic-shaper", "Running as Non-root user"),
        ("traffic-shaper", "Capabilities")}
