"""Pod networking: one network namespace per pod, joined by a bridge in a namespace of its own.

    [bridge netns: br0 10.244.0.1/16] --vethN-- [pod netns: eth0 10.244.x.y/16, lo]

Each namespace is held by a holder process (container_init.py holder) with a parent-death signal;
nothing is bind-mounted under /run/netns, so a namespace cannot outlive its holder and the
processes in it. The bridge address stands for "the node": the harness's own HTTP requests and the
kubelet's probes are made from sockets created in the bridge namespace, so nothing ever listens or
connects in the host's namespace.
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import select
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from . import sysutil

INIT = str(Path(__file__).resolve().parent / "container_init.py")
SUBNET = ipaddress.ip_network("10.244.0.0/16")
NODE_MAC = "02:00:0a:f4:00:01"  # locally administered; the node address 10.244.0.1 in its last bytes
NODE_IP = "10.244.0.1"
HOLDER_START_TIMEOUT_S = 10


@dataclass
class NetNS:
    proc: subprocess.Popen
    inode: int
    # An open file of the namespace. While it is open the namespace lives on, empty, after its
    # holder is gone, so its inode number cannot be handed to a namespace another process makes
    # (the kernel reuses the lowest free number at once): "processes in namespace `inode`" stays
    # a question about this harness's own pods, also while another cluster runs beside it.
    handle: int

    @property
    def path(self) -> str:
        return f"/proc/{self.proc.pid}/ns/net"

    def run(self, argv: list[str], timeout: float = 10, check: bool = True) -> subprocess.CompletedProcess:
        """Run a host tool (ip, ss) inside this namespace."""
        return subprocess.run(["nsenter", f"--net={self.path}", "--", *argv], capture_output=True, text=True,
                              timeout=timeout, check=check, stdin=subprocess.DEVNULL)

    def release(self) -> None:
        """Let the namespace go (once nothing may ask about its inode any more)."""
        if self.handle >= 0:
            os.close(self.handle)
            self.handle = -1

    def stop(self) -> None:
        sysutil.kill_quietly(self.proc.pid, 9)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        # the holder's pipes: left open, they are closed by the garbage collector, in whichever
        # test runs then (a ResourceWarning pytest pins on it)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()


def new_netns() -> NetNS:
    """A fresh network namespace with `lo` up. Call from a thread that lives as long as the
    namespace must (the holder's parent-death signal follows the spawning thread)."""
    proc = subprocess.Popen([sys.executable, "-B", "-s", INIT, "holder"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, close_fds=True)
    ready, _, _ = select.select([proc.stdout], [], [], HOLDER_START_TIMEOUT_S)
    line = proc.stdout.readline() if ready else b""
    if line.strip() != b"ready":
        sysutil.kill_quietly(proc.pid, 9)
        err = proc.stderr.read() if proc.poll() is not None else b""
        raise RuntimeError(f"network namespace holder did not start: {line!r} {err[-2000:]!r}")
    handle = os.open(f"/proc/{proc.pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    inode = os.fstat(handle).st_ino
    if inode == sysutil.ns_inode(os.getpid()):
        os.close(handle)
        sysutil.kill_quietly(proc.pid, 9)
        raise RuntimeError("network namespace holder is not in a namespace of its own")
    return NetNS(proc, inode, handle)


@dataclass
class PodNet:
    ns: NetNS
    ip: str
    veth: str


class Network:
    def __init__(self):
        self.bridge = new_netns()
        self._next = 2
        self._lock = threading.Lock()
        b = self.bridge
        # a bridge whose address nobody set takes the lowest address of its ports, so removing a
        # pod could change the node's MAC and leave every other pod's ARP entry for 10.244.0.1
        # stale for seconds (requests to the API server and the probes' answers lost): set it
        b.run(["ip", "link", "add", "br0", "address", NODE_MAC, "type", "bridge"])
        b.run(["ip", "addr", "add", f"{NODE_IP}/{SUBNET.prefixlen}", "dev", "br0"])
        b.run(["ip", "link", "set", "br0", "up"])

    def _allocate(self) -> tuple[str, int]:
        with self._lock:
            n = self._next
            self._next += 1
        ip = SUBNET.network_address + n
        if ip not in SUBNET or ip == SUBNET.broadcast_address:
            raise RuntimeError("pod address range exhausted")
        return str(ip), n

    def add_pod(self) -> PodNet:
        ns = new_netns()
        ip, n = self._allocate()
        veth = f"vp{n}"
        try:
            self.bridge.run(["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", str(ns.proc.pid)])
            self.bridge.run(["ip", "link", "set", veth, "master", "br0", "up"])
            ns.run(["ip", "addr", "add", f"{ip}/{SUBNET.prefixlen}", "dev", "eth0"])
            ns.run(["ip", "link", "set", "eth0", "up"])
        except Exception:
            ns.stop()
            raise
        return PodNet(ns, ip, veth)

    def remove_pod(self, pn: PodNet) -> None:
        # the namespace outlives its holder (NetNS.handle): take the pod off the bridge first, so
        # that its address stops answering as a deleted pod's does
        self.bridge.run(["ip", "link", "del", pn.veth], check=False)
        pn.ns.stop()

    def close(self) -> None:
        self.bridge.stop()

    # -- client side ----------------------------------------------------------------------------

    def socket(self, family=socket.AF_INET, type_=socket.SOCK_STREAM) -> socket.socket:
        """A socket in the bridge ("node") namespace: setns in a short-lived thread, so the
        harness's own threads stay in the host namespace."""
        box: dict = {}

        def make():
            try:
                sysutil.setns(self.bridge.path, sysutil.CLONE_NEWNET)
                box["sock"] = socket.socket(family, type_)
            except BaseException as e:  # noqa: BLE001
                box["err"] = e

        t = threading.Thread(target=make, name="netns-socket", daemon=True)
        t.start()
        t.join()
        if "err" in box:
            raise box["err"]
        return box["sock"]

    def connect(self, ip: str, port: int, timeout: float) -> socket.socket:
        s = self.socket()
        s.settimeout(timeout)
        try:
            s.connect((ip, int(port)))
        except BaseException:
            s.close()
            raise
        return s

    def http(self, ip: str, port: int, path: str, method: str = "GET", body: bytes | None = None,
             headers: dict | None = None, timeout: float = 5.0) -> tuple[int, bytes]:
        net = self

        class Conn(http.client.HTTPConnection):
            def connect(self):
                self.sock = net.connect(self.host, self.port, self.timeout)

        conn = Conn(ip, int(port), timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()
