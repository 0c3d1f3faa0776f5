"""The local kubelet's Kubernetes API (tests/kubelet/api.py): what `apply` stores is what the API
shows, the verbs and semantics Flink's fabric8 client relies on, in-cluster credentials as a pod
really gets them, RBAC from the stored Roles (403 as Kubernetes answers it) and restricted Pod
Security admission for every pod, whoever creates it. Flink itself talks to this API in
test_kubernetes_ha.py (Kubernetes HA through the lifecycle, its RBAC measured).
"""

from __future__ import annotations

import json
import sys
import threading
import time

import pytest

from conftest import REPO, flink_home_for_conf_file

sys.path.insert(0, str(REPO / "tests"))

from kubelet import Cluster, HarnessError  # noqa: E402
from kubelet.api import label_matcher  # noqa: E402

NS = "default"
CM = f"/api/v1/namespaces/{NS}/configmaps"
IMAGE = "flink:2.2"
ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


@pytest.fixture(scope="module")
def cluster():
    homes = {"1": flink_home_for_conf_file("flink-conf.yaml"), "2": flink_home_for_conf_file("config.yaml")}
    c = Cluster(flink_homes=homes, grace_cap_s=5)
    try:
        yield c
    finally:
        c.close()


def config_map(name: str, labels: dict | None = None, owner: dict | None = None, **data) -> dict:
    md = {"name": name, "labels": labels or {}}
    if owner:
        md["ownerReferences"] = [{"apiVersion": "v1", "kind": "ConfigMap", "name": owner["metadata"]["name"],
                                  "uid": owner["metadata"]["uid"]}]
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": md, "data": data}


def test_what_apply_stores_is_what_the_api_shows(cluster):
    api = cluster.api
    cluster.apply([config_map("shown", {"app": "a", "tier": "x"}, k="v")])
    status, obj = api.request("GET", f"{CM}/shown")
    assert status == 200 and obj["data"] == {"k": "v"}
    md = obj["metadata"]
    assert md["uid"] and md["resourceVersion"] and md["creationTimestamp"] and md["namespace"] == NS
    # applying the same object again changes nothing, a changed one bumps the resourceVersion only
    assert cluster.apply([config_map("shown", {"app": "a", "tier": "x"}, k="v")]) == ["configmap/shown unchanged"]
    assert api.request("GET", f"{CM}/shown")[1]["metadata"]["resourceVersion"] == md["resourceVersion"]
    cluster.apply([config_map("shown", {"app": "a", "tier": "x"}, k="w")])
    again = api.request("GET", f"{CM}/shown")[1]
    assert again["metadata"]["uid"] == md["uid"] and int(again["metadata"]["resourceVersion"]) > int(md["resourceVersion"])
    # what the API writes, the harness reads
    assert api.request("PATCH", f"{CM}/shown", {"data": {"k": "z"}}, content_type="application/merge-patch+json")[0] == 200
    assert cluster.get("ConfigMap", "shown")["data"] == {"k": "z"}


def test_list_selects_by_label_and_field(cluster):
    api = cluster.api
    cluster.apply([config_map("sel-a", {"app": "sel", "component": "jobmanager"}),
                   config_map("sel-b", {"app": "sel", "component": "taskmanager"}),
                   config_map("sel-c", {"app": "other"})])

    def names(query: str) -> list[str]:
        status, body = api.request("GET", f"{CM}?{query}")
        assert status == 200, body
        assert body["kind"] == "ConfigMapList" and int(body["metadata"]["resourceVersion"]) > 0
        return sorted(o["metadata"]["name"] for o in body["items"] if o["metadata"]["name"].startswith("sel-"))

    assert names("labelSelector=app%3Dsel") == ["sel-a", "sel-b"]
    assert names("labelSelector=app%3Dsel,component%3Dtaskmanager") == ["sel-b"]
    assert names("labelSelector=app%3Dsel,component!%3Dtaskmanager") == ["sel-a"]
    assert names("labelSelector=component%20in%20(jobmanager,x)") == ["sel-a"]
    assert names("labelSelector=!component") == ["sel-c"]
    assert names("fieldSelector=metadata.name%3Dsel-c&resourceVersion=0") == ["sel-c"]
    assert label_matcher("a notin (x)")({"a": "y"}) and not label_matcher("a notin (x)")({"a": "x"})
    assert api.request("GET", f"{CM}?fieldSelector=spec.nope%3D1")[0] == 400


