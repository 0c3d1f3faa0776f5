"""Native mode against Flink's own native client: what flink-render renders for a native
FlinkDeployment is what Flink's `KubernetesClusterDescriptor` creates from the same
configuration, field by field, but for the differences listed in `INTENTIONAL` (reference
native-mode.md §1, §1.5).

Per case (a native fixture, a fixture moved to the other Flink major, or one of the `DECORATORS`
specs, which set the options Flink's decorators read):
  1. render it with flink-render;
  2. run Flink's real client of the case's Flink major (1.x: FLINK_HOME_1 = 1.20.5, 2.x:
     FLINK_HOME_2 = 2.3.0), as a user runs it, with the configuration flink-render computed:
     the rendered `flink-config-<name>` ConfigMap's files are the client's conf dir
     (FLINK_CONF_DIR: `flink-conf.yaml` for 1.x, read by 1.20's legacy reader; the nested
     `config.yaml` for 2.x, which Flink 2 reads as it is), the rendered TaskManager template text
     is the file `kubernetes.pod-template-file.taskmanager` points to, and the JobManager
     template is the one the operator would hand the client (the spec's pod templates merged,
     when the spec has any). Application clusters: `flink run-application` (1.20) / `flink run`
     (2.x) `--target kubernetes-application --detached [-c class] <jarURI> [args]`; session
     clusters: `kubernetes-session.sh`. Namespace and cluster id are those of the rendered
     configuration (no namespace: the client's `default`);
  3. record what the client created (every object the API's store gained during the run, read
     right after the client exits), then delete its Deployment (the API's garbage collector takes
     the rest, which Flink made the Deployment's dependents) and check that nothing is left;
  4. normalise (drop uid, resourceVersion, creationTimestamp, generation, ownerReferences; the
     namespace the objects landed in is checked, then dropped; object names read `<name>` for the
     cluster id) and compare: which objects, and in each object every field (lists of named items
     by name, ConfigMap items by key), the Flink configuration file key by key as Flink reads it
     (1.x: the legacy line reader; 2.x: YAML, flattened), and the TaskManager pod template text.
     Every difference must match an entry of `INTENTIONAL` (where it may occur, on which side,
     and, where the value matters, what it must be), else the case fails with the list of
     unexplained differences.

How the client reaches the API: the local kubelet's API server (tests/kubelet/api.py) listens on
https://10.244.0.1:443 inside the harness's bridge ("node") network namespace, which the host's
own namespace does not route to. The client's JVM runs in that namespace (`nsenter --net`, as
root, which the harness needs anyway) with a kubeconfig that names that server, the harness's CA
and its `system:admin` token, as a cluster administrator's kubeconfig would: fabric8 speaks TLS
and the real API to it, under the API's authentication and RBAC. Nothing else about the client
is changed (its JVM compiles with C1 only, as the harness's pods do, which changes its speed and
nothing it computes).

No JobManager runs: the cluster is made with `replica_cap=0`, so the harness's Deployment
controller scales every Deployment to no pod (the module checks that no pod was ever made), and
each case deletes what its client created before the next one runs.

The comparison is checked not to be vacuous: changed decorator fields in our render (an env
variable, a Service port, a config value) must be reported (`test_a_changed_field_is_reported`),
and every entry of `INTENTIONAL` must have been needed by some case
(`test_every_intentional_difference_is_needed`, when every case ran).

Not covered: `kubernetes.env.secretKeyRef` and `kubernetes.hadoop.conf.config-map.name`, which
flink-render does not render yet (it warns `ignored-config-key`; Flink's EnvSecrets and
HadoopConfMount decorators would add an env variable, and a volume, mount and HADOOP_CONF_DIR);
NodePort and LoadBalancer rest Services (the client then reads nodes or the load balancer's
status, which the harness's API does not serve, and fails after creating the objects); Kerberos;
the TaskManager pods, which the running JobManager builds (test_kubernetes_ha.py runs those).
"""

from __future__ import annotations

import base64
import copy
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
import yaml

from conftest import (
    FIXTURES,
    REPO,
    describe,
    flatten_nested,
    flink_home_for_conf_file,
    legacy_flink_conf_parse,
    real_world_paths,
    run_flink_render,
)

sys.path.insert(0, str(REPO / "tests"))

from kubelet import Cluster  # noqa: E402
from kubelet.api import PORT  # noqa: E402
from kubelet.net import NODE_IP  # noqa: E402

