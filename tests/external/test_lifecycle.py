"""The job lifecycle without an operator (DESIGN §5), proven with real upgrades on the local
kubelet (tests/kubelet) and a real Flink (2.3.0 for `config.yaml`, 1.20.5 for `flink-conf.yaml`).

A stateful application (the test job counts events per key in keyed state; its `count.countSum`
metric is the sum of the latest count of every key, so "restored" is a number that continues
instead of starting at zero) goes through a sequence of revisions, each rendered by flink-render
from a spec and applied the way `kubectl apply` would (no hooks: the hand-over lives in the pods):

  1. savepoint mode, first start: the job runs under the rendered id;
  2. `savepointTriggerNonce`: the savepoint Job takes a savepoint into the nonce's directory, and
     running it again takes none;
  3. a new parallelism: the JobManager's init container stops the old job with a savepoint, the
     new job runs under its new id with the new parallelism and its counts continue; applying
     the same revision again changes nothing;
  4. suspend: the job stops with a savepoint, the TaskManagers go (their preStop hook keeps them
     until the stop is done), the JobManager stays parked with the savepoint; resume: the counts
     continue;
  5. a stop that fails (the savepoint directory cannot be written): the old job keeps running and
     the new JobManager never becomes ready;
  6. stateless: the old job is cancelled and the new one starts from zero; `restartNonce` restarts;
  7. last-state without HA: the old job is cancelled and the new one restores its latest
     retained checkpoint, also when the job id stays;
  8. `savepointRedeployNonce`: the job is cancelled and starts over from `initialSavepointPath`.

and, on its own cluster, last-state with ZooKeeper HA: an upgrade that changes the job rolls the
JobManager, the job keeps its id, its new graph runs and HA restores its latest checkpoint.
Kubernetes HA goes through the lifecycle in test_kubernetes_ha.py.

Every pod and checkpoint lives in the harness; checkpoints and savepoints go to a volume all pods
share (a PersistentVolumeClaim, which the harness keeps across pods).
"""

from __future__ import annotations

import copy
import re
import threading
import time
from pathlib import Path

import pytest
import yaml

import sys

from conftest import REPO, describe, flink_home_for_conf_file, run_flink_render

sys.path.insert(0, str(REPO / "tests"))

from kubelet import Cluster, JOB_CLASS, build_job_jar  # noqa: E402

NAME = "stateful"
REST = f"{NAME}-rest"
JAR = "/opt/flink/examples/counting.jar"
DATA = "/flink-data"
KEYS = 4
STEP_TIMEOUT_S = 180
# events counted between the last checkpoint (every 2 s) and a cancel: 100 a second at most
CHECKPOINT_LAG = 500
VERSIONS = {"2": ("flink:2.2", "v2_2", "2.3.0"), "1": ("flink:1.20", "v1_20", "1.20.5")}


def homes() -> dict[str, Path]:
    return {"1": flink_home_for_conf_file("flink-conf.yaml"), "2": flink_home_for_conf_file("config.yaml")}


def spec(major: str, *, parallelism: int = 2, mode: str = "savepoint", state: str = "running",
         savepoint_dir: str = f"file://{DATA}/savepoints", **job_fields) -> dict:
    image, flink_version, _ = VERSIONS[major]
    data = {"name": "flink-data", "mountPath": DATA}
    return {
        "apiVersion": "flink.apache.org/v1beta1",
        "kind": "FlinkDeployment",
        "metadata": {"name": NAME},
        "spec": {
            "image": image,
            "flinkVersion": flink_version,
            "mode": "standalone",
            "serviceAccount": "flink",
            "flinkConfiguration": {
                "taskmanager.numberOfTaskSlots": "2",
                "execution.checkpointing.interval": "2 s",
                "execution.checkpointing.dir": f"file://{DATA}/checkpoints",
                "execution.checkpointing.savepoint-dir": savepoint_dir,
            },
            "podTemplate": {"spec": {
                "containers": [{"name": "flink-main-container", "volumeMounts": [data]}],
                "volumes": [{"name": "flink-data", "persistentVolumeClaim": {"claimName": "flink-data"}}],
            }},
            "jobManager": {"resources": {"requests": {"memory": "1024m", "cpu": "0.5"}}},
            "taskManager": {"resources": {"requests": {"memory": "1728m", "cpu": "1"}}},
            "job": {"jarURI": f"local://{JAR}", "entryClass": JOB_CLASS, "parallelism": parallelism,
                    "args": ["--keys", str(KEYS), "--sleep-ms", "20"], "upgradeMode": mode, "state": state,
                    **job_fields},
        },
    }


