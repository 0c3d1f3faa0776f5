"""A Kubernetes API server for the local kubelet: the harness's one object store (store.py) over
HTTPS, so that what `Cluster.apply` stores is what the API shows, and a Pod created through the
API is run like any other. It serves what Flink's shaded fabric8 client sends (6.9 in Flink 1.20,
7.3 in 2.3; reference/native-mode.md §2-§3) and what a pod's own tools (curl) send.

What it emulates
  * Listening: https://10.244.0.1:443 in the pods' network (the "node" address), with a server
    certificate for that address and `kubernetes`, `kubernetes.default`, `kubernetes.default.svc`
    (`.cluster.local`), issued by a CA the harness makes per cluster (openssl).
  * Credentials as a pod gets them (cluster.py): a token per ServiceAccount, `ca.crt` and
    `namespace` under /var/run/secrets/kubernetes.io/serviceaccount in every container of a pod
    that mounts them (`automountServiceAccountToken` of the pod, else of its ServiceAccount, else
    true), KUBERNETES_SERVICE_HOST/PORT (and the KUBERNETES_PORT* service-link variables) in
    every container. Nothing else: no kubeconfig, no proxy.
  * Authentication: `Authorization: Bearer <token>`; a ServiceAccount's token authenticates as
    `system:serviceaccount:<ns>:<name>` in the groups `system:serviceaccounts`,
    `system:serviceaccounts:<ns>` and `system:authenticated`; the harness's own token is
    `system:admin` in `system:masters`. No token or an unknown one: 401.
  * Authorization: RBAC from the stored Roles, ClusterRoles, RoleBindings and ClusterRoleBindings
    (subjects User, Group, ServiceAccount with the binding's namespace as default; rules by
    apiGroups, resources with subresources and `*`, verbs, resourceNames; list and watch with a
    `metadata.name` field selector are authorised with that name, as Kubernetes does). A denied
    request is answered 403 with Kubernetes' message. Every request is recorded in `calls` as
    (user, verb, resource, namespace, name, code, ip: the caller's pod address).
  * Resources: configmaps, secrets, services, serviceaccounts, pods (status from the kubelet),
    events and namespaces in the core group; deployments (apps/v1); leases
    (coordination.k8s.io/v1); events (events.k8s.io/v1); RBAC objects (read only through the API).
  * Verbs: get; list (`labelSelector` with =, ==, !=, in, notin, exists, !exists;
    `fieldSelector` metadata.name / metadata.namespace with = and !=; the list's
    resourceVersion); watch as an HTTP stream of newline-separated events (from a
    resourceVersion, or the current objects as ADDED first; ADDED/DELETED as objects enter and
    leave the selection; ends at `timeoutSeconds`), the WebSocket upgrade answered 200 so fabric8
    falls back to it; create (uid, resourceVersion, creationTimestamp, generateName, 409
    AlreadyExists, admission for pods: admission.py); update with resourceVersion
    compare-and-swap (409 Conflict); patch (JSON merge patch; strategic merge patch read as a
    merge patch; JSON patch add/remove/replace/test), with a resourceVersion in the patch as a
    precondition; delete (preconditions; dependents garbage-collected by ownerReference uid
    unless `propagationPolicy: Orphan`; a pod is deleted the way the kubelet deletes one);
    deletecollection with selectors.

What it leaves out
  server-side apply, strategic merge by list keys, the `/scale` and `/status` write
  subresources, discovery beyond /version, /api and /apis, aggregated ClusterRoles, 403 before
  404 for unknown resources, a request's independence from the control loop (a request waits
  while the loop holds the cluster's lock: a probe, a container start; a second or two at most),
  impersonation, field managers, finalizers and graceful deletion of anything but pods, watch
  bookmarks, compaction (410 Gone), defaulting and validation of object schemas, admission
  webhooks, and every resource not listed.
"""

from __future__ import annotations

import copy
import http.client
import http.server
import json
import secrets
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

from . import admission, store as store_mod

