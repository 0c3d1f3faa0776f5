"""Run what flink-render renders on a real Flink, through the local kubelet harness (tests/kubelet,
DESIGN §8): the rendered pods' containers as local processes over the PyPI Flink distributions,
each pod in its own network namespace, as the pod's user, with its mounts, env and probes.

For each fixture in RUN_CASES:
  * the JobManager's REST API answers (through the `<name>-rest` Service) and the expected number
    of TaskManagers (replicas, capped at the harness's 2 per Deployment) registers, each with the
    configured slots;
  * application clusters: the job shows up under the `--job-id` of the rendered args and reaches
    RUNNING with the parallelism the spec asks for;
  * the JVMs' -Xmx, -Xms, -XX:MaxDirectMemorySize and -XX:MaxMetaspaceSize equal what
    `flink-render memory` prints, and the JVMs run as uid 9999;
  * nothing listens in the host's network namespace; after close() no process is left in any of
    the cluster's namespaces and no mount of it is visible on the host.
Clusters are pipelined: while one case is checked, the next one boots (KUBELET_PARALLEL, default
2 clusters at a time).

Also: the read-only root file system the render asks for (the emptyDirs it adds are what Flink
needs, and without them the JobManager fails), session jobs submitted by their rendered Jobs
(from an http and an https artifact server), a jar fetched over http, broken copies of rendered streams that must never get
TaskManagers registered, a batch Job (exit code, termination log, env and volume semantics), a
rolling update with every probe kind, and unit checks of the harness's Kubernetes semantics.

Every local fixture is classified in RUN_CASES, COVERED_ELSEWHERE or CANNOT_RUN_OFFLINE.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from conftest import (
    FIXTURES,
    REPO,
    describe,
    fixture_args,
    flatten_nested,
    flink_home_for_conf_file,
    legacy_flink_conf_parse,
    load_input_docs,
    render_fixture,
    run_flink_render,
    summary,
)

sys.path.insert(0, str(REPO / "tests"))

from kubelet import Cluster, HarnessError, ImageStore, JOB_CLASS, build_job_jar  # noqa: E402
from kubelet import model  # noqa: E402

WAIT_READY_S = 150
WAIT_TMS_S = 120
WAIT_JOB_S = 120
REPLICA_CAP = 2
PARALLEL = max(1, int(os.environ.get("KUBELET_PARALLEL", "2")))
FLINK_PORTS = {6121, 6122, 6123, 6124, 6125, 8081}
JVM_FLAGS = ("-Xmx", "-Xms", "-XX:MaxDirectMemorySize=", "-XX:MaxMetaspaceSize=")


@dataclass(frozen=True)
class Case:
    fixture: str
    covers: str


# Together these cover every rendered feature at least once (both Flink versions, session and
# application, pod-template layers, memory variants, logging, secrets, probes, env, namespaces,
# several TaskManagers).
RUN_CASES = [
    Case("basic-application.yaml", "Flink 2.x application, nested config.yaml, 1 TM; root-write census; batch Job"),
    Case("session-cluster-with-replicas.yaml", "Flink 1.20 session cluster, 3 TM replicas (capped to 2); savepoint/restore"),
    Case("basic-application-flink-1-20.yaml", "Flink 1.20 application, flat flink-conf.yaml; root-write census"),
    Case("pod-template-merge-by-name.yaml", "common + JM + TM pod templates, sidecars, extra labels, emptyDir at /opt/flink/log"),
    Case("common-pod-template-sidecar.yaml", "Flink 2.x common pod template, sidecar, extra volumes"),
    Case("memory-from-fine-grained-options.yaml", "memory from fine-grained options (1.20)"),
    Case("memory-kubernetes-quantity.yaml", "memory as Kubernetes quantities (2.x)"),
    Case("memory-limit-factors.yaml", "requests/limits and limit factors (1.20)"),
    Case("deprecated-resource-field.yaml", "deprecated resource field, 1.19 spec on 1.20, JM 1 gb"),
    Case("custom-logging.yaml", "custom log4j-console.properties (2.x)"),
    Case("logback-logging.yaml", "logback-console.xml only, on an image with log4j2 only (1.20)"),
    Case("kubernetes-secrets-mount.yaml", "Secret volume (the harness supplies the Secret)"),
    Case("multi-document-stream.yaml", "namespace from metadata, Secret and Namespace in the stream (2.x)"),
    Case("entry-class-and-args.yaml", "entryClass and job args, another jar path (1.20)"),
    Case("containerized-env.yaml", "containerized.master/taskmanager.env (1.20)"),
    Case("yaml-tricky-strings.yaml", "YAML-1.1-tricky env values and config strings (2.x)"),
    Case("namespace-from-metadata.yaml", "namespace analytics, rpc address <name>.<ns>, 2 TMs (1.19 spec)"),
    Case("user-startup-probe-kept.yaml", "a user startupProbe (GET /overview every 5 s)"),
    Case("startup-probe-disabled.yaml", "no startupProbe: default readiness (process alive, REST answers)"),
    Case("taskmanager-replicas-override-parallelism.yaml", "4 slots, parallelism 12 > capped slots (2.x)"),
    Case("operator-defaults-file.yaml", "--defaults file: pod templates with tolerations/nodeSelector, 2 TMs"),
    Case("session-cluster.yaml", "Flink 2.x session cluster; the test job's state survives a savepoint on 2.x"),
    Case("jar-in-image-user-lib.yaml", "a jar in /opt/flink/usrlib of the image, found by the classpath scan (1.20)"),
    Case("pod-template-as-whole-pod.yaml", "pod templates written as whole Pods, TM env from the template (1.20)"),
]

SESSION_JOBS = "session-jobs-from-artifact-server.yaml"

COVERED_ELSEWHERE = {
    "session-job-cluster-elsewhere.yaml": "a submit Job only; test_cli_contract.py shows that session jobs rendered "
                                          "against a reference equal those of the one-run render, which "
                                          "test_session_jobs_submitted runs",
    "cpu-millicores.yaml": "cpu only reaches Flink config and resources (no cgroups here); like basic-application",
    "empty-array-drops-key.yaml": "a config key less; otherwise basic-application-flink-1-20",
    "ephemeral-storage-resources.yaml": "ephemeral-storage is a resource, not enforced; like basic-application",
    "ingress-host-template.yaml": "the Ingress is not emulated; the rest is basic-application",
    "ingress-path-template.yaml": "the Ingress is not emulated; the rest is basic-application-flink-1-20",
    "jobmanager-labels-annotations.yaml": "labels/annotations on pods; selectors as in basic-application",
    "jobvertex-parallelism-overrides.yaml": "10 TMs (capped to 2); the capped case is taskmanager-replicas-override-parallelism",
    "json-input.json": "the same objects as basic-application-flink-1-20 (1.19 spec)",
    "mode-omitted.yaml": "native (mode omitted): test_native_mode.py runs that shape through the lifecycle",
    "mode-omitted-rendered-standalone.yaml": "--omitted-mode standalone: the objects are like basic-application",
    "native-application.yaml": "native: test_native_mode.py runs an application (mode omitted) through the lifecycle",
    "native-session-cluster.yaml": "native: test_native_mode.py runs a native session cluster with a session job",
    "native-kubernetes-ha.yaml": "native with Kubernetes HA: test_native_mode.py step 5; s3-free, but 2 JobManagers "
                                 "here would only repeat test_kubernetes_ha.py's leader election",
    "native-pod-templates.yaml": "the TaskManager template's layers: test_native_client.py compares the template "
                                 "Flink builds pods from; the pods are like native-application's",
    "namespace-from-flag.yaml": "session cluster in a namespace: session-cluster-with-replicas + multi-document-stream",
    "nested-flink-configuration.yaml": "config shapes, checked by test_flink_accepts_config; like basic-application",
    "operator-keys-stripped.yaml": "keys absent from the ConfigMap; like basic-application",
    "parallelism-rounds-up-taskmanagers.yaml": "4 TMs (capped); like taskmanager-replicas-override-parallelism",
    "resources-over-resource.yaml": "memory 4096m: one more memory variant",
    "pod-template-positional-merge.yaml": "positional instead of by-name merge; run like pod-template-merge-by-name",
    "restart-nonce.yaml": "a different job id only; like basic-application-flink-1-20",
    "suspended-job.yaml": "test_suspended_job_parks_its_jobmanager",
    "session-job-stop-on-delete.yaml": "s3:// state without credentials offline; its stop Job runs in test_lifecycle's session job upgrade",
    "savepoint-trigger-nonce.yaml": "the savepoint Job runs in test_lifecycle (step 2); the pods are like basic-application",
    "savepoint-redeploy-nonce.yaml": "its hand-over runs in test_lifecycle (step 8); the pods are like basic-application",
    "rest-service-load-balancer.yaml": "a Service type only (no kube-proxy here); like basic-application",
    "jar-remote-https.yaml": "test_remote_jar_is_fetched: the same spec with its jar on the test's http server",
    "last-state-without-ha.yaml": "an upgrade mode; its upgrades run in test_lifecycle; the pods are like basic-application",
    "network-policy-and-existing-service-account.yaml": "a NetworkPolicy (not enforced here) and no ServiceAccount object; "
                                                        "the pods are like basic-application",
    "pod-template-defaults-as-whole-pod.yaml": "whole-Pod templates from --defaults; run like pod-template-as-whole-pod",
    "secrets-and-exposed-rest.yaml": "a config value and a Service type (no kube-proxy here); like basic-application",
    "warning-deprecated-flink-version.yaml": "warnings only; the objects are like basic-application-flink-1-20",
    "warning-image-omitted.yaml": "warnings only; the derived image runs like basic-application",
    "warning-new-directory-keys-on-flink-1-19.yaml": "warnings only; like deprecated-resource-field (1.19 spec)",
    "warning-operator-managed-keys.yaml": "warnings only; keys left out of the ConfigMap like operator-keys-stripped",
    "warning-taskmanager-cpu-omitted.yaml": "warnings only; cpu is not enforced here",
    "warning-repeats-fold.yaml": "warnings only; five native session clusters like native-session-cluster",
    "warning-restricted-profile.yaml": "warnings only; sidecar and init containers of other images run as stand-ins here, like common-pod-template-sidecar's (privilege and capabilities are not enforced)",
    SESSION_JOBS: "test_session_jobs_submitted: the cluster and its submit Jobs, with an artifact server",
}

# Observed on the harness: the JobManager exits with UnsupportedFileSystemSchemeException for
# scheme 's3' (HA storage), or the job FAILS with JobInitializationException caused by it
# (checkpoint storage, savepoint path). The PyPI distribution ships no S3 plugin, and Kubernetes
# HA would next need a Kubernetes API server for leader election and its ConfigMaps.
CANNOT_RUN_OFFLINE = {
    "kubernetes-ha-last-state.yaml": "its s3:// HA storage and checkpoints need a filesystem plugin the PyPI "
                                     "distribution lacks (Kubernetes HA itself runs in test_kubernetes_ha.py)",
    "zookeeper-ha-last-state.yaml": "its s3:// HA storage needs a filesystem plugin the PyPI distribution lacks "
                                    "(ZooKeeper HA with last-state runs in test_lifecycle.py)",
    "initial-savepoint-path.yaml": "the job FAILS at start: --fromSavepoint s3://... (no S3 filesystem plugin offline; "
                                   "and that savepoint does not exist)",
    "savepoint-upgrade-mode.yaml": "the job FAILS at start: s3:// state.checkpoints.dir, no S3 filesystem plugin offline",
    "seed-aliases.yaml": "s3:// state.checkpoints.dir / state.savepoints.dir, no S3 filesystem plugin offline",
    "kubernetes-ha-namespace-from-pod.yaml": "its HA storage file:///ha is not writable under the read-only root: "
                                             "the JobManager wins leader election through the API (the RoleBinding's "
                                             "subject names no namespace, read as the binding's own), then fails at "
                                             "the job result store; test_native_mode.py applies a namespace-less "
                                             "render into a namespace",
    "jar-remote-s3-with-plugin.yaml": "an s3:// jar: the PyPI distribution has no S3 filesystem plugin and no S3 offline",
}

LOCAL_KUBELET = "local kubelet"  # the terminal summary's section


def report(kind: str, line: str) -> None:
    summary(LOCAL_KUBELET, f"{kind}: {line}")


@pytest.fixture(scope="module", autouse=True)
def _root():
    if os.geteuid() != 0:  # a failure, never a skip (like a missing Flink distribution)
        pytest.fail("the local kubelet harness needs root (network and mount namespaces, overlayfs, bind mounts)")


# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------


def flink_conf(cm: dict) -> tuple[str, dict[str, str]]:
    data = cm.get("data") or {}
    if "config.yaml" in data:
        return "2", {k: str(v) for k, v in flatten_nested(yaml.safe_load(data["config.yaml"])).items()}
    return "1", legacy_flink_conf_parse(data["flink-conf.yaml"])


def homes() -> dict[str, Path]:
    return {"1": flink_home_for_conf_file("flink-conf.yaml"), "2": flink_home_for_conf_file("config.yaml")}


def jvm_flags(args) -> dict[str, str]:
    """The memory flags of a JVM command line (the last occurrence wins, as in the JVM)."""
    tokens = args.split() if isinstance(args, str) else args
    out = {}
    for t in tokens:
        for p in JVM_FLAGS:
            if t.startswith(p):
                out[p] = t
    return out


def host_listeners() -> list[tuple[str, int, set[int]]]:
    """(local address, port, pids) of every listening TCP/UDP socket in the host's namespace."""
    r = subprocess.run(["ss", "-H", "-ltnup"], capture_output=True, text=True, check=True, timeout=20)
    out = []
    for line in r.stdout.splitlines():
        parts = line.split()
        local = parts[4] if len(parts) > 4 else ""
        port = local.rsplit(":", 1)[-1]
        pids = {int(p) for p in re.findall(r"pid=(\d+)", line)}
        out.append((local, int(port) if port.isdigit() else -1, pids))
    return out