def render(tmp_path: Path, doc: dict) -> list[dict]:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    r = run_flink_render(["render", str(path)])
    assert r.returncode == 0, describe(r)
    return [d for d in yaml.safe_load_all(r.stdout) if d]


def job_id_of(objects: list[dict]) -> str:
    jm = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == NAME)
    args = jm["spec"]["template"]["spec"]["containers"][-1]["args"]
    return args[args.index("--job-id") + 1]


class Lifecycle:
    """One cluster through its revisions."""

    def __init__(self, cluster: Cluster, tmp_path: Path, major: str, rest: str = REST):
        self.cluster, self.tmp_path, self.major, self.rest = cluster, tmp_path, major, rest
        self.notes: list[str] = []
        self.applied: list[dict] = []  # every object applied, for what the RBAC record compares
        self.last_step, self.step_started = "first start", time.monotonic()

    def step(self, name: str) -> None:
        now = time.monotonic()
        self.notes.append(f"  {self.last_step}: {now - self.step_started:.0f} s")
        self.last_step, self.step_started = name, now

    def apply(self, doc: dict) -> list[dict]:
        objects = render(self.tmp_path, doc)
        self.cluster.apply(objects)
        self.applied.extend(objects)
        return objects

    def jobs(self) -> list[dict]:
        return self.cluster.rest_json(self.rest, "/jobs/overview")["jobs"]

    def running(self, job_id: str, parallelism: int) -> dict:
        def check():
            job = self.cluster.rest_json(self.rest, f"/jobs/{job_id}")
            ok = job["state"] == "RUNNING" and all(v["status"] == "RUNNING" for v in job["vertices"])
            return job if ok else None

        job = self.cluster.wait_for(check, STEP_TIMEOUT_S, f"job {job_id} RUNNING")
        assert {v["parallelism"] for v in job["vertices"]} == {parallelism}, job["vertices"]
        return job

    def count_sum(self, job_id: str) -> int:
        job = self.cluster.rest_json(self.rest, f"/jobs/{job_id}")
        vid = next(v["id"] for v in job["vertices"] if v["name"].startswith("count"))
        metrics = self.cluster.rest_json(self.rest, f"/jobs/{job_id}/vertices/{vid}/subtasks/metrics?get=count.countSum")
        return int(metrics[0]["sum"]) if metrics else 0

    def counting(self, job_id: str, at_least: int = 1) -> int:
        return self.cluster.wait_for(lambda: (lambda n: n if n >= at_least else None)(self.count_sum(job_id)),
                                     60, f"job {job_id} counts to {at_least}")

    def jobmanager_ready(self) -> object:
        self.cluster.wait_ready(NAME, timeout=STEP_TIMEOUT_S)
        (pod,) = [p for p in self.cluster.pods(NAME) if p.ready]
        return pod

    def handoff(self, pod) -> dict:
        return yaml.safe_load(pod.init_containers[0].termination_message()) or {}


@pytest.fixture(params=["2", "1"], ids=["flink-2.3", "flink-1.20"])
def lifecycle(request, tmp_path_factory):
    major = request.param
    work = tmp_path_factory.mktemp(f"lifecycle-{major}")
    jar = build_job_jar(homes()[major], tmp_path_factory.mktemp("lifecycle-jars"))
    cluster = Cluster(flink_homes=homes(), image_files={JAR: jar}, grace_cap_s=120, replica_cap=2)
    try:
        yield Lifecycle(cluster, work, major)
    finally:
        cluster.close()