# the cases share one cluster: keep them on one pytest-xdist worker (--dist loadgroup), in order
pytestmark = pytest.mark.xdist_group("native-client")

CLIENT_TIMEOUT_S = 120
TM_TEMPLATE_KEY = "taskmanager-pod-template.yaml"
TM_TEMPLATE_IN_POD = "/opt/flink/pod-template/taskmanager-pod-template.yaml"
SERVER_FIELDS = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "ownerReferences")


# ------------------------------------------------------------------------------------------------
# the cases
# ------------------------------------------------------------------------------------------------

def on_flink(version: str, image: str) -> Callable[[dict], None]:
    """An edit of the spec: the same FlinkDeployment on another Flink version."""

    def edit(doc: dict) -> None:
        doc["spec"]["flinkVersion"] = version
        doc["spec"]["image"] = image

    return edit


# The options Flink's JobManager and Service decorators read, in one application cluster (a
# Headless_ClusterIP rest Service; `-c` and program args on the client's command line).
DECORATORS = """
apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata:
  name: native-decorators
  namespace: streaming
spec:
  image: flink:2.2
  imagePullPolicy: Always
  flinkVersion: v2_2
  mode: native
  serviceAccount: flink
  flinkConfiguration:
    taskmanager.numberOfTaskSlots: "2"
    kubernetes.jobmanager.service-account: flink-jobmanager
    kubernetes.jobmanager.labels: "team:data,tier:control"
    kubernetes.jobmanager.annotations: "prometheus.io/scrape:true,prometheus.io/port:9249"
    kubernetes.jobmanager.node-selector: "pool:control"
    kubernetes.jobmanager.tolerations: "key:dedicated,operator:Equal,value:flink,effect:NoSchedule"
    kubernetes.jobmanager.cpu.limit-factor: "2"
    kubernetes.jobmanager.memory.limit-factor: "1.5"
    kubernetes.container.image.pull-secrets: "regcred;mirror-cred"
    kubernetes.secrets: "tls-certs:/opt/secrets/tls"
    containerized.master.env.LOG_FORMAT: json
    kubernetes.rest-service.exposed.type: Headless_ClusterIP
    kubernetes.rest-service.annotations: "service.example.com/role:rest"
    kubernetes.rest-service.labels: "exposed:false"
    kubernetes.internal-service.annotations: "service.example.com/role:rpc"
    kubernetes.internal-service.labels: "internal:true"
    kubernetes.flink.conf.dir: /etc/flink
    kubernetes.flink.log.dir: /var/log/flink
    kubernetes.entry.path: /custom-entrypoint.sh
    rest.port: "8082"
    rest.bind-port: "8083"
    jobmanager.rpc.port: "6200"
    blob.server.port: "6201"
  logConfiguration:
    log4j-console.properties: |
      rootLogger.level = INFO
    logback-console.xml: |
      <configuration/>
  jobManager:
    resources:
      requests:
        memory: "1600m"
        cpu: "0.5"
      limits:
        memory: "2400m"
        cpu: "1"
  taskManager:
    resources:
      requests:
        memory: "2048m"
        cpu: "1"
  job:
    jarURI: local:///opt/flink/examples/streaming/StateMachineExample.jar
    entryClass: org.apache.flink.streaming.examples.statemachine.StateMachineExample
    args: ["--error-rate", "0.1"]
    parallelism: 2
    upgradeMode: stateless
"""


@dataclass(frozen=True)
class Case:
    id: str
    source: str  # a fixture's file name, or a spec's YAML text
    edit: Callable[[dict], None] | None = None


CASES = [
    Case("native-application", "native-application.yaml"),
    Case("native-session-cluster", "native-session-cluster.yaml"),
    Case("native-kubernetes-ha", "native-kubernetes-ha.yaml"),
    Case("native-pod-templates", "native-pod-templates.yaml"),
    Case("mode-omitted", "mode-omitted.yaml"),
    # each client on both majors: kubernetes-session.sh on 2.x, HA on 1.20, and the decorators'
    # options on both (on 1.20 also `flink run-application`)
    Case("native-session-cluster-on-2.2", "native-session-cluster.yaml", on_flink("v2_2", "flink:2.2")),
    Case("native-kubernetes-ha-on-1.20", "native-kubernetes-ha.yaml", on_flink("v1_20", "flink:1.20")),
    Case("native-decorators", DECORATORS),
    Case("native-decorators-on-1.20", DECORATORS, on_flink("v1_20", "flink:1.20")),
]


NOT_A_URI = re.compile(r"[\s{}<>]")