def host_mounts() -> str:
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        return f.read()


def uid_of(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[2])  # effective
    raise AssertionError(f"no Uid line for pid {pid}")


@dataclass
class Deployment:
    """What one FlinkDeployment rendered to, and what to expect of it."""

    name: str
    namespace: str
    major: str
    conf: dict
    jm: dict
    tm: dict
    job_id: str | None
    parallelism: int
    slots: int
    tm_replicas: int
    memory: dict


def analyse(objects: list[dict], memory: list[dict], default_ns: str = "default") -> list[Deployment]:
    out = []
    deps = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Deployment"}
    for cm in (o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("flink-config-")):
        name = cm["metadata"]["name"][len("flink-config-"):]
        major, conf = flink_conf(cm)
        jm, tm = deps[name], deps[f"{name}-taskmanager"]
        args = next(c for c in jm["spec"]["template"]["spec"]["containers"] if c["name"] == "flink-main-container")["args"]
        job_id = args[args.index("--job-id") + 1] if "--job-id" in args else None
        mem = next(m for m in memory if m["name"] == name)
        out.append(Deployment(name, cm["metadata"].get("namespace") or default_ns, major, conf, jm, tm, job_id,
                              int(conf.get("parallelism.default", "1")), int(conf.get("taskmanager.numberOfTaskSlots", "1")),
                              tm["spec"].get("replicas", 1), mem))
    return out