def test_upgrades_suspend_and_resume_keep_the_state(lifecycle):
    lc, major = lifecycle, lifecycle.major
    t0 = time.monotonic()

    # 1. first start
    rev1 = spec(major)
    id1 = job_id_of(lc.apply(rev1))
    jm1 = lc.jobmanager_ready()
    assert lc.handoff(jm1)["reason"] == "no JobManager answers: first start"
    lc.running(id1, 2)
    lc.counting(id1, 200)

    lc.step('a savepoint by nonce, once')
    # 2. a savepoint by nonce, once
    rev1b = copy.deepcopy(rev1)
    rev1b["spec"]["job"]["savepointTriggerNonce"] = 7
    objects = lc.apply(rev1b)
    assert job_id_of(objects) == id1, "a savepoint nonce must not change the job id"
    (sp_job,) = [o for o in objects if o["kind"] == "Job"]
    result = lc.cluster.wait_job(sp_job["metadata"]["name"], timeout=STEP_TIMEOUT_S)
    taken = yaml.safe_load(result.termination_message)
    assert result.succeeded and taken["state"] == "COMPLETED", result
    assert taken["savepoint"].startswith(f"file:{DATA}/savepoints/nonce-7/"), taken
    lc.cluster.delete("Job", sp_job["metadata"]["name"])
    again = lc.cluster.run_job(copy.deepcopy(sp_job), timeout=STEP_TIMEOUT_S)
    assert again.succeeded and "exists already" in again.log and yaml.safe_load(again.termination_message) == taken
    assert [p.name for p in lc.cluster.pods(NAME)] == [jm1.name], "the nonce rolled the JobManager"

    lc.step('a new parallelism')
    # 3. a new parallelism: stop with a savepoint, restore, count on
    rev2 = copy.deepcopy(rev1b)
    rev2["spec"]["job"]["parallelism"] = 1
    before = lc.count_sum(id1)
    id2 = job_id_of(lc.apply(rev2))
    assert id2 != id1
    jm2 = lc.jobmanager_ready()
    handed = lc.handoff(jm2)
    assert handed["reason"] == f"job {id1} stopped with a savepoint", handed
    assert handed["restore"].startswith(f"file:{DATA}/savepoints/savepoint-"), handed
    lc.running(id2, 1)
    after = lc.counting(id2)
    assert after >= before, f"the state did not continue: {before} before the upgrade, {after} after"
    assert [j["jid"] for j in lc.jobs()] == [id2]
    lc.notes.append(f"savepoint upgrade: countSum {before} -> {after}")

    lc.step('and the same revision again')
    # ... and the same revision again changes nothing (once the upgrade's rollout has ended: an
    # old TaskManager may still be on its way out, which is that rollout's doing)
    lc.cluster.wait_ready(NAME, f"{NAME}-taskmanager", timeout=STEP_TIMEOUT_S)
    pods = sorted(p.name for p in lc.cluster.pods())
    lc.apply(rev2)
    time.sleep(3)
    assert sorted(p.name for p in lc.cluster.pods()) == pods and [j["jid"] for j in lc.jobs()] == [id2]

    lc.step('suspend')
    # 4. suspend: stopped with a savepoint, no TaskManagers, the JobManager parked
    suspended = copy.deepcopy(rev2)
    suspended["spec"]["job"]["state"] = "suspended"
    before = lc.count_sum(id2)
    lc.apply(suspended)
    parked = lc.jobmanager_ready()
    kept = lc.handoff(parked)
    assert kept["reason"] == f"job {id2} stopped with a savepoint", kept
    lc.cluster.wait_for(lambda: not lc.cluster.pods(f"{NAME}-taskmanager"), 120, "no TaskManagers")
    config = {e["key"]: e["value"] for e in lc.cluster.rest_json(lc.rest, "/jobmanager/config")}
    assert config["flink-render.handoff.savepoint"] == kept["restore"], config
    assert lc.jobs() == []
    resumed = lc.apply(rev2)
    assert job_id_of(resumed) == id2
    jm3 = lc.jobmanager_ready()
    assert lc.handoff(jm3)["restore"] == kept["restore"]
    lc.running(id2, 1)
    after = lc.counting(id2)
    assert after >= before, f"resume lost the state: {before} at suspend, {after} after"
    lc.notes.append(f"suspend/resume: countSum {before} -> {after}")

    lc.step('a stop that fails')
    # 5. a stop that fails: the old job keeps running, the new JobManager never gets ready
    broken = copy.deepcopy(rev2)
    broken["spec"]["job"]["parallelism"] = 2
    broken["spec"]["flinkConfiguration"]["execution.checkpointing.savepoint-dir"] = "file:///proc/flink-render/savepoints"
    id_broken = job_id_of(lc.apply(broken))
    failed = lc.cluster.wait_for(
        lambda: next((p for p in lc.cluster.pods(NAME) if p.phase == "Failed"), None), STEP_TIMEOUT_S,
        "the new JobManager's init container fails")
    result = lc.handoff(failed)
    assert result["state"] == "FAILED" and result["step"] == "savepoint", (result, failed.init_containers[0].log())
    assert [p.name for p in lc.cluster.pods(NAME) if p.ready] == [jm3.name]
    assert [(j["jid"], j["state"]) for j in lc.jobs()] == [(id2, "RUNNING")]
    assert id_broken not in [j["jid"] for j in lc.jobs()]
    lc.counting(id2, lc.count_sum(id2) + 1)

    lc.step('stateless')
    # 6. stateless: cancel and start from zero; restartNonce restarts
    stateless = copy.deepcopy(rev2)
    stateless["spec"]["job"]["upgradeMode"] = "stateless"
    stateless["spec"]["job"]["parallelism"] = 2
    before = lc.count_sum(id2)
    id3 = job_id_of(lc.apply(stateless))
    jm4 = lc.jobmanager_ready()
    assert lc.handoff(jm4)["reason"] == f"job {id2} cancelled; stateless"
    lc.running(id3, 2)
    fresh = lc.counting(id3)
    assert fresh < before, f"a stateless upgrade kept the state: {before} before, {fresh} after"
    restarted = copy.deepcopy(stateless)
    restarted["spec"]["restartNonce"] = 1
    id4 = job_id_of(lc.apply(restarted))
    assert id4 != id3
    lc.jobmanager_ready()
    lc.running(id4, 2)

    lc.step('last-state without HA')
    # 7. last-state without HA: cancel, restore the latest retained checkpoint
    last = copy.deepcopy(restarted)
    last["spec"]["job"]["upgradeMode"] = "last-state"
    before = lc.counting(id4, 1000)
    id5 = job_id_of(lc.apply(last))
    jm5 = lc.jobmanager_ready()
    handed = lc.handoff(jm5)
    assert handed["reason"].startswith(f"job {id4} cancelled: its latest retained checkpoint ("), handed
    assert "/chk-" in handed["restore"], handed
    lc.running(id5, 2)
    after = lc.counting(id5)
    # restored from a checkpoint (every 2 s) taken at most a few seconds before the cancel
    assert after >= before - CHECKPOINT_LAG, f"last-state lost the state: {before} before, {after} after"
    # the same id (last-state keeps it), another parallelism: cancel and restore again
    last2 = copy.deepcopy(last)
    last2["spec"]["job"]["parallelism"] = 1
    before = lc.counting(id5, after + 1000)
    assert job_id_of(lc.apply(last2)) == id5
    jm6 = lc.jobmanager_ready()
    assert jm6.name != jm5.name
    assert lc.handoff(jm6)["reason"].startswith(f"job {id5} cancelled: its latest retained checkpoint (")
    lc.running(id5, 1)
    after = lc.counting(id5)
    assert after >= before - CHECKPOINT_LAG, f"last-state with the same id lost the state: {before}, then {after}"
    lc.notes.append(f"last-state without HA: countSum {before} -> {after}")

    lc.step("savepointRedeployNonce")
    # 8. savepointRedeployNonce: cancel, and start over from initialSavepointPath (step 2's)
    redeploy = copy.deepcopy(last2)
    redeploy["spec"]["job"]["initialSavepointPath"] = taken["savepoint"]
    redeploy["spec"]["job"]["savepointRedeployNonce"] = 1
    before = lc.count_sum(id5)
    id6 = job_id_of(lc.apply(redeploy))
    assert id6 != id5
    jm7 = lc.jobmanager_ready()
    assert lc.handoff(jm7)["reason"] == "savepointRedeployNonce 1: from initialSavepointPath"
    lc.running(id6, 1)
    again = lc.counting(id6)
    assert 200 <= again < before, f"not rolled back to the nonce-7 savepoint: {before} before, {again} after"
    lc.step("end")
    lc.notes.append(f"whole sequence on Flink {VERSIONS[major][2]}: {time.monotonic() - t0:.0f} s")
    print("\n".join(lc.notes))


