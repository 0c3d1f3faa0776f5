"""Kubernetes HA through the job lifecycle (DESIGN §5), on the local kubelet with its Kubernetes API
(tests/kubelet/api.py) and a real Flink (2.3.0 and 1.20.5): the JobManagers and TaskManagers talk
to the API with their own service-account tokens, under the rendered Role, in a namespace that
enforces the restricted Pod Security profile.

One cluster goes through:
  1. first start: leader election and the job graph in `<name>-cluster-config-map`, checkpoints
     in `<name>-<job id>-config-map`;
  2. a savepoint by nonce (the savepoint Job is admitted and runs);
  3. last-state, job unchanged (a configuration change rolls the JobManager): same id, the new
     JobManager restores the latest checkpoint from HA;
  4. last-state with a changed job (another parallelism): same id, and the new graph runs (the
     hand-over removed the stored graph; before that fix the old graph kept running) while the
     counts continue from the HA checkpoint;
  5. a savepoint upgrade (a new id from the savepoint; Flink removes the old id's HA entries);
  6. suspend and resume (the resumed job runs its stopped id again: with HA that needs a job
     result store of its own, which the hand-over gives it);
  7. stateless: a new id, from zero;
  8. `savepointRedeployNonce` (from initialSavepointPath, not from HA);
  9. two JobManagers: the standby takes over through leader election in the API when the leader
     is killed (the harness does not restart containers, so the standby is what recovers), from
     the newest checkpoint, and the counts continue;
  10. deleting the application (every rendered object, as `kubectl delete -f` or a GitOps prune
     does) removes Flink's HA ConfigMaps too: the JobManager made its Deployment their owner.
Every API call is recorded: the test prints what each ServiceAccount was granted beside what it
used, and no call is refused. A second test drops one verb the JobManager needs from the Role and
sees Flink refused with a 403.
"""

from __future__ import annotations

import copy
import os
import re
import signal
import time

import pytest
import yaml

from test_lifecycle import (  # noqa: F401 - `lifecycle` is the fixture
    DATA,
    NAME,
    STEP_TIMEOUT_S,
    VERSIONS,
    Lifecycle,
    job_id_of,
    lifecycle,
    render,
    spec,
)