def local_jars(path: Path) -> dict[str, str]:
    """{path in the image: main class} for every `local://` jarURI of the input specs."""
    out = {}
    for d in load_input_docs(path):
        job = ((d or {}).get("spec") or {}).get("job") or {}
        uri = job.get("jarURI") or ""
        if uri.startswith("local://"):
            out[uri[len("local://"):]] = job.get("entryClass") or JOB_CLASS
    return out


def missing_secrets(objects: list[dict], default_ns: str) -> list[dict]:
    """Secrets the pods need that the stream does not hold (the harness supplies them: a real
    cluster would already have them, or the pods would never start)."""
    have = {(o["metadata"].get("namespace") or default_ns, o["metadata"]["name"]) for o in objects if o["kind"] == "Secret"}
    need = set()
    for o in objects:
        if o["kind"] not in ("Deployment", "Job"):
            continue
        ns = o["metadata"].get("namespace") or default_ns
        for v in o["spec"]["template"]["spec"].get("volumes") or []:
            if "secret" in v:
                need.add((ns, v["secret"]["secretName"]))
    return [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": n, "namespace": ns},
             "stringData": {"supplied-by": "kubelet harness"}} for ns, n in sorted(need - have)]


# ------------------------------------------------------------------------------------------------
# Session fixtures: shared image layers and jars, pipelined clusters
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def kubelet_store(tmp_path_factory):
    return ImageStore(tmp_path_factory.mktemp("kubelet-images"))


@pytest.fixture(scope="session")
def jars_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("kubelet-jars")


@dataclass
class Started:
    case: Case
    cluster: Cluster
    deployments: list
    objects: list
    t0: float


class Pipeline:
    """Starts clusters ahead of the test that checks them, at most PARALLEL at a time."""

    def __init__(self, store: ImageStore, jars: Path, selected: list[Case]):
        self.store, self.jars, self.selected = store, jars, selected
        self.started: dict[str, Started] = {}
        self.errors: dict[str, BaseException] = {}

    def _start(self, case: Case) -> None:
        if case.fixture in self.started or case.fixture in self.errors:
            return
        try:
            path = FIXTURES / case.fixture
            extra = tuple(fixture_args(path))
            rendered = render_fixture(path)
            assert rendered.proc.returncode == 0, describe(rendered.proc)
            objects = rendered.objects
            mem = run_flink_render(["memory", str(path), *extra, "--format", "json"])
            assert mem.returncode == 0, describe(mem)
            deps = analyse(objects, json.loads(mem.stdout))
            assert deps, f"{case.fixture}: no FlinkDeployment rendered"
            major = deps[0].major
            files = {p: build_job_jar(homes()[major], self.jars, cls) for p, cls in local_jars(path).items()}
            cluster = Cluster(flink_homes=homes(), image_files=files, images=self.store, replica_cap=REPLICA_CAP)
            t0 = time.monotonic()
            cluster.apply(objects + missing_secrets(objects, cluster.namespace))
            self.started[case.fixture] = Started(case, cluster, deps, objects, t0)
        except BaseException as e:  # noqa: BLE001 - reported by the test that takes it
            self.errors[case.fixture] = e

    def take(self, case: Case) -> Started:
        self._start(case)
        i = self.selected.index(case)
        for nxt in self.selected[i + 1 : i + PARALLEL]:
            self._start(nxt)
        if case.fixture in self.errors:
            raise self.errors.pop(case.fixture)
        return self.started[case.fixture]

    def release(self, case: Case) -> None:
        s = self.started.pop(case.fixture, None)
        if s is not None:
            s.cluster.close()

    def close(self) -> None:
        for k in list(self.started):
            self.started.pop(k).cluster.close()


@pytest.fixture(scope="module")
def pipeline(kubelet_store, jars_dir, request):
    ids = {item.name for item in request.session.items}
    selected = [c for c in RUN_CASES if f"test_rendered_cluster_runs[{c.fixture}]" in ids]
    p = Pipeline(kubelet_store, jars_dir, selected)
    yield p
    p.close()


# ------------------------------------------------------------------------------------------------
# The checks
# ------------------------------------------------------------------------------------------------


def check_deployment(cluster: Cluster, d: Deployment) -> list[str]:
    """Run every check on one FlinkDeployment; returns timing notes."""
    notes = []
    t0 = time.monotonic()
    jm_pods = cluster.wait_ready(d.name, timeout=WAIT_READY_S, namespace=d.namespace)
    tm_pods = cluster.wait_ready(f"{d.name}-taskmanager", timeout=WAIT_READY_S, namespace=d.namespace)
    notes.append(f"pods ready {time.monotonic() - t0:.1f}s")
    rest = f"{d.name}-rest.{d.namespace}"
    want_tms = min(d.tm_replicas, REPLICA_CAP)

    # a TaskManager's slots are reported a moment after it registers: wait for all of them
    # (waiting for one slot per TaskManager let a slow machine read 2 of 4 slots)
    overview = cluster.wait_for(
        lambda: (lambda o: o if o["taskmanagers"] == want_tms and o["slots-total"] >= want_tms * d.slots else None)(
            cluster.rest_json(rest, "/overview")),
        WAIT_TMS_S, f"{want_tms} TaskManagers registered with {rest}")
    notes.append(f"{want_tms} TMs registered {time.monotonic() - t0:.1f}s")
    assert overview["slots-total"] == want_tms * d.slots, overview
    assert overview["flink-version"] == ("2.3.0" if d.major == "2" else "1.20.5"), overview
    tms = cluster.rest_json(rest, "/taskmanagers")["taskmanagers"]
    assert sorted(t["slotsNumber"] for t in tms) == [d.slots] * want_tms, tms
    tm_ips = sorted(p.ip for p in tm_pods)
    assert sorted(re.search(r"(\d+\.\d+\.\d+\.\d+)", t["path"]).group(1) for t in tms) == tm_ips, (tms, tm_ips)

    if d.job_id:
        def job_running():
            j = cluster.rest_json(rest, f"/jobs/{d.job_id}")
            return j if j["state"] == "RUNNING" else None

        job = cluster.wait_for(job_running, WAIT_JOB_S, f"job {d.job_id} RUNNING")
        notes.append(f"job RUNNING {time.monotonic() - t0:.1f}s")
        assert job["jid"] == d.job_id
        assert [v["parallelism"] for v in job["vertices"]] == [d.parallelism] * len(job["vertices"]), job["vertices"]
        jobs = cluster.rest_json(rest, "/jobs")["jobs"]
        assert [j["id"] for j in jobs] == [d.job_id], jobs
    else:
        assert cluster.rest_json(rest, "/jobs")["jobs"] == []

    # JVM flags and users
    for pods, process in ((jm_pods, "jobmanager"), (tm_pods, "taskmanager")):
        want = jvm_flags(d.memory[process]["jvmArgs"])
        for p in pods:
            args = p.jvm_args()
            assert args and os.path.basename(args[0]) == "java", f"{p.name}: main process is not a JVM: {args[:3]}"
            assert jvm_flags(args) == want, f"{p.name}: JVM memory flags {jvm_flags(args)} != flink-render memory {want}"
            assert uid_of(p.jvm_pid()) == 9999, f"{p.name}: Flink does not run as uid 9999"

    # nothing in the host's network namespace; the JobManager listens in its own
    ours = set(cluster.leftover_processes())
    bad = [(a, port) for a, port, pids in host_listeners() if pids & ours or (port in FLINK_PORTS and not pids)]
    assert not bad, f"listening in the host's network namespace: {bad}"
    jm_listen = jm_pods[0].net.ns.run(["ss", "-H", "-ltn"]).stdout
    assert ":8081 " in jm_listen and ":6123 " in jm_listen, jm_listen
    return notes