# ------------------------------------------------------------------------------------------------
# A FlinkSessionJob upgraded in savepoint mode
# ------------------------------------------------------------------------------------------------

SESSION = "sessions"


def session_docs(major: str, parallelism: int, mode: str = "savepoint") -> list[dict]:
    cluster = spec(major)
    cluster["metadata"]["name"] = SESSION
    del cluster["spec"]["job"]
    dirs = cluster["spec"]["flinkConfiguration"]
    if mode == "last-state":
        dirs["rest.cache.checkpoint-statistics.timeout"] = STATS_CACHE
    job = {
        "apiVersion": "flink.apache.org/v1beta1",
        "kind": "FlinkSessionJob",
        "metadata": {"name": "counter", "annotations": {"flink-render.dev/stop-on-delete": "enabled"}},
        "spec": {
            "deploymentName": SESSION,
            "flinkConfiguration": {
                "execution.checkpointing.interval": "2 s" if mode == "savepoint" else "1 s",
                "execution.checkpointing.num-retained": "1" if mode == "savepoint" else "3",
                "execution.checkpointing.dir": dirs["execution.checkpointing.dir"],
                "execution.checkpointing.savepoint-dir": dirs["execution.checkpointing.savepoint-dir"],
            },
            "job": {"jarURI": "http://artifacts:8000/counting-job.jar", "entryClass": JOB_CLASS,
                    "args": ["--keys", str(KEYS), "--sleep-ms", "20"], "parallelism": parallelism,
                    "upgradeMode": mode},
        },
    }
    return [cluster, job]


