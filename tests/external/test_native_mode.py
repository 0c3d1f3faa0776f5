"""Native mode (reference native-mode.md; DESIGN §3) on the local kubelet with its Kubernetes API
(tests/kubelet/api.py) and a real Flink (2.3.0 and 1.20.5). The spec omits `mode`, as 46 of the 56
public FlinkDeployments do, and is rendered native as the operator deploys it: the JobManager
Deployment is the only pod template applied, and the JobManager creates its TaskManager pods through
the API, with its own service-account token, under the rendered Role, in a namespace that enforces
the restricted Pod Security profile (so a TaskManager pod the template left unhardened would be
refused).

One cluster goes through:
  1. first start: the job runs under the rendered id with its parallelism on the TaskManagers the
     JobManager asked for (ceil(parallelism / slots)), pods built from `pod-template-<name>`: its
     labels, the hardened security context, no token, nothing checkov finds outside the allowlist
     (tests/security/checkov-allowlist.yaml); the TaskManager's JVM gets the memory
     `flink-render memory` computes;
  2. a parallelism raised through Flink's REST API (`PUT /jobs/<id>/resource-requirements`, the
     adaptive scheduler): the JobManager creates another TaskManager pod itself and the job rescales,
     with no operator and no change to any object;
  3. a savepoint upgrade that changes the TaskManager template and the parallelism: the hand-over
     stops the job with a savepoint and deletes the old TaskManager pods before the new JobManager
     starts, so the new job runs only on TaskManagers of the new template, and the counts continue;
  4. suspend (the JobManager parked with the savepoint, no TaskManager left) and resume;
  5. last-state with Kubernetes HA switched on, then a last-state upgrade that changes the job: in
     native mode the hand-over cancels the job and the new JobManager restores its latest retained
     checkpoint (the old TaskManagers would otherwise run the new revision's job), the id stays,
     the counts continue;
  6. deleting the JobManager Deployment collects the TaskManager pods (their owner).
Every API call is recorded: what each ServiceAccount was granted beside what it used, and no call
is refused. A second test submits a session job to a native session cluster.
"""

from __future__ import annotations

import copy
import time

import yaml

from test_kubernetes_ha import NS, RESTRICTED, granted_versus_used
from test_lifecycle import (  # noqa: F401 - `lifecycle` is the fixture
    DATA,
    NAME,
    STEP_TIMEOUT_S,
    Lifecycle,
    lifecycle,
    render,
    restored,
    spec,
)
from test_local_kubelet import flink_conf, jvm_flags
from test_security_scan import checkov_problems
from conftest import run_flink_render

# events counted after the checkpoint a restore starts from (see test_kubernetes_ha.LAG)
LAG = 2500
TASKMANAGER_LABELS = {"app": NAME, "component": "taskmanager", "type": "flink-native-kubernetes"}


def native_spec(major: str, **kw) -> dict:
    """The lifecycle test's spec, with `mode` omitted (native, as the operator), in the namespace,
    with the adaptive scheduler (so that a parallelism can be raised through the REST API)."""
    doc = spec(major, **kw)
    del doc["spec"]["mode"]
    doc["metadata"]["namespace"] = NS
    doc["spec"]["flinkConfiguration"]["jobmanager.scheduler"] = "adaptive"
    return doc


def config_of(objects: list[dict]) -> dict[str, str]:
    (cm,) = [o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == f"flink-config-{NAME}"]
    return flink_conf(cm)[1]


def native_job_id(objects: list[dict]) -> str:
    return config_of(objects)["$internal.pipeline.job-id"]


def taskmanagers(lc: Lifecycle) -> list:
    """The TaskManager pods the JobManager created (still there, not being deleted)."""
    return [p for p in lc.cluster.pods(kind="Pod") if p.deleting_since is None
            and all(p.labels.get(k) == v for k, v in TASKMANAGER_LABELS.items())]


def rescaled(lc: Lifecycle, job_id: str, parallelism: int) -> dict:
    """Until the job runs every vertex at `parallelism` (the adaptive scheduler restarts it at the
    new parallelism once the slots are there)."""
    def check():
        job = lc.cluster.rest_json(lc.rest, f"/jobs/{job_id}")
        ok = job["state"] == "RUNNING" and all(v["status"] == "RUNNING" and v["parallelism"] == parallelism
                                               for v in job["vertices"])
        return job if ok else None

    return lc.cluster.wait_for(check, STEP_TIMEOUT_S, f"job {job_id} RUNNING at parallelism {parallelism}")