def close_and_check(cluster: Cluster) -> None:
    before = host_mounts()
    pids = [c.pid for p in cluster.pods() for c in p.containers if c.pid]
    cluster.close()
    assert cluster.leftover_processes() == [], "processes left in the cluster's namespaces"
    assert not [pid for pid in pids if os.path.exists(f"/proc/{pid}")], "container processes left"
    assert str(cluster.work_dir) not in host_mounts(), "a mount of the harness is visible on the host"
    assert host_mounts().count("\n") <= before.count("\n")


@pytest.mark.parametrize("case", [pytest.param(c, id=c.fixture) for c in RUN_CASES])
def test_rendered_cluster_runs(case: Case, pipeline: Pipeline):
    started = pipeline.take(case)
    cluster = started.cluster
    try:
        notes = []
        for d in started.deployments:
            notes += check_deployment(cluster, d)
        if case.fixture in ("basic-application.yaml", "basic-application-flink-1-20.yaml"):
            for p in cluster.pods():
                role = "JobManager" if p.owner_name == started.deployments[0].name else "TaskManager"
                writes = p.container().root_writes()
                report("root writes", f"{case.fixture} {role}: {summarise_writes(writes)}")
        if case.fixture == "basic-application.yaml":
            check_batch_job(cluster)
        if case.fixture in ("session-cluster-with-replicas.yaml", "session-cluster.yaml"):
            t = time.monotonic()
            check_state_survives_savepoint(cluster, started.deployments[0], pipeline.jars)
            notes.append(f"savepoint/restore check {time.monotonic() - t:.1f}s")
        for n in cluster.notes:
            report("notes", f"{case.fixture}: {n}")
        report("timings", f"{case.fixture}: {', '.join(notes)}, total {time.monotonic() - started.t0:.1f}s")
    finally:
        pipeline.release(case)
    assert cluster.leftover_processes() == []


def summarise_writes(paths: list[str]) -> str:
    """Directories Flink wrote into on the root file system (two levels, or the file's dir)."""
    tops = set()
    for p in paths:
        parts = p.strip("/").split("/")
        if parts[0] == "opt":
            tops.add("/" + "/".join(parts[:3]))
        else:
            tops.add("/" + parts[0])
    return ", ".join(sorted(tops)) + f" ({len(paths)} paths, e.g. {', '.join(paths[:4])})"


# ------------------------------------------------------------------------------------------------
# The test job's state survives a savepoint (session cluster, REST only)
# ------------------------------------------------------------------------------------------------


def counts_in_taskmanagers(cluster: Cluster, d: Deployment, path: str) -> dict[int, int]:
    """The test job's --state-file content ({key: count}), from whichever TaskManager runs it."""
    for p in cluster.pods(f"{d.name}-taskmanager"):
        out = cluster.exec(p, ["cat", f"{path}.0"], check=False).stdout
        if out.strip():
            return {int(k): int(v) for k, v in (line.split() for line in out.splitlines())}
    return {}