def render_with_defaults(tmp_path: Path, docs: list[dict]) -> list[dict]:
    path = tmp_path / "session.yaml"
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
    r = run_flink_render(["render", str(path), "--defaults", str(REPO / "fixtures/defaults/private-artifacts.yaml")])
    assert r.returncode == 0, describe(r)
    return [d for d in yaml.safe_load_all(r.stdout) if d]


@pytest.mark.parametrize("mode", ["savepoint", "last-state"])
@pytest.mark.parametrize("major", ["2", "1"], ids=["flink-2.3", "flink-1.20"])
def test_session_job_upgrade_keeps_the_state(major, mode, tmp_path):
    """A session job upgraded, then stopped by its stop-on-delete Job. In savepoint mode both
    stop it with a savepoint; in last-state mode both cancel it and hand over its newest
    completed checkpoint, read past the checkpoint-statistics cache that a client reading the
    statistics all along keeps stale (issue 20): the one the session JobManager logged last for
    the job, which the new job reports as restored."""
    from test_local_kubelet import artifact_server, artifact_tls

    jar = build_job_jar(homes()[major], tmp_path / "jars")
    tls = artifact_tls(tmp_path)
    files = {"/opt/artifacts/counting-job.jar": jar, "/opt/artifacts/tls/server.crt": tls["server.crt"],
             "/opt/artifacts/tls/server.key": tls["server.key"]}
    rest = f"{SESSION}-rest"
    with Cluster(flink_homes=homes(), image_files=files, grace_cap_s=60, replica_cap=2) as cluster:
        lc = Lifecycle(cluster, tmp_path, major, rest)
        rev1 = render_with_defaults(tmp_path, session_docs(major, 2, mode))
        (submit1,) = [o for o in rev1 if o["kind"] == "Job" and "-submit-" in o["metadata"]["name"]]
        hooks = [o for o in rev1 if o["kind"] == "Job" and o not in (submit1,)]
        assert [h["metadata"]["annotations"]["argocd.argoproj.io/hook"] for h in hooks] == ["PreDelete"]
        cluster.apply([o for o in rev1 if o not in hooks] + artifact_server(tls["ca.crt"]))
        first = cluster.wait_job(submit1["metadata"]["name"], timeout=STEP_TIMEOUT_S)
        assert first.succeeded, first.log[-3000:]
        id1 = yaml.safe_load(first.termination_message)["jobId"]
        before = lc.counting(id1, 300)
        reader = StatsReader(cluster, rest, id1) if mode == "last-state" else None

        rev2 = render_with_defaults(tmp_path, session_docs(major, 1, mode))
        (submit2,) = [o for o in rev2 if o["kind"] == "Job" and "-submit-" in o["metadata"]["name"]]
        (stop2,) = [o for o in rev2 if o["kind"] == "Job" and "-stop-" in o["metadata"]["name"]]
        assert submit2["metadata"]["name"] != submit1["metadata"]["name"]
        cluster.apply([o for o in rev2 if o is not stop2])
        second = cluster.wait_job(submit2["metadata"]["name"], timeout=STEP_TIMEOUT_S)
        assert second.succeeded, second.log[-3000:]
        assert f"job {id1} runs the previous revision" in second.log and "restoring from" in second.log, second.log
        id2 = yaml.safe_load(second.termination_message)["jobId"]
        assert id2 != id1
        ended = "FINISHED" if mode == "savepoint" else "CANCELED"
        states = {j["jid"]: j["state"] for j in cluster.rest_json(rest, "/jobs/overview")["jobs"]}
        assert states == {id1: ended, id2: "RUNNING"}, states
        after = lc.counting(id2)
        if mode == "last-state":
            (jm,) = cluster.pods(SESSION)
            newest = max(completed_checkpoints(main_log(jm), id1))
            assert f"restoring from file:{DATA}/checkpoints/{id1}/chk-{newest}\n" in second.log, second.log
            point = restored(lc, id2)
            assert (point["id"], point["external_path"]) == (newest, f"file:{DATA}/checkpoints/{id1}/chk-{newest}")
            assert after >= before - CHECKPOINT_LAG, f"the session job's state did not continue: {before}, then {after}"
            reader.close()
            reader = StatsReader(cluster, rest, id2)
            lc.counting(id2, after + 200)
        else:
            assert after >= before, f"the session job's state did not continue: {before}, then {after}"
        lc.notes.append(f"session job upgrade ({mode}) on Flink {VERSIONS[major][2]}: countSum {before} -> {after}")

        # deleting the application: the PreDelete hook stops the job by its upgrade mode
        cluster.apply([stop2])
        stopped = cluster.wait_job(stop2["metadata"]["name"], timeout=STEP_TIMEOUT_S)
        assert stopped.succeeded, stopped.log[-3000:]
        result = yaml.safe_load(stopped.termination_message)
        if mode == "last-state":
            reader.close()
            newest = max(completed_checkpoints(main_log(jm), id2))
            assert result == {"jobId": id2, "state": "stopped",
                              "savepoint": f"file:{DATA}/checkpoints/{id2}/chk-{newest}"}, result
        else:
            assert result["jobId"] == id2 and f"{DATA}/savepoints/savepoint-" in result["savepoint"], result
        states = {j["jid"]: j["state"] for j in cluster.rest_json(rest, "/jobs/overview")["jobs"]}
        assert states == {id1: ended, id2: ended}, states
        lc.notes.append(f"stop on delete: job {id2} stopped into {result['savepoint']}")
        print("\n".join(lc.notes))