def real_world_native_cases() -> list[Case]:
    """The native FlinkDeployments other people wrote (fixtures/real-world/, `mode` omitted or
    `native`, one document per file) that are valid by upstream's rules (they render)."""
    cases = []
    for path in real_world_paths():
        try:
            docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
        except yaml.YAMLError:
            continue
        if len(docs) != 1 or not isinstance(docs[0], dict) or docs[0].get("kind") != "FlinkDeployment":
            continue
        spec = docs[0].get("spec") or {}
        if spec.get("mode", "native") != "native":
            continue
        if NOT_A_URI.search((spec.get("job") or {}).get("jarURI") or ""):
            continue  # a documentation template (`{{< param Version >}}`): Flink's client refuses it
        if run_flink_render(["render", str(path)]).returncode == 0:
            cases.append(Case("real-world:" + path.stem, str(path.relative_to(FIXTURES))))
    return cases


REAL_WORLD_CASES = real_world_native_cases()
CASES += REAL_WORLD_CASES


# ------------------------------------------------------------------------------------------------
# the differences we mean (every other difference fails)
# ------------------------------------------------------------------------------------------------

ABSENT = object()
ANY = object()


def flink_map(text: str | None) -> dict:
    """A Flink map option (`k1:v1,k2:v2`)."""
    return dict(item.split(":", 1) for item in (text or "").split(",") if ":" in item)


@dataclass
class Diff:
    """A difference: the path (see `flatten`), Flink's value and ours (ABSENT where a side has
    none), and our configuration (flat) for the checks that need it."""

    path: str
    flink: object
    ours: object
    config: dict


@dataclass
class Intentional:
    """Differences at the paths `pattern` matches (a regex over the whole path): `ours` and
    `flink` say what each side must hold there (ANY, ABSENT, or a value), and `check`, when
    given, must hold too."""

    pattern: str
    reason: str
    ours: object = ANY
    flink: object = ANY
    check: Callable[[Diff], bool] | None = None
    seen: set = field(default_factory=set)

    def explains(self, diff: Diff) -> bool:
        if not re.fullmatch(self.pattern, diff.path):
            return False
        for want, got in ((self.ours, diff.ours), (self.flink, diff.flink)):
            if want is ABSENT and got is not ABSENT:
                return False
            if want is not ANY and want is not ABSENT and got != want:
                return False
        return self.check is None or bool(self.check(diff))


DEPLOYMENT = r"Deployment/<name>"
POD = rf"{DEPLOYMENT}\.spec\.template\.spec"
MAIN = rf"{POD}\.containers\[flink-main-container\]"
NAMESPACE_FROM_POD = " -D kubernetes.namespace=$(POD_NAMESPACE)"
OUR_POD_ANNOTATIONS = {"flink-render/config-hash", "flink-render/pod-template-hash"}


def label_of(option: str) -> Callable[[Diff], bool]:
    """The label Flink set is the one `option` (a map) gives."""
    return lambda d: flink_map(d.config.get(option)).get(d.path.split(".metadata.labels.", 1)[1]) == d.flink