def check_state_survives_savepoint(cluster: Cluster, d: Deployment, jars: Path) -> None:
    """Upload the test job, run it fast, watch its keyed counts (metric and state file), stop it
    with a savepoint, run it again from the savepoint slowly: every key's count continues from
    the savepoint instead of starting at zero."""
    rest = f"{d.name}-rest.{d.namespace}"
    jar = build_job_jar(homes()[d.major], jars)
    boundary = "kubelet-harness-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\"counting-job.jar\"\r\n"
            f"Content-Type: application/x-java-archive\r\n\r\n").encode() + jar.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    status, data = cluster.http(rest, 8081, "/jars/upload", "POST", body,
                                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 200, data
    jar_id = os.path.basename(json.loads(data)["filename"])
    keys = 4

    def run(args: list[str], **extra) -> str:
        body = {"entryClass": JOB_CLASS, "programArgsList": ["--keys", str(keys), *args], "parallelism": 1, **extra}
        jid = cluster.rest_json(rest, f"/jars/{jar_id}/run", method="POST", body=body, timeout=60)["jobid"]

        def running():
            j = cluster.rest_json(rest, f"/jobs/{jid}")
            return j if all(v["status"] == "RUNNING" for v in j["vertices"]) else None

        cluster.wait_for(running, WAIT_JOB_S, f"all vertices of job {jid} RUNNING")
        return jid

    jid = run(["--sleep-ms", "2", "--state-file", "/tmp/counts-first"])
    job = cluster.rest_json(rest, f"/jobs/{jid}")
    vid = next(v["id"] for v in job["vertices"] if v["name"].startswith("count"))
    metric = f"/jobs/{jid}/vertices/{vid}/subtasks/metrics?get=count.countSum"
    cluster.wait_for(lambda: cluster.rest_json(rest, metric)[0]["sum"] >= 200, 60, "count.countSum >= 200 (metric)")

    stop = cluster.rest_json(rest, f"/jobs/{jid}/stop", method="POST",
                             body={"targetDirectory": "file:///tmp/kubelet-savepoints", "drain": False})
    op = cluster.wait_for(
        lambda: (lambda r: r if r["status"]["id"] == "COMPLETED" else None)(
            cluster.rest_json(rest, f"/jobs/{jid}/savepoints/{stop['request-id']}")),
        60, "stop-with-savepoint")
    location = (op.get("operation") or {}).get("location")
    assert location, f"stop-with-savepoint failed: {op}"
    cluster.wait_for(lambda: cluster.rest_json(rest, f"/jobs/{jid}")["state"] == "FINISHED", 30, "job FINISHED")
    saved = counts_in_taskmanagers(cluster, d, "/tmp/counts-first")
    assert sorted(saved) == list(range(keys)) and min(saved.values()) >= 40, saved

    # 5 events a second: from zero, no key could reach its saved count within the check
    run(["--sleep-ms", "200", "--state-file", "/tmp/counts-restored"], savepointPath=location)
    restored = cluster.wait_for(lambda: (lambda c: c if len(c) == keys else None)(
        counts_in_taskmanagers(cluster, d, "/tmp/counts-restored")), 60, "counts of the restored job")
    assert all(restored[k] > saved[k] for k in range(keys)), f"state did not continue: saved {saved}, restored {restored}"
    report("notes", f"{d.name}: keyed state survived stop-with-savepoint: saved {saved}, restored {restored}")


# ------------------------------------------------------------------------------------------------
# A batch Job against a running cluster
# ------------------------------------------------------------------------------------------------

PROBE_SCRIPT = r"""
{
  echo "id=$(id -u):$(id -g) groups=$(id -G | tr ' ' '\n' | sort -n | tr '\n' ' ')"
  echo "init=$(cat /scratch/init.txt)"
  echo "B=$B C=$C"
  echo "ip=$([ "$POD_IP" = "$(hostname -i)" ] && echo own || echo "$POD_IP/$(hostname -i)")"
  echo "ns=$POD_NS name=$([ "$POD_NAME" = "$(hostname)" ] && echo hostname || echo "$POD_NAME/$(hostname)")"
  echo "cm=$FROM_CM secret=$FROM_SECRET"
  echo "items=$(cat /cfg/sub/alpha.txt) mode=$(stat -L -c %a /cfg/sub/alpha.txt) data=$(test -L /cfg/..data && echo link)"
  echo "subpath=$(cat /single/b.txt)"
  echo "secret=$(stat -L -c %a:%g /sec/token)"
  touch /cfg/x 2>/dev/null && echo "cfg=rw" || echo "cfg=ro"
  touch /scratch/x && echo "scratch=rw:$(stat -c %g /scratch/x)"
  touch /scratch-ro/y 2>/dev/null && echo "scratch_ro=rw" || echo "scratch_ro=ro"
  echo "cwd=$(pwd)"
  echo "usrlib=$(test -e /opt/flink/usrlib && echo present || echo absent)"
  echo "rest=$(curl -s -o /dev/null -w '%{http_code}' http://basic-application-rest:8081/config)"
  echo "rest_fqdn=$(curl -s -o /dev/null -w '%{http_code}' http://basic-application-rest.default.svc.cluster.local:8081/config)"
} > /dev/termination-log
echo "probe job done"
exit 3
"""


def check_batch_job(cluster: Cluster) -> None:
    """A Job on the Flink image through its entrypoint (pass-through of `bash -c`), with an init
    container, volumes and env of every kind, against the running cluster's REST Service."""
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "probe-cm"}, "data": {"a.txt": "alpha", "b.txt": "beta"}}
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "probe-secret"}, "stringData": {"token": "s3cr3t"}}
    scratch = {"name": "scratch", "mountPath": "/scratch"}
    job = {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "probe"},
        "spec": {"backoffLimit": 0, "template": {"spec": {
            "restartPolicy": "Never",
            "securityContext": {"fsGroup": 3000},
            "initContainers": [{
                "name": "init", "image": "flink:2.2", "command": ["sh", "-c", "echo $(id -u):$(id -g) > /scratch/init.txt"],
                "securityContext": {"runAsUser": 4242, "runAsGroup": 4343}, "volumeMounts": [scratch],
            }],
            "containers": [{
                "name": "probe", "image": "flink:2.2", "command": ["/docker-entrypoint.sh"], "args": ["bash", "-c", PROBE_SCRIPT],
                "workingDir": "/scratch",
                "env": [
                    {"name": "A", "value": "alpha"}, {"name": "B", "value": "$(A)-beta"}, {"name": "C", "value": "$$(A)"},
                    {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                    {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                    {"name": "POD_NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                    {"name": "FROM_CM", "valueFrom": {"configMapKeyRef": {"name": "probe-cm", "key": "a.txt"}}},
                    {"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "probe-secret", "key": "token"}}},
                ],
                "volumeMounts": [{"name": "cfg", "mountPath": "/cfg"}, {"name": "whole", "mountPath": "/single/b.txt", "subPath": "b.txt"},
                                 {"name": "sec", "mountPath": "/sec"}, scratch,
                                 {"name": "scratch", "mountPath": "/scratch-ro", "readOnly": True}],
            }],
            "volumes": [
                {"name": "cfg", "configMap": {"name": "probe-cm", "defaultMode": 0o444, "items": [{"key": "a.txt", "path": "sub/alpha.txt"}]}},
                {"name": "whole", "configMap": {"name": "probe-cm"}},
                {"name": "sec", "secret": {"secretName": "probe-secret", "defaultMode": 0o400}},
                {"name": "scratch", "emptyDir": {}},
            ],
        }}},
    }
    cluster.apply([cm, secret])
    r = cluster.run_job(job, timeout=90)
    assert not r.succeeded and r.reason == "BackoffLimitExceeded" and r.exit_code == 3 and r.attempts == 1, r
    assert "probe job done" in r.log and "Read-only file system" not in r.log, r.log[-3000:]
    got = dict(line.split("=", 1) for line in r.termination_message.splitlines())
    assert got == {
        "id": "9999:9999 groups=3000 9999 ",  # the 2.x image's USER flink, plus the pod's fsGroup
        "init": "4242:4343",  # container securityContext over the image user
        "B": "alpha-beta C=$(A)",  # $(VAR) expansion, $$ escape
        "ip": "own",  # status.podIP is the pod's own address
        "ns": "default name=hostname",  # metadata.namespace, metadata.name = hostname
        "cm": "alpha secret=s3cr3t",  # configMapKeyRef, secretKeyRef
        "items": "alpha mode=444 data=link",  # items, defaultMode, ..data layout
        "subpath": "beta",
        "secret": "400:3000",  # defaultMode, fsGroup ownership
        "cfg": "ro",  # ConfigMap volumes are read-only
        "scratch": "rw:3000",  # emptyDir with fsGroup (setgid)
        "scratch_ro": "ro",  # readOnly volumeMount
        "cwd": "/scratch",  # workingDir
        "usrlib": "absent",  # the image has no /opt/flink/usrlib
        "rest": "200",  # Service name from a Job pod
        "rest_fqdn": "200",
    }, r.termination_message


# ------------------------------------------------------------------------------------------------
# readOnlyRootFilesystem
# ------------------------------------------------------------------------------------------------

WRITABLE = {"/tmp": "flink-tmp", "/opt/flink/log": "flink-log"}  # the emptyDirs the render adds (root-write census)


def render_objects(path: Path) -> list[dict]:
    r = run_flink_render(["render", str(path)])
    assert r.returncode == 0, describe(r)
    return [d for d in yaml.safe_load_all(r.stdout) if d]


def without_writable_volumes(objects: list[dict]) -> list[dict]:
    """A copy of the stream whose pods lose the emptyDirs at the WRITABLE paths."""
    out = copy.deepcopy(objects)
    for o in out:
        if o["kind"] != "Deployment":
            continue
        spec = o["spec"]["template"]["spec"]
        spec["volumes"] = [v for v in spec.get("volumes") or [] if v["name"] not in WRITABLE.values()]
        for c in spec["containers"]:
            c["volumeMounts"] = [m for m in c.get("volumeMounts") or [] if m["name"] not in WRITABLE.values()]
    return out


def test_read_only_root_filesystem(kubelet_store, jars_dir):
    """basic-application as rendered, hardened by default (read-only root, uid 9999, no privilege
    escalation, no capabilities, seccomp RuntimeDefault): the cluster runs and writes only to the
    emptyDirs the render adds at WRITABLE (the root-write census of the basic cases). The same
    stream without those emptyDirs: the JobManager fails on its read-only root."""
    jar = build_job_jar(homes()["2"], jars_dir)
    files = {"/opt/flink/examples/streaming/StateMachineExample.jar": jar}
    path = FIXTURES / "basic-application.yaml"
    objects = render_objects(path)
    for dep in (o for o in objects if o["kind"] == "Deployment"):
        pod = dep["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 9999, pod
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, pod
        main = next(c for c in pod["containers"] if c["name"] == "flink-main-container")
        assert main["securityContext"] == {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
                                           "capabilities": {"drop": ["ALL"]}}, main["securityContext"]
        assert {m["mountPath"]: m["name"] for m in main["volumeMounts"] if m["name"] in WRITABLE.values()} == WRITABLE
    mem = json.loads(run_flink_render(["memory", str(path), "--format", "json"]).stdout)
    (d,) = analyse(objects, mem)
    with Cluster(flink_homes=homes(), image_files=files, images=kubelet_store, replica_cap=REPLICA_CAP) as cluster:
        cluster.apply(objects)
        check_deployment(cluster, d)
        for p in cluster.pods():
            c = p.container()
            r = cluster.exec(p, ["sh", "-c", "touch /opt/flink/x 2>&1; touch /tmp/x && echo tmp-ok"], check=False)
            assert "Read-only file system" in r.stdout and "tmp-ok" in r.stdout, r.stdout
            assert c.root_writes() == [], f"{p.name} wrote to its read-only root: {c.root_writes()}"
        close_and_check(cluster)
    report("notes", f"read-only root: runs with the rendered emptyDirs at {', '.join(WRITABLE)} (uid 9999)")

    with Cluster(flink_homes=homes(), image_files=files, images=kubelet_store, replica_cap=REPLICA_CAP) as cluster:
        cluster.apply(without_writable_volumes(objects))
        with pytest.raises(HarnessError, match="exited with"):
            cluster.wait_ready("basic-application", timeout=WAIT_READY_S)
        log = cluster.pods("basic-application")[0].container().log()
        assert "Read-only file system" in log, log[-3000:]
        close_and_check(cluster)


# ------------------------------------------------------------------------------------------------
# Broken streams: the harness can fail
# ------------------------------------------------------------------------------------------------

NEGATIVE_WINDOW_S = 30


def test_broken_streams_never_register_taskmanagers(kubelet_store, jars_dir):
    """Two broken copies in one cluster: a JobManager Service whose selector matches no pod (the
    TaskManagers cannot resolve the JobManager, so they wait in their init container for a
    JobManager of their revision and never start) and a ConfigMap without a key its volume
    `items` name (the kubelet refuses the volume, so no pod starts). Neither gets a
    TaskManager."""
    jar2 = build_job_jar(homes()["2"], jars_dir)
    selector = render_fixture(FIXTURES / "basic-application.yaml").objects
    for o in selector:
        if o["kind"] == "Service" and o["metadata"]["name"] == "basic-application":
            o["spec"]["selector"]["component"] = "jobmanagr"
    missing_key = copy.deepcopy(render_fixture(FIXTURES / "session-cluster.yaml").objects)
    for o in missing_key:
        if o["kind"] == "ConfigMap":
            del o["data"]["log4j-console.properties"]
    with Cluster(flink_homes=homes(), image_files={"/opt/flink/examples/streaming/StateMachineExample.jar": jar2},
                 images=kubelet_store, replica_cap=REPLICA_CAP) as cluster:
        cluster.apply(selector + missing_key)
        cluster.wait_ready("basic-application", timeout=WAIT_READY_S)
        assert cluster.endpoints("basic-application") == [], "a Service with a wrong selector has endpoints"
        deadline = time.monotonic() + NEGATIVE_WINDOW_S
        while time.monotonic() < deadline:
            assert cluster.rest_json("basic-application-rest", "/overview")["taskmanagers"] == 0
            time.sleep(2)
        (tm,) = cluster.pods("basic-application-taskmanager")
        assert not tm.ready and tm.init_containers[0].state == "running" and tm.containers[-1].proc is None, tm.describe()
        assert "waiting for a JobManager of revision" in tm.init_containers[0].log(), tm.describe()
        for p in cluster.pods("session-cluster") + cluster.pods("session-cluster-taskmanager"):
            assert p.phase == "Pending" and not p.ready and all(c.proc is None for c in p.containers), p.describe()
            assert p.reason == "FailedMount" and "non-existent config key: log4j-console.properties" in p.message, p.describe()
        assert cluster.resolve("session-cluster-rest") is None
        close_and_check(cluster)


# ------------------------------------------------------------------------------------------------
# Harness behaviour without Flink
# ------------------------------------------------------------------------------------------------


def test_suspended_job_parks_its_jobmanager(kubelet_store):
    """A job that is suspended from its first deploy: no TaskManagers, and the JobManager parked
    in session mode with no job (it would keep the savepoint of a job it stopped; there is none,
    so the marker says so), ready for a resume to read."""
    objects = render_fixture(FIXTURES / "suspended-job.yaml").objects
    (jm,) = [o for o in objects if o["kind"] == "Deployment" and not o["metadata"]["name"].endswith("-taskmanager")]
    name = jm["metadata"]["name"]
    with Cluster(flink_homes=homes(), images=kubelet_store) as cluster:
        cluster.apply(objects)
        (pod,) = cluster.wait_ready(name, timeout=WAIT_READY_S)
        assert cluster.pods(f"{name}-taskmanager") == []
        config = {e["key"]: e["value"] for e in cluster.rest_json(f"{name}-rest", "/jobmanager/config")}
        assert config["flink-render.handoff.savepoint"] == "none", config
        assert cluster.rest_json(f"{name}-rest", "/jobs")["jobs"] == []
        close_and_check(cluster)


def test_rolling_update_and_probes(kubelet_store):
    """A changed pod template makes a new revision whose pod replaces the old one once ready, and
    the Service follows it. The pod: a web server on the Flink image (`command` bypasses the
    entrypoint) with a tcpSocket startup probe on a named port and an httpGet readiness probe on
    a numbered one, and a stand-in sidecar with an exec readiness probe. No JVM."""
    web = {"name": "web", "image": "flink:2.2", "command": ["python3", "-m", "http.server", "8080"], "workingDir": "/tmp",
           "ports": [{"name": "http", "containerPort": 8080}], "volumeMounts": [{"name": "site", "mountPath": "/site"}],
           "startupProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 1},
           "readinessProbe": {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 1}}
    agent = {"name": "agent", "image": "prom/statsd-exporter:v0.26.0",
             "readinessProbe": {"exec": {"command": ["test", "-d", "/etc"]}, "periodSeconds": 1}}
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
           "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                        "containers": [web, agent], "volumes": [{"name": "site", "configMap": {"name": "site"}}]}}}}
    site = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "site"}, "data": {"index.html": "one"}}
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"selector": {"app": "web"}, "ports": [{"port": 8080}]}}
    with Cluster(flink_homes=homes(), images=kubelet_store) as cluster:
        assert cluster.apply([site, dep, svc]) == ["configmap/site created", "service/web created", "deployment/web created"]
        (p1,) = cluster.wait_ready("web", timeout=60)
        # a ConfigMap update reaches the running pod's volume (no restart)
        cluster.apply([{**site, "data": {"index.html": "two"}}])
        cluster.wait_for(lambda: cluster.exec(p1, ["cat", "/site/index.html"], container="web").stdout == "two", 20,
                         "the ConfigMap update in the volume")
        assert cluster.endpoints("web") == [p1.ip]
        assert cluster.http("web", 8080, "/")[0] == 200
        assert p1.container("web").probes["startupProbe"].detail == "connected"
        rev2 = copy.deepcopy(dep)
        rev2["spec"]["template"]["metadata"]["annotations"] = {"rev": "2"}
        assert cluster.apply([rev2]) == ["deployment/web configured"]
        (p2,) = cluster.wait_ready("web", timeout=60)
        assert p2.name != p1.name and p2.revision != p1.revision and p1.gone
        assert cluster.endpoints("web") == [p2.ip] and cluster.http("web.default.svc.cluster.local", 8080, "/")[0] == 200
        assert uid_of(p2.container("web").pid) == 9999
        assert any("image prom/statsd-exporter:v0.26.0 is not emulated" in n for n in cluster.notes)
        # a bare Pod runs as it is; deleting it stops it
        bare = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare", "labels": {"app": "bare"}},
                "spec": {"containers": [{"name": "c", "image": "busybox:1"}]}}
        cluster.apply([bare])
        cluster.wait_for(lambda: cluster.pod("bare").ready, 20, "bare pod ready")
        with pytest.raises(HarnessError, match="immutable"):
            cluster.apply([{**bare, "spec": {"containers": [{"name": "c", "image": "busybox:2"}]}}])
        cluster.delete("Pod", "bare")
        cluster.wait_for(lambda: not cluster.pods("bare"), 20, "bare pod gone")
        close_and_check(cluster)