# ------------------------------------------------------------------------------------------------
# last-state with ZooKeeper HA
# ------------------------------------------------------------------------------------------------

ZOOKEEPER_CLASS = "org.apache.flink.shaded.zookeeper3.org.apache.zookeeper.server.ZooKeeperServerMain"


def zookeeper(image: str) -> list[dict]:
    """A ZooKeeper server the pods reach as `zookeeper:2181`: the server in Flink's own
    distribution (flink-dist shades ZooKeeper 3 whole), on the Flink image."""
    labels = {"app": "zookeeper"}
    container = {"name": "zookeeper", "image": image,
                 "command": ["java", "-cp", "/opt/flink/lib/*", ZOOKEEPER_CLASS, "2181", "/tmp/zookeeper"],
                 "ports": [{"containerPort": 2181}],
                 "readinessProbe": {"tcpSocket": {"port": 2181}, "periodSeconds": 1}}
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "zookeeper"},
         "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                  "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "zookeeper"},
         "spec": {"selector": labels, "ports": [{"port": 2181}]}},
    ]


def test_last_state_with_zookeeper_ha_keeps_the_job(lifecycle):
    """last-state with ZooKeeper HA: an upgrade that changes the job (another parallelism) rolls the
    pods and the job keeps its id; nothing is stopped: the new JobManager waits as a standby, then
    runs the new graph (stored under a path of its own: high-availability.zookeeper.path.jobgraphs)
    and HA restores its latest checkpoint, so the counts continue."""
    lc, major = lifecycle, lifecycle.major
    rev1 = spec(major, mode="last-state")
    rev1["spec"]["flinkConfiguration"].update({
        "high-availability.type": "zookeeper",
        "high-availability.zookeeper.quorum": "zookeeper:2181",
        "high-availability.storageDir": f"file://{DATA}/ha",
    })
    lc.cluster.apply(zookeeper(VERSIONS[major][0]))
    lc.cluster.wait_ready("zookeeper", timeout=60)
    id1 = job_id_of(lc.apply(rev1))
    jm1 = lc.jobmanager_ready()
    lc.running(id1, 2)
    before = lc.counting(id1, 800)

    rev2 = copy.deepcopy(rev1)
    rev2["spec"]["flinkConfiguration"]["web.refresh-interval"] = "5000"
    rev2["spec"]["job"]["parallelism"] = 3
    assert job_id_of(lc.apply(rev2)) == id1, "last-state keeps the job id"
    jm2 = lc.jobmanager_ready()
    assert jm2.name != jm1.name, "the upgrade did not roll the JobManager"
    assert lc.handoff(jm2)["reason"] == f"job {id1} keeps its id: high availability restores its latest checkpoint"
    job = lc.running(id1, 3)
    after = lc.counting(id1)
    assert after >= before - CHECKPOINT_LAG, f"HA recovery lost the state: {before} before, {after} after"
    assert [j["jid"] for j in lc.jobs()] == [id1]
    print(f"last-state with ZooKeeper HA on Flink {VERSIONS[major][2]}: parallelism 2 -> 3, "
          f"countSum {before} -> {after} ({job['state']})")