def restored_from(lc: Lifecycle, job_id: str, handoff: dict) -> None:
    """The job reports that it restored what the hand-over handed it (the proof of a restore: the
    counts' metric, a sum over the keys each subtask has seen since it started, is read from a
    cache the REST API refreshes every few seconds, and can lag behind right after a start)."""
    point = restored(lc, job_id)
    assert point["external_path"].replace("file:///", "file:/") == handoff["restore"].replace("file:///", "file:/"), (
        point, handoff)


def registered(lc: Lifecycle) -> set[str]:
    return {t["id"] for t in lc.cluster.rest_json(lc.rest, "/taskmanagers")["taskmanagers"]}


def test_native_cluster_through_the_lifecycle(lifecycle, tmp_path):
    lc, major = lifecycle, lifecycle.major
    t0 = time.monotonic()
    lc.cluster.apply([RESTRICTED])
    apply = lc.apply

    # 1. first start
    rev1 = native_spec(major, parallelism=3)
    objects = apply(rev1)
    assert not [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] != NAME], "a TaskManager Deployment"
    id1 = native_job_id(objects)
    jm1 = lc.jobmanager_ready()
    assert lc.handoff(jm1)["reason"] == "no JobManager answers: first start"
    lc.running(id1, 3)
    tms = lc.cluster.wait_for(lambda: (lambda t: t if len(t) == 2 else None)(taskmanagers(lc)), 60, "two TaskManagers")
    for pod in tms:
        owners = lc.cluster.get("Pod", pod.name, NS)["metadata"].get("ownerReferences") or []
        assert [(o["kind"], o["name"]) for o in owners] == [("Deployment", NAME)], owners
        ctx = pod.spec["securityContext"]
        assert ctx["runAsNonRoot"] is True and ctx["runAsUser"] == 9999, ctx
        main = next(c for c in pod.spec["containers"] if c["name"] == "flink-main-container")
        assert main["securityContext"]["readOnlyRootFilesystem"] is True, main["securityContext"]
        assert pod.spec.get("automountServiceAccountToken") is False, "a TaskManager without HA needs no token"
    path = tmp_path / "rev1.yaml"
    path.write_text(yaml.safe_dump(rev1), encoding="utf-8")
    memory = yaml.safe_load(run_flink_render(["memory", str(path), "--format", "json"]).stdout)
    want = jvm_flags(memory[0]["taskmanager"]["jvmArgs"])
    for pod in tms:
        assert jvm_flags(pod.jvm_args()) == want, f"{pod.name}: {jvm_flags(pod.jvm_args())} != flink-render memory {want}"
    # the security review of the pods Flink built from the template, as the API holds them
    scan = tmp_path / "checkov"
    scan.mkdir()
    live = [lc.cluster.get("Pod", pod.name, NS) for pod in tms]
    (scan / "taskmanagers.yaml").write_text(yaml.safe_dump_all(live), encoding="utf-8")
    problems, _ = checkov_problems({"taskmanagers.yaml": live}, scan)
    assert not problems, "checkov over the TaskManager pods Flink created:\n" + "\n".join(problems)
    before = lc.counting(id1, 300)

    lc.step("a parallelism raised through the REST API")
    # 2. the adaptive scheduler: the JobManager asks for a third TaskManager pod itself
    job = lc.cluster.rest_json(lc.rest, f"/jobs/{id1}")
    body = {v["id"]: {"parallelism": {"lowerBound": 1, "upperBound": 5}} for v in job["vertices"]}
    lc.cluster.rest_json(lc.rest, f"/jobs/{id1}/resource-requirements", method="PUT", body=body)
    lc.cluster.wait_for(lambda: len(taskmanagers(lc)) == 3 or None, STEP_TIMEOUT_S, "a third TaskManager pod")
    rescaled(lc, id1, 5)
    after = lc.counting(id1, before + 100)
    lc.notes.append(f"rescaled through REST 3 -> 5: {len(taskmanagers(lc))} TaskManager pods, countSum {before} -> {after}")

    lc.step("a savepoint upgrade with a new TaskManager template")
    # 3. a new TaskManager template and parallelism: the old TaskManagers go before the new job runs
    rev2 = copy.deepcopy(rev1)
    rev2["spec"]["job"]["parallelism"] = 2
    rev2["spec"]["taskManager"]["podTemplate"] = {"metadata": {"labels": {"revision": "two"}}}
    old = {p.uid for p in taskmanagers(lc)}
    before = lc.counting(id1, after + 100)
    id2 = native_job_id(apply(rev2))
    assert id2 != id1
    jm2 = lc.jobmanager_ready()
    handoff = lc.handoff(jm2)
    assert handoff["reason"] == f"job {id1} stopped with a savepoint", handoff
    assert "deleted the TaskManager pods" in jm2.init_containers[0].log()
    lc.running(id2, 2)
    restored_from(lc, id2, handoff)
    after = lc.counting(id2, before)
    new = taskmanagers(lc)
    # (a new JobManager finds no pod of an earlier attempt, so its pods may take the old names)
    assert new and not {p.uid for p in new} & old, (old, [(p.name, p.uid) for p in new])
    assert all(p.labels.get("revision") == "two" for p in new), [p.labels for p in new]
    assert registered(lc) <= {p.name for p in new}, registered(lc)
    lc.notes.append(f"savepoint upgrade: countSum {before} -> {after}")

    lc.step("suspend and resume")
    # 4. suspend: parked with the savepoint, no TaskManager; resume
    suspended = copy.deepcopy(rev2)
    suspended["spec"]["job"]["state"] = "suspended"
    before = lc.count_sum(id2)
    apply(suspended)
    parked = lc.jobmanager_ready()
    kept = lc.handoff(parked)
    lc.cluster.wait_for(lambda: not taskmanagers(lc) or None, 120, "no TaskManagers")
    assert native_job_id(apply(rev2)) == id2
    resumed = lc.jobmanager_ready()
    assert lc.handoff(resumed)["restore"] == kept["restore"]
    lc.running(id2, 2)
    restored_from(lc, id2, kept)
    after = lc.counting(id2, before)
    lc.notes.append(f"suspend ({kept['reason']}) and resume: countSum {before} -> {after}")

    lc.step("last-state with Kubernetes HA")
    # 5. Kubernetes HA and last-state; then a changed job under the same id
    rev3 = copy.deepcopy(rev2)
    rev3["spec"]["job"]["upgradeMode"] = "last-state"
    rev3["spec"]["flinkConfiguration"].update({"high-availability.type": "kubernetes",
                                               "high-availability.storageDir": f"file://{DATA}/ha"})
    before = lc.counting(id2, after + 100)
    id3 = native_job_id(apply(rev3))
    jm3 = lc.jobmanager_ready()
    assert lc.handoff(jm3)["reason"].startswith(f"job {id2} cancelled: "), lc.handoff(jm3)
    lc.running(id3, 2)
    restored_from(lc, id3, lc.handoff(jm3))
    after = lc.counting(id3, before - LAG)
    rev4 = copy.deepcopy(rev3)
    rev4["spec"]["job"]["parallelism"] = 3
    before = lc.counting(id3, after + 300)
    assert native_job_id(apply(rev4)) == id3
    jm4 = lc.jobmanager_ready()
    assert lc.handoff(jm4)["reason"].startswith(f"job {id3} cancelled: "), lc.handoff(jm4)
    lc.running(id3, 3)
    restored_from(lc, id3, lc.handoff(jm4))
    after = lc.counting(id3, before - LAG)
    assert all(p.spec.get("automountServiceAccountToken") is not False for p in taskmanagers(lc)), "HA TaskManagers need a token"
    lc.notes.append(f"last-state with Kubernetes HA, job changed (parallelism 2 -> 3): countSum {before} -> {after}")

    lc.step("delete the JobManager Deployment")
    # 6. the TaskManager pods go with their owner
    live_calls = len(lc.cluster.api.calls)
    lc.cluster.delete("Deployment", NAME, NS)
    lc.cluster.wait_for(lambda: not taskmanagers(lc) and not lc.cluster.pods(NAME) or None, 120, "every pod gone")
    lc.step("end")

    table, unused = granted_versus_used(lc, lc.applied)
    refused = [c for c in lc.cluster.api.calls[:live_calls] if c["code"] in (401, 403)]
    lc.notes.append(table)
    lc.notes.append(f"whole sequence on Flink {major}: {time.monotonic() - t0:.0f} s")
    print("\n".join(lc.notes))
    assert not refused, refused
    assert unused <= {("configmaps", "delete")}, unused