def test_fixture_classification_is_complete():
    local = sorted(p.name for ext in ("yaml", "yml", "json") for p in FIXTURES.glob(f"*.{ext}"))
    classified = [c.fixture for c in RUN_CASES] + list(COVERED_ELSEWHERE) + list(CANNOT_RUN_OFFLINE)
    assert sorted(classified) == sorted(set(classified)), "a fixture is classified twice"
    assert sorted(set(local) - set(classified)) == [], "fixtures not classified for the local kubelet"
    assert sorted(set(classified) - set(local)) == [], "classified fixtures that do not exist"
    for fx, why in sorted(CANNOT_RUN_OFFLINE.items()):
        report("cannot run offline", f"{fx}: {why}")


def test_a_removed_pods_namespace_keeps_its_inode_number():
    """The kernel hands a freed namespace inode number to the next namespace anyone makes. A
    cluster that swept "processes in its namespaces" by number would then kill another
    cluster's (another pytest worker's) fresh containers: so a removed pod's namespace stays
    held, off the bridge, until the Cluster object goes."""
    from kubelet.net import Network, new_netns

    network = Network()
    pod = network.add_pod()
    network.remove_pod(pod)
    others = [new_netns() for _ in range(3)]
    try:
        assert pod.ns.inode not in {o.inode for o in others}
        assert network.bridge.run(["ip", "link", "show", pod.veth], check=False).returncode != 0, "veth left"
    finally:
        for ns in [*others, pod.ns]:
            ns.stop()
            ns.release()
        network.close()
        network.bridge.release()