def test_create_update_and_patch_as_flink_uses_them(cluster):
    api = cluster.api
    status, created = api.request("POST", CM, config_map("cas", k="1"))
    assert status == 201 and created["metadata"]["uid"]
    status, body = api.request("POST", CM, config_map("cas", k="1"))
    assert (status, body["reason"]) == (409, "AlreadyExists")
    # compare-and-swap: an update from a stale resourceVersion is a 409 Conflict, as Flink's
    # ConfigMap updates expect (Fabric8FlinkKubeClient#checkAndUpdateConfigMap retries on it)
    first = dict(created, data={"k": "2"})
    status, updated = api.request("PUT", f"{CM}/cas", first)
    assert status == 200 and updated["data"] == {"k": "2"}
    status, body = api.request("PUT", f"{CM}/cas", dict(created, data={"k": "3"}))
    assert (status, body["reason"]) == (409, "Conflict")
    assert api.request("GET", f"{CM}/cas")[1]["data"] == {"k": "2"}
    # merge patch (fabric8's ConfigMapLock), a null removes a key; JSON patch
    status, patched = api.request("PATCH", f"{CM}/cas", {"data": {"k": None, "l": "x"}},
                                  content_type="application/merge-patch+json")
    assert status == 200 and patched["data"] == {"l": "x"}
    status, patched = api.request("PATCH", f"{CM}/cas", [{"op": "add", "path": "/data/m", "value": "y"}],
                                  content_type="application/json-patch+json")
    assert status == 200 and patched["data"] == {"l": "x", "m": "y"}
    assert api.request("GET", f"{CM}/missing")[0] == 404
    assert api.request("PATCH", f"{CM}/missing", {"data": {}}, content_type="application/merge-patch+json")[0] == 404


def test_delete_collects_dependents_by_owner_uid(cluster):
    api = cluster.api
    owner = api.request("POST", CM, config_map("owner"))[1]
    child = api.request("POST", CM, config_map("child", owner=owner))[1]
    api.request("POST", CM, config_map("grandchild", owner=child))
    kept_owner = api.request("POST", CM, config_map("kept-owner"))[1]
    api.request("POST", CM, config_map("orphan", owner=kept_owner))
    assert api.request("DELETE", f"{CM}/owner")[0] == 200
    assert [api.request("GET", f"{CM}/{n}")[0] for n in ("owner", "child", "grandchild")] == [404, 404, 404]
    assert api.request("DELETE", f"{CM}/kept-owner?propagationPolicy=Orphan")[0] == 200
    assert api.request("GET", f"{CM}/orphan")[0] == 200
    # deleting through the harness collects too (kubectl delete)
    cluster.apply([config_map("applied-owner")])
    owner = api.request("GET", f"{CM}/applied-owner")[1]
    api.request("POST", CM, config_map("applied-child", owner=owner))
    cluster.delete("ConfigMap", "applied-owner")
    assert api.request("GET", f"{CM}/applied-child")[0] == 404


