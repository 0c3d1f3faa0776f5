"""Every pod flink-render renders meets the Pod Security Standards' restricted profile (which
includes the baseline), checked rule by rule as the Kubernetes documentation states them
(kubernetes.io/docs/concepts/security/pod-security-standards, "Baseline" and "Restricted"
tables), over every valid fixture's, upstream example's and real-world spec's output: the
Deployments' pods, the TaskManagers', and the lifecycle Jobs'.

A pod template may ask for what the profile forbids (a privileged init container, a sidecar that
runs as root or adds capabilities); flink-render keeps it and warns `restricted-profile` naming
the container and the rule. Such a violation is allowed only where that warning says so.
"""

from __future__ import annotations

import re

import pytest

from conftest import fixture_id, fixture_params, real_world_paths, render_fixture, valid_fixture_paths

# Restricted: "Volume Types"
ALLOWED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                   "projected", "secret"}
# Baseline: "Sysctls"
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
                "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
                "net.ipv4.tcp_keepalive_probes"}
SELINUX_TYPES = {None, "", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
WARNED = re.compile(r"warning\[restricted-profile\]: (?:container `([^`]*)`|the pod) [^(]*\(([^)]*)\)")


def pods(objects: list[dict]):
    for o in objects:
        if o.get("kind") in ("Deployment", "Job"):
            yield f"{o['kind']}/{o['metadata']['name']}", o["spec"]["template"]["spec"]


def violations(spec: dict) -> list[tuple[str, str]]:
    """(container name or `the pod`, rule) for every control the pod spec breaks."""
    found = []
    pod_context = spec.get("securityContext") or {}
    containers = [*(spec.get("initContainers") or []), *(spec.get("containers") or []),
                  *(spec.get("ephemeralContainers") or [])]

    # baseline
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key) is True:
            found.append(("the pod", "Host Namespaces"))
    for volume in spec.get("volumes") or []:
        if "hostPath" in volume:
            found.append(("the pod", "HostPath Volumes"))
        kinds = set(volume) - {"name"}
        if not kinds <= ALLOWED_VOLUMES:
            found.append(("the pod", "Volume Types"))
    for sysctl in pod_context.get("sysctls") or []:
        if sysctl.get("name") not in SAFE_SYSCTLS:
            found.append(("the pod", "Sysctls"))
    if (pod_context.get("windowsOptions") or {}).get("hostProcess") is True:
        found.append(("the pod", "HostProcess"))
    if (pod_context.get("appArmorProfile") or {}).get("type") == "Unconfined":
        found.append(("the pod", "AppArmor"))
    if (pod_context.get("seLinuxOptions") or {}).get("type") not in SELINUX_TYPES:
        found.append(("the pod", "SELinux"))

    pod_non_root = pod_context.get("runAsNonRoot") is True
    pod_seccomp = (pod_context.get("seccompProfile") or {}).get("type")
    if pod_context.get("runAsUser") == 0:
        found.append(("the pod", "Running as Non-root user"))
    if pod_seccomp == "Unconfined":
        found.append(("the pod", "Seccomp"))
    for c in containers:
        name, context = c.get("name", ""), c.get("securityContext") or {}
        capabilities = context.get("capabilities") or {}
        if context.get("privileged") is True:
            found.append((name, "Privileged Containers"))
        if (context.get("windowsOptions") or {}).get("hostProcess") is True:
            found.append((name, "HostProcess"))
        if any((p.get("hostPort") or 0) != 0 for p in c.get("ports") or []):
            found.append((name, "Host Ports"))
        if (context.get("appArmorProfile") or {}).get("type") == "Unconfined":
            found.append((name, "AppArmor"))
        selinux = context.get("seLinuxOptions") or {}
        if selinux.get("type") not in SELINUX_TYPES or selinux.get("user") or selinux.get("role"):
            found.append((name, "SELinux"))
        if context.get("procMount") not in (None, "Default"):
            found.append((name, "/proc Mount Type"))
        # restricted
        if context.get("allowPrivilegeEscalation") is not False:
            found.append((name, "Privilege Escalation"))
        non_root = context.get("runAsNonRoot")
        if non_root is False or (non_root is None and not pod_non_root):
            found.append((name, "Running as Non-root"))
        if context.get("runAsUser") == 0:
            found.append((name, "Running as Non-root user"))
        seccomp = (context.get("seccompProfile") or {}).get("type") or pod_seccomp
        if seccomp not in ("RuntimeDefault", "Localhost"):
            found.append((name, "Seccomp"))
        if "ALL" not in (capabilities.get("drop") or []) or set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}:
            found.append((name, "Capabilities"))
    return found


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