def test_k8s_semantics_units(tmp_path):
    env = {"A": "x", "EMPTY": ""}
    assert model.expand("$(A)-$(B)-$$(A)-$A-$(EMPTY)|$(", env) == "x-$(B)-$(A)-$A-|$("
    assert model.safe_hostname("a" * 70) == "a" * 63 and model.safe_hostname("a" * 62 + "-b") == "a" * 62
    assert model.selector_matches({"app": "x"}, {"app": "x", "b": "c"}) and not model.selector_matches({}, {"app": "x"})
    assert model.selector_matches({"matchExpressions": [{"key": "app", "operator": "In", "values": ["x"]}]}, {"app": "x"})
    assert model.parse_quantity("1500m") == model.parse_quantity("1.5") and model.parse_quantity("2Gi") == 2 ** 31
    files = model.select_items({"a": b"1", "b": b"2"}, [{"key": "a", "path": "d/a.txt", "mode": 0o600}], 0o644, False, "cm")
    model.write_atomic_volume(str(tmp_path / "v"), files)
    v = tmp_path / "v"
    assert os.readlink(v / "d") == "..data/d" and (v / "d" / "a.txt").read_bytes() == b"1"
    assert oct((v / "d" / "a.txt").stat().st_mode & 0o777) == oct(0o600)
    first = os.readlink(v / "..data")
    model.write_atomic_volume(str(v), {"e": (b"2", 0o644)})
    assert os.readlink(v / "..data") != first and not (v / first).exists() and not (v / "d").exists()
    with pytest.raises(KeyError, match="non-existent config key: z"):
        model.select_items({"a": b"1"}, [{"key": "z", "path": "z"}], 0o644, False, "configmap c")


# ------------------------------------------------------------------------------------------------
# FlinkSessionJob: the rendered submit Jobs against a running session cluster
# ------------------------------------------------------------------------------------------------

ARTIFACT_SERVER = r"""
import functools, http.server, ssl, sys, threading
root = "/opt/artifacts"
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
plain = http.server.ThreadingHTTPServer(("0.0.0.0", 8000), handler)
tls = http.server.ThreadingHTTPServer(("0.0.0.0", 8443), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(root + "/tls/server.crt", root + "/tls/server.key")
tls.socket = context.wrap_socket(tls.socket, server_side=True)
threading.Thread(target=tls.serve_forever, daemon=True).start()
print("serving", root, "on 8000 (http) and 8443 (https)", flush=True)
plain.serve_forever()
"""


def artifact_tls(work: Path) -> dict[str, Path]:
    """A CA and a server certificate for the name `artifacts`, made with openssl."""
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=work, check=True, capture_output=True, timeout=60)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=flink-render test CA",
            "-keyout", "ca.key", "-out", "ca.crt")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=artifacts", "-keyout", "server.key", "-out", "server.csr")
    (work / "san.ext").write_text("subjectAltName=DNS:artifacts,DNS:artifacts.default.svc.cluster.local\n", encoding="utf-8")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
            "-extfile", "san.ext", "-out", "server.crt")
    os.chmod(work / "server.key", 0o644)  # read by the server's uid inside the pod
    return {name: work / name for name in ("ca.crt", "server.crt", "server.key")}


def artifact_server(ca_crt: Path) -> list[dict]:
    """What a team's private artifact server would be: a Deployment, its Service, and the CA
    ConfigMap the `mirror` session job names (python's http.server on the Flink image here)."""
    labels = {"app": "artifacts"}
    container = {"name": "server", "image": "flink:2.2", "command": ["python3", "-c", ARTIFACT_SERVER],
                 "ports": [{"containerPort": 8000}, {"containerPort": 8443}],
                 "readinessProbe": {"tcpSocket": {"port": 8443}, "periodSeconds": 1}}
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "artifact-ca"},
         "data": {"ca.crt": ca_crt.read_text(encoding="utf-8")}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "artifacts"},
         "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                  "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "artifacts"},
         "spec": {"selector": labels, "ports": [{"name": "http", "port": 8000}, {"name": "https", "port": 8443}]}},
    ]


def job_env(job: dict) -> dict[str, str]:
    return {e["name"]: e["value"] for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}


