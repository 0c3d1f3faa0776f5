"""The harness's container runtime, run as a child process of the harness (as root).

    python container_init.py holder            -> a network-namespace holder (prints "ready", sleeps)
    python container_init.py container SPEC    -> set up one container from SPEC (JSON) and exec it

A holder makes a new network namespace, brings `lo` up and sleeps until killed; the namespace lives
exactly as long as the holder (nothing is bind-mounted under /run/netns). Containers join a pod's
holder namespace.

A container gets, in this order:
  * the parent-death signal (SIGKILL when the harness thread that started it ends), checked against
    a race with the harness's exit;
  * the pod's network namespace, and its own mount, UTS (hostname) and IPC namespaces, with every
    mount private: nothing it mounts is visible on the host or in other containers;
  * an overlay root: the image layers read-only below, a per-container writable layer above (the
    container's writable layer in a real runtime), then read-only binds of the host's /usr and /etc
    (the "operating system" of the fake image), fresh /proc, a small /dev, the pod's /etc/hosts,
    /etc/hostname, /etc/resolv.conf and /etc/passwd, /etc/group, the volumes, the termination log;
  * with readOnlyRootFilesystem the root mount is remounted read-only last, so only volumes stay
    writable;
  * chroot, the working directory, groups/gid/uid, no_new_privs if asked, the parent-death signal
    again (a credential change clears it), then exec of the container's argv with its env.

A failure before exec prints `kubelet-harness: container setup failed: ...` and exits 128.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sysutil  # noqa: E402

SETUP_FAILED = 128


def _guard_parent(parent_pid: int) -> None:
    sysutil.set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent_pid:  # the harness died before the signal was armed
        os._exit(137)


def holder() -> None:
    parent = os.getppid()
    _guard_parent(parent)
    sysutil.unshare(sysutil.CLONE_NEWNET)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        signal.pause()


def _inside(root: str, path: str) -> str:
    if not path.startswith("/"):
        raise ValueError(f"mount path {path!r} is not absolute")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"mount path {path!r} contains '..'")
    return os.path.join(root, *parts)


def _mountpoint(target: str, source: str) -> None:
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            with open(target, "a"):
                pass


def _make_dev(root: str) -> None:
    dev = os.path.join(root, "dev")
    sysutil.mount("tmpfs", dev, "tmpfs", sysutil.MS_NOSUID | sysutil.MS_NOEXEC, "mode=755,size=65536k")
    for name in ("null", "zero", "full", "random", "urandom", "tty"):
        target = os.path.join(dev, name)
        with open(target, "a"):
            pass
        sysutil.bind(f"/dev/{name}", target, recursive=False)
    shm = os.path.join(dev, "shm")
    os.mkdir(shm)
    sysutil.mount("shm", shm, "tmpfs", sysutil.MS_NOSUID | sysutil.MS_NODEV, "mode=1777,size=65536k")
    os.symlink("/proc/self/fd", os.path.join(dev, "fd"))
    for i, name in enumerate(("stdin", "stdout", "stderr")):
        os.symlink(f"/proc/self/fd/{i}", os.path.join(dev, name))


def container(spec_path: str) -> None:
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    _guard_parent(spec["parent_pid"])
    try:
        _setup(spec)
    except Exception as e:  # noqa: BLE001 - reported like a runtime's CreateContainerError
        sys.stderr.write(f"kubelet-harness: container setup failed: {type(e).__name__}: {e}\n")
        sys.stderr.flush()
        os._exit(SETUP_FAILED)
    argv, env = spec["argv"], spec["env"]
    try:
        os.execvpe(argv[0], argv, env)
    except OSError as e:
        sys.stderr.write(f"kubelet-harness: exec {argv[0]!r} failed: {e}\n")
        sys.stderr.flush()
        os._exit(127)


def _setup(spec: dict) -> None:
    sysutil.setns(spec["netns"], sysutil.CLONE_NEWNET)
    sysutil.unshare(sysutil.CLONE_NEWNS | sysutil.CLONE_NEWUTS | sysutil.CLONE_NEWIPC)
    sysutil.mount(None, "/", None, sysutil.MS_REC | sysutil.MS_PRIVATE)
    sysutil.sethostname(spec["hostname"])

    root = spec["rootfs"]
    lower = ":".join(spec["layers"])
    sysutil.mount("overlay", root, "overlay", 0, f"lowerdir={lower},upperdir={spec['upper']},workdir={spec['work']}")

    # the operating system of the fake image: the host's, read-only
    for host_dir in spec["host_dirs"]:
        target = _inside(root, host_dir)
        os.makedirs(target, exist_ok=True)
        sysutil.bind(host_dir, target, readonly=True)
    sysutil.mount("proc", _inside(root, "/proc"), "proc", sysutil.MS_NOSUID | sysutil.MS_NODEV | sysutil.MS_NOEXEC)
    _make_dev(root)
    # per-pod files over the host's /etc (only over files that exist: never create on the host)
    for src, dst in spec["file_binds"]:
        target = _inside(root, dst)
        if not os.path.isfile(target):
            raise FileNotFoundError(f"{dst} does not exist in the image: cannot bind the pod's file over it")
        sysutil.bind(src, target, recursive=False)

    # volumes, parents before children (as container runtimes sort them)
    for m in sorted(spec["mounts"], key=lambda m: len([p for p in m["target"].split("/") if p])):
        target = _inside(root, m["target"])
        _mountpoint(target, m["source"])
        sysutil.bind(m["source"], target, readonly=m["readonly"])

    tlog = spec.get("termination_log")
    if tlog:
        target = _inside(root, tlog["path"])
        _mountpoint(target, tlog["source"])
        sysutil.bind(tlog["source"], target, recursive=False)

    if spec["readonly_root"]:
        sysutil.mount(None, root, None, sysutil.MS_BIND | sysutil.MS_REMOUNT | sysutil.MS_RDONLY)

    os.chroot(root)
    os.chdir("/")
    cwd = spec["cwd"]
    if not os.path.isdir(cwd):
        os.makedirs(cwd, exist_ok=True)
    os.chdir(cwd)
    os.umask(0o022)

    uid, gid = spec["uid"], spec["gid"]
    os.setgroups(spec["groups"])
    os.setgid(gid)
    os.setuid(uid)
    if spec.get("no_new_privs"):
        sysutil.set_no_new_privs()
    _guard_parent(spec["parent_pid"])


if __name__ == "__main__":
    if sys.argv[1:2] == ["holder"]:
        holder()
    elif sys.argv[1:2] == ["container"] and len(sys.argv) == 3:
        container(sys.argv[2])
    else:
        sys.exit("usage: container_init.py holder | container SPEC.json")