INTENTIONAL = [
    # -- objects only flink-render renders ------------------------------------------------------
    Intentional(r"object ServiceAccount/.*", "the pods' ServiceAccounts, which the operator's Helm "
                "chart creates (`flink`) and a render brings along", flink=ABSENT),
    Intentional(r"object (Role|RoleBinding)/<name>", "the RBAC the JobManager needs to create and "
                "delete its TaskManager pods (with HA also its ConfigMaps), native-mode.md §2",
                flink=ABSENT),
    Intentional(r"object ConfigMap/<name>-scripts-[0-9a-f]+", "the lifecycle scripts the hand-over and "
                "the lifecycle Jobs run", flink=ABSENT),
    Intentional(r"object Job/<name>-savepoint-.*", "a savepoint by nonce: a lifecycle Job, where the "
                "operator acts", flink=ABSENT),
    Intentional(r"object Ingress/<name>", "`spec.ingress`: the operator creates the Ingress itself "
                "(IngressUtils), beside what Flink's client creates", flink=ABSENT),
    # -- the JobManager Deployment: the hand-over (application clusters) --------------------------
    Intentional(rf"{DEPLOYMENT}\.spec\.template\.metadata\.name", "a pod template's own "
                "`metadata.name`, which the client copies and Kubernetes ignores in a Deployment (the "
                "ReplicaSet names its pods): not rendered", ours=ABSENT),
    Intentional(rf"{DEPLOYMENT}\.spec\.strategy", "the rollout the hand-over needs: the new JobManager "
                "beside the old one until it is ready", flink=ABSENT),
    Intentional(rf"{POD}\.initContainers(\[flink-render-handoff\])?", "the hand-over: it stops the "
                "running revision's job by upgrade mode before the new JobManager starts", flink=ABSENT),
    Intentional(rf"{MAIN}\.command", "our start wrapper runs the hand-over's result, then Flink's "
                "entrypoint (the same command) with Flink's args",
                check=lambda d: isinstance(d.ours, list) and d.ours[-len(d.flink):] == d.flink),
    Intentional(rf"{MAIN}\.env\[FLINK_RENDER_REVISION\]", "the application's revision, for the "
                "hand-over", flink=ABSENT),
    Intentional(rf"{POD}\.volumes\[flink-render-(handoff|scripts)\]", "the hand-over's result and the "
                "lifecycle scripts", flink=ABSENT),
    Intentional(rf"{MAIN}\.volumeMounts\[(flink-render-|/flink-render/)(handoff|scripts)\]", "the hand-over's result "
                "and the lifecycle scripts", flink=ABSENT),
    Intentional(rf"{DEPLOYMENT}\.spec\.template\.metadata\.annotations(\.flink-render/.*)?", "a changed "
                "configuration or TaskManager template rolls the JobManager (where the operator "
                "redeploys)", flink=ABSENT,
                check=lambda d: set(d.ours) <= OUR_POD_ANNOTATIONS if isinstance(d.ours, dict)
                else d.path.split(".annotations.", 1)[1] in OUR_POD_ANNOTATIONS),
    # -- hardening and probes ----------------------------------------------------------------------
    Intentional(rf"{POD}\.(containers\[[^]]+\]\.)?securityContext", "hardening: the restricted Pod "
                "Security profile, for every container", flink=ABSENT),
    Intentional(rf"{POD}\.volumes\[flink-(tmp|log)\]", "hardening: where Flink writes, under a "
                "read-only root filesystem", flink=ABSENT),
    Intentional(rf"{MAIN}\.volumeMounts\[flink-(tmp|log)\]", "hardening: where Flink writes, under a "
                "read-only root filesystem", flink=ABSENT),
    # (mounts are keyed by mountPath where a spec mounts one volume twice)
    Intentional(rf"{MAIN}\.volumeMounts\[(flink-config-volume|pod-template-volume|/opt/flink/conf|"
                r"/opt/flink/pod-template)\]\.readOnly",
                "hardening: the configuration and template mounts say they are read-only (ConfigMap "
                "volumes are)", ours=True, flink=ABSENT),
    Intentional(rf"{MAIN}\.(livenessProbe|readinessProbe)", "our health probes", flink=ABSENT),
    Intentional(rf"{MAIN}\.startupProbe", "the operator's startup probe (FO §3.4), which the operator "
                "puts in the JobManager template it hands the client", flink=ABSENT),
    Intentional(rf"{MAIN}\.ports\[(rest|jobmanager-rpc|blobserver)\]\.protocol", "the API's default "
                "protocol, written out", ours="TCP", flink=ABSENT),
    Intentional(rf"{MAIN}\.ports\[rest\]\.containerPort", "the container's `rest` port is where the "
                "JobManager listens (rest.bind-port), which the probes reach by the port's name; "
                "Flink's decorator declares rest.port, the Service's port",
                check=lambda d: d.flink == int(d.config.get("rest.port", "8081"))
                and d.ours == int(d.config["rest.bind-port"])),
    # -- the Services --------------------------------------------------------------------------------
    Intentional(r"Service/<name>-rest\.metadata\.labels\..+", "the operator builds the Services "
                "with the Flink library it bundles (1.20), which has no kubernetes.rest-service.labels "
                "(Flink 2.1, FLINK-37478); we follow the operator", ours=ABSENT,
                check=label_of("kubernetes.rest-service.labels")),
    Intentional(r"Service/<name>\.metadata\.labels\..+", "the operator builds the Services with the "
                "Flink library it bundles (1.20), which has no kubernetes.internal-service.labels "
                "(Flink 2.1, FLINK-37478); we follow the operator", ours=ABSENT,
                check=label_of("kubernetes.internal-service.labels")),
    # -- no namespace in the spec (rendered for whichever namespace it is applied in) --------------
    Intentional(rf"{MAIN}\.args", "no namespace in the spec: the JobManager takes its namespace from "
                "the pod (the downward API's POD_NAMESPACE) as a dynamic property",
                check=lambda d: d.flink is not ABSENT and d.ours == [*d.flink[:2], d.flink[2] + NAMESPACE_FROM_POD]),
    Intentional(rf"{MAIN}\.env\[POD_NAMESPACE\]", "no namespace in the spec: the pod's namespace, for "
                "that dynamic property", flink=ABSENT),
    Intentional(r"config\[jobmanager\.rpc\.address\]", "no namespace in the spec: the internal "
                "Service's short name, which resolves in the pod's namespace; the client qualifies it "
                "with the namespace it deploys to (`default`)", check=lambda d: d.flink == f"{d.ours}.default"),
    # -- the configuration file --------------------------------------------------------------------
    Intentional(r"config\[kubernetes\.pod-template-file\.taskmanager\]", "the client ships its local "
                "path of the template file; the JobManager reads the mounted file whatever the value "
                "(KubernetesUtils#getTaskManagerPodTemplateFileInPod); we write that file's path",
                ours=TM_TEMPLATE_IN_POD),
    Intentional(r"config\[kubernetes\.pod-template-file\.jobmanager\]", "the operator's temporary file "
                "of the JobManager template; its pod exists already, nothing reads it", ours=ABSENT),
    Intentional(r"config\[execution\.attached\]", "the CLI writes its --detached flag: Flink's default, "
                "which the operator's deploy leaves unset", ours=ABSENT, flink="false"),
    Intentional(r"config\[execution\.shutdown-on-attached-exit\]", "the CLI writes its default",
                ours=ABSENT, flink="false"),
    Intentional(r"config\[execution\.state-recovery\.claim-mode\]", "the CLI writes its restore options' "
                "defaults; what to restore is the hand-over's, passed at start", ours=ABSENT, flink="NO_CLAIM"),
    Intentional(r"config\[execution\.state-recovery\.ignore-unclaimed-state\]", "the CLI writes its "
                "default (no --allowNonRestoredState)", ours=ABSENT, flink="false"),
    Intentional(r"config\[\$internal\.application\.program-args\]", "Flink 2 writes an empty list as "
                "the string '[]', which its YAML reader reads back as the list we write",
                ours=[], flink="[]"),
]