def test_watch_streams_changes_and_the_websocket_upgrade_falls_back(cluster):
    api = cluster.api
    cluster.apply([config_map("watched", {"app": "w"}, n="0")])
    # fabric8 asks for a WebSocket first and falls back to an HTTP watch on 200
    raw = cluster.network.connect(api.ip, 443, 5)
    import ssl

    s = ssl.create_default_context(cadata=api.ca_pem.decode()).wrap_socket(raw, server_hostname="kubernetes")
    s.sendall(f"GET {CM}?watch=true HTTP/1.1\r\nHost: k\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
              f"Authorization: Bearer {api.admin_token}\r\n\r\n".encode())
    assert s.recv(64).startswith(b"HTTP/1.1 200")
    s.close()

    events: list = []

    def watch():
        raw = cluster.network.connect(api.ip, 443, 20)
        s = ssl.create_default_context(cadata=api.ca_pem.decode()).wrap_socket(raw, server_hostname="kubernetes")
        s.sendall(f"GET {CM}?watch=true&labelSelector=app%3Dw&resourceVersion=0&timeoutSeconds=6 HTTP/1.1\r\n"
                  f"Host: k\r\nAuthorization: Bearer {api.admin_token}\r\n\r\n".encode())
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            if buf.endswith(b"0\r\n\r\n"):
                break
        s.close()
        for line in buf.split(b"\r\n"):
            if line.startswith(b"{"):
                e = json.loads(line)
                events.append((e["type"], e["object"]["metadata"]["name"], (e["object"].get("data") or {}).get("n")))

    t = threading.Thread(target=watch)
    t.start()
    time.sleep(1)
    api.request("PATCH", f"{CM}/watched", {"data": {"n": "1"}}, content_type="application/merge-patch+json")
    api.request("POST", CM, config_map("watched-2", {"app": "w"}, n="2"))
    api.request("POST", CM, config_map("not-watched", {"app": "x"}))
    # leaving the selection is a DELETED for this watch
    api.request("PATCH", f"{CM}/watched-2", {"metadata": {"labels": {"app": "gone"}}},
                content_type="application/merge-patch+json")
    api.request("DELETE", f"{CM}/watched")
    t.join(15)
    assert events == [("ADDED", "watched", "0"), ("MODIFIED", "watched", "1"), ("ADDED", "watched-2", "2"),
                      ("DELETED", "watched-2", "2"), ("DELETED", "watched", "1")], events


def raw_requests(cluster, requests: list[bytes]) -> list[int]:
    """Send requests one after the other on one kept-alive connection; their status codes."""
    import http.client
    import ssl

    api = cluster.api
    raw = cluster.network.connect(api.ip, 443, 10)
    s = ssl.create_default_context(cadata=api.ca_pem.decode()).wrap_socket(raw, server_hostname="kubernetes")
    codes = []
    try:
        for r in requests:
            s.sendall(r)
            resp = http.client.HTTPResponse(s)
            resp.begin()
            resp.read()
            codes.append(resp.status)
    finally:
        s.close()
    return codes