# ------------------------------------------------------------------------------------------------
# last-state hand-overs through a stale checkpoint-statistics cache
# ------------------------------------------------------------------------------------------------

ROUNDS = 2  # each a hand-over through the stale cache; the suspend and resume make a third
STATS_CACHE = "5 s"


class StatsReader:
    """A client that keeps reading GET /jobs/<id>/checkpoints (a dashboard, a monitor), so Flink
    answers everyone from its per-job statistics cache (`rest.cache.checkpoint-statistics.timeout`)
    and the answers lag behind the checkpoints completed since."""

    def __init__(self, cluster: Cluster, rest: str, job_id: str):
        self.cluster, self.rest, self.job_id = cluster, rest, job_id
        self.reads = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.stop.wait(0.3):
            try:
                self.cluster.rest_json(self.rest, f"/jobs/{self.job_id}/checkpoints")
                self.reads += 1
            except Exception:  # noqa: BLE001 - no JobManager ready for a moment: read on
                pass

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


def completed_checkpoints(log: str, job_id: str) -> list[int]:
    """The checkpoints a JobManager completed for a job, from its own log."""
    return [int(n) for n in re.findall(rf"Completed checkpoint (\d+) for job {job_id}", log)]


def registered_addresses(log: str) -> set[str]:
    """The addresses of the TaskManagers that registered with a JobManager, from its log."""
    return set(re.findall(r"Registering TaskManager with ResourceID \S+ \(pekko\.tcp://flink@([0-9.]+):", log))


def restored(lc: "Lifecycle", job_id: str) -> dict:
    """`latest.restored` of a job, as Flink reports it once the statistics show it."""
    return lc.cluster.wait_for(
        lambda: lc.cluster.rest_json(lc.rest, f"/jobs/{job_id}/checkpoints")["latest"]["restored"],
        STEP_TIMEOUT_S, f"job {job_id} reports what it restored")


def main_log(pod) -> str:
    return pod.containers[-1].log()