PORT = 443
ADMIN = "system:admin"
SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
SERVICE_NAMES = ["kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"]
WATCH_LIMIT_S = 600.0

# (group, plural) -> (kind, version, namespaced, writable)
RESOURCES = {
    ("", "configmaps"): ("ConfigMap", "v1", True, True),
    ("", "secrets"): ("Secret", "v1", True, True),
    ("", "services"): ("Service", "v1", True, True),
    ("", "serviceaccounts"): ("ServiceAccount", "v1", True, True),
    ("", "pods"): ("Pod", "v1", True, True),
    ("", "events"): ("Event", "v1", True, True),
    ("", "namespaces"): ("Namespace", "v1", False, True),
    ("apps", "deployments"): ("Deployment", "v1", True, True),
    ("coordination.k8s.io", "leases"): ("Lease", "v1", True, True),
    ("events.k8s.io", "events"): ("Event", "v1", True, True),
    ("rbac.authorization.k8s.io", "roles"): ("Role", "v1", True, False),
    ("rbac.authorization.k8s.io", "rolebindings"): ("RoleBinding", "v1", True, False),
    ("rbac.authorization.k8s.io", "clusterroles"): ("ClusterRole", "v1", False, False),
    ("rbac.authorization.k8s.io", "clusterrolebindings"): ("ClusterRoleBinding", "v1", False, False),
}


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details or {}

    def status(self) -> dict:
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": self.message,
                "reason": self.reason, "details": self.details, "code": self.code}


# ------------------------------------------------------------------------------------------------
# certificates
# ------------------------------------------------------------------------------------------------

def make_pki(directory: Path, ip: str) -> dict[str, Path]:
    """A CA and a server certificate for `ip` and the `kubernetes` Service names (openssl)."""
    directory.mkdir(parents=True, exist_ok=True)
    p = {n: directory / n for n in ("ca.key", "ca.crt", "server.key", "server.csr", "server.crt", "ext.cnf")}
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(*argv):
        subprocess.run(["openssl", *argv], check=True, capture_output=True, timeout=30)

    run("req", "-x509", *ec, "-keyout", str(p["ca.key"]), "-out", str(p["ca.crt"]), "-days", "3",
        "-subj", "/CN=kubelet-harness-ca")
    run("req", *ec, "-keyout", str(p["server.key"]), "-out", str(p["server.csr"]), "-subj", "/CN=kube-apiserver")
    names = ",".join([f"IP:{ip}"] + [f"DNS:{n}" for n in SERVICE_NAMES])
    p["ext.cnf"].write_text(f"subjectAltName={names}\nbasicConstraints=CA:FALSE\n"
                            "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n", encoding="utf-8")
    run("x509", "-req", "-in", str(p["server.csr"]), "-CA", str(p["ca.crt"]), "-CAkey", str(p["ca.key"]),
        "-CAcreateserial", "-out", str(p["server.crt"]), "-days", "3", "-extfile", str(p["ext.cnf"]))
    return p


# ------------------------------------------------------------------------------------------------
# selectors and patches
# ------------------------------------------------------------------------------------------------