# ------------------------------------------------------------------------------------------------
# normalising and comparing
# ------------------------------------------------------------------------------------------------

def flatten(value, prefix: str, nodes: dict | None = None) -> dict:
    """`{path: value}` for every node of `value` (`prefix` itself, every subtree, every leaf):
    mappings by key (`a.b`), lists of named items by item (`[name]`; volume mounts by their
    volume's name, or by their path where a volume is mounted twice; ConfigMap items by their
    key); other lists are leaves."""
    nodes = {} if nodes is None else nodes
    nodes[prefix] = value
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(v, f"{prefix}.{k}", nodes)
    elif isinstance(value, list) and value and all(isinstance(i, dict) for i in value):
        for ident in ("name", "mountPath", "key"):
            ids = [i.get(ident) for i in value]
            if all(isinstance(x, str) for x in ids) and len(set(ids)) == len(ids):
                for item, x in zip(value, ids):
                    flatten(item, f"{prefix}[{x}]", nodes)
                break
    return nodes


def is_leaf(nodes: dict, path: str) -> bool:
    value = nodes[path]
    if isinstance(value, dict):
        return not value
    return not any(p.startswith(f"{path}[") for p in nodes) if isinstance(value, list) else True


def without_server_fields(obj: dict) -> dict:
    obj = copy.deepcopy(obj)
    md = obj.setdefault("metadata", {})
    for key in SERVER_FIELDS:
        md.pop(key, None)
    md.pop("namespace", None)
    obj.pop("status", None)
    return obj


def config_file(data: dict) -> str:
    names = [n for n in ("config.yaml", "flink-conf.yaml") if n in data]
    assert len(names) == 1, f"expected one Flink configuration file, found {sorted(data)}"
    return names[0]


