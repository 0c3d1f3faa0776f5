"""Kubernetes semantics the harness follows, as pure functions (no processes, no root needed).

  expand            `$(VAR)` expansion of command, args and env values
  selector_matches  Service selectors and Deployment label selectors
  template_hash     a stable pod-template hash (names ReplicaSets and pods, keys revisions)
  parse_quantity    Kubernetes quantities ("500m", "2Gi", "1.5") for resourceFieldRef
  write_atomic_volume  a ConfigMap/Secret/projected volume laid out as the kubelet's AtomicWriter
                    does: a timestamped data dir, a `..data` symlink to it, and one top-level
                    symlink per entry into `..data`
  safe_hostname     a pod name cut to the 63 characters a hostname may have
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import re
from decimal import Decimal

# ------------------------------------------------------------------------------------------------
# $(VAR) expansion (k8s.io/kubernetes third_party/forked/golang/expansion)
# ------------------------------------------------------------------------------------------------


def expand(text: str, env: dict[str, str]) -> str:
    """`$(NAME)` becomes env[NAME] when NAME is defined, else stays as written; `$$` is a
    literal `$`; a `$` followed by anything else is kept as is."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c != "$" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "(":
            close = text.find(")", i + 2)
            if close < 0:
                out.append(text[i:])
                break
            name = text[i + 2 : close]
            out.append(env[name] if name in env else text[i : close + 1])
            i = close + 1
        else:
            out.append("$" + nxt)
            i += 2
    return "".join(out)


# ------------------------------------------------------------------------------------------------
# Selectors
# ------------------------------------------------------------------------------------------------


def selector_matches(selector: dict | None, labels: dict | None) -> bool:
    """A Service selector (plain map) or a LabelSelector (matchLabels/matchExpressions).
    An empty or missing selector matches nothing (a Service without selector has no endpoints)."""
    if not selector:
        return False
    labels = labels or {}
    if "matchLabels" in selector or "matchExpressions" in selector:
        for k, v in (selector.get("matchLabels") or {}).items():
            if labels.get(k) != v:
                return False
        for e in selector.get("matchExpressions") or []:
            key, op, values = e["key"], e["operator"], e.get("values") or []
            if op == "In" and labels.get(key) not in values:
                return False
            if op == "NotIn" and key in labels and labels[key] in values:
                return False
            if op == "Exists" and key not in labels:
                return False
            if op == "DoesNotExist" and key in labels:
                return False
        return True
    return all(labels.get(k) == v for k, v in selector.items())


# ------------------------------------------------------------------------------------------------
# Names
# ------------------------------------------------------------------------------------------------

_SAFE = "bcdfghjklmnpqrstvwxz2456789"  # the alphabet Kubernetes uses for generated names


def _safe_encode(digest: bytes, length: int) -> str:
    return "".join(_SAFE[b % len(_SAFE)] for b in digest[:length])


def template_hash(template: dict) -> str:
    """10 characters, a pure function of the pod template (like pod-template-hash)."""
    canonical = json.dumps(template, sort_keys=True, separators=(",", ":"))
    return _safe_encode(hashlib.sha256(canonical.encode()).digest(), 10)


def name_suffix(seed: str) -> str:
    return _safe_encode(hashlib.sha256(seed.encode()).digest(), 5)


def safe_hostname(pod_name: str) -> str:
    """The kubelet cuts a pod's hostname to 63 characters and trims trailing '-' and '.'."""
    if len(pod_name) <= 63:
        return pod_name
    return pod_name[:63].rstrip("-.")


# ------------------------------------------------------------------------------------------------
# Quantities
# ------------------------------------------------------------------------------------------------

_SUFFIX = {
    "": 1, "m": Decimal("0.001"), "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}


def parse_quantity(q) -> Decimal:
    if isinstance(q, (int, float)):
        return Decimal(str(q))
    m = re.fullmatch(r"\s*([+-]?[0-9.]+(?:[eE][+-]?\d+)?)\s*([A-Za-z]*)\s*", str(q))
    if not m or m.group(2) not in _SUFFIX:
        raise ValueError(f"not a Kubernetes quantity: {q!r}")
    return Decimal(m.group(1)) * Decimal(_SUFFIX[m.group(2)])


# ------------------------------------------------------------------------------------------------
# Volumes laid out like the kubelet's AtomicWriter
# ------------------------------------------------------------------------------------------------


def check_item_path(path: str) -> None:
    parts = path.split("/")
    if not path or path.startswith("/") or ".." in parts or any(p.startswith("..") for p in parts):
        raise ValueError(f"invalid volume item path {path!r}")


def write_atomic_volume(volume_dir: str, files: dict[str, tuple[bytes, int]], gid: int | None = None) -> None:
    """Write `files` ({relative path: (content, mode)}) into `volume_dir` the kubelet's way:

        volume_dir/..2026_01_02_03_04_05.123456789/<files>
        volume_dir/..data -> ..2026_01_02_03_04_05.123456789
        volume_dir/<first path component> -> ..data/<first path component>

    A later call replaces the content atomically (new timestamped dir, `..data` swapped, old dir
    removed), which is how a ConfigMap update reaches a running pod.
    """
    os.makedirs(volume_dir, exist_ok=True)
    os.chmod(volume_dir, 0o777 if gid is None else 0o2777)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("..%Y_%m_%d_%H_%M_%S.%f")
    ts_dir = os.path.join(volume_dir, stamp)
    n = 0
    while os.path.exists(ts_dir):
        n += 1
        ts_dir = os.path.join(volume_dir, f"{stamp}{n}")
    os.mkdir(ts_dir, 0o755)
    os.chmod(ts_dir, 0o755)
    for rel, (content, mode) in sorted(files.items()):
        check_item_path(rel)
        target = os.path.join(ts_dir, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(content)
        os.chmod(target, mode)
        if gid is not None:
            os.chown(target, 0, gid)
    if gid is not None:
        for dirpath, dirnames, _ in os.walk(ts_dir):
            os.chown(dirpath, 0, gid)
    old = os.readlink(os.path.join(volume_dir, "..data")) if os.path.islink(os.path.join(volume_dir, "..data")) else None
    tmp_link = os.path.join(volume_dir, "..data_tmp")
    if os.path.lexists(tmp_link):
        os.remove(tmp_link)
    os.symlink(os.path.basename(ts_dir), tmp_link)
    os.rename(tmp_link, os.path.join(volume_dir, "..data"))
    top = {rel.split("/")[0] for rel in files}
    for name in os.listdir(volume_dir):
        p = os.path.join(volume_dir, name)
        if not name.startswith("..") and name not in top and os.path.islink(p):
            os.remove(p)
    for name in sorted(top):
        p = os.path.join(volume_dir, name)
        if not os.path.islink(p):
            os.symlink(os.path.join("..data", name), p)
    if old and old != os.path.basename(ts_dir):
        import shutil

        shutil.rmtree(os.path.join(volume_dir, old), ignore_errors=True)


def secret_bytes(secret: dict) -> dict[str, bytes]:
    """A Secret's entries: `data` (base64) overlaid by `stringData` (as the API server merges it)."""
    out = {k: base64.b64decode(v) for k, v in (secret.get("data") or {}).items()}
    out.update({k: str(v).encode() for k, v in (secret.get("stringData") or {}).items()})
    return out


def configmap_bytes(cm: dict) -> dict[str, bytes]:
    out = {k: str(v).encode() for k, v in (cm.get("data") or {}).items()}
    out.update({k: base64.b64decode(v) for k, v in (cm.get("binaryData") or {}).items()})
    return out


def select_items(entries: dict[str, bytes], items: list | None, default_mode: int, optional: bool, what: str) -> dict[str, tuple[bytes, int]]:
    """Apply a volume source's `items` (key -> path, mode) the kubelet's way: without items every
    key is a file; a listed key that does not exist fails the mount unless the source is optional."""
    if not items:
        return {k: (v, default_mode) for k, v in entries.items()}
    out = {}
    for it in items:
        key = it["key"]
        if key not in entries:
            if optional:
                continue
            raise KeyError(f"{what} references non-existent config key: {key}")
        out[it["path"]] = (entries[key], it.get("mode", default_mode))
    return out
