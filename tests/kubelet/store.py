"""The cluster's one object store, as the Kubernetes API keeps it: every object that `apply` or the
API (api.py) writes gets the fields a server sets (`uid`, `resourceVersion` from one counter for
all kinds, `creationTimestamp`, `generation` for objects with a `spec`), every change is an event
(ADDED, MODIFIED, DELETED) in one log that watches read from any resourceVersion, and deleting an
object deletes its dependents by ownerReference uid, recursively (background propagation; orphan
on request). An object created with owner references none of which exists any more (a native
JobManager that outlives its Deployment for its grace period and creates a TaskManager pod) is
collected at once, as Kubernetes' garbage collector collects it (there after a moment).

Pods are two things here: the kubelet's runtime pods (cluster.Pod) and their API objects. Bare
pods are stored like any object; the API view of every pod (its status from the kubelet) is
published into the same log by the cluster (`Cluster._publish_pods`), so a watch on pods sees
their phase and readiness change.
"""

from __future__ import annotations

import copy
import threading
import time
import uuid

SERVER_FIELDS = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink",
                 "deletionTimestamp")
KEEP_EVENTS = 100_000


def now_rfc3339() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def without_server_fields(obj: dict | None) -> dict | None:
    """The object as a client wrote it: without what the server sets (and without `status`,
    which the client does not own), for "unchanged" comparisons."""
    if obj is None:
        return None
    out = {k: v for k, v in obj.items() if k != "status"}
    md = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in SERVER_FIELDS}
    out["metadata"] = md
    return out


class ObjectStore:
    """Objects keyed (kind, namespace or None, name). Mutate only through put() and remove() (the
    caller holds the cluster lock); read `objects` directly."""

    def __init__(self):
        self.objects: dict[tuple, dict] = {}
        self.rv = 0
        self.log: list[tuple[int, str, tuple, dict, dict | None]] = []  # (rv, type, key, object, before)
        self.changed = threading.Condition(threading.Lock())

    def next_rv(self) -> int:
        self.rv += 1
        return self.rv

    def record(self, type_: str, key: tuple, obj: dict, rv: int, prev: dict | None) -> None:
        """An event; `prev` is the object before the change (None for ADDED), which a watch needs
        to tell whether the object left or entered its selection."""
        with self.changed:
            self.log.append((rv, type_, key, copy.deepcopy(obj), copy.deepcopy(prev)))
            if len(self.log) > KEEP_EVENTS:
                del self.log[: len(self.log) - KEEP_EVENTS]
            self.changed.notify_all()

    def events_after(self, rv: int) -> list[tuple[int, str, tuple, dict, dict | None]]:
        with self.changed:
            if not self.log or self.log[-1][0] <= rv:
                return []
            lo, hi = 0, len(self.log)
            while lo < hi:
                mid = (lo + hi) // 2
                if self.log[mid][0] <= rv:
                    lo = mid + 1
                else:
                    hi = mid
            return self.log[lo:]

    def wait_change(self, rv: int, timeout: float) -> None:
        with self.changed:
            if not self.log or self.log[-1][0] <= rv:
                self.changed.wait(timeout)

    def put(self, key: tuple, obj: dict, quiet: bool = False) -> dict:
        """Store obj under key (a create, or a replace of what is there), setting the server's
        fields; returns the stored object. `quiet`: no event (a pod's events are its view's)."""
        old = self.objects.get(key)
        md = obj.setdefault("metadata", {})
        rv = self.next_rv()
        if old is None:
            md["uid"] = md.get("uid") or str(uuid.uuid4())
            md["creationTimestamp"] = now_rfc3339()
            if "spec" in obj:
                md["generation"] = 1
        else:
            omd = old.get("metadata") or {}
            md["uid"] = omd.get("uid")
            md["creationTimestamp"] = omd.get("creationTimestamp")
            if "spec" in obj:
                md["generation"] = omd.get("generation", 1) + (old.get("spec") != obj.get("spec"))
            if "status" not in obj and "status" in old:
                obj["status"] = old["status"]
        md["resourceVersion"] = str(rv)
        for k in ("managedFields", "selfLink", "deletionTimestamp"):
            md.pop(k, None)
        self.objects[key] = obj
        if not quiet:
            self.record("ADDED" if old is None else "MODIFIED", key, obj, rv, old)
        refs = md.get("ownerReferences") or []
        if old is None and refs:
            live = {(x.get("metadata") or {}).get("uid") for x in self.objects.values()}
            if not any(r.get("uid") in live for r in refs):
                self.remove(key)
        return obj

    def remove(self, key: tuple, orphan: bool = False) -> list[tuple]:
        """Delete the object and, unless orphan, every dependent (ownerReference uid), recursively.
        Returns the keys removed, the object's first."""
        obj = self.objects.pop(key, None)
        if obj is None:
            return []
        rv = self.next_rv()
        obj = copy.deepcopy(obj)
        obj["metadata"]["resourceVersion"] = str(rv)
        if key[0] != "Pod":  # a pod's events are its view's
            self.record("DELETED", key, obj, rv, obj)
        removed = [key]
        if orphan:
            return removed
        uid = obj["metadata"].get("uid")
        if not uid:
            return removed
        for k, o in list(self.objects.items()):
            refs = (o.get("metadata") or {}).get("ownerReferences") or []
            if k not in self.objects or not any(r.get("uid") == uid for r in refs):
                continue
            # a dependent goes when its last owner has gone (owners as they are now, mid-recursion)
            live = {(x.get("metadata") or {}).get("uid") for x in self.objects.values()}
            if not any(r.get("uid") in live for r in refs):
                removed += self.remove(k)
        return removed
