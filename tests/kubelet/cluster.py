"""Cluster: an object store, the Deployment/ReplicaSet/Job controllers, an endpoints controller and
a kubelet, all driven by one control-loop thread. See the package doc (__init__.py) for what is
and is not emulated.

Threading: every process of a cluster (network-namespace holders, containers) is started by the
control-loop thread, which lives until close(); their parent-death signal follows that thread, so
they die with it even if the test process is killed. Public methods may be called from any thread;
they take the cluster lock, change desired state and wake the loop.
"""

from __future__ import annotations

import atexit
import copy
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from . import admission, model, sysutil
from .api import SA_DIR, SERVICE_NAMES, ApiServer
from .api import PORT as API_PORT
from .image import FLINK_GID, FLINK_UID, Image, ImageStore
from .net import NODE_IP, Network, PodNet
from .store import ObjectStore, now_rfc3339, without_server_fields

INIT = str(Path(__file__).resolve().parent / "container_init.py")
CLUSTER_DOMAIN = "cluster.local"
NODE_NAME = "kubelet-harness"
SETUP_FAILED = 128
VOLUME_SYNC_S = 2.0  # how often ConfigMap/Secret volume content is brought up to date
ACCESS_VOLUME = "kube-api-access-harness"  # the service-account credentials a pod mounts

CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PersistentVolume",
                  "StorageClass", "PriorityClass"}
FLINK_IMAGE = re.compile(r"(^|/)flink(:|@|$)")
FLINK_MAIN = "flink-main-container"


class HarnessError(Exception):
    pass


class WaitTimeout(HarnessError):
    pass


class PodStartError(Exception):
    """A reason the kubelet cannot start (part of) a pod yet; retried on later syncs."""

    def __init__(self, reason: str, message: str):
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


@dataclass
class JobResult:
    name: str
    succeeded: bool
    reason: str
    exit_code: int | None
    termination_message: str
    log: str
    attempts: int


# ================================================================================================
# Containers and pods
# ================================================================================================


@dataclass
class ProbeState:
    spec: dict
    successes: int = 0
    failures: int = 0
    last_run: float = 0.0
    ok: bool | None = None
    detail: str = ""


class Container:
    def __init__(self, pod: "Pod", spec: dict, init: bool):
        self.pod = pod
        self.spec = spec
        self.name = spec["name"]
        self.init = init
        self.pre_stop_output: str | None = None
        self.attempt = 0
        self.dir: Path | None = None
        self.image: Image | None = None
        self.proc: subprocess.Popen | None = None
        self.argv: list[str] = []
        self.env: dict[str, str] = {}
        self.uid = self.gid = None
        self.exit_code: int | None = None
        self.reason = "ContainerCreating"
        self.started_at = self.finished_at = None
        self.started_rfc3339 = ""
        self.started = False  # startup probe passed (or none)
        self.ready = False
        self.probes = {k: ProbeState(spec[k]) for k in ("startupProbe", "readinessProbe") if spec.get(k)}
        self.default_probe: ProbeState | None = None
        self.mount_targets: list[str] = []
        self.next_try = 0.0
        self.reported = False
        self._log_file = None

    # -- state --------------------------------------------------------------------------------

    @property
    def state(self) -> str:
        if self.proc is None:
            return "waiting"
        return "running" if self.exit_code is None else "terminated"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.exit_code is None else None

    @property
    def log_path(self) -> Path | None:
        return self.dir / "log" if self.dir else None

    def log(self) -> str:
        p = self.log_path
        return p.read_text(encoding="utf-8", errors="replace") if p and p.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def termination_message(self) -> str:
        """/dev/termination-log (at most 4096 bytes), or with FallbackToLogsOnError and a failure,
        the last 80 lines / 2048 bytes of the log, as the kubelet reports it."""
        if not self.dir:
            return ""
        p = self.dir / "termination-log"
        msg = p.read_bytes()[:4096].decode("utf-8", "replace") if p.exists() else ""
        if not msg and self.spec.get("terminationMessagePolicy") == "FallbackToLogsOnError" and self.exit_code:
            msg = "\n".join(self.log().splitlines()[-80:])[-2048:]
        return msg

    def poll(self) -> None:
        if self.proc is not None and self.exit_code is None:
            rc = self.proc.poll()
            if rc is not None:
                self.exit_code = rc if rc >= 0 else 128 - rc
                self.finished_at = time.monotonic()
                self.ready = False
                self.reason = "Completed" if rc == 0 else ("StartError" if rc == SETUP_FAILED else "Error")
                if self._log_file:
                    self._log_file.close()
                    self._log_file = None

    def root_writes(self) -> list[str]:
        """Paths the container wrote to its root file system (its overlay upper layer), without
        the mount points the runtime created for volumes."""
        if not self.dir:
            return []
        upper = self.dir / "upper"
        skip = set()
        for t in self.mount_targets:
            parts = [p for p in t.split("/") if p]
            for i in range(1, len(parts) + 1):
                skip.add("/" + "/".join(parts[:i]))
        out = []
        for dirpath, dirnames, filenames in os.walk(upper):
            for n in dirnames + filenames:
                rel = "/" + str((Path(dirpath) / n).relative_to(upper))
                if rel not in skip:
                    out.append(rel)
        return sorted(out)