def scalar(value):
    """A configuration value as text, the way Flink reads a YAML scalar."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return [scalar(v) for v in value]
    return value


def flink_config(data: dict) -> dict:
    """The configuration file as Flink reads it: 1.x's legacy line reader for flink-conf.yaml,
    YAML flattened with '.' for config.yaml."""
    name = config_file(data)
    if name == "flink-conf.yaml":
        return legacy_flink_conf_parse(data[name])
    return {k: scalar(v) for k, v in flatten_nested(yaml.safe_load(data[name]) or {}).items()}


def object_key(obj: dict, cluster: str) -> str:
    """`Kind/name` with the cluster id read as `<name>` (`ConfigMap/flink-config-<name>`)."""
    return f"{obj['kind']}/{obj['metadata']['name'].replace(cluster, '<name>')}"


def object_nodes(obj: dict, cluster: str) -> dict:
    """An object's nodes by path (`flatten`); the flink-config ConfigMap's configuration file key by
    key (`config[key]`)."""
    obj = without_server_fields(obj)
    prefix = object_key(obj, cluster)
    data = obj.get("data") if obj["kind"] == "ConfigMap" else None
    if data and any(n in data for n in ("config.yaml", "flink-conf.yaml")):
        obj = dict(obj, data={k: v for k, v in data.items() if k != config_file(data)})
        nodes = flatten(obj, prefix)
        nodes[f"{prefix}.data.<configuration file>"] = config_file(data)
        nodes.update({f"config[{k}]": v for k, v in flink_config(data).items()})
        return nodes
    return flatten(obj, prefix)


def compare(flink_objects: list[dict], our_objects: list[dict], cluster: str) -> list[Diff]:
    """Every difference: at the leaf, or where a whole subtree is on one side only, at the
    subtree's root (an object only one side has: `object Kind/name`)."""
    flink = {object_key(o, cluster): o for o in flink_objects}
    ours = {object_key(o, cluster): o for o in our_objects}
    config_map = next((o for o in our_objects if object_key(o, cluster) == "ConfigMap/flink-config-<name>"), None)
    config = flink_config(config_map["data"]) if config_map else {}
    diffs = []
    for key in sorted(set(flink) | set(ours)):
        if key not in flink or key not in ours:
            diffs.append(Diff(f"object {key}", key in flink or ABSENT, key in ours or ABSENT, config))
            continue
        a, b = object_nodes(flink[key], cluster), object_nodes(ours[key], cluster)
        seen = set()
        for path in sorted({p for p in a if is_leaf(a, p)} | {p for p in b if is_leaf(b, p)}):
            fv, ov = a.get(path, ABSENT), b.get(path, ABSENT)
            if fv == ov:
                continue
            if fv is ABSENT or ov is ABSENT:  # the root of the subtree only one side has
                one, other = (b, a) if fv is ABSENT else (a, b)
                path = min((p for p in one if p not in other and path.startswith(p)
                            and path[len(p):len(p) + 1] in ("", ".", "[")), key=len)
                fv, ov = a.get(path, ABSENT), b.get(path, ABSENT)
            if path not in seen:
                seen.add(path)
                diffs.append(Diff(path, fv, ov, config))
    return diffs


def unexplained(diffs: list[Diff], case_id: str | None) -> list[str]:
    """The differences no INTENTIONAL entry explains, described; marks the entries used."""
    show = lambda v: "(absent)" if v is ABSENT else repr(v)  # noqa: E731
    out = []
    for diff in diffs:
        entry = next((e for e in INTENTIONAL if e.explains(diff)), None)
        if entry is None:
            out.append(f"{diff.path}\n    Flink's client: {show(diff.flink)}\n    flink-render:   {show(diff.ours)}")
        elif case_id is not None:
            entry.seen.add(case_id)
    return out


# ------------------------------------------------------------------------------------------------
# rendering and running the client
# ------------------------------------------------------------------------------------------------

def spec_of(case: Case) -> dict:
    text = case.source if "\n" in case.source else (FIXTURES / case.source).read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    if case.edit:
        case.edit(doc)
    return doc


def render(case: Case, work: Path) -> list[dict]:
    path = None if "\n" in case.source or case.edit else FIXTURES / case.source
    if path is None:
        path = work / "spec.yaml"
        path.write_text(yaml.safe_dump(spec_of(case), sort_keys=False), encoding="utf-8")
    proc = run_flink_render(["render", str(path)])
    assert proc.returncode == 0, describe(proc)
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def merge_templates(base, own):
    """The operator's pod-template merge (FO §3.1): mappings key by key, lists by position, the
    component's value over the common one."""
    if isinstance(base, dict) and isinstance(own, dict):
        out = dict(base)
        for k, v in own.items():
            out[k] = merge_templates(base[k], v) if k in base else v
        return out
    if isinstance(base, list) and isinstance(own, list):
        merged = [merge_templates(b, o) for b, o in zip(base, own)]
        return merged + own[len(merged):] + base[len(merged):]
    return base if own is None else own