def _split_top(text: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        out.append(cur)
    return [p.strip() for p in out if p.strip()]


def label_matcher(selector: str | None):
    """A predicate over a labels dict for a label selector string; ValueError when malformed."""
    tests = []
    for req in _split_top(selector or ""):
        words = req.split()
        if len(words) >= 2 and words[1] in ("in", "notin"):
            values = {v.strip() for v in req.split("(", 1)[1].rstrip(")").split(",") if v.strip()}
            key, neg = words[0], words[1] == "notin"
            tests.append(lambda lb, k=key, vs=values, n=neg: (lb.get(k) in vs) != n if k in lb else n)
        elif "!=" in req:
            k, v = (s.strip() for s in req.split("!=", 1))
            tests.append(lambda lb, k=k, v=v: lb.get(k) != v)
        elif "=" in req:
            k, v = (s.strip() for s in req.replace("==", "=").split("=", 1))
            tests.append(lambda lb, k=k, v=v: lb.get(k) == v)
        elif req.startswith("!"):
            tests.append(lambda lb, k=req[1:].strip(): k not in lb)
        elif req.replace("-", "").replace(".", "").replace("/", "").replace("_", "").isalnum():
            tests.append(lambda lb, k=req: k in lb)
        else:
            raise ValueError(f"unable to parse requirement: {req!r}")
    return lambda labels: all(t(labels or {}) for t in tests)


FIELDS = {"metadata.name": lambda o: o["metadata"].get("name"),
          "metadata.namespace": lambda o: o["metadata"].get("namespace")}


def field_matcher(selector: str | None):
    tests = []
    for req in _split_top(selector or ""):
        neg = "!=" in req
        k, v = (s.strip() for s in req.replace("==", "=").split("!=" if neg else "=", 1))
        if k not in FIELDS:
            raise ValueError(f'field label not supported: {k}')
        tests.append(lambda o, k=k, v=v, n=neg: (FIELDS[k](o) == v) != n)
    return lambda obj: all(t(obj) for t in tests)


def exact_name(selector: str | None) -> str:
    """The name a `metadata.name=` field selector requires exactly (Kubernetes authorises a list or
    watch with it as a request for that name)."""
    for req in _split_top(selector or ""):
        if "!=" not in req and "=" in req:
            k, v = (s.strip() for s in req.replace("==", "=").split("=", 1))
            if k == "metadata.name":
                return v
    return ""


def merge_patch(target, patch):
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def _pointer(path: str) -> list:
    if path == "":
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]