def test_a_kept_alive_connection_survives_refusals_with_bodies(cluster):
    """A 403 (or 401, 404, 405) sent before the body was read must not leave the body for the
    next request on the connection: okhttp reuses connections."""
    body = json.dumps(config_map("kept")).encode()
    put = (f"PUT {CM}/kept HTTP/1.1\r\nHost: k\r\nAuthorization: Bearer wrong\r\n"
           f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    post_named = (f"POST {CM}/kept HTTP/1.1\r\nHost: k\r\nAuthorization: Bearer {cluster.api.admin_token}\r\n"
                  f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    get = f"GET {CM}?limit=1 HTTP/1.1\r\nHost: k\r\nAuthorization: Bearer {cluster.api.admin_token}\r\n\r\n".encode()
    assert raw_requests(cluster, [put, get, post_named, get]) == [401, 200, 405, 200]


def test_a_watch_from_a_resource_version_replays_what_happened_since(cluster):
    """An informer re-watches from the resourceVersion it has seen: what was created, changed,
    deleted or left the selection since then arrives as ADDED, MODIFIED and DELETED."""
    api = cluster.api
    cluster.apply([config_map("rv-stays", {"app": "rv"}), config_map("rv-goes", {"app": "rv"}),
                   config_map("rv-leaves", {"app": "rv"})])
    seen = api.request("GET", f"{CM}?labelSelector=app%3Drv")[1]["metadata"]["resourceVersion"]
    api.request("POST", CM, config_map("rv-new", {"app": "rv"}))
    api.request("PATCH", f"{CM}/rv-stays", {"data": {"x": "1"}}, content_type="application/merge-patch+json")
    api.request("DELETE", f"{CM}/rv-goes")
    api.request("PATCH", f"{CM}/rv-leaves", {"metadata": {"labels": {"app": "elsewhere"}}},
                content_type="application/merge-patch+json")
    api.request("POST", CM, config_map("rv-other", {"app": "other"}))
    import ssl

    raw = cluster.network.connect(api.ip, 443, 20)
    s = ssl.create_default_context(cadata=api.ca_pem.decode()).wrap_socket(raw, server_hostname="kubernetes")
    s.sendall(f"GET {CM}?watch=true&labelSelector=app%3Drv&resourceVersion={seen}&timeoutSeconds=2 HTTP/1.1\r\n"
              f"Host: k\r\nAuthorization: Bearer {api.admin_token}\r\n\r\n".encode())
    buf = b""
    while not buf.endswith(b"0\r\n\r\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    events = [(e["type"], e["object"]["metadata"]["name"]) for e in
              (json.loads(line) for line in buf.split(b"\r\n") if line.startswith(b"{"))]
    assert events == [("ADDED", "rv-new"), ("MODIFIED", "rv-stays"), ("DELETED", "rv-goes"),
                      ("DELETED", "rv-leaves")], events
    # a selector that does not parse is a 400 before any stream starts
    assert api.request("GET", f"{CM}?watch=true&fieldSelector=spec.x%3D1")[0] == 400
    # deletecollection answers with what it deleted
    status, body = api.request("DELETE", f"{CM}?labelSelector=app%3Drv")
    assert status == 200 and sorted(o["metadata"]["name"] for o in body["items"]) == ["rv-new", "rv-stays"]


def pod(name: str, script: str, account: str = "default", automount: bool | None = None) -> dict:
    spec = {"serviceAccountName": account, "restartPolicy": "Never", "securityContext": {"runAsUser": 9999,
                                                                                        "runAsNonRoot": True},
            "containers": [{"name": "main", "image": IMAGE, "command": ["bash", "-c", script]}]}
    if automount is not None:
        spec["automountServiceAccountToken"] = automount
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def finished(cluster, name: str) -> str:
    cluster.wait_for(lambda: cluster.api.request("GET", f"/api/v1/namespaces/{NS}/pods/{name}")[1]["status"]["phase"]
                     in ("Succeeded", "Failed"), 60, f"pod {name} done")
    return cluster.pod(name).container().log()


CURL = (f'T=$(cat {ACCOUNT}/token); for p in "$@"; do curl -s -o /dev/null -w "%{{http_code}} " --cacert {ACCOUNT}/ca.crt '
        '-H "Authorization: Bearer $T" "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT$p"; done; echo')


def test_a_pod_gets_in_cluster_credentials_and_rbac_decides(cluster):
    rbac = "rbac.authorization.k8s.io/v1"
    cluster.apply([
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "reader"}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "quiet"}, "automountServiceAccountToken": False},
        config_map("readable"), config_map("unreadable"),
        {"apiVersion": rbac, "kind": "Role", "metadata": {"name": "reader"},
         "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"],
                    "resourceNames": ["readable"]}]},
        {"apiVersion": rbac, "kind": "RoleBinding", "metadata": {"name": "reader"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
         "subjects": [{"kind": "ServiceAccount", "name": "reader"}]},
    ])
    paths = [f"{CM}/readable", f"{CM}/unreadable", f"{CM}?fieldSelector=metadata.name%3Dreadable", CM,
             f"/api/v1/namespaces/{NS}/secrets"]
    script = f'ls {ACCOUNT}; cat {ACCOUNT}/namespace; echo; bash -c \'{CURL}\' curl ' + " ".join(f"'{p}'" for p in paths)
    cluster.apply([pod("with-token", script, "reader")])
    lines = finished(cluster, "with-token").split("\n")
    assert lines[:4] == ["ca.crt", "namespace", "token", NS], lines
    # get by name and a list narrowed to that name by a field selector pass resourceNames; the
    # other name, an unnarrowed list and other resources are 403
    assert lines[4].split() == ["200", "403", "200", "403", "403"], lines
    calls = [(c["user"], c["verb"], c["resource"], c["name"], c["code"]) for c in cluster.api.calls
             if c["user"] == f"system:serviceaccount:{NS}:reader"]
    assert (f"system:serviceaccount:{NS}:reader", "list", "configmaps", "readable", 200) in calls
    assert (f"system:serviceaccount:{NS}:reader", "get", "configmaps", "unreadable", 403) in calls
    # no token where the pod or its account says so, and no side door: no kubeconfig, no proxy
    check = f'ls {ACCOUNT} 2>&1 | head -1; env | grep -ci "^KUBECONFIG\\|_proxy" ; echo "host=$KUBERNETES_SERVICE_HOST"'
    cluster.apply([pod("no-token-pod", check, "reader", automount=False), pod("no-token-account", check, "quiet")])
    for name in ("no-token-pod", "no-token-account"):
        out = finished(cluster, name).split("\n")
        assert "No such file or directory" in out[0] and out[1] == "0" and out[2] == "host=10.244.0.1", out