def jobmanager_template(spec: dict) -> dict | None:
    """The JobManager pod template the operator hands the client (without the startup probe it
    adds, see INTENTIONAL): the spec's common template under the JobManager's."""
    common = spec.get("podTemplate")
    own = (spec.get("jobManager") or {}).get("podTemplate")
    if common is None and own is None:
        return None
    return merge_templates(common or {}, own or {})


def kubeconfig(cluster: Cluster) -> dict:
    return {
        "apiVersion": "v1", "kind": "Config", "current-context": "harness", "preferences": {},
        "clusters": [{"name": "harness", "cluster": {
            "server": f"https://{NODE_IP}:{PORT}",
            "certificate-authority-data": base64.b64encode(cluster.api.ca_pem).decode()}}],
        "users": [{"name": "admin", "user": {"token": cluster.api.admin_token}}],
        "contexts": [{"name": "harness", "context": {"cluster": "harness", "user": "admin"}}],
    }


def flink_home(major: str) -> Path:
    """FLINK_HOME_1 (1.20.5) or FLINK_HOME_2 (2.3.0)."""
    return flink_home_for_conf_file("flink-conf.yaml" if major == "1" else "config.yaml")


def find(objects: list[dict], kind: str, name: str) -> dict:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


@dataclass
class Run:
    case: Case
    name: str
    ours: list[dict]
    flink: list[dict]
    namespace: str | None
    flink_namespace: str
    seconds: float


def client_command(spec: dict, home: Path, options: list[str]) -> list[str]:
    """The command a user runs: `flink run-application` (1.x) / `flink run` (2.x) for an
    application, `kubernetes-session.sh` for a session cluster."""
    job = spec["spec"].get("job")
    if not job:
        return [str(home / "bin/kubernetes-session.sh"), *options]
    action = "run-application" if spec["spec"]["flinkVersion"].startswith("v1_") else "run"
    argv = [str(home / "bin/flink"), action, "--target", "kubernetes-application", "--detached", *options]
    if job.get("entryClass"):
        argv += ["-c", job["entryClass"]]
    return argv + [job["jarURI"], *(job.get("args") or [])]


def run_client(cluster: Cluster, case: Case, work: Path) -> Run:
    work.mkdir(parents=True)
    spec = spec_of(case)
    name = spec["metadata"]["name"]
    major = spec["spec"]["flinkVersion"].removeprefix("v").split("_")[0]
    home = flink_home(major)
    ours = render(case, work)
    config_map = find(ours, "ConfigMap", f"flink-config-{name}")
    assert config_file(config_map["data"]) == ("flink-conf.yaml" if major == "1" else "config.yaml")
    conf = work / "conf"
    conf.mkdir()
    for key, text in config_map["data"].items():
        (conf / key).write_text(text, encoding="utf-8")
    tm_template = work / TM_TEMPLATE_KEY
    tm_template.write_text(find(ours, "ConfigMap", f"pod-template-{name}")["data"][TM_TEMPLATE_KEY], encoding="utf-8")
    (work / "kubeconfig").write_text(yaml.safe_dump(kubeconfig(cluster)), encoding="utf-8")
    options = [f"-Dkubernetes.config.file={work / 'kubeconfig'}",
               f"-Dkubernetes.pod-template-file.taskmanager={tm_template}"]
    jm_template = jobmanager_template(spec["spec"])
    if jm_template is not None:
        (work / "jobmanager-pod-template.yaml").write_text(yaml.safe_dump(jm_template), encoding="utf-8")
        options.append(f"-Dkubernetes.pod-template-file.jobmanager={work / 'jobmanager-pod-template.yaml'}")
    (work / "log").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBERNETES_", "FLINK_", "HADOOP_"))}
    env.update(FLINK_CONF_DIR=str(conf), FLINK_LOG_DIR=str(work / "log"), KUBECONFIG=str(work / "kubeconfig"),
               JAVA_TOOL_OPTIONS="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    command = ["nsenter", f"--net={cluster.network.bridge.path}", "--", *client_command(spec, home, options)]
    before = set(cluster.store.objects)
    started = time.monotonic()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, encoding="utf-8", errors="replace",
                          timeout=CLIENT_TIMEOUT_S, stdin=subprocess.DEVNULL, cwd=work)
    seconds = time.monotonic() - started
    with cluster._lock:
        created = {k: copy.deepcopy(o) for k, o in cluster.store.objects.items() if k not in before}
    for key in created:
        if key[0] == "Deployment":
            cluster.delete(key[0], key[2], key[1])
    left = [k for k in created if k in cluster.store.objects]
    assert proc.returncode == 0, (f"Flink's client failed\n$ {' '.join(command)}\n--- stdout ---\n"
                                  f"{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}")
    assert created, f"Flink's client created nothing\n{proc.stdout[-2000:]}"
    assert not left, f"deleting the JobManager Deployment left {left}: not all were its dependents"
    namespaces = {k[1] for k in created}
    assert len(namespaces) == 1, f"the client created objects in several namespaces: {namespaces}"
    return Run(case, name, ours, list(created.values()), spec["metadata"].get("namespace"), namespaces.pop(),
               seconds)