def variant(job: dict, name: str, **env: str) -> dict:
    """A copy of a rendered submit Job under another name, with some settings changed."""
    out = copy.deepcopy(job)
    out["metadata"]["name"] = name
    for e in out["spec"]["template"]["spec"]["containers"][0]["env"]:
        e["value"] = env.get(e["name"], e["value"])
    return out


def test_session_jobs_submitted(tmp_path, kubelet_store, jars_dir):
    """The session cluster and its two FlinkSessionJobs as rendered, applied at once with an
    artifact server (http, and https under a private CA): both submit Jobs wait for the REST API,
    fetch their jars and run them with the rendered job ids, names and parallelism, and delete the
    uploads. Running a submit Job again submits nothing. A cluster that never answers exits 2
    after its deadline, a jar that is not there exits 3, each after backoffLimit retries."""
    path = FIXTURES / SESSION_JOBS
    rendered = render_fixture(path)
    assert rendered.proc.returncode == 0, describe(rendered.proc)
    objects = rendered.objects
    jobs = {o["metadata"]["name"].split("-submit-")[0]: o for o in objects if o["kind"] == "Job"}
    assert sorted(jobs) == ["counter", "mirror"], sorted(jobs)
    env = {name: job_env(job) for name, job in jobs.items()}
    jar = build_job_jar(homes()["2"], jars_dir)
    tls = artifact_tls(tmp_path)
    files = {"/opt/artifacts/counting-job.jar": jar, "/opt/artifacts/tls/server.crt": tls["server.crt"],
             "/opt/artifacts/tls/server.key": tls["server.key"]}
    with Cluster(flink_homes=homes(), image_files=files, images=kubelet_store, replica_cap=REPLICA_CAP) as cluster:
        t0 = time.monotonic()
        cluster.apply(objects + artifact_server(tls["ca.crt"]))
        results = {name: cluster.wait_job(job["metadata"]["name"], timeout=300) for name, job in jobs.items()}
        took = time.monotonic() - t0
        for name, r in results.items():
            assert r.succeeded and r.exit_code == 0 and r.attempts == 1, (name, r.log[-3000:])
            assert yaml.safe_load(r.termination_message) == {"jobId": env[name]["JOB_ID"], "state": "RUNNING"}, r
        rest = "jobs-session-rest"
        listed = cluster.rest_json(rest, "/jobs")["jobs"]
        assert sorted(j["id"] for j in listed) == sorted(e["JOB_ID"] for e in env.values()), listed
        for name, title, parallelism in (("counter", "counter", 1), ("mirror", "mirror-of-counter", 2)):
            job = cluster.rest_json(rest, f"/jobs/{env[name]['JOB_ID']}")
            assert job["state"] == "RUNNING" and job["name"] == title, job
            assert {v["parallelism"] for v in job["vertices"]} == {parallelism}, job["vertices"]
        assert cluster.rest_json(rest, "/jars")["files"] == [], "an uploaded jar was left on the cluster"
        counter = cluster.rest_json(rest, f"/jobs/{env['counter']['JOB_ID']}")
        vid = next(v["id"] for v in counter["vertices"] if v["name"].startswith("count"))
        metric = f"/jobs/{env['counter']['JOB_ID']}/vertices/{vid}/subtasks/metrics?get=count.countSum"
        cluster.wait_for(lambda: cluster.rest_json(rest, metric)[0]["sum"] > 0, 60, "the counter job counts")

        # the same Job again (e.g. re-created after ttlSecondsAfterFinished): nothing to do
        cluster.delete("Job", jobs["counter"]["metadata"]["name"])
        again = cluster.run_job(copy.deepcopy(jobs["counter"]), timeout=120)
        assert again.succeeded and again.exit_code == 0 and "nothing to do" in again.log, again.log[-3000:]
        assert yaml.safe_load(again.termination_message)["state"] == "RUNNING"
        assert len(cluster.rest_json(rest, "/jobs")["jobs"]) == 2

        # nothing listens where the REST API should be: exit 2 once READY_TIMEOUT_SECONDS pass
        t = time.monotonic()
        never = cluster.run_job(variant(jobs["counter"], "never-ready", REST_URL="http://artifacts:9999",
                                        READY_TIMEOUT_SECONDS="4"), timeout=120)
        assert not never.succeeded and never.exit_code == 2 and never.attempts == 3, never
        assert yaml.safe_load(never.termination_message)["state"] == "NEVER_READY", never.termination_message
        assert time.monotonic() - t < 60

        # the jar is not on the server (404): exit 3, step download, nothing submitted
        missing_id = "0" * 31 + "1"
        missing = cluster.run_job(variant(jobs["counter"], "jar-not-found", JAR_URI="http://artifacts:8000/missing.jar",
                                          JOB_ID=missing_id,
                                          RUN_REQUEST=env["counter"]["RUN_REQUEST"].replace(env["counter"]["JOB_ID"], missing_id)),
                                  timeout=120)
        assert not missing.succeeded and missing.exit_code == 3 and missing.attempts == 3, missing
        result = yaml.safe_load(missing.termination_message)
        assert result["step"] == "download" and result["state"] == "FAILED" and result["jobId"] == missing_id, result
        assert len(cluster.rest_json(rest, "/jobs")["jobs"]) == 2
        close_and_check(cluster)
    report("timings", f"{SESSION_JOBS}: both session jobs RUNNING {took:.1f}s after apply")


def test_remote_jar_is_fetched(tmp_path, kubelet_store, jars_dir):
    """jar-remote-https with its jarURI on the test's artifact server over http: the JobManager
    fetches the jar (`--jars`, with raw http enabled by the render) into its artifacts emptyDir and
    runs the job under the rendered job id; nothing is baked into the image."""
    docs = load_input_docs(FIXTURES / "jar-remote-https.yaml")
    (spec,) = [d for d in docs if d.get("kind") == "FlinkDeployment"]
    entry = spec["spec"]["job"]["entryClass"]
    spec["spec"]["job"]["jarURI"] = "http://artifacts:8000/clickstream.jar"
    path = tmp_path / "jar-remote-http.yaml"
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
    objects = render_objects(path)
    (conf_map,) = [o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("flink-config-")]
    _, conf = flink_conf(conf_map)
    assert conf.get("user.artifacts.raw-http-enabled") == "true", conf
    mem = json.loads(run_flink_render(["memory", str(path), "--format", "json"]).stdout)
    (d,) = analyse(objects, mem)
    jar = build_job_jar(homes()["2"], jars_dir, entry)
    tls = artifact_tls(tmp_path)
    files = {"/opt/artifacts/clickstream.jar": jar, "/opt/artifacts/tls/server.crt": tls["server.crt"],
             "/opt/artifacts/tls/server.key": tls["server.key"]}
    with Cluster(flink_homes=homes(), image_files=files, images=kubelet_store, replica_cap=REPLICA_CAP) as cluster:
        cluster.apply(objects + artifact_server(tls["ca.crt"]))
        check_deployment(cluster, d)
        (jm,) = cluster.pods(d.name)
        main = next(c for c in d.jm["spec"]["template"]["spec"]["containers"] if c["name"] == "flink-main-container")
        (base,) = [m["mountPath"] for m in main["volumeMounts"] if m["name"] == "flink-artifacts"]
        fetched = cluster.exec(jm, ["find", base, "-name", "clickstream.jar"], check=False).stdout.split()
        assert fetched, f"nothing fetched into {base}"
        close_and_check(cluster)
    report("notes", f"remote jar: fetched over http by the JobManager into {fetched[0]}")
