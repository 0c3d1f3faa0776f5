"""Admission as the API server runs it at pod creation, whoever creates the pod (`apply`, a
controller, a client of the API): the ServiceAccount admission plugin (the pod's account must
exist; `default` always does) and Pod Security admission's `enforce` mode, from the namespace's
`pod-security.kubernetes.io/enforce` label (`privileged`, `baseline`, `restricted`; the version
label is not read: the rules are those of the documentation's current tables; an invalid level
is evaluated as `restricted`, as Kubernetes does).

The profile checks follow the Pod Security Standards rule by rule, as the Kubernetes documentation
states them (kubernetes.io/docs/concepts/security/pod-security-standards, "Baseline" and
"Restricted"). Left out: the `audit` and `warn` modes, exemptions, the Windows-only fields, and
the AppArmor annotations (only the pod spec's `appArmorProfile` is read).
"""

from __future__ import annotations

ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
LEVELS = {"privileged": 0, "baseline": 1, "restricted": 2}

# Restricted: "Volume Types"
ALLOWED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                   "projected", "secret"}
# Baseline: "Sysctls"
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
                "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
                "net.ipv4.tcp_keepalive_probes"}
SELINUX_TYPES = {None, "", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}


BASELINE, RESTRICTED = "baseline", "restricted"
# Baseline: "Capabilities" (what a container may add)
BASELINE_CAPABILITIES = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                         "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}


def checks(spec: dict) -> list[tuple[str, str, str]]:
    """(level, container name or `the pod`, rule) for every control the pod spec breaks; level is
    `baseline` or `restricted` (the restricted profile includes the baseline). A control both
    profiles state (Seccomp, Capabilities) may appear once for each."""
    found = []
    pod_context = spec.get("securityContext") or {}
    containers = [*(spec.get("initContainers") or []), *(spec.get("containers") or []),
                  *(spec.get("ephemeralContainers") or [])]

    # the pod
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key) is True:
            found.append((BASELINE, "the pod", "Host Namespaces"))
    for volume in spec.get("volumes") or []:
        if "hostPath" in volume:
            found.append((BASELINE, "the pod", "HostPath Volumes"))
        if not set(volume) - {"name"} <= ALLOWED_VOLUMES:
            found.append((RESTRICTED, "the pod", "Volume Types"))
    for sysctl in pod_context.get("sysctls") or []:
        if sysctl.get("name") not in SAFE_SYSCTLS:
            found.append((BASELINE, "the pod", "Sysctls"))
    if (pod_context.get("windowsOptions") or {}).get("hostProcess") is True:
        found.append((BASELINE, "the pod", "HostProcess"))
    if (pod_context.get("appArmorProfile") or {}).get("type") == "Unconfined":
        found.append((BASELINE, "the pod", "AppArmor"))
    pod_selinux = pod_context.get("seLinuxOptions") or {}
    if pod_selinux.get("type") not in SELINUX_TYPES or pod_selinux.get("user") or pod_selinux.get("role"):
        found.append((BASELINE, "the pod", "SELinux"))
    pod_seccomp = (pod_context.get("seccompProfile") or {}).get("type")
    if pod_seccomp == "Unconfined":
        found.append((BASELINE, "the pod", "Seccomp"))
    if pod_context.get("runAsNonRoot") is False:
        found.append((RESTRICTED, "the pod", "Running as Non-root"))
    if pod_context.get("runAsUser") == 0:
        found.append((RESTRICTED, "the pod", "Running as Non-root user"))
    pod_non_root = pod_context.get("runAsNonRoot") is True

    # each container
    for c in containers:
        name, context = c.get("name", ""), c.get("securityContext") or {}
        capabilities = context.get("capabilities") or {}
        added = set(capabilities.get("add") or [])
        if context.get("privileged") is True:
            found.append((BASELINE, name, "Privileged Containers"))
        if added - BASELINE_CAPABILITIES:
            found.append((BASELINE, name, "Capabilities"))
        if (context.get("windowsOptions") or {}).get("hostProcess") is True:
            found.append((BASELINE, name, "HostProcess"))
        if any((p.get("hostPort") or 0) != 0 for p in c.get("ports") or []):
            found.append((BASELINE, name, "Host Ports"))
        if (context.get("appArmorProfile") or {}).get("type") == "Unconfined":
            found.append((BASELINE, name, "AppArmor"))
        selinux = context.get("seLinuxOptions") or {}
        if selinux.get("type") not in SELINUX_TYPES or selinux.get("user") or selinux.get("role"):
            found.append((BASELINE, name, "SELinux"))
        if context.get("procMount") not in (None, "Default"):
            found.append((BASELINE, name, "/proc Mount Type"))
        seccomp = (context.get("seccompProfile") or {}).get("type")
        if seccomp == "Unconfined":
            found.append((BASELINE, name, "Seccomp"))
        if context.get("allowPrivilegeEscalation") is not False:
            found.append((RESTRICTED, name, "Privilege Escalation"))
        non_root = context.get("runAsNonRoot")
        if non_root is False or (non_root is None and not pod_non_root):
            found.append((RESTRICTED, name, "Running as Non-root"))
        if context.get("runAsUser") == 0:
            found.append((RESTRICTED, name, "Running as Non-root user"))
        if (seccomp or pod_seccomp) not in ("RuntimeDefault", "Localhost"):
            found.append((RESTRICTED, name, "Seccomp"))
        if "ALL" not in (capabilities.get("drop") or []) or added - {"NET_BIND_SERVICE"}:
            found.append((RESTRICTED, name, "Capabilities"))
    return found


def violations(spec: dict) -> list[tuple[str, str]]:
    """(container name or `the pod`, rule) for every control of the restricted profile (which
    includes the baseline) the pod spec breaks, whichever level states it."""
    return sorted({(who, rule) for _, who, rule in checks(spec)})


def refusal(objects: dict, namespace: str, pod_name: str, spec: dict) -> str | None:
    """Why the API server refuses to create this pod, or None."""
    account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    if account != "default" and ("ServiceAccount", namespace, account) not in objects:
        return (f'pods "{pod_name}" is forbidden: error looking up service account {namespace}/{account}: '
                f'serviceaccount "{account}" not found')
    ns = objects.get(("Namespace", None, namespace)) or {}
    enforce = ((ns.get("metadata") or {}).get("labels") or {}).get(ENFORCE_LABEL, "privileged")
    if enforce not in LEVELS:  # an invalid level is evaluated as restricted:latest (PolicyToEvaluate)
        enforce = RESTRICTED
    wanted = LEVELS[enforce]
    broken = sorted({f"{rule} ({who})" for level, who, rule in checks(spec) if LEVELS[level] <= wanted})
    if broken:
        return f'pods "{pod_name}" is forbidden: violates PodSecurity "{enforce}:latest": ' + ", ".join(broken)
    return None