def test_session_job_on_a_native_session_cluster(tmp_path):
    """A native session cluster (mode omitted) starts with no TaskManager; the session job's submit
    Job submits it through the REST Service, and the JobManager creates the TaskManager pods the
    job's slots need (parallelism 3 on 2 slots: two), under the rendered Role; then a savepoint
    upgrade of the session job (parallelism 2) keeps the counts. The specs name no namespace and
    the objects are applied into one, as `kubectl apply -n` does: the RoleBinding's subject names
    none, and the API reads it as the binding's own."""
    from test_lifecycle import SESSION, homes, render_with_defaults, session_docs
    from test_local_kubelet import artifact_server, artifact_tls
    from kubelet import Cluster, build_job_jar

    major = "2"
    jar = build_job_jar(homes()[major], tmp_path / "jars")
    tls = artifact_tls(tmp_path)
    files = {"/opt/artifacts/counting-job.jar": jar, "/opt/artifacts/tls/server.crt": tls["server.crt"],
             "/opt/artifacts/tls/server.key": tls["server.key"]}

    def native(docs: list[dict]) -> list[dict]:
        del docs[0]["spec"]["mode"]
        for doc in docs:
            doc["metadata"].pop("namespace", None)
            doc["metadata"].pop("annotations", None)
        return docs

    def applied_with_namespace(objects: list[dict]) -> list[dict]:
        """What `kubectl apply -n NS` applies: every object in NS, nothing else changed."""
        for o in objects:
            assert "namespace" not in o["metadata"], o["metadata"]
            o["metadata"]["namespace"] = NS
        (binding,) = [o for o in objects if o["kind"] == "RoleBinding"]
        assert all("namespace" not in subject for subject in binding["subjects"]), binding
        return objects

    rest = f"{SESSION}-rest"
    labels = {"app": SESSION, "component": "taskmanager", "type": "flink-native-kubernetes"}
    with Cluster(flink_homes=homes(), image_files=files, grace_cap_s=60, replica_cap=2) as cluster:
        lc = Lifecycle(cluster, tmp_path, major, rest)
        rev1 = applied_with_namespace(render_with_defaults(tmp_path, native(session_docs(major, 3))))
        assert not [o for o in rev1 if o["kind"] == "Deployment" and o["metadata"]["name"] != SESSION]
        (submit1,) = [o for o in rev1 if o["kind"] == "Job" and "-submit-" in o["metadata"]["name"]]
        # the artifact server first: the submit Job downloads the jar once the session cluster
        # answers, which a native session cluster (no TaskManager to start) does quickly
        # (its pod is the test's, not hardened: it starts before the namespace turns restricted)
        cluster.apply(artifact_server(tls["ca.crt"]))
        cluster.wait_ready("artifacts", timeout=STEP_TIMEOUT_S)
        cluster.apply([RESTRICTED, *rev1])
        first = cluster.wait_job(submit1["metadata"]["name"], timeout=STEP_TIMEOUT_S)
        assert first.succeeded, first.log[-3000:]
        id1 = yaml.safe_load(first.termination_message)["jobId"]
        lc.running(id1, 3)
        tms = [p for p in cluster.pods(kind="Pod") if all(p.labels.get(k) == v for k, v in labels.items())]
        assert len(tms) == 2, [p.name for p in tms]
        before = lc.counting(id1, 300)

        rev2 = applied_with_namespace(render_with_defaults(tmp_path, native(session_docs(major, 2))))
        (submit2,) = [o for o in rev2 if o["kind"] == "Job" and "-submit-" in o["metadata"]["name"]]
        cluster.apply(rev2)
        second = cluster.wait_job(submit2["metadata"]["name"], timeout=STEP_TIMEOUT_S)
        assert second.succeeded, second.log[-3000:]
        id2 = yaml.safe_load(second.termination_message)["jobId"]
        lc.running(id2, 2)
        after = lc.counting(id2, before)
        refused = [c for c in cluster.api.calls if c["code"] in (401, 403)]
        assert not refused, refused
        print(f"native session job: countSum {before} -> {after}")