NS = "default"
# events counted after the checkpoint a restore starts from: at most 8 s of counting at parallelism
# 3 (50 events a second per subtask), a checkpoint every 2 s taken late on a busy 2-core machine;
# a restore from anything older (step 2's savepoint, an empty start) falls far below
LAG = 2500
HA_MAP = f"{NAME}-cluster-config-map"
RESTRICTED = {"apiVersion": "v1", "kind": "Namespace",
              "metadata": {"name": NS, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}


def ha_spec(major: str, **kw) -> dict:
    doc = spec(major, **kw)
    doc["metadata"]["namespace"] = NS
    doc["spec"]["flinkConfiguration"].update({
        "high-availability.type": "kubernetes",
        "high-availability.storageDir": f"file://{DATA}/ha",
    })
    return doc


def config_map(lc: Lifecycle, name: str) -> dict:
    status, body = lc.cluster.api.request("GET", f"/api/v1/namespaces/{NS}/configmaps/{name}")
    return body if status == 200 else {}


def graph_keys(lc: Lifecycle) -> list[str]:
    return sorted(k for k in (config_map(lc, HA_MAP).get("data") or {}) if re.match(r"(jobGraph|executionPlan)-", k))


def ha_maps(lc: Lifecycle) -> list[dict]:
    """Flink's HA ConfigMaps, by the labels Flink gives them."""
    status, body = lc.cluster.api.request(
        "GET", f"/api/v1/namespaces/{NS}/configmaps?labelSelector=app%3D{NAME},type%3Dflink-native-kubernetes")
    return body["items"] if status == 200 else []


def objects_of_last(objects: list[dict]) -> list[dict]:
    """The objects of the last rendering (a stream starts with its ServiceAccount)."""
    starts = [i for i, o in enumerate(objects) if o["kind"] == "ServiceAccount"]
    return objects[starts[-1]:]


def leader_ip(lc: Lifecycle) -> str:
    data = config_map(lc, HA_MAP).get("data") or {}
    m = re.search(r"@([0-9.]+):", data.get("org.apache.flink.k8s.leader.dispatcher", ""))
    return m.group(1) if m else ""


def granted_versus_used(lc: Lifecycle, objects: list[dict]) -> tuple[str, set]:
    """A table per ServiceAccount: the verbs its Roles grant on each resource, and those Flink and
    the hand-over used (with the names they used them on)."""
    granted: dict[tuple, set] = {}
    roles = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Role"}
    for b in (o for o in objects if o["kind"] == "RoleBinding"):
        for s in b["subjects"]:
            user = f"system:serviceaccount:{s.get('namespace', NS)}:{s['name']}"
            for rule in roles[b["roleRef"]["name"]]["rules"]:
                for res in rule["resources"]:
                    granted.setdefault((user, res), set()).update(rule["verbs"])
    used: dict[tuple, dict] = {}
    for c in lc.cluster.api.calls:
        if c["user"].startswith("system:serviceaccount:"):
            pod = lc.cluster.pod_at(c["ip"])
            who = (pod.labels.get("component") or pod.owner_kind.lower()) if pod else "?"
            used.setdefault((c["user"], c["resource"]), {}).setdefault(f"{who}: {c['verb']}", set()).add(
                re.sub(r"[0-9a-f]{32}", "<job id>", c["name"]) or "*")
    lines = ["RBAC, granted versus used:"]
    unused = set()
    for key in sorted(set(granted) | set(used)):
        g, u = granted.get(key, set()), used.get(key, {})
        lines.append(f"  {key[0]} {key[1]}")
        lines.append(f"    granted: {', '.join(sorted(g)) or '-'}")
        lines += [f"    used by the {v} ({', '.join(sorted(n))})" for v, n in sorted(u.items())]
        unused |= {(key[1], v) for v in g - {verb.split(": ")[1] for verb in u}}
    return "\n".join(lines), unused


def test_kubernetes_ha_through_the_lifecycle(lifecycle):
    lc, major = lifecycle, lifecycle.major
    t0 = time.monotonic()
    lc.cluster.apply([RESTRICTED])
    apply = lc.apply

    # 1. first start
    rev1 = ha_spec(major, mode="last-state")
    id1 = job_id_of(apply(rev1))
    jm1 = lc.jobmanager_ready()
    assert lc.handoff(jm1)["reason"] == "no JobManager answers: first start"
    lc.running(id1, 2)
    lc.counting(id1, 200)
    lc.cluster.wait_for(lambda: config_map(lc, f"{NAME}-{id1}-config-map"), 30, "the checkpoint ConfigMap")
    assert graph_keys(lc) == [f"{'executionPlan' if major == '2' else 'jobGraph'}-{id1}"]

    lc.step("a savepoint by nonce")
    # 2. a savepoint by nonce: the Job's pod passes restricted admission and takes it
    rev1b = copy.deepcopy(rev1)
    rev1b["spec"]["job"]["savepointTriggerNonce"] = 3
    (sp_job,) = [o for o in apply(rev1b) if o["kind"] == "Job"]
    result = lc.cluster.wait_job(sp_job["metadata"]["name"], timeout=STEP_TIMEOUT_S)
    taken = yaml.safe_load(result.termination_message)
    assert result.succeeded and taken["state"] == "COMPLETED", result

    lc.step("last-state, the job unchanged")
    # 3. last-state, the job unchanged: same id, HA restores the latest checkpoint
    rev2 = copy.deepcopy(rev1b)
    rev2["spec"]["flinkConfiguration"]["web.refresh-interval"] = "4000"
    before = lc.counting(id1, 600)
    assert job_id_of(apply(rev2)) == id1
    jm2 = lc.jobmanager_ready()
    assert jm2.name != jm1.name
    assert lc.handoff(jm2)["reason"] == f"job {id1} keeps its id: high availability restores its latest checkpoint"
    lc.running(id1, 2)
    after = lc.counting(id1)
    assert after >= before - LAG, f"HA lost the state: {before} before, {after} after"
    lc.notes.append(f"last-state, unchanged job: countSum {before} -> {after}")

    lc.step("last-state, a changed job")
    # 4. last-state with a changed job: the new graph runs, the counts continue
    rev3 = copy.deepcopy(rev2)
    rev3["spec"]["job"]["parallelism"] = 3
    before = lc.counting(id1, after + 300)
    assert job_id_of(apply(rev3)) == id1
    jm3 = lc.jobmanager_ready()
    assert "removed the stored job graphs" in jm3.init_containers[0].log()
    lc.running(id1, 3)
    after = lc.counting(id1)
    assert after >= before - LAG, f"the changed job lost the state: {before} before, {after} after"
    lc.cluster.wait_for(lambda: graph_keys(lc), 30, "the new graph stored")
    lc.notes.append(f"last-state, changed job (parallelism 2 -> 3): countSum {before} -> {after}")

    lc.step("a savepoint upgrade")
    # 5. savepoint mode, another parallelism: the job stops with a savepoint, a new id starts from
    # it, and Flink removes the stopped job's HA entries itself
    rev4 = copy.deepcopy(rev3)
    rev4["spec"]["job"]["upgradeMode"] = "savepoint"
    rev4["spec"]["job"]["parallelism"] = 2
    before = lc.counting(id1, after + 300)
    id2 = job_id_of(apply(rev4))
    assert id2 != id1
    jm4 = lc.jobmanager_ready()
    assert lc.handoff(jm4)["reason"] == f"job {id1} stopped with a savepoint"
    lc.running(id2, 2)
    after = lc.counting(id2, before)
    lc.cluster.wait_for(lambda: not config_map(lc, f"{NAME}-{id1}-config-map"), 60, "the stopped job's HA entries gone")
    lc.notes.append(f"savepoint upgrade: countSum {before} -> {after}")

    lc.step("suspend and resume")
    # 6. suspend and resume: the resumed job runs its stopped id again
    rev6 = copy.deepcopy(rev4)
    suspended = copy.deepcopy(rev6)
    suspended["spec"]["job"]["state"] = "suspended"
    before = lc.count_sum(id2)
    apply(suspended)
    parked = lc.jobmanager_ready()
    kept = lc.handoff(parked)
    lc.cluster.wait_for(lambda: not lc.cluster.pods(f"{NAME}-taskmanager"), 120, "no TaskManagers")
    # the parked JobManager answers once it leads (until then: 503, a leader election is ongoing)
    lc.cluster.wait_for(lambda: (lambda jobs: "parked" if all(j["state"] != "RUNNING" for j in jobs) else None)(lc.jobs()),
                        60, "the parked JobManager to lead, with no job running")
    assert job_id_of(apply(rev6)) == id2
    resumed = lc.jobmanager_ready()
    assert lc.handoff(resumed)["restore"] == kept["restore"]
    lc.running(id2, 2)
    after = lc.counting(id2)
    assert after >= before - LAG, f"resume lost the state: {before} at suspend, {after} after"
    lc.notes.append(f"suspend ({kept['reason']}) and resume: countSum {before} -> {after}")

    lc.step("stateless")
    # 7. stateless: cancelled, a new id from zero
    stateless = copy.deepcopy(rev6)
    stateless["spec"]["job"]["upgradeMode"] = "stateless"
    stateless["spec"]["flinkConfiguration"]["web.refresh-interval"] = "5000"
    before = lc.count_sum(id2)
    id3 = job_id_of(apply(stateless))
    assert id3 != id2
    assert lc.handoff(lc.jobmanager_ready())["reason"] == f"job {id2} cancelled; stateless"
    lc.running(id3, 2)
    fresh = lc.counting(id3)
    assert fresh < before, f"a stateless upgrade kept the state: {before} before, {fresh} after"

    lc.step("savepointRedeployNonce")
    # 8. savepointRedeployNonce: from initialSavepointPath (step 2's savepoint), not from HA
    redeploy = copy.deepcopy(stateless)
    redeploy["spec"]["job"]["upgradeMode"] = "last-state"
    redeploy["spec"]["job"]["initialSavepointPath"] = taken["savepoint"]
    redeploy["spec"]["job"]["savepointRedeployNonce"] = 1
    id4 = job_id_of(apply(redeploy))
    assert id4 not in (id1, id2, id3)
    jm = lc.jobmanager_ready()
    assert lc.handoff(jm)["reason"] == "savepointRedeployNonce 1: from initialSavepointPath"
    lc.running(id4, 2)
    lc.counting(id4)
    restored = lc.cluster.rest_json(lc.rest, f"/jobs/{id4}/checkpoints")["latest"]["restored"]
    assert restored and restored["external_path"] == taken["savepoint"], restored

    lc.step("two JobManagers, the leader killed")
    # 9. two JobManagers (last-state: the id stays, the JobManager Deployment scales up, and the
    # second one's hand-over finds the job running): kill the leader, the standby takes over
    rev5 = copy.deepcopy(redeploy)
    rev5["spec"]["jobManager"]["replicas"] = 2
    assert job_id_of(apply(rev5)) == id4
    lc.cluster.wait_ready(NAME, timeout=STEP_TIMEOUT_S)
    lc.running(id4, 2)
    before = lc.counting(id4, 600)
    # the statistics may not show a completed checkpoint yet (either JobManager answers, each
    # from a cache of its own): wait for one
    newest = lc.cluster.wait_for(
        lambda: (lc.cluster.rest_json(lc.rest, f"/jobs/{id4}/checkpoints")["latest"]["completed"] or {}).get("id"),
        STEP_TIMEOUT_S, f"a completed checkpoint of job {id4}")
    ip = lc.cluster.wait_for(lambda: leader_ip(lc), 30, "the leader's address")
    (leader,) = [p for p in lc.cluster.current_pods(NAME) if p.ip == ip]
    (standby,) = [p for p in lc.cluster.current_pods(NAME) if p.ip != ip]
    os.kill(leader.jvm_pid(), signal.SIGKILL)
    lc.cluster.wait_for(lambda: leader_ip(lc) == standby.ip, 90, "the standby to lead")
    lc.running(id4, 2)
    # the new leader restored the job from the newest checkpoint HA kept (not a savepoint, not empty)
    point = lc.cluster.wait_for(
        lambda: (lambda r: r if r and not r["is_savepoint"] else None)(
            lc.cluster.rest_json(lc.rest, f"/jobs/{id4}/checkpoints")["latest"]["restored"]),
        60, "the job restored from a checkpoint by the new leader")
    assert point["id"] >= newest and not point["is_savepoint"], (point, newest)
    after = lc.counting(id4, before + 1)
    lc.notes.append(f"leader killed, standby took over from checkpoint {point['id']} (newest seen before: {newest}): "
                    f"countSum {before} -> {after}")

    lc.step("delete the application")
    # 10. HA data goes with the application: Flink's HA ConfigMaps carry the JobManager
    # Deployment as their owner (the start wrapper), so deleting the application collects them
    dep_uid = lc.cluster.get("Deployment", NAME)["metadata"]["uid"]
    maps = lc.cluster.wait_for(lambda: (lambda ms: ms if len(ms) >= 2 and all(
        [r["uid"] for r in m["metadata"].get("ownerReferences") or []] == [dep_uid] for m in ms) else None)(ha_maps(lc)),
        60, "the HA ConfigMaps owned by the JobManager's Deployment")
    assert {m["metadata"]["name"] for m in maps} >= {HA_MAP, f"{NAME}-{id4}-config-map"}
    live_calls = len(lc.cluster.api.calls)  # after this, the Role is gone while the pods shut down
    for kind, name in [(o["kind"], o["metadata"]["name"]) for o in objects_of_last(lc.applied)]:
        lc.cluster.delete(kind, name, None if kind == "Namespace" else NS)
    lc.cluster.wait_for(lambda: not lc.cluster.pods(NAME), 120, "the JobManager gone")
    # a JobManager still shutting down may write its leader entry again (its lease renewal creates
    # the map it misses): what may be left holds no job graph and no checkpoint
    left = {m["metadata"]["name"]: sorted(m.get("data") or {}) for m in ha_maps(lc)}
    assert f"{NAME}-{id4}-config-map" not in left, left
    assert all(k.startswith("org.apache.flink.k8s.leader.") for keys in left.values() for k in keys), left
    lc.notes.append(f"deleted: HA ConfigMaps left {left or 'none'}")
    lc.step("end")

    table, unused = granted_versus_used(lc, lc.applied)
    refused = [c for c in lc.cluster.api.calls[:live_calls] if c["code"] in (401, 403)]
    lc.notes.append(table)
    lc.notes.append(f"whole sequence on Flink {VERSIONS[major][2]}: {time.monotonic() - t0:.0f} s")
    print("\n".join(lc.notes))
    assert not refused, refused
    # every right the Role grants is used, or documented in the Role's module (src/emit/rbac.rs)
    assert unused <= {("configmaps", "delete")}, unused


@pytest.mark.parametrize("lifecycle", ["2"], ids=["flink-2.3"], indirect=True)
def test_a_role_without_a_needed_verb_is_refused(lifecycle):
    """The check can fail: the same cluster with `update` dropped from the Role never elects a
    leader, and the API answers Flink's ConfigMap updates with 403."""
    lc, major = lifecycle, lifecycle.major
    objects = render(lc.tmp_path, ha_spec(major))
    for o in objects:
        if o["kind"] == "Role":
            for rule in o["rules"]:
                rule["verbs"] = [v for v in rule["verbs"] if v != "update"]
    lc.cluster.apply(objects)
    lc.cluster.wait_for(lambda: any(c["code"] == 403 and c["verb"] == "update" for c in lc.cluster.api.calls),
                        STEP_TIMEOUT_S, "a refused update")
    time.sleep(5)
    assert not leader_ip(lc), "a leader was elected without the right to update its ConfigMap"