class Pod:
    def __init__(self, cluster: "Cluster", name: str, namespace: str, template: dict, owner_kind: str,
                 owner_name: str, revision: str, extra_labels: dict, seq: int):
        self.cluster = cluster
        self.name = name
        self.namespace = namespace
        md = template.get("metadata") or {}
        self.labels = {**(md.get("labels") or {}), **extra_labels}
        self.annotations = dict(md.get("annotations") or {})
        self.spec = copy.deepcopy(template.get("spec") or {})
        self.owner_kind, self.owner_name, self.revision = owner_kind, owner_name, revision
        self.uid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{cluster.id}/{namespace}/{name}"))
        self.seq = seq
        self.hostname = model.safe_hostname(self.spec.get("hostname") or name)
        self.dir = cluster.work_dir / "pods" / f"{namespace}.{name}"
        self.phase = "Pending"
        self.reason = "ContainerCreating"
        self.message = ""
        self.net: PodNet | None = None
        self.ip: str | None = None
        self.volume_dirs: dict[str, Path] = {}
        self.volume_kinds: dict[str, str] = {}
        self.volume_content: dict[str, dict] = {}
        self.next_volume_sync = 0.0
        self.prepared = False
        self.next_try = 0.0
        self.init_containers = [Container(self, c, True) for c in self.spec.get("initContainers") or []]
        self.containers = [Container(self, c, False) for c in self.spec.get("containers") or []]
        self.init_done = not self.init_containers
        self.ready = False
        self.deleting_since: float | None = None
        self.deleting_at = ""  # RFC 3339, for the API
        self.created = now_rfc3339()
        self.gone = False
        self.events: list[str] = []

    def __repr__(self) -> str:
        return f"<Pod {self.namespace}/{self.name} {self.phase} ready={self.ready} ip={self.ip}>"

    @property
    def restart_policy(self) -> str:
        return self.spec.get("restartPolicy", "Always")

    def container(self, name: str | None = None) -> Container:
        """The named container, else flink-main-container, else the first one."""
        cs = self.containers + self.init_containers
        if name is None:
            name = FLINK_MAIN if any(c.name == FLINK_MAIN for c in cs) else self.containers[0].name
        for c in cs:
            if c.name == name:
                return c
        raise KeyError(f"pod {self.name} has no container {name!r}")

    def event(self, reason: str, message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {self.namespace}/{self.name} {reason}: {message}"
        if not self.events or not self.events[-1].endswith(f"{reason}: {message}"):
            self.events.append(line)
            self.cluster.events.append(line)

    def jvm_pid(self, container: str | None = None) -> int | None:
        """The container's JVM: its main process once Flink started, or the first JVM below it
        (a TaskManager runs as a child of its serve wrapper)."""
        c = self.container(container)
        todo = [c.pid] if c.pid else []
        while todo:
            pid = todo.pop(0)
            args = sysutil.cmdline(pid)
            if args and os.path.basename(args[0]) == "java":
                return pid
            todo += sysutil.children(pid)
        return c.pid

    def jvm_args(self, container: str | None = None) -> list[str]:
        """The command line of the container's JVM (`jvm_pid`)."""
        pid = self.jvm_pid(container)
        return sysutil.cmdline(pid) if pid else []

    def describe(self, log_lines: int = 25) -> str:
        out = [f"pod {self.namespace}/{self.name} ({self.owner_kind} {self.owner_name}, revision {self.revision}): "
               f"phase={self.phase} ready={self.ready} ip={self.ip} reason={self.reason} {self.message}"]
        for c in self.init_containers + self.containers:
            probes = ", ".join(f"{k}:{p.ok}({p.detail})" for k, p in c.probes.items())
            out.append(f"  container {c.name}{' (init)' if c.init else ''} image={c.image.name if c.image else '?'} "
                       f"state={c.state} reason={c.reason} exit={c.exit_code} ready={c.ready} uid={c.uid} {probes}")
            if c.dir and log_lines:
                tail = c.log_tail(log_lines)
                if tail:
                    out.append("    | " + tail.replace("\n", "\n    | "))
        out += ["  event " + e for e in self.events[-10:]]
        return "\n".join(out)


@dataclass
class ReplicaSet:
    namespace: str
    deployment: str
    revision: str  # pod-template hash
    number: int  # deployment.kubernetes.io/revision
    template: dict
    replicas: int = 0
    pods: list = field(default_factory=list)
    created: int = 0

    @property
    def name(self) -> str:
        return f"{self.deployment}-{self.revision}"


@dataclass
class JobRun:
    namespace: str
    name: str
    obj: dict
    pods: list = field(default_factory=list)
    failures: int = 0
    done: bool = False
    succeeded: bool = False
    reason: str = ""
    started: float = field(default_factory=time.monotonic)
    next_try: float = 0.0
    counted: list = field(default_factory=list)


# ================================================================================================
# Cluster
# ================================================================================================

_LIVE: "weakref.WeakSet[Cluster]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for c in list(_LIVE):
        c.close()


def _release_netns(held: list) -> None:
    """Let go of the namespaces a Cluster kept (when the Cluster object is collected)."""
    for ns in held:
        ns.release()


class Cluster:
    """A one-node "cluster" that runs rendered objects as local processes.

    Cluster(flink_homes={"1": FLINK_HOME_1, "2": FLINK_HOME_2}, image_files={...})
        .apply(objects)            store objects like `kubectl apply -n <namespace>`; controllers
                                   create pods for Deployments (capped at replica_cap each) and Jobs
        .wait_ready(*deployments)  until every pod of the current revision is ready (fails fast
                                   when a container exits)
        .wait_job(name) / .run_job(obj_or_name)   a Job's JobResult (exit code, termination message)
        .wait_for(fn, timeout)     poll any condition, with a cluster description on timeout
        .pods(owner=...)           Pod objects (ip, labels, containers, jvm_pid(), jvm_args(), describe())
        .resolve(name) / .http(host, port, path) / .rest_json(service, path)
                                   talk to Services and pods from the "node" (bridge namespace)
        .exec(pod, argv)           run a command in a container (nsenter, as the container's user)
        .delete(kind, name)        delete an object (Deployment pods stop, Job pods stop)
        .close()                   stop everything (SIGTERM, grace, SIGKILL by process group, then a
                                   sweep of every process left in the cluster's network namespaces)
    """

    def __init__(self, *, flink_homes: dict[str, Path], work_dir: Path | None = None, namespace: str = "default",
                 image_files: dict[str, Path] | None = None, replica_cap: int = 2, grace_cap_s: float = 10.0,
                 images: ImageStore | None = None, sync_period_s: float = 0.5, keep_work_dir: bool = False,
                 job_backoff_s: float = 1.0, flink_image: re.Pattern = FLINK_IMAGE):
        self.id = uuid.uuid4().hex[:8]
        self.flink_homes = {k: Path(v) for k, v in flink_homes.items()}
        self._own_work_dir = work_dir is None
        self.work_dir = Path(work_dir or tempfile.mkdtemp(prefix=f"flink-kubelet-{self.id}-"))
        self.work_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.work_dir, 0o755)
        self.keep_work_dir = keep_work_dir
        self.namespace = namespace
        self.image_files = dict(image_files or {})
        self.replica_cap = replica_cap
        self.grace_cap_s = grace_cap_s
        self.images = images or ImageStore(self.work_dir / "images")
        self.sync_period_s = sync_period_s
        self.job_backoff_s = job_backoff_s
        self.flink_image_re = flink_image

        self.store = ObjectStore()
        self.objects: dict[tuple, dict] = self.store.objects  # read it; change it through self.store
        self.pod_views: dict[tuple, dict] = {}  # (namespace, name) -> the API's Pod object
        self._pod_digests: dict[tuple, str] = {}
        self._refused: set[str] = set()
        self.replicasets: dict[tuple, ReplicaSet] = {}
        self.jobs: dict[tuple, JobRun] = {}
        self.all_pods: list[Pod] = []
        self.events: list[str] = []
        self.notes: list[str] = []
        self.errors: list[str] = []
        self.netns_inodes: set[int] = set()
        self._held_netns: list = []
        weakref.finalize(self, _release_netns, self._held_netns)
        self._endpoints: dict[tuple, list[str]] = {}
        self._seq = 0
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stop = False
        self._closing = False
        self._closed = False
        self._calls: list = []
        self._passwd, self._group = self._write_user_db()
        self.network: Network | None = None
        self._thread = threading.Thread(target=self._loop, name=f"kubelet-{self.id}", daemon=True)
        self._thread.start()
        _LIVE.add(self)
        self.network = self._in_loop(Network)
        self._hold_netns(self.network.bridge)
        self.api = ApiServer(self, self.work_dir / "pki", NODE_IP)

    # -- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _in_loop(self, fn, timeout: float = 60):
        """Run fn in the control-loop thread (so processes it starts are tied to that thread)."""
        box: dict = {}
        done = threading.Event()

        def call():
            try:
                box["v"] = fn()
            except BaseException as e:  # noqa: BLE001
                box["e"] = e
            done.set()

        with self._lock:
            self._calls.append(call)
        self._wake.set()
        if not done.wait(timeout):
            raise HarnessError(f"control loop did not run {fn!r} within {timeout}s")
        if "e" in box:
            raise box["e"]
        return box.get("v")

    def _loop(self) -> None:
        while not self._stop:
            with self._lock:
                calls, self._calls = self._calls, []
                for call in calls:
                    call()
                if not self._closing and self.network is not None:
                    try:
                        self._sync()
                    except Exception:  # noqa: BLE001 - never let the loop (the processes' parent) die
                        err = traceback.format_exc()
                        if not self.errors or self.errors[-1] != err:
                            self.errors.append(err)
            self._wake.wait(self.sync_period_s)
            self._wake.clear()

    def close(self) -> None:
        """Stop every pod (SIGTERM to each container's main process, up to grace_cap_s, then
        SIGKILL to its process group and to anything left in the pod's network namespace), the
        namespace holders and the loop; remove the work dir. Idempotent; also run at exit."""
        if self._closed:
            return
        self._closing = True
        try:
            with self._lock:
                pods = [p for p in self.all_pods if not p.gone]
            containers = [c for p in pods for c in p.init_containers + p.containers if c.pid]
            for c in containers:
                sysutil.kill_quietly(c.pid, signal.SIGTERM)
            deadline = time.monotonic() + self.grace_cap_s
            while time.monotonic() < deadline and any(c.proc.poll() is None for c in containers):
                time.sleep(0.1)
            for p in pods:
                self._kill_pod_processes(p)
            if getattr(self, "api", None) is not None:
                self.api.close()
            with self._lock:  # the loop only runs queued calls while closing
                for p in pods:
                    self._release_pod(p)
                if self.network is not None:
                    self.network.close()
            self._sweep()
        finally:
            self._stop = True
            self._wake.set()
            if threading.current_thread() is not self._thread:
                self._thread.join(timeout=10)
            self._closed = True
            _LIVE.discard(self)
            if self._own_work_dir and not self.keep_work_dir:
                shutil.rmtree(self.work_dir, ignore_errors=True)

    def _kill_pod_processes(self, pod: Pod) -> None:
        for c in pod.init_containers + pod.containers:
            if c.proc is not None:
                sysutil.killpg_quietly(c.proc.pid, signal.SIGKILL)
                try:
                    c.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
                c.poll()
        if pod.net is not None:
            for pid in sysutil.pids_in_netns(pod.net.ns.inode):
                if pid != pod.net.ns.proc.pid:
                    sysutil.kill_quietly(pid, signal.SIGKILL)

    def _sweep(self) -> None:
        for _ in range(50):
            left = self.leftover_processes()
            if not left:
                return
            for pid in left:
                sysutil.kill_quietly(pid, signal.SIGKILL)
            time.sleep(0.1)

    def _hold_netns(self, ns) -> None:
        """Remember a namespace this cluster made, and keep it (`NetNS.handle`) until the
        Cluster object goes, so that `leftover_processes` and the sweep never find another
        cluster's processes under a reused inode number."""
        self.netns_inodes.add(ns.inode)
        self._held_netns.append(ns)

    def leftover_processes(self) -> list[int]:
        """Processes still in any network namespace this cluster created (should be [] after close)."""
        return [pid for inode in self.netns_inodes for pid in sysutil.pids_in_netns(inode)]

    # -- objects --------------------------------------------------------------------------------

    def _key(self, obj: dict) -> tuple:
        kind = obj.get("kind")
        md = obj.get("metadata") or {}
        if not kind or not md.get("name"):
            raise HarnessError(f"object without kind or metadata.name: {str(obj)[:200]}")
        ns = None if kind in CLUSTER_SCOPED else (md.get("namespace") or self.namespace)
        return (kind, ns, md["name"])

    def apply(self, objects: list[dict]) -> list[str]:
        """Store objects like `kubectl apply -n <namespace>` and let the controllers act. Objects
        without a namespace land in the cluster's. Deployments are handled JobManager first
        (component=jobmanager) so their pods start before the TaskManagers'. Returns kubectl-like
        lines ("deployment/x created", "configmap/y unchanged")."""
        out = []
        objects = [o for o in objects if o]
        order = sorted(range(len(objects)), key=lambda i: (objects[i].get("kind") == "Deployment" and
                       ((objects[i].get("metadata") or {}).get("labels") or {}).get("component") != "jobmanager", i))
        with self._lock:
            for i in order:
                obj = copy.deepcopy(objects[i])
                key = self._key(obj)
                obj.setdefault("metadata", {})
                if key[1] is not None:
                    obj["metadata"]["namespace"] = key[1]
                old = self.objects.get(key)
                same = old is not None and without_server_fields(old) == without_server_fields(obj)
                out.append(f"{key[0].lower()}/{key[2]} {'created' if old is None else ('unchanged' if same else 'configured')}")
                if same:
                    continue
                if key[0] in ("Job", "Pod") and old is not None:
                    raise HarnessError(f"{key[0].lower()} {key[2]}: its spec is immutable; delete it first")
                if key[0] == "Pod":
                    why = admission.refusal(self.objects, key[1], key[2], obj.get("spec") or {})
                    if why:
                        raise HarnessError(f"Error from server (Forbidden): {why}")
                self.store.put(key, obj, quiet=key[0] == "Pod")
                if key[0] == "Job":
                    self.jobs[key] = JobRun(key[1], key[2], obj)
        self._wake.set()
        return out

    def delete(self, kind: str, name: str, namespace: str | None = None) -> None:
        ns = None if kind in CLUSTER_SCOPED else (namespace or self.namespace)
        with self._lock:
            removed = self.store.remove((kind, ns, name))
            if not removed:
                raise KeyError(f"{kind} {ns}/{name} not found")
            for key in removed:
                if key[0] == "Job" and key in self.jobs:
                    for p in self.jobs.pop(key).pods:
                        self._delete_pod(p)
            # bare pods (and what garbage collection took) stop in the next sync
        self._wake.set()

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict | None:
        ns = None if kind in CLUSTER_SCOPED else (namespace or self.namespace)
        return self.objects.get((kind, ns, name))

    def pods(self, owner: str | None = None, *, kind: str | None = None, include_gone: bool = False) -> list[Pod]:
        with self._lock:
            return [p for p in self.all_pods
                    if (include_gone or not p.gone) and (owner is None or p.owner_name == owner)
                    and (kind is None or p.owner_kind == kind)]

    def pod_at(self, ip: str) -> Pod | None:
        """The pod that had this address (pods keep theirs for the cluster's life)."""
        with self._lock:
            return next((p for p in self.all_pods if p.ip == ip), None)

    def pod(self, name: str) -> Pod:
        for p in self.pods():
            if p.name == name:
                return p
        raise KeyError(f"no pod {name}")

    # -- controllers ----------------------------------------------------------------------------

    def _sync(self) -> None:
        now = time.monotonic()
        self._sync_deployments()
        self._sync_jobs(now)
        self._sync_bare_pods()
        for pod in list(self.all_pods):
            if not pod.gone:
                self._sync_pod(pod, now)
        self._sync_endpoints()
        self._publish_pods()

    def _admitted(self, owner: str, namespace: str, name: str, spec: dict) -> bool:
        """Whether the API server would create this pod for a controller; a refusal is an event
        (FailedCreate) once, and the controller tries again on its next sync, as Kubernetes does."""
        why = admission.refusal(self.objects, namespace, name, spec)
        if why is None:
            return True
        line = f"{owner}: FailedCreate: {why}"
        if line not in self._refused:
            self._refused.add(line)
            self.events.append(f"{time.strftime('%H:%M:%S')} {line}")
        return False

    def _new_pod(self, namespace: str, template: dict, owner_kind: str, owner_name: str, revision: str,
                 name: str, extra_labels: dict) -> Pod:
        self._seq += 1
        pod = Pod(self, name, namespace, template, owner_kind, owner_name, revision, extra_labels, self._seq)
        self.all_pods.append(pod)
        pod.event("Scheduled", f"assigned to {NODE_NAME}")
        return pod

    def _sync_deployments(self) -> None:
        deployments = [(k, o) for k, o in self.objects.items() if k[0] == "Deployment"]
        live = set()
        for (kind, ns, name), dep in deployments:
            spec = dep.get("spec") or {}
            template = spec.get("template") or {}
            h = model.template_hash(template)
            live.add((ns, name))
            rs = self.replicasets.get((ns, name, h))
            if rs is None:
                number = 1 + max([r.number for r in self.replicasets.values() if (r.namespace, r.deployment) == (ns, name)],
                                 default=0)
                rs = ReplicaSet(ns, name, h, number, copy.deepcopy(template))
                self.replicasets[(ns, name, h)] = rs
            want = spec.get("replicas", 1)
            capped = min(want, self.replica_cap)
            if capped < want:
                note = f"deployment {name}: {want} replicas capped at {capped}"
                if note not in self.notes:
                    self.notes.append(note)
            olds = [r for r in self.replicasets.values() if (r.namespace, r.deployment) == (ns, name) and r is not rs]
            recreate = (spec.get("strategy") or {}).get("type") == "Recreate"
            old_alive = any(not p.gone for r in olds for p in r.pods)
            rs.replicas = 0 if (recreate and old_alive) else capped
            ready_new = sum(1 for p in rs.pods if p.ready and p.deleting_since is None)
            for r in olds:
                if recreate or ready_new >= capped:
                    r.replicas = 0
        for r in self.replicasets.values():
            if (r.namespace, r.deployment) not in live:
                r.replicas = 0
            self._scale(r)

    def _scale(self, rs: ReplicaSet) -> None:
        active = [p for p in rs.pods if p.deleting_since is None and not p.gone]
        while len(active) < rs.replicas:
            name = f"{rs.name}-{model.name_suffix(f'{self.id}/{rs.name}/{rs.created + 1}')}"
            if not self._admitted(f"replicaset {rs.namespace}/{rs.name}", rs.namespace, name,
                                  rs.template.get("spec") or {}):
                break
            rs.created += 1
            sel = (rs.template.get("metadata") or {}).get("labels") or {}
            pod = self._new_pod(rs.namespace, rs.template, "Deployment", rs.deployment, rs.revision, name,
                                {**sel, "pod-template-hash": rs.revision})
            rs.pods.append(pod)
            active.append(pod)
        for pod in sorted(active, key=lambda p: -p.seq)[: max(0, len(active) - rs.replicas)]:
            self._delete_pod(pod)

    def _sync_bare_pods(self) -> None:
        """Run every stored Pod (applied, or created through the API) and stop the runtime pods
        whose object is gone (deleted, or collected with its owner)."""
        running = {p.uid: p for p in self.all_pods if p.owner_kind == "Pod" and not p.gone}
        stored = set()
        for (kind, ns, name), obj in self.objects.items():
            if kind != "Pod":
                continue
            md = obj.get("metadata") or {}
            stored.add(md.get("uid"))
            pod = running.get(md.get("uid"))
            if pod is None:
                template = {"metadata": md, "spec": obj.get("spec") or {}}
                pod = self._new_pod(ns, template, "Pod", name, "", name, {})
                pod.uid = md.get("uid")
            else:
                pod.labels, pod.annotations = dict(md.get("labels") or {}), dict(md.get("annotations") or {})
        for uid, pod in running.items():
            if uid not in stored:
                self._delete_pod(pod)

    def _delete_pod_by_api(self, namespace: str, name: str) -> None:
        """DELETE pods/<name>: a bare pod's object goes (and the kubelet stops it); a
        controller's pod is stopped and its controller makes a new one."""
        if ("Pod", namespace, name) in self.objects:
            self.store.remove(("Pod", namespace, name))
        else:
            for p in self.all_pods:
                if p.namespace == namespace and p.name == name and not p.gone:
                    self._delete_pod(p)
        self._wake.set()

    def _pod_view(self, pod: "Pod | None", stored: dict | None, namespace: str, name: str) -> dict:
        """The API's Pod object: the stored object (bare pods) or the controller's template, with
        the kubelet's status."""
        if stored is not None:
            view = copy.deepcopy(stored)
        else:
            owner = [] if pod is None else [{
                "apiVersion": "apps/v1" if pod.owner_kind == "Deployment" else "batch/v1",
                "kind": "ReplicaSet" if pod.owner_kind == "Deployment" else "Job",
                "name": f"{pod.owner_name}-{pod.revision}" if pod.owner_kind == "Deployment" else pod.owner_name,
                "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.id}/{pod.owner_kind}/{namespace}/{pod.owner_name}/{pod.revision}")),
                "controller": True, "blockOwnerDeletion": True}]
            view = {"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": name, "namespace": namespace, "uid": pod.uid, "labels": dict(pod.labels),
                                 "annotations": dict(pod.annotations), "ownerReferences": owner,
                                 "creationTimestamp": pod.created},
                    "spec": copy.deepcopy(pod.spec)}
        view.setdefault("apiVersion", "v1")
        view.setdefault("kind", "Pod")
        view.setdefault("spec", {})["nodeName"] = NODE_NAME
        md = view["metadata"]
        md.pop("resourceVersion", None)
        if pod is None:
            view["status"] = {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False"}]}
            return view
        if pod.deleting_since is not None:
            md["deletionTimestamp"] = pod.deleting_at
            md["deletionGracePeriodSeconds"] = int(pod.spec.get("terminationGracePeriodSeconds", 30))

        def state(c: Container) -> dict:
            if c.state == "running":
                return {"running": {"startedAt": c.started_rfc3339}}
            if c.state == "terminated":
                return {"terminated": {"exitCode": c.exit_code, "reason": "Completed" if c.exit_code == 0 else "Error",
                                       "message": c.termination_message()[:4096]}}
            return {"waiting": {"reason": c.reason or "ContainerCreating"}}

        def flag(b: bool) -> str:
            return "True" if b else "False"

        view["status"] = {
            "phase": pod.phase, "hostIP": NODE_IP, "hostIPs": [{"ip": NODE_IP}],
            **({"podIP": pod.ip, "podIPs": [{"ip": pod.ip}]} if pod.ip else {}),
            "conditions": [{"type": "PodScheduled", "status": "True"},
                           {"type": "Initialized", "status": flag(pod.init_done)},
                           {"type": "ContainersReady", "status": flag(pod.ready)},
                           {"type": "Ready", "status": flag(pod.ready)}],
            "initContainerStatuses": [{"name": c.name, "ready": c.exit_code == 0, "restartCount": 0, "state": state(c),
                                       "image": c.spec.get("image", "")} for c in pod.init_containers],
            "containerStatuses": [{"name": c.name, "ready": bool(c.ready), "restartCount": 0, "state": state(c),
                                   "started": c.state == "running", "image": c.spec.get("image", "")}
                                  for c in pod.containers],
        }
        return view

    def _publish_pods(self) -> None:
        """Bring the API's Pod objects up to date with the kubelet and record each change as a
        watch event."""
        views: dict[tuple, dict] = {}
        bare = {(o.get("metadata") or {}).get("uid"): (k, o) for k, o in self.objects.items() if k[0] == "Pod"}
        seen_bare = set()
        for p in self.all_pods:
            if p.gone:
                continue
            stored = None
            if p.owner_kind == "Pod":
                hit = bare.get(p.uid)
                stored = hit[1] if hit else None
                seen_bare.add(p.uid)
                if stored is None and p.deleting_since is None:
                    continue
                if stored is None:  # deleted, still stopping: the last object seen
                    last = self.pod_views.get((p.namespace, p.name))
                    stored = {k: v for k, v in (last or {}).items() if k != "status"} or None
            views[(p.namespace, p.name)] = self._pod_view(p, stored, p.namespace, p.name)
        for uid, ((_, ns, name), obj) in bare.items():
            if uid not in seen_bare:
                views[(ns, name)] = self._pod_view(None, obj, ns, name)
        for key, view in views.items():
            digest = json.dumps(view, sort_keys=True)
            if self._pod_digests.get(key) == digest:
                view["metadata"]["resourceVersion"] = self.pod_views[key]["metadata"]["resourceVersion"]
                continue
            rv = self.store.next_rv()
            view["metadata"]["resourceVersion"] = str(rv)
            self.store.record("MODIFIED" if key in self.pod_views else "ADDED", ("Pod", *key), view, rv,
                              self.pod_views.get(key))
            self._pod_digests[key] = digest
        for key in [k for k in self.pod_views if k not in views]:
            rv = self.store.next_rv()
            last = copy.deepcopy(self.pod_views[key])
            last["metadata"]["resourceVersion"] = str(rv)
            self.store.record("DELETED", ("Pod", *key), last, rv, last)
            self._pod_digests.pop(key, None)
        self.pod_views.clear()
        self.pod_views.update(views)

    def _sync_jobs(self, now: float) -> None:
        for key, run in self.jobs.items():
            if run.done:
                continue
            spec = run.obj.get("spec") or {}
            deadline = spec.get("activeDeadlineSeconds")
            current = run.pods[-1] if run.pods else None
            if deadline is not None and now - run.started > deadline:
                run.done, run.reason = True, "DeadlineExceeded"
                if current and not current.gone:
                    self._delete_pod(current)
                continue
            if current is not None and current.phase in ("Succeeded", "Failed"):
                if current.phase == "Succeeded":
                    run.done, run.succeeded, run.reason = True, True, "Completed"
                    continue
                if current not in run.counted:
                    run.failures += 1
                    run.counted.append(current)
                    run.next_try = now + self.job_backoff_s
                if run.failures > spec.get("backoffLimit", 6):
                    run.done, run.reason = True, "BackoffLimitExceeded"
                    continue
            if (current is None or current.phase == "Failed") and now >= run.next_try:
                template = copy.deepcopy(spec.get("template") or {})
                juid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.id}/job/{run.namespace}/{run.name}"))
                name = f"{run.name}-{model.name_suffix(f'{juid}/{len(run.pods)}')}"
                labels = {"job-name": run.name, "controller-uid": juid, "batch.kubernetes.io/job-name": run.name}
                run.pods.append(self._new_pod(run.namespace, template, "Job", run.name, juid[:10], name, labels))

    # -- kubelet --------------------------------------------------------------------------------

    def _delete_pod(self, pod: Pod) -> None:
        if pod.deleting_since is None and not pod.gone:
            pod.deleting_since = time.monotonic()
            pod.deleting_at = now_rfc3339()
            pod.ready = False
            pod.event("Killing", "pod deleted")
            grace = min(float(pod.spec.get("terminationGracePeriodSeconds", 30)), self.grace_cap_s)
            for c in pod.init_containers + pod.containers:
                if not c.pid:
                    continue
                hook = ((c.spec.get("lifecycle") or {}).get("preStop") or {}).get("exec")
                if hook and not c.init and c.proc is not None and c.proc.poll() is None:
                    threading.Thread(target=self._pre_stop, args=(pod, c, hook.get("command") or [], grace),
                                     daemon=True).start()
                else:
                    sysutil.kill_quietly(c.pid, signal.SIGTERM)

    def _pre_stop(self, pod: Pod, c: Container, command: list[str], grace: float) -> None:
        """A container's preStop exec hook, then SIGTERM; the grace period bounds both (the pod is
        released when it ends, hook or not), as in Kubernetes."""
        pod.event("PreStop", f"{c.name}: running the preStop hook")
        try:
            r = self.exec(pod, command, container=c.name, timeout=max(1.0, grace), check=False)
            c.pre_stop_output = r.stdout + r.stderr
            pod.event("PreStop", f"{c.name}: the hook exited with {r.returncode}")
        except subprocess.TimeoutExpired:
            pod.event("PreStop", f"{c.name}: the hook ran out of the grace period")
        except HarnessError:
            pass
        if c.pid:
            sysutil.kill_quietly(c.pid, signal.SIGTERM)

    def _release_pod(self, pod: Pod) -> None:
        self._kill_pod_processes(pod)
        if pod.net is not None:
            self.network.remove_pod(pod.net)
        pod.gone = True
        pod.ready = False

    def _sync_pod(self, pod: Pod, now: float) -> None:
        if pod.deleting_since is not None:
            grace = min(float(pod.spec.get("terminationGracePeriodSeconds", 30)), self.grace_cap_s)
            running = [c for c in pod.init_containers + pod.containers if c.proc is not None and c.proc.poll() is None]
            if not running or now - pod.deleting_since > grace:
                self._release_pod(pod)
            return
        if not pod.prepared:
            if now < pod.next_try:
                return
            try:
                self._prepare_pod(pod)
            except PodStartError as e:
                pod.reason, pod.message = e.reason, e.message
                pod.event(e.reason, e.message)
                pod.next_try = now + 2.0
                return
        if now >= pod.next_volume_sync:
            self._refresh_volumes(pod)
            pod.next_volume_sync = now + VOLUME_SYNC_S
        for c in pod.init_containers + pod.containers:
            c.poll()
        if not pod.init_done:
            for c in pod.init_containers:
                if c.exit_code == 0:
                    continue
                if c.state == "waiting":
                    self._try_start(pod, c, now)
                elif c.state == "terminated":
                    pod.phase, pod.reason = "Failed", "Init:Error"
                    pod.event("Failed", f"init container {c.name} exited with {c.exit_code} (restarts are not emulated)")
                return
            pod.init_done = True
        for c in pod.containers:
            if c.state == "waiting":
                self._try_start(pod, c, now)
        if pod.phase in ("Succeeded", "Failed"):
            return
        if all(c.state == "terminated" for c in pod.containers):
            ok = all(c.exit_code == 0 for c in pod.containers)
            pod.phase = "Succeeded" if ok else "Failed"
            pod.reason = "Completed" if ok else "Error"
            pod.ready = False
            pod.event(pod.phase, ", ".join(f"{c.name} exited {c.exit_code}" for c in pod.containers))
            return
        if any(c.state == "running" for c in pod.containers):
            pod.phase = "Running"
        for c in pod.containers:
            if c.state == "terminated" and pod.restart_policy == "Always" and not c.reported:
                pod.event("BackOff", f"container {c.name} exited with {c.exit_code}; restarts are not emulated")
                c.reported = True
            if c.state == "running":
                self._probe(pod, c, now)
        was = pod.ready
        pod.ready = all(c.state == "running" and c.ready for c in pod.containers)
        if pod.ready != was:
            pod.event("Ready" if pod.ready else "NotReady", "")

    def _try_start(self, pod: Pod, c: Container, now: float) -> None:
        if now < c.next_try:
            return
        try:
            self._start_container(pod, c)
            pod.reason, pod.message = "", ""
        except PodStartError as e:
            c.reason = e.reason
            pod.reason, pod.message = e.reason, e.message
            pod.event(e.reason, f"{c.name}: {e.message}")
            c.next_try = now + 2.0

    # -- pod set-up -----------------------------------------------------------------------------

    def _prepare_pod(self, pod: Pod) -> None:
        spec = pod.spec
        if spec.get("hostNetwork"):
            raise PodStartError("Unsupported", "hostNetwork is not emulated")
        pod.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(pod.dir, 0o755)
        dirs, kinds = self._prepare_volumes(pod)  # may raise FailedMount before anything runs
        pod.volume_dirs, pod.volume_kinds = dirs, kinds
        if pod.net is None:
            pod.net = self.network.add_pod()
            pod.ip = pod.net.ip
            self._hold_netns(pod.net.ns)
        for name, content in (("hostname", pod.hostname + "\n"),
                              ("resolv.conf", f"search {pod.namespace}.svc.{CLUSTER_DOMAIN} svc.{CLUSTER_DOMAIN} "
                                              f"{CLUSTER_DOMAIN}\nnameserver 127.0.0.1\noptions ndots:5\n")):
            (pod.dir / name).write_text(content, encoding="utf-8")
        (pod.dir / "hosts").write_text(self._hosts_for(pod), encoding="utf-8")
        pod.prepared = True
        pod.event("Prepared", f"ip {pod.ip}, hostname {pod.hostname}")

    def _fs_group(self, pod: Pod) -> int | None:
        return (pod.spec.get("securityContext") or {}).get("fsGroup")

    def _prepare_volumes(self, pod: Pod) -> tuple[dict, dict]:
        dirs, kinds = {}, {}
        fs_group = self._fs_group(pod)
        for vol in pod.spec.get("volumes") or []:
            name = vol["name"]
            d = pod.dir / "volumes" / name
            kind = next((k for k in vol if k != "name"), None)
            kinds[name] = kind
            try:
                if kind == "emptyDir":
                    d.mkdir(parents=True, exist_ok=True)
                    os.chmod(d, 0o777 if fs_group is None else 0o2777)
                    if fs_group is not None:
                        os.chown(d, 0, fs_group)
                elif kind in ("configMap", "secret", "projected", "downwardAPI"):
                    files = self._volume_files(pod, vol, kind)
                    model.write_atomic_volume(str(d), files, fs_group)
                    pod.volume_content[name] = files
                elif kind == "persistentVolumeClaim":
                    claim = vol[kind]["claimName"]
                    pd = self.work_dir / "pvc" / pod.namespace / claim
                    pd.mkdir(parents=True, exist_ok=True)
                    os.chmod(pd, 0o777)
                    d = pd
                else:
                    raise PodStartError("FailedMount", f"volume {name}: {kind} volumes are not emulated")
            except KeyError as e:
                raise PodStartError("FailedMount", f"MountVolume.SetUp failed for volume {name!r}: {e.args[0]}") from None
            dirs[name] = d
        if self._automount(pod):
            d = pod.dir / "volumes" / ACCESS_VOLUME
            model.write_atomic_volume(str(d), self._credentials(pod), fs_group)
            dirs[ACCESS_VOLUME], kinds[ACCESS_VOLUME] = d, "projected"
        return dirs, kinds

    def _account(self, pod: Pod) -> str:
        return pod.spec.get("serviceAccountName") or pod.spec.get("serviceAccount") or "default"

    def _automount(self, pod: Pod) -> bool:
        """automountServiceAccountToken: the pod's, else its ServiceAccount's, else true."""
        if pod.spec.get("automountServiceAccountToken") is not None:
            return bool(pod.spec["automountServiceAccountToken"])
        sa = self.objects.get(("ServiceAccount", pod.namespace, self._account(pod))) or {}
        return sa.get("automountServiceAccountToken", True) is not False

    def _credentials(self, pod: Pod) -> dict:
        """What the ServiceAccount admission plugin's projected volume holds: the account's token,
        the API's CA and the namespace."""
        return {"token": (self.api.token_for(pod.namespace, self._account(pod)).encode(), 0o644),
                "ca.crt": (self.api.ca_pem, 0o644), "namespace": (pod.namespace.encode(), 0o644)}

    def _refresh_volumes(self, pod: Pod) -> None:
        """Bring ConfigMap/Secret/projected/downwardAPI volumes up to date, as the kubelet does
        periodically: the new content is swapped in atomically (a new ..data), so containers see
        it without a restart (except through subPath mounts, which keep the old file)."""
        for vol in pod.spec.get("volumes") or []:
            name = vol["name"]
            if name not in pod.volume_content:
                continue
            kind = pod.volume_kinds[name]
            try:
                files = self._volume_files(pod, vol, kind)
            except (KeyError, PodStartError) as e:
                pod.event("FailedMount", f"volume {name} not updated: {e}")
                continue
            if files != pod.volume_content[name]:
                model.write_atomic_volume(str(pod.volume_dirs[name]), files, self._fs_group(pod))
                pod.volume_content[name] = files
                pod.event("VolumeUpdated", f"{kind} volume {name}")

    def _volume_files(self, pod: Pod, vol: dict, kind: str) -> dict:
        src = vol[kind] or {}
        default_mode = src.get("defaultMode", 0o644)
        if kind == "projected":
            files = {}
            for s in src.get("sources") or []:
                (k, sub), = s.items()
                files.update(self._source_files(pod, k, sub, sub.get("defaultMode", default_mode)))
            return files
        return self._source_files(pod, kind, src, default_mode)

    def _source_files(self, pod: Pod, kind: str, src: dict, default_mode: int) -> dict:
        optional = bool(src.get("optional"))
        if kind == "configMap":
            obj = self.objects.get(("ConfigMap", pod.namespace, src["name"]))
            if obj is None:
                if optional:
                    return {}
                raise KeyError(f'configmap "{src["name"]}" not found')
            return model.select_items(model.configmap_bytes(obj), src.get("items"), default_mode, optional,
                                      f"configmap {src['name']}")
        if kind == "secret":
            sname = src.get("secretName") or src.get("name")
            obj = self.objects.get(("Secret", pod.namespace, sname))
            if obj is None:
                if optional:
                    return {}
                raise KeyError(f'secret "{sname}" not found')
            return model.select_items(model.secret_bytes(obj), src.get("items"), default_mode, optional, f"secret {sname}")
        if kind == "downwardAPI":
            files = {}
            for it in src.get("items") or []:
                if "fieldRef" in it:
                    value = self._field_ref(pod, it["fieldRef"]["fieldPath"])
                else:
                    value = self._resource_ref(pod, it["resourceFieldRef"], None)
                files[it["path"]] = (value.encode(), it.get("mode", default_mode))
            return files
        if kind == "serviceAccountToken":
            return {src.get("path", "token"): (self.api.token_for(pod.namespace, self._account(pod)).encode(), default_mode)}
        raise KeyError(f"{kind} projections are not emulated")

    # -- container set-up -----------------------------------------------------------------------

    def _field_ref(self, pod: Pod, path: str) -> str:
        simple = {
            "metadata.name": pod.name, "metadata.namespace": pod.namespace, "metadata.uid": pod.uid,
            "spec.nodeName": NODE_NAME, "spec.serviceAccountName": pod.spec.get("serviceAccountName", "default"),
            "status.hostIP": NODE_IP, "status.hostIPs": NODE_IP, "status.podIP": pod.ip or "", "status.podIPs": pod.ip or "",
        }
        if path in simple:
            return simple[path]
        m = re.fullmatch(r"metadata\.(labels|annotations)\['([^']+)'\]", path)
        if m:
            return (pod.labels if m.group(1) == "labels" else pod.annotations).get(m.group(2), "")
        if path in ("metadata.labels", "metadata.annotations"):
            d = pod.labels if path.endswith("labels") else pod.annotations
            return "\n".join(f'{k}="{v}"' for k, v in sorted(d.items()))
        raise PodStartError("CreateContainerConfigError", f"unsupported fieldPath {path!r}")

    def _resource_ref(self, pod: Pod, ref: dict, container: dict | None) -> str:
        cname = ref.get("containerName")
        c = container
        if cname or c is None:
            c = next((x for x in pod.spec.get("containers") or [] if x["name"] == cname), None) or {}
        kind, _, res = ref["resource"].partition(".")
        value = ((c.get("resources") or {}).get(kind) or {}).get(res)
        if value is None:  # no limit: the node's allocatable
            value = str(os.cpu_count()) if res == "cpu" else str(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
        q = model.parse_quantity(value)
        divisor = model.parse_quantity(ref.get("divisor", "1"))
        import math

        return str(math.ceil(q / divisor))

    def _env(self, pod: Pod, c: dict) -> dict[str, str]:
        """The env a container's spec defines (envFrom, then env in order, with $(VAR) expansion
        against what is defined so far), the way the kubelet builds it."""
        env: dict[str, str] = {}
        for ef in c.get("envFrom") or []:
            prefix = ef.get("prefix", "")
            if "configMapRef" in ef:
                ref = ef["configMapRef"]
                obj = self.objects.get(("ConfigMap", pod.namespace, ref["name"]))
                data = model.configmap_bytes(obj) if obj else None
            else:
                ref = ef["secretRef"]
                obj = self.objects.get(("Secret", pod.namespace, ref["name"]))
                data = model.secret_bytes(obj) if obj else None
            if data is None:
                if ref.get("optional"):
                    continue
                raise PodStartError("CreateContainerConfigError", f"{ref['name']} not found (envFrom)")
            for k, v in data.items():
                env[prefix + k] = v.decode("utf-8", "replace")
        for e in c.get("env") or []:
            name = e["name"]
            if "valueFrom" not in e:
                env[name] = model.expand(str(e.get("value", "")), env)
                continue
            vf = e["valueFrom"]
            if "fieldRef" in vf:
                env[name] = self._field_ref(pod, vf["fieldRef"]["fieldPath"])
            elif "resourceFieldRef" in vf:
                env[name] = self._resource_ref(pod, vf["resourceFieldRef"], c)
            else:
                kind, ref = ("ConfigMap", vf["configMapKeyRef"]) if "configMapKeyRef" in vf else ("Secret", vf["secretKeyRef"])
                obj = self.objects.get((kind, pod.namespace, ref["name"]))
                data = (model.configmap_bytes(obj) if kind == "ConfigMap" else model.secret_bytes(obj)) if obj else None
                if data is None or ref["key"] not in data:
                    if ref.get("optional"):
                        continue
                    what = f"{kind.lower()} {ref['name']!r}" if data is None else f"key {ref['key']!r} in {kind.lower()} {ref['name']!r}"
                    raise PodStartError("CreateContainerConfigError", f"{what} not found (env {name})")
                env[name] = data[ref["key"]].decode("utf-8", "replace")
        return env

    def _image_for(self, pod: Pod, c: dict) -> Image:
        image = c.get("image", "")
        if c["name"] != FLINK_MAIN and not self.flink_image_re.search(image):
            return self.images.placeholder_image(image)
        major = None
        for vm in c.get("volumeMounts") or []:
            if vm.get("mountPath", "").rstrip("/") != "/opt/flink/conf":
                continue
            vol = next((v for v in pod.spec.get("volumes") or [] if v["name"] == vm["name"]), {})
            cm = vol.get("configMap")
            if not cm:
                continue
            obj = self.objects.get(("ConfigMap", pod.namespace, cm["name"])) or {}
            keys = set((obj.get("data") or {}).keys())
            if cm.get("items"):
                keys &= {i["key"] for i in cm["items"]}
            if "flink-conf.yaml" in keys and "config.yaml" not in keys:
                major = "1"
            elif "config.yaml" in keys and "flink-conf.yaml" not in keys:
                major = "2"
        if major is None:
            m = re.search(r":(\d+)", image.rsplit("/", 1)[-1])
            major = "1" if m and m.group(1) in ("0", "1") else "2"
        if major not in self.flink_homes:
            raise PodStartError("ErrImagePull", f"no Flink distribution for major version {major} (flink_homes)")
        return self.images.flink_image(self.flink_homes[major], self.image_files)

    def _user(self, pod: Pod, c: dict, image: Image) -> tuple[int, int, list[int]]:
        psc = pod.spec.get("securityContext") or {}
        csc = c.get("securityContext") or {}
        uid = csc.get("runAsUser", psc.get("runAsUser", image.user))
        if "runAsGroup" in csc or "runAsGroup" in psc:
            gid = csc.get("runAsGroup", psc.get("runAsGroup"))
        else:  # the primary group of the user in the image's /etc/passwd
            gid = image.group if uid == image.user else (FLINK_GID if uid == FLINK_UID else 0)
        if csc.get("runAsNonRoot", psc.get("runAsNonRoot")) and uid == 0:
            raise PodStartError("CreateContainerConfigError", "container has runAsNonRoot and image will run as root")
        groups = {gid} | ({FLINK_GID} if uid == FLINK_UID else set()) | set(psc.get("supplementalGroups") or [])
        if psc.get("fsGroup") is not None:
            groups.add(psc["fsGroup"])
        return uid, gid, sorted(groups)

    def _mounts(self, pod: Pod, c: dict, env: dict) -> list[dict]:
        out = []
        for vm in c.get("volumeMounts") or []:
            name = vm["name"]
            if name not in pod.volume_dirs:
                raise PodStartError("CreateContainerConfigError", f"volumeMount {name!r} names no volume of the pod")
            src = Path(pod.volume_dirs[name])
            kind = pod.volume_kinds[name]
            sub = vm.get("subPath") or (model.expand(vm["subPathExpr"], env) if vm.get("subPathExpr") else "")
            if sub:
                try:
                    model.check_item_path(sub)
                except ValueError as e:
                    raise PodStartError("CreateContainerConfigError", str(e)) from None
                cand = src / sub
                if not os.path.lexists(cand) and kind in ("emptyDir", "persistentVolumeClaim"):
                    cand.mkdir(parents=True, exist_ok=True)
                    os.chmod(cand, 0o777)
                real = Path(os.path.realpath(cand))
                if not os.path.exists(real) or not str(real).startswith(os.path.realpath(src) + "/"):
                    raise PodStartError("CreateContainerConfigError", f"subPath {sub!r} of volume {name!r} does not exist")
                src = real
            api_data = kind in ("configMap", "secret", "projected", "downwardAPI")
            out.append({"source": str(src), "target": vm["mountPath"], "readonly": bool(vm.get("readOnly")) or api_data})
        if ACCESS_VOLUME in pod.volume_dirs and not any(m["target"].rstrip("/") == SA_DIR for m in out):
            out.append({"source": str(pod.volume_dirs[ACCESS_VOLUME]), "target": SA_DIR, "readonly": True})
        return out

    def _start_container(self, pod: Pod, c: Container) -> None:
        spec = c.spec
        image = self._image_for(pod, spec)
        env = self._env(pod, spec)
        if image.placeholder:
            argv = list(image.entrypoint)
            note = f"{pod.name}/{c.name}: " + image.notes[0]
            if note not in self.notes:
                self.notes.append(note)
        elif spec.get("command"):
            argv = [model.expand(a, env) for a in spec["command"]] + [model.expand(str(a), env) for a in spec.get("args") or []]
        else:
            argv = list(image.entrypoint) + ([model.expand(str(a), env) for a in spec["args"]] if "args" in spec else list(image.cmd))
        uid, gid, groups = self._user(pod, spec, image)
        mounts = self._mounts(pod, spec, env)
        full_env = dict(image.env)
        full_env["HOSTNAME"] = pod.hostname
        full_env.update(self._service_env())
        full_env.update(env)
        full_env.setdefault("HOME", "/root" if uid == 0 else ("/opt/flink" if uid == FLINK_UID else "/"))
        csc = spec.get("securityContext") or {}

        c.attempt += 1
        c.dir = pod.dir / "containers" / f"{c.name}.{c.attempt}"
        for sub in ("rootfs", "upper", "work"):
            (c.dir / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(c.dir / "rootfs", 0o755)
        tlog = c.dir / "termination-log"
        tlog.touch()
        os.chmod(tlog, 0o666)
        c.mount_targets = [m["target"] for m in mounts] + [spec.get("terminationMessagePath", "/dev/termination-log")]
        init_spec = {
            "parent_pid": os.getpid(),
            "netns": pod.net.ns.path,
            "hostname": pod.hostname,
            "rootfs": str(c.dir / "rootfs"),
            "upper": str(c.dir / "upper"),
            "work": str(c.dir / "work"),
            "layers": image.layers,
            "host_dirs": ["/usr", "/etc"],
            "file_binds": [[str(pod.dir / "hosts"), "/etc/hosts"], [str(pod.dir / "hostname"), "/etc/hostname"],
                           [str(pod.dir / "resolv.conf"), "/etc/resolv.conf"], [str(self._passwd), "/etc/passwd"],
                           [str(self._group), "/etc/group"]],
            "mounts": mounts,
            "termination_log": {"source": str(tlog), "path": spec.get("terminationMessagePath", "/dev/termination-log")},
            "readonly_root": bool(csc.get("readOnlyRootFilesystem")),
            "uid": uid, "gid": gid, "groups": groups,
            "no_new_privs": csc.get("allowPrivilegeEscalation") is False,
            "cwd": spec.get("workingDir") or image.workdir,
            "argv": argv,
            "env": full_env,
        }
        spec_path = c.dir / "spec.json"
        spec_path.write_text(json.dumps(init_spec, indent=1), encoding="utf-8")
        c.image, c.argv, c.env, c.uid, c.gid = image, argv, full_env, uid, gid
        c._log_file = open(c.dir / "log", "ab")
        c.proc = subprocess.Popen([sys.executable, "-B", "-s", INIT, "container", str(spec_path)], stdin=subprocess.DEVNULL,
                                  stdout=c._log_file, stderr=subprocess.STDOUT, start_new_session=True, close_fds=True,
                                  cwd="/", env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"})
        c.exit_code = None
        c.started_at = time.monotonic()
        c.started_rfc3339 = now_rfc3339()
        c.reason = "Running"
        c.started = "startupProbe" not in c.probes
        c.ready = False
        pod.event("Started", f"container {c.name} (image {image.name}, uid {uid}): {' '.join(argv)[:300]}")

    # -- probes and readiness -------------------------------------------------------------------

    def _is_jobmanager(self, c: Container) -> bool:
        return c.image is not None and c.image.flink_version is not None and any(
            a in ("jobmanager", "standalone-job") for a in c.argv[:3])

    def _port(self, c: Container, port) -> int:
        if isinstance(port, int) or str(port).isdigit():
            return int(port)
        for p in c.spec.get("ports") or []:
            if p.get("name") == port:
                return int(p["containerPort"])
        raise ValueError(f"container {c.name} has no port named {port!r}")

    def _run_probe(self, pod: Pod, c: Container, probe: dict) -> tuple[bool, str]:
        timeout = float(probe.get("timeoutSeconds", 1))
        try:
            if "httpGet" in probe:
                g = probe["httpGet"]
                if g.get("scheme", "HTTP").upper() != "HTTP":
                    return False, "HTTPS probes are not emulated"
                headers = {h["name"]: h["value"] for h in g.get("httpHeaders") or []}
                status, _ = self.network.http(g.get("host") or pod.ip, self._port(c, g["port"]), g.get("path", "/"),
                                              headers=headers, timeout=timeout)
                return 200 <= status < 400, f"HTTP {status}"
            if "tcpSocket" in probe:
                s = self.network.connect(probe["tcpSocket"].get("host") or pod.ip, self._port(c, probe["tcpSocket"]["port"]), timeout)
                s.close()
                return True, "connected"
            if "exec" in probe:
                r = self.exec(pod, probe["exec"]["command"], container=c.name, timeout=max(timeout, 1.0), check=False)
                return r.returncode == 0, f"exit {r.returncode}"
            return False, f"probe kind {sorted(probe)} is not emulated"
        except Exception as e:  # noqa: BLE001 - a failed probe
            return False, f"{type(e).__name__}: {e}"[:200]

    def _due(self, st: ProbeState, c: Container, now: float) -> bool:
        if now - c.started_at < float(st.spec.get("initialDelaySeconds", 0)):
            return False
        return now - st.last_run >= float(st.spec.get("periodSeconds", 10))

    def _probe(self, pod: Pod, c: Container, now: float) -> None:
        st = c.probes.get("startupProbe")
        if st is not None and not c.started:
            if self._due(st, c, now):
                st.last_run = now
                st.ok, st.detail = self._run_probe(pod, c, st.spec)
                if st.ok:
                    c.started = True
                    pod.event("Started", f"startup probe of {c.name} passed ({st.detail})")
                else:
                    st.failures += 1
                    if st.failures >= int(st.spec.get("failureThreshold", 3)):
                        pod.event("Unhealthy", f"startup probe of {c.name} failed {st.failures} times; "
                                               "the kubelet would restart the container (not emulated)")
            if not c.started:
                c.ready = False
                return
        rp = c.probes.get("readinessProbe")
        if rp is not None:
            if self._due(rp, c, now):
                rp.last_run = now
                ok, rp.detail = self._run_probe(pod, c, rp.spec)
                if ok:
                    rp.successes, rp.failures = rp.successes + 1, 0
                    if rp.successes >= int(rp.spec.get("successThreshold", 1)):
                        rp.ok = True
                else:
                    rp.failures, rp.successes = rp.failures + 1, 0
                    if rp.failures >= int(rp.spec.get("failureThreshold", 3)) or rp.ok is None:
                        rp.ok = False
                c.ready = bool(rp.ok)
            return
        if st is not None:
            c.ready = True
            return
        # no probe at all: alive, and for a JobManager its REST API answering
        if not self._is_jobmanager(c):
            c.ready = True
            return
        if c.default_probe is None:
            rest = next((p for p in c.spec.get("ports") or [] if p.get("name") == "rest"), {"containerPort": 8081})
            c.default_probe = ProbeState({"httpGet": {"path": "/config", "port": rest["containerPort"]}, "periodSeconds": 1})
        dp = c.default_probe
        if not c.ready and now - dp.last_run >= 1:
            dp.last_run = now
            dp.ok, dp.detail = self._run_probe(pod, c, dp.spec)
            c.ready = bool(dp.ok)

    # -- services -------------------------------------------------------------------------------

    def _sync_endpoints(self) -> None:
        eps: dict[tuple, list[str]] = {}
        for (kind, ns, name), svc in self.objects.items():
            if kind != "Service":
                continue
            spec = svc.get("spec") or {}
            not_ready_ok = bool(spec.get("publishNotReadyAddresses"))
            ips = [p.ip for p in sorted(self.all_pods, key=lambda p: p.seq)
                   if p.namespace == ns and not p.gone and p.deleting_since is None and p.ip
                   and (p.ready or (not_ready_ok and p.phase in ("Pending", "Running")))
                   and model.selector_matches(spec.get("selector"), p.labels)]
            eps[(ns, name)] = ips
        if eps != self._endpoints:
            for key in set(eps) | set(self._endpoints):
                if eps.get(key) != self._endpoints.get(key):
                    self.events.append(f"{time.strftime('%H:%M:%S')} endpoints {key[0]}/{key[1]}: {eps.get(key, [])}")
            self._endpoints = eps
            for pod in self.all_pods:
                if pod.prepared and not pod.gone:
                    self._write_in_place(pod.dir / "hosts", self._hosts_for(pod))

    @staticmethod
    def _service_env() -> dict[str, str]:
        """The `kubernetes` Service's variables, which every container gets."""
        url = f"tcp://{NODE_IP}:{API_PORT}"
        return {"KUBERNETES_SERVICE_HOST": NODE_IP, "KUBERNETES_SERVICE_PORT": str(API_PORT),
                "KUBERNETES_SERVICE_PORT_HTTPS": str(API_PORT), "KUBERNETES_PORT": url,
                f"KUBERNETES_PORT_{API_PORT}_TCP": url, f"KUBERNETES_PORT_{API_PORT}_TCP_PROTO": "tcp",
                f"KUBERNETES_PORT_{API_PORT}_TCP_PORT": str(API_PORT), f"KUBERNETES_PORT_{API_PORT}_TCP_ADDR": NODE_IP}

    @staticmethod
    def _write_in_place(path: Path, text: str) -> None:
        """Rewrite a bind-mounted file in place (a rename would leave containers on the old inode)."""
        with open(path, "r+", encoding="utf-8") as f:
            f.write(text)
            f.truncate()

    def _hosts_for(self, pod: Pod) -> str:
        lines = ["# Kubernetes-managed hosts file (flink-render kubelet harness).",
                 "127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
        if pod.ip:
            lines.append(f"{pod.ip}\t{pod.hostname}")
        for ha in pod.spec.get("hostAliases") or []:
            lines.append(f"{ha['ip']}\t{' '.join(ha.get('hostnames') or [])}")
        lines.append(f"{NODE_IP}\t{' '.join(SERVICE_NAMES)}")
        lines.append("# Services: their ready endpoints (no kube-proxy, no cluster IPs)")
        for (ns, name), ips in sorted(self._endpoints.items()):
            names = [f"{name}.{ns}.svc.{CLUSTER_DOMAIN}", f"{name}.{ns}.svc", f"{name}.{ns}"]
            if ns == pod.namespace:
                names.append(name)
            for ip in ips:
                lines.append(f"{ip}\t{' '.join(names)}")
        return "\n".join(lines) + "\n"

    def _write_user_db(self) -> tuple[Path, Path]:
        etc = self.work_dir / "etc"
        etc.mkdir(parents=True, exist_ok=True)
        passwd = Path("/etc/passwd").read_text(encoding="utf-8")
        group = Path("/etc/group").read_text(encoding="utf-8")
        if not re.search(rf"^[^:]*:[^:]*:{FLINK_UID}:", passwd, re.M):
            passwd += f"flink:x:{FLINK_UID}:{FLINK_GID}::/opt/flink:/bin/sh\n"
        if not re.search(rf"^[^:]*:[^:]*:{FLINK_GID}:", group, re.M):
            group += f"flink:x:{FLINK_GID}:\n"
        (etc / "passwd").write_text(passwd, encoding="utf-8")
        (etc / "group").write_text(group, encoding="utf-8")
        for f in ("passwd", "group"):
            os.chmod(etc / f, 0o644)
        return etc / "passwd", etc / "group"

    # -- client side ----------------------------------------------------------------------------

    def endpoints(self, service: str, namespace: str | None = None) -> list[str]:
        with self._lock:
            return list(self._endpoints.get((namespace or self.namespace, service), []))

    def resolve(self, host: str, namespace: str | None = None) -> str | None:
        """A Service name (any of its DNS forms) to its first ready endpoint, a pod name to its
        address; an address stays itself."""
        if re.fullmatch(r"[0-9.]+", host):
            return host
        ns = namespace or self.namespace
        parts = host.split(".")
        svc_ns = parts[1] if len(parts) > 1 else ns
        with self._lock:
            ips = self._endpoints.get((svc_ns, parts[0]))
            if ips:
                return ips[0]
            for p in self.all_pods:
                if p.name == host and not p.gone:
                    return p.ip
        return None

    def http(self, host: str, port: int, path: str, method: str = "GET", body=None, timeout: float = 5.0,
             namespace: str | None = None, headers: dict | None = None) -> tuple[int, bytes]:
        ip = self.resolve(host, namespace)
        if ip is None:
            raise HarnessError(f"{host} does not resolve (no ready endpoint)")
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        return self.network.http(ip, port, path, method, body, headers, timeout)

    def rest_json(self, host: str, path: str, port: int = 8081, method: str = "GET", body=None, timeout: float = 5.0):
        status, data = self.http(host, port, path, method, body, timeout)
        if not 200 <= status < 300:
            raise HarnessError(f"{method} {host}:{port}{path} -> HTTP {status}: {data[:500]!r}")
        return json.loads(data) if data else None

    def exec(self, pod: Pod | str, argv: list[str], container: str | None = None, timeout: float = 30,
             check: bool = True) -> subprocess.CompletedProcess:
        """Run argv in a running container's namespaces and root, as its user, with its env."""
        pod = self.pod(pod) if isinstance(pod, str) else pod
        c = pod.container(container)
        if not c.pid:
            raise HarnessError(f"container {pod.name}/{c.name} is not running")
        cmd = ["nsenter", "-t", str(c.pid), "-m", "-u", "-i", "-n", "-r", "-w", "-S", str(c.uid), "-G", str(c.gid),
               "--", "/usr/bin/env", "-i", *[f"{k}={v}" for k, v in c.env.items()], *argv]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=check, stdin=subprocess.DEVNULL,
                              preexec_fn=sysutil.set_parent_death_signal)

    # -- waiting --------------------------------------------------------------------------------

    def describe(self, log_lines: int = 25) -> str:
        with self._lock:
            out = [p.describe(log_lines) for p in self.all_pods if not p.gone]
            out += [f"endpoints {k[0]}/{k[1]}: {v}" for k, v in sorted(self._endpoints.items())]
            out += ["note: " + n for n in self.notes]
            out += ["loop error: " + e for e in self.errors[-3:]]
        return "\n".join(out)

    def wait_for(self, fn, timeout: float, what: str, interval: float = 0.5):
        """Call fn until it returns something truthy (exceptions count as not yet); bounded."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            try:
                v = fn()
                if v:
                    return v
            except Exception as e:  # noqa: BLE001
                last = e
            if time.monotonic() > deadline:
                raise WaitTimeout(f"timed out after {timeout}s waiting for {what} (last error: {last!r})\n{self.describe()}")
            time.sleep(interval)

    def current_pods(self, deployment: str, namespace: str | None = None) -> list[Pod]:
        """Pods of the Deployment's current revision (its template as applied last)."""
        ns = namespace or self.namespace
        with self._lock:
            dep = self.objects.get(("Deployment", ns, deployment))
            if dep is None:
                raise KeyError(f"deployment {ns}/{deployment} not applied")
            rs = self.replicasets.get((ns, deployment, model.template_hash((dep.get("spec") or {}).get("template") or {})))
            return [p for p in (rs.pods if rs else []) if not p.gone and p.deleting_since is None]

    def wait_ready(self, *deployments: str, timeout: float = 180, namespace: str | None = None) -> list[Pod]:
        """Until every Deployment named (default: all applied) has its capped replica count of
        ready pods of the current revision and no pods of older ones. Fails fast if a container of
        those pods terminated (restarts are not emulated)."""
        ns = namespace or self.namespace

        def check():
            with self._lock:
                names = deployments or [k[2] for k in self.objects if k[0] == "Deployment" and k[1] == ns]
                ready = []
                for name in names:
                    dep = self.objects[("Deployment", ns, name)]
                    want = min((dep.get("spec") or {}).get("replicas", 1), self.replica_cap)
                    cur = self.current_pods(name, ns)
                    for p in cur:
                        dead = [c for c in p.init_containers + p.containers if c.state == "terminated" and
                                (not c.init or c.exit_code != 0)]
                        if dead:
                            raise HarnessError(f"pod {p.name}: container {dead[0].name} exited with {dead[0].exit_code}"
                                               f"\n{self.describe()}")
                    old = [p for p in self.pods(name) if p.revision != (cur[0].revision if cur else None)]
                    if len(cur) != want or not all(p.ready for p in cur) or old:
                        return None
                    ready += cur
                return ready

        deadline = time.monotonic() + timeout
        while True:
            r = check()
            if r is not None:
                return r
            if time.monotonic() > deadline:
                raise WaitTimeout(f"timed out after {timeout}s waiting for {deployments or 'all deployments'} to be ready"
                                  f"\n{self.describe()}")
            time.sleep(0.3)

    def wait_job(self, name: str, timeout: float = 300, namespace: str | None = None) -> JobResult:
        key = ("Job", namespace or self.namespace, name)
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                run = self.jobs.get(key)
                if run is None:
                    raise KeyError(f"job {key[1]}/{name} not applied")
                if run.done:
                    last = run.pods[-1] if run.pods else None
                    c = last.containers[0] if last and last.containers else None
                    if c is not None and last is not None:
                        c = next((x for x in last.containers if x.exit_code not in (0, None)), c)
                    return JobResult(name, run.succeeded, run.reason, c.exit_code if c else None,
                                     c.termination_message() if c else "", c.log() if c else "", len(run.pods))
            if time.monotonic() > deadline:
                raise WaitTimeout(f"timed out after {timeout}s waiting for job {name}\n{self.describe()}")
            time.sleep(0.3)

    def run_job(self, job: dict | str, timeout: float = 300) -> JobResult:
        """Apply a Job object (or take an applied one by name) and wait until it completes."""
        if isinstance(job, dict):
            self.apply([job])
            name = job["metadata"]["name"]
            ns = (job.get("metadata") or {}).get("namespace")
        else:
            name, ns = job, None
        return self.wait_job(name, timeout, ns)