def test_last_state_hand_over_restores_the_latest_checkpoint_through_a_stale_cache(lifecycle):
    """Issue 20: a last-state upgrade keeps the job id, cancels the job and restores its latest
    completed, retained checkpoint. With a client reading the checkpoint statistics all along
    (so Flink answers from a cache that lags), checkpoints every second and three retained, each
    of several upgrades in a row restores exactly the newest checkpoint the old JobManager logged
    as completed (Flink's own `latest.restored` and the new JobManager's "from savepoint" line say
    so, not the counts alone); no TaskManager of one revision registers with the other's
    JobManager, and the new job never restarts. Then a suspend and resume in last-state does the
    same."""
    lc, major = lifecycle, lifecycle.major
    rev = spec(major, mode="last-state")
    rev["spec"]["flinkConfiguration"].update({
        "execution.checkpointing.interval": "1 s",
        "execution.checkpointing.num-retained": "3",
        "rest.cache.checkpoint-statistics.timeout": STATS_CACHE,
    })
    job = job_id_of(lc.apply(rev))
    jm = lc.jobmanager_ready()
    lc.running(job, 2)
    lc.counting(job, 300)
    reader = StatsReader(lc.cluster, lc.rest, job)
    try:
        for round_ in range(1, ROUNDS + 1):
            rev = copy.deepcopy(rev)
            rev["spec"]["taskManager"]["resources"]["requests"]["memory"] = "1760m" if round_ % 2 else "1728m"
            old_jm, old_tms = jm, lc.cluster.pods(f"{NAME}-taskmanager")
            before = lc.counting(job, 1)
            assert job_id_of(lc.apply(rev)) == job, "last-state keeps the job id"
            jm = lc.jobmanager_ready()
            assert jm.name != old_jm.name
            handed = lc.handoff(jm)
            completed = completed_checkpoints(main_log(old_jm), job)
            assert completed, "the old JobManager completed no checkpoint"
            newest = max(completed)
            assert handed["restore"].endswith(f"/chk-{newest}"), (handed, completed[-5:])
            assert handed["reason"] == f"job {job} cancelled: its latest retained checkpoint ({newest})", handed
            lc.running(job, 2)
            after = lc.counting(job, 1)
            point = restored(lc, job)
            assert (point["id"], point["external_path"], point["is_savepoint"]) == (newest, handed["restore"], True), point
            assert f"Starting job {job} from savepoint {handed['restore']}" in main_log(jm)
            assert after >= before - CHECKPOINT_LAG, f"round {round_} lost the state: {before} before, {after} after"

            # TaskManagers never cross revisions, and the new job runs without a restart. The new
            # revision's TaskManagers are the pods of the Deployment's current template: every
            # second round returns to an earlier template, and when it comes before that earlier
            # rollout ended (the last round's TaskManager not ready yet), Kubernetes scales the
            # earlier ReplicaSet back up with the pod it still has, whose TaskManager restarts.
            def registered_revision(jm=jm):
                tms = [p for p in lc.cluster.current_pods(f"{NAME}-taskmanager") if p.ip]
                return tms if tms and registered_addresses(main_log(jm)) >= {p.ip for p in tms} else None

            new_tms = lc.cluster.wait_for(registered_revision, STEP_TIMEOUT_S, "the new revision's TaskManagers register")
            new_ips = {p.ip for p in new_tms}
            old_ips = {p.ip for p in old_tms} - new_ips
            if old_ips != {p.ip for p in old_tms}:
                lc.notes.append(f"round {round_}: the earlier revision's TaskManager {sorted(new_ips)} served again")
            assert registered_addresses(main_log(jm)) == new_ips, (registered_addresses(main_log(jm)), new_ips, old_ips)
            assert not registered_addresses(main_log(old_jm)) & new_ips, "a new TaskManager served the old JobManager"
            assert "to RESTARTING" not in main_log(jm), "the new job restarted"
            lc.notes.append(f"round {round_}: chk-{newest} handed over ({len(completed)} completed), "
                            f"countSum {before} -> {after}, {reader.reads} statistics reads so far")

        # suspend and resume in last-state: the same choice, through the parked JobManager
        suspended = copy.deepcopy(rev)
        suspended["spec"]["job"]["state"] = "suspended"
        old_jm = jm
        lc.apply(suspended)
        parked = lc.jobmanager_ready()
        kept = lc.handoff(parked)
        newest = max(completed_checkpoints(main_log(old_jm), job))
        assert kept["restore"].endswith(f"/chk-{newest}"), (kept, newest)
        lc.cluster.wait_for(lambda: not lc.cluster.pods(f"{NAME}-taskmanager"), 120, "no TaskManagers")
        lc.apply(rev)
        jm = lc.jobmanager_ready()
        assert lc.handoff(jm)["restore"] == kept["restore"]
        lc.running(job, 2)
        point = restored(lc, job)
        assert (point["id"], point["external_path"]) == (newest, kept["restore"]), point
        lc.notes.append(f"suspend/resume in last-state: chk-{newest}")
    finally:
        reader.close()
    assert reader.reads > 20, "the statistics were hardly read: the cache was never stale"
    print(f"last-state hand-overs on Flink {VERSIONS[major][2]} under a stale statistics cache:")
    print("\n".join(lc.notes))