def test_a_pod_created_through_the_api_runs_and_is_deleted_like_any_other(cluster):
    api = cluster.api
    status, created = api.request("POST", f"/api/v1/namespaces/{NS}/pods", pod("via-api", "echo from-api; sleep 600"))
    assert status == 201 and created["status"]["phase"] == "Pending"
    cluster.wait_for(lambda: api.request("GET", f"/api/v1/namespaces/{NS}/pods/via-api")[1]["status"]["phase"] == "Running",
                     60, "pod via-api running")
    view = api.request("GET", f"/api/v1/namespaces/{NS}/pods/via-api")[1]
    conditions = {c["type"]: c["status"] for c in view["status"]["conditions"]}
    assert conditions["PodScheduled"] == "True" and view["status"]["podIP"].startswith("10.244.")
    cluster.wait_for(lambda: "from-api" in cluster.pod("via-api").container().log(), 10, "its output")
    assert api.request("DELETE", f"/api/v1/namespaces/{NS}/pods/via-api")[0] == 200
    cluster.wait_for(lambda: api.request("GET", f"/api/v1/namespaces/{NS}/pods/via-api")[0] == 404, 30, "pod gone")
    assert all(p.gone for p in cluster.pods(include_gone=True) if p.name == "via-api")


def test_restricted_admission_refuses_what_breaks_the_profile(cluster):
    ns = "locked"
    cluster.apply([{"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": ns, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}])
    root = pod("as-root", "true")
    root["metadata"]["namespace"] = ns
    root["spec"]["securityContext"] = {"runAsUser": 0}
    with pytest.raises(HarnessError, match='violates PodSecurity "restricted:latest"'):
        cluster.apply([root])
    status, body = cluster.api.request("POST", f"/api/v1/namespaces/{ns}/pods", root)
    assert status == 403 and "Running as Non-root" in body["message"], body
    # a controller's pod is refused as well: no pod, a FailedCreate event
    labels = {"app": "refused"}
    cluster.apply([{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "refused", "namespace": ns},
                    "spec": {"selector": {"matchLabels": labels}, "template": {
                        "metadata": {"labels": labels},
                        "spec": {"containers": [{"name": "c", "image": IMAGE, "command": ["sleep", "600"]}]}}}}])
    cluster.wait_for(lambda: any("replicaset locked/refused" in e and "FailedCreate" in e for e in cluster.events), 10,
                     "FailedCreate")
    assert not [p for p in cluster.pods() if p.namespace == ns]
    # baseline refuses less: the same root pod is refused for what baseline states only
    cluster.apply([{"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": "base", "labels": {"pod-security.kubernetes.io/enforce": "baseline"}}}])
    privileged = pod("privileged", "true")
    privileged["metadata"]["namespace"] = "base"
    privileged["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    status, body = cluster.api.request("POST", "/api/v1/namespaces/base/pods", privileged)
    assert status == 403 and 'violates PodSecurity "baseline:latest": Privileged Containers (main)' in body["message"]
    # a missing ServiceAccount is refused anywhere
    missing = pod("no-account", "true", "nobody")
    with pytest.raises(HarnessError, match='serviceaccount "nobody" not found'):
        cluster.apply([missing])