# ------------------------------------------------------------------------------------------------
# the tests
# ------------------------------------------------------------------------------------------------

RUNS: dict[str, Run] = {}


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(flink_homes={"1": flink_home("1"), "2": flink_home("2")}, replica_cap=0, grace_cap_s=2)
    try:
        yield c
        assert not c.pods(include_gone=True), "a pod ran: no JobManager may start in this test"
    finally:
        c.close()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_native_render_is_what_flinks_client_creates(cluster, case, tmp_path):
    run = run_client(cluster, case, tmp_path / case.id)
    RUNS[case.id] = run
    assert run.flink_namespace == (run.namespace or "default")
    for obj in run.ours:
        assert not obj["metadata"].get("ownerReferences"), f"{obj['kind']} {obj['metadata']['name']} has an owner"
    problems = unexplained(compare(run.flink, run.ours, run.name), case.id)
    created = ", ".join(sorted(object_key(o, run.name) for o in run.flink))
    print(f"{case.id}: Flink's client ({run.seconds:.1f} s) created {created}")
    assert not problems, (f"{len(problems)} difference(s) from Flink's native client that INTENTIONAL does not "
                          "explain:\n" + "\n".join(problems))


def run_of(cluster, case: Case, tmp_path_factory) -> Run:
    """The case's run, from its test when it ran in this process, else run here (under
    pytest-xdist the cases can be split between workers), its intentional differences marked."""
    if case.id not in RUNS:
        run = run_client(cluster, case, tmp_path_factory.mktemp("again") / case.id)
        RUNS[case.id] = run
        unexplained(compare(run.flink, run.ours, run.name), case.id)
    return RUNS[case.id]


def test_a_changed_field_is_reported(cluster, tmp_path_factory):
    """The comparison is not vacuous: drop `_POD_IP_ADDRESS` from our JobManager (a field Flink's
    InitJobManagerDecorator sets), change the rest Service's port and a config value: each is
    reported."""
    run = run_of(cluster, CASES[0], tmp_path_factory)
    ours = copy.deepcopy(run.ours)
    deployment = find(ours, "Deployment", run.name)
    main = next(c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "flink-main-container")
    main["env"] = [e for e in main["env"] if e["name"] != "_POD_IP_ADDRESS"]
    find(ours, "Service", f"{run.name}-rest")["spec"]["ports"][0]["port"] = 8082
    data = find(ours, "ConfigMap", f"flink-config-{run.name}")["data"]
    if config_file(data) == "flink-conf.yaml":
        data["flink-conf.yaml"] += "blob.server.port: 6125\n"  # the legacy reader keeps the last
    else:
        nested = yaml.safe_load(data["config.yaml"])
        nested["blob"]["server"]["port"] = "6125"
        data["config.yaml"] = yaml.safe_dump(nested)
    problems = "\n".join(unexplained(compare(run.flink, ours, run.name), None))
    assert "Deployment/<name>.spec.template.spec.containers[flink-main-container].env[_POD_IP_ADDRESS]" in problems, \
        problems
    assert "Service/<name>-rest.spec.ports[rest].port" in problems, problems
    assert "config[blob.server.port]" in problems, problems


def test_the_real_world_native_specs_are_compared():
    """The selection above keeps finding the public native specs (17 of them valid and
    one-document when this was written): a change that rejected them all would empty it."""
    assert len(REAL_WORLD_CASES) >= 15, [c.id for c in REAL_WORLD_CASES]


def test_every_intentional_difference_is_needed(cluster, tmp_path_factory):
    """An entry no case needs is stale (or its pattern is wrong): the table says only what is."""
    for case in CASES:
        run_of(cluster, case, tmp_path_factory)
    stale = [f"{e.pattern}: {e.reason}" for e in INTENTIONAL if not e.seen]
    assert not stale, "INTENTIONAL entries no case needed:\n" + "\n".join(stale)