def json_patch(doc, ops: list) -> dict:
    """RFC 6902: add, remove, replace, test."""
    doc = copy.deepcopy(doc)
    for op in ops:
        parts = _pointer(op["path"])
        parent = doc
        for p in parts[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent[p]
        last = parts[-1] if parts else None
        kind = op["op"]
        if kind == "test":
            cur = parent[int(last)] if isinstance(parent, list) else parent.get(last)
            if cur != op.get("value"):
                raise ApiError(422, "Invalid", f"the test operation on {op['path']} failed")
        elif kind == "remove":
            if isinstance(parent, list):
                del parent[int(last)]
            else:
                del parent[last]
        elif kind in ("add", "replace"):
            if isinstance(parent, list):
                if last == "-":
                    parent.append(op["value"])
                elif kind == "add":
                    parent.insert(int(last), op["value"])
                else:
                    parent[int(last)] = op["value"]
            else:
                if kind == "replace" and last not in parent:
                    raise ApiError(422, "Invalid", f"replace of missing path {op['path']}")
                parent[last] = op["value"]
        else:
            raise ApiError(422, "Invalid", f"JSON patch op {kind!r} is not emulated")
    return doc


# ------------------------------------------------------------------------------------------------
# RBAC
# ------------------------------------------------------------------------------------------------

def _subject_matches(subject: dict, binding_ns: str | None, user: str, groups: set[str]) -> bool:
    kind = subject.get("kind")
    if kind == "User":
        return subject.get("name") == user
    if kind == "Group":
        return subject.get("name") in groups
    if kind == "ServiceAccount":
        ns = subject.get("namespace") or binding_ns
        return bool(ns) and user == f"system:serviceaccount:{ns}:{subject.get('name')}"
    return False


def _rule_allows(rule: dict, verb: str, group: str, resource: str, sub: str, name: str) -> bool:
    if not ({"*", verb} & set(rule.get("verbs") or [])):
        return False
    if not ({"*", group} & set(rule.get("apiGroups") or [])):
        return False
    combined = f"{resource}/{sub}" if sub else resource
    resources = set(rule.get("resources") or [])
    if not ("*" in resources or combined in resources or (sub and f"*/{sub}" in resources)):
        return False
    names = rule.get("resourceNames") or []
    return not names or (bool(name) and name in names)


def authorize(objects: dict, user: str, groups: set[str], verb: str, group: str, resource: str, sub: str,
              namespace: str | None, name: str) -> bool:
    if "system:masters" in groups:
        return True

    def rules_of(ref: dict, ns: str | None) -> list:
        kind = ref.get("kind")
        role = objects.get((kind, ns if kind == "Role" else None, ref.get("name")))
        return (role or {}).get("rules") or []

    for (kind, ns, _), b in objects.items():
        if kind == "ClusterRoleBinding" or (kind == "RoleBinding" and namespace is not None and ns == namespace):
            if not any(_subject_matches(s, ns, user, groups) for s in b.get("subjects") or []):
                continue
            for rule in rules_of(b.get("roleRef") or {}, ns):
                if _rule_allows(rule, verb, group, resource, sub, name):
                    return True
    return False


# ------------------------------------------------------------------------------------------------
# the server
# ------------------------------------------------------------------------------------------------

class ApiServer:
    """Started by Cluster; its listening socket is made in the bridge ("node") network namespace."""

    def __init__(self, cluster, pki_dir: Path, ip: str):
        self.cluster = cluster
        self.ip = ip
        self.pki = make_pki(pki_dir, ip)
        self.ca_pem = self.pki["ca.crt"].read_bytes()
        self.admin_token = secrets.token_urlsafe(24)
        self.tokens: dict[str, tuple[str, set[str]]] = {self.admin_token: (ADMIN, {"system:masters", "system:authenticated"})}
        self._account_tokens: dict[tuple, str] = {}
        self.calls: list[dict] = []
        self.closing = False
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self.pki["server.crt"]), str(self.pki["server.key"]))
        self.ctx = ctx
        sock = cluster.network.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((ip, PORT))
        sock.listen(64)
        api = self

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def finish_request(self, request, client_address):
                try:
                    request.settimeout(30)
                    request = ctx.wrap_socket(request, server_side=True)
                    request.settimeout(None)
                except (ssl.SSLError, OSError):
                    return
                self.RequestHandlerClass(request, client_address, self)

        class Handler(_Handler):
            server_api = api

        self.httpd = Server((ip, PORT), Handler, bind_and_activate=False)
        self.httpd.socket.close()
        self.httpd.socket = sock
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="kube-apiserver", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.closing = True
        with self.cluster.store.changed:
            self.cluster.store.changed.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()

    def token_for(self, namespace: str, account: str) -> str:
        key = (namespace, account)
        if key not in self._account_tokens:
            token = secrets.token_urlsafe(32)
            self._account_tokens[key] = token
            self.tokens[token] = (f"system:serviceaccount:{namespace}:{account}",
                                  {"system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"})
        return self._account_tokens[key]

    # -- a client for the tests -----------------------------------------------------------------

    def request(self, method: str, path: str, body=None, token: str | None = None,
                content_type: str = "application/json", timeout: float = 10.0) -> tuple[int, dict | None]:
        """A request from the node, as `token` (default: the harness's admin token)."""
        ctx = ssl.create_default_context(cadata=self.ca_pem.decode())
        raw = self.cluster.network.connect(self.ip, PORT, timeout)
        s = ctx.wrap_socket(raw, server_hostname="kubernetes.default.svc")
        data = json.dumps(body).encode() if body is not None else b""
        head = (f"{method} {path} HTTP/1.1\r\nHost: kubernetes.default.svc\r\nConnection: close\r\n"
                f"Authorization: Bearer {token or self.admin_token}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(data)}\r\n\r\n").encode()
        try:
            s.sendall(head + data)
            resp = http.client.HTTPResponse(s)
            resp.begin()
            payload = resp.read()
            return resp.status, (json.loads(payload) if payload else None)
        finally:
            s.close()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_api: ApiServer
    timeout = 120

    def log_message(self, fmt, *args):  # noqa: D401 - quiet
        pass

    # -- plumbing -------------------------------------------------------------------------------

    def _send(self, code: int, body: dict | None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _read_body(self) -> bytes:
        """The whole body, read before anything is answered, so that a connection the client
        keeps alive is at the next request whatever the answer."""
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            n = 0
        return self.rfile.read(n) if n > 0 else b""

    @staticmethod
    def _json(raw: bytes):
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise ApiError(400, "BadRequest", "the body is not JSON") from None

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_PATCH(self):
        self._handle("PATCH")

    def do_DELETE(self):
        self._handle("DELETE")

    # -- routing --------------------------------------------------------------------------------

    def _route(self, path: str):
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["api", "v1"]:
            group, rest = "", parts[2:]
        elif len(parts) >= 3 and parts[0] == "apis":
            group, rest = parts[1], parts[3:]
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        ns = None
        if len(rest) >= 2 and rest[0] == "namespaces" and len(rest) != 2:
            ns, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        plural, name, sub = rest[0], (rest[1] if len(rest) > 1 else ""), (rest[2] if len(rest) > 2 else "")
        if (group, plural) not in RESOURCES:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        kind, version, namespaced, writable = RESOURCES[(group, plural)]
        if plural == "namespaces" and len(rest) == 2:
            name = rest[1]
        return group, plural, kind, version, namespaced, writable, (ns if namespaced else None), name, sub

    def _handle(self, method: str) -> None:
        api = self.server_api
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        record = {"user": "", "verb": method.lower(), "resource": "", "namespace": None, "name": "", "code": 0,
                  "ip": self.client_address[0]}
        raw = self._read_body()
        try:
            if self.headers.get("Upgrade", "").lower() == "websocket":
                # fabric8 tries a WebSocket watch first and falls back to an HTTP one on 200
                record["verb"] = "websocket"
                raise _Plain(200)
            auth = self.headers.get("Authorization", "")
            who = api.tokens.get(auth[7:].strip()) if auth.startswith("Bearer ") else None
            if who is None:
                raise ApiError(401, "Unauthorized", "Unauthorized")
            user, groups = who
            record["user"] = user
            if url.path in ("/version", "/api", "/apis", "/healthz", "/readyz", "/livez"):
                record["verb"], record["resource"] = "get", url.path
                self._send(200, _discovery(url.path))
                record["code"] = 200
                return
            group, plural, kind, version, namespaced, writable, ns, name, sub = self._route(url.path)
            watch = query.get("watch") in ("true", "1")
            if (method in ("PUT", "PATCH") and not name) or (method == "POST" and name):
                raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
            if namespaced and ns is None and (method != "GET" or name):
                raise ApiError(404, "NotFound", "the server could not find the requested resource (a namespaced "
                                                "resource needs its namespace in the path)")
            if watch and name:  # the deprecated watch of one object: a watch narrowed to its name
                query["fieldSelector"] = f"metadata.name={name}"
                name = ""
            verb = {"GET": "get" if name else ("watch" if watch else "list"), "POST": "create", "PUT": "update",
                    "PATCH": "patch", "DELETE": "delete" if name else "deletecollection"}[method]
            auth_name = name or (exact_name(query.get("fieldSelector")) if verb in ("list", "watch") else "")
            record.update(verb=verb, resource=f"{plural}/{sub}" if sub else plural, namespace=ns, name=auth_name,
                          group=group)
            if not _authorized(api, user, groups, verb, group, plural, sub, ns, auth_name):
                where = f' in the namespace "{ns}"' if ns else " at the cluster scope"
                what = f'{plural} "{auth_name}"' if auth_name else plural
                raise ApiError(403, "Forbidden", f'{what} is forbidden: User "{user}" cannot {verb} resource '
                                                  f'"{record["resource"]}" in API group "{group}"{where}',
                               {"name": auth_name, "kind": plural})
            if method != "GET" and not writable:
                raise ApiError(405, "MethodNotAllowed", f"{plural} are read-only through this API")
            if sub and (method != "GET" or sub != "status"):
                raise ApiError(405, "MethodNotAllowed", f"the {plural}/{sub} subresource is not emulated for {method}")
            ctx = _Request(api.cluster, group, plural, kind, version, ns, name, query)
            if verb == "watch":
                watch_ctx = self._watch_settings(ctx)  # a bad selector is a 400 before the stream starts
                record["code"] = 200
                api.calls.append(record)
                self._watch(ctx, *watch_ctx)
                return
            code, body = ctx.run(verb, None if method == "GET" else self._json(raw),
                                 self.headers.get("Content-Type", "application/json"))
            record["code"] = code
            self._send(code, body)
        except _Plain as p:
            record["code"] = p.code
            self._send(p.code, None)
        except ApiError as e:
            record["code"] = e.code
            self._send(e.code, e.status())
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass
        except Exception as e:  # noqa: BLE001 - a bug here is a 500, as on a server
            record["code"] = 500
            self._send(500, ApiError(500, "InternalError", f"{type(e).__name__}: {e}").status())
        finally:
            if record["verb"] != "watch" and record["verb"] != "websocket":
                api.calls.append(record)

    # -- watch ----------------------------------------------------------------------------------

    def _watch_settings(self, ctx: "_Request"):
        q = ctx.query
        try:
            labels = label_matcher(q.get("labelSelector"))
            fields = field_matcher(q.get("fieldSelector"))
            timeout = min(float(q.get("timeoutSeconds") or WATCH_LIMIT_S), WATCH_LIMIT_S)
            since = int(q.get("resourceVersion") or "0")
        except ValueError as e:
            raise ApiError(400, "BadRequest", str(e)) from None
        return labels, fields, timeout, since

    def _watch(self, ctx: "_Request", labels, fields, timeout: float, since: int) -> None:
        """Events as the API server's watch cache sends them: from `since` (or, for 0, the current
        objects as ADDED first), each change judged by whether the object was selected before
        and is now (entering the selection is ADDED, leaving it DELETED)."""
        api = self.server_api
        cluster = ctx.cluster
        deadline = time.monotonic() + timeout

        def selected(obj: dict | None) -> bool:
            return obj is not None and labels((obj.get("metadata") or {}).get("labels")) and fields(obj)

        def send(type_: str, obj: dict) -> None:
            line = json.dumps({"type": type_, "object": obj}).encode() + b"\n"
            self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
            self.wfile.flush()

        with cluster._lock:
            current = [o for o in ctx.objects() if selected(o)]
            now_rv = cluster.store.rv
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            if since == 0:
                for o in current:
                    send("ADDED", o)
                rv = now_rv
            else:
                rv = since
            while not api.closing and time.monotonic() < deadline:
                for erv, type_, key, obj, prev in cluster.store.events_after(rv):
                    rv = erv
                    if key[0] != ctx.kind or (ctx.namespace is not None and key[1] != ctx.namespace):
                        continue
                    was, now = selected(prev), type_ != "DELETED" and selected(obj)
                    if was and not now:
                        send("DELETED", obj)
                    elif now:
                        send("MODIFIED" if was else "ADDED", obj)
                cluster.store.wait_change(rv, min(1.0, max(0.0, deadline - time.monotonic())))
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True


class _Plain(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def _authorized(api: ApiServer, user, groups, verb, group, plural, sub, ns, name) -> bool:
    with api.cluster._lock:
        return authorize(api.cluster.store.objects, user, groups, verb, group, plural, sub, ns, name)


def _discovery(path: str) -> dict:
    if path == "/version":
        return {"major": "1", "minor": "31", "gitVersion": "v1.31.0-kubelet-harness", "platform": "linux/amd64"}
    if path == "/api":
        return {"kind": "APIVersions", "versions": ["v1"]}
    if path == "/apis":
        groups = sorted({g for g, _ in RESOURCES if g})
        return {"kind": "APIGroupList", "apiVersion": "v1",
                "groups": [{"name": g, "versions": [{"groupVersion": f"{g}/v1", "version": "v1"}],
                            "preferredVersion": {"groupVersion": f"{g}/v1", "version": "v1"}} for g in groups]}
    return {"status": "ok"}


class _Request:
    """One resource request against the cluster's store (the caller is authorised)."""

    def __init__(self, cluster, group, plural, kind, version, namespace, name, query):
        self.cluster, self.group, self.plural, self.kind = cluster, group, plural, kind
        self.api_version = f"{group}/{version}" if group else version
        self.namespace, self.name, self.query = namespace, name, query

    def objects(self) -> list[dict]:
        if self.kind == "Pod":
            views = self.cluster.pod_views
            return [copy.deepcopy(v) for (ns, _), v in sorted(views.items())
                    if self.namespace is None or ns == self.namespace]
        return [copy.deepcopy(o) for (k, ns, _), o in sorted(self.cluster.store.objects.items(), key=lambda kv: str(kv[0]))
                if k == self.kind and (self.namespace is None or ns == self.namespace)]

    def _get(self, name: str) -> dict:
        if self.kind == "Pod":
            obj = self.cluster.pod_views.get((self.namespace, name))
        else:
            obj = self.cluster.store.objects.get((self.kind, self.namespace, name))
        if obj is None:
            raise ApiError(404, "NotFound", f'{self.plural} "{name}" not found', {"name": name, "kind": self.plural})
        return copy.deepcopy(obj)

    def _selected(self) -> list[dict]:
        try:
            labels = label_matcher(self.query.get("labelSelector"))
            fields = field_matcher(self.query.get("fieldSelector"))
        except ValueError as e:
            raise ApiError(400, "BadRequest", str(e)) from None
        return [o for o in self.objects() if labels((o.get("metadata") or {}).get("labels")) and fields(o)]

    def run(self, verb: str, body, content_type: str) -> tuple[int, dict]:
        c = self.cluster
        with c._lock:
            if verb == "get":
                return 200, self._get(self.name)
            if verb == "list":
                items = self._selected()
                return 200, {"kind": f"{self.kind}List", "apiVersion": self.api_version,
                             "metadata": {"resourceVersion": str(c.store.rv)}, "items": items}
            if verb == "create":
                return 201, self._create(body)
            if verb == "update":
                return 200, self._update(body)
            if verb == "patch":
                return 200, self._patch(body, content_type)
            if verb == "delete":
                return 200, self._delete(self.name, body or {})
            # deletecollection: the list of what was deleted
            items = self._selected()
            for o in items:
                self._delete(o["metadata"]["name"], body or {})
            return 200, {"kind": f"{self.kind}List", "apiVersion": self.api_version,
                         "metadata": {"resourceVersion": str(c.store.rv)}, "items": items}

    def _check_body(self, body) -> dict:
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", "the body must be a JSON object")
        md = body.setdefault("metadata", {})
        if md.get("namespace") and self.namespace and md["namespace"] != self.namespace:
            raise ApiError(400, "BadRequest", "the namespace of the provided object does not match the namespace "
                                              "sent on the request")
        if self.namespace:
            md["namespace"] = self.namespace
        body.setdefault("apiVersion", self.api_version)
        body.setdefault("kind", self.kind)
        return body

    def _create(self, body) -> dict:
        c = self.cluster
        body = self._check_body(body)
        md = body["metadata"]
        if not md.get("name") and md.get("generateName"):
            md["name"] = md["generateName"] + secrets.token_hex(3)[:5]
        name = md.get("name")
        if not name:
            raise ApiError(422, "Invalid", f"{self.kind} is invalid: metadata.name: Required value")
        key = (self.kind, self.namespace, name)
        if key in c.store.objects or (self.kind == "Pod" and (self.namespace, name) in c.pod_views):
            raise ApiError(409, "AlreadyExists", f'{self.plural} "{name}" already exists',
                           {"name": name, "kind": self.plural})
        if self.kind == "Pod":
            why = admission.refusal(c.store.objects, self.namespace, name, body.get("spec") or {})
            if why:
                raise ApiError(403, "Forbidden", why, {"name": name, "kind": self.plural})
            body.pop("status", None)
            stored = c.store.put(key, body, quiet=True)
            if key not in c.store.objects:  # collected at once: its owner is gone (store.py)
                return copy.deepcopy(stored)
            c._publish_pods()
            c._wake.set()
            return copy.deepcopy(c.pod_views[(self.namespace, name)])
        stored = c.store.put(key, body)
        c._wake.set()
        return copy.deepcopy(stored)

    def _precondition(self, current: dict, wanted_rv) -> None:
        if wanted_rv and str(wanted_rv) != current["metadata"].get("resourceVersion"):
            raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {self.plural} "{current["metadata"]["name"]}": '
                                            "the object has been modified; please apply your changes to the latest "
                                            "version and try again", {"name": current["metadata"]["name"], "kind": self.plural})

    def _replace(self, current: dict, new: dict) -> dict:
        c = self.cluster
        new = self._check_body(new)
        if new["metadata"].get("name") not in (None, self.name):
            raise ApiError(400, "BadRequest", "the name of the object does not match the name on the URL")
        new["metadata"]["name"] = self.name
        key = (self.kind, self.namespace, self.name)
        if self.kind == "Pod":
            stored = c.store.objects.get(key)
            if stored is None or (new.get("spec") or {}) != (current.get("spec") or {}):
                raise ApiError(422, "Invalid", "pod updates may not change fields other than labels and annotations "
                                               "here (only metadata updates of bare pods are emulated)")
            stored = copy.deepcopy(stored)
            for k in ("labels", "annotations", "ownerReferences"):
                stored["metadata"][k] = new["metadata"].get(k)
            c.store.put(key, stored, quiet=True)
            c._publish_pods()
            return copy.deepcopy(c.pod_views[(self.namespace, self.name)])
        stored = c.store.put(key, new)
        c._wake.set()
        return copy.deepcopy(stored)

    def _update(self, body) -> dict:
        current = self._get(self.name)
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", "the body must be a JSON object")
        self._precondition(current, (body.get("metadata") or {}).get("resourceVersion"))
        return self._replace(current, body)

    def _patch(self, body, content_type: str) -> dict:
        current = self._get(self.name)
        ct = content_type.split(";")[0].strip()
        if ct in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
            if not isinstance(body, dict):
                raise ApiError(400, "BadRequest", "a merge patch must be a JSON object")
            self._precondition(current, (body.get("metadata") or {}).get("resourceVersion"))
            new = merge_patch(current, body)
        elif ct == "application/json-patch+json":
            if not isinstance(body, list):
                raise ApiError(400, "BadRequest", "a JSON patch must be a list")
            try:
                new = json_patch(current, body)
            except (KeyError, IndexError, ValueError, TypeError) as e:
                raise ApiError(422, "Invalid", f"the JSON patch does not apply: {e}") from None
        else:
            raise ApiError(415, "UnsupportedMediaType", f"the patch type {ct!r} is not emulated")
        new.get("metadata", {}).pop("resourceVersion", None)
        return self._replace(current, new)

    def _delete(self, name: str, options: dict) -> dict:
        c = self.cluster
        current = self._get(name)
        pre = options.get("preconditions") or {}
        if pre.get("uid") and pre["uid"] != current["metadata"].get("uid"):
            raise ApiError(409, "Conflict", f'Precondition failed: UID in precondition: {pre["uid"]}, UID in object '
                                            f'meta: {current["metadata"].get("uid")}')
        self._precondition(current, pre.get("resourceVersion"))
        policy = self.query.get("propagationPolicy") or options.get("propagationPolicy") or "Background"
        if self.kind == "Pod":
            c._delete_pod_by_api(self.namespace, name)
            current["metadata"]["deletionTimestamp"] = store_mod.now_rfc3339()
            return current
        c.store.remove((self.kind, self.namespace, name), orphan=policy == "Orphan")
        c._wake.set()
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": {"name": name, "kind": self.plural, "uid": current["metadata"].get("uid")}}
