"""Fake container images: directories used as overlay layers (top layer first).

* `os` layer: the top-level skeleton of a root file system (the host's /bin, /lib, ... symlinks,
  empty /usr and /etc mount points, /tmp and /var/tmp with mode 1777, /root 0700). The files of
  the "operating system" are the host's /usr and /etc, bound read-only by container_init.py.
* `flink-<version>` layer: what the official image adds: /opt/flink with the distribution's bin/,
  conf/ (the default configuration, hidden by a ConfigMap volume), lib/, opt/, plugins/,
  licenses/ and an empty log/; everything owned by flink (9999:9999) as after the Dockerfile's
  `chown -R flink:flink .`, except that the jars are hard links to the shared distribution
  (root-owned, read-only for the container user; nothing writes to them). No /opt/flink/usrlib
  (the image has none; only a volume can provide it) and no example jars (the PyPI wheel ships
  none: tests add their own with `files`). /docker-entrypoint.sh is entrypoint.py.
* `files-<hash>` layer: extra files baked "into the image" (a custom image FROM flink), e.g. the
  test job jar at the path a spec's jarURI names.

Image config, as in the official images: ENTRYPOINT /docker-entrypoint.sh, CMD help, WORKDIR
/opt/flink, ENV FLINK_HOME=/opt/flink and PATH with /opt/flink/bin; USER flink (9999) for Flink
>= 2.0, root for 1.x (whose entrypoint steps down to 9999 with gosu). JAVA_HOME is the host's JDK
(the image's is /opt/java/openjdk) and the locale C.UTF-8 (the image's en_US.UTF-8).

One addition of the harness's own: ENV JAVA_TOOL_OPTIONS=-XX:TieredStopAtLevel=1 (`FAST_JIT`), so
every JVM in a Flink container (BashJavaUtils, the JobManager, the TaskManager, `flink run`) compiles
with C1 only. It halves the CPU a JobManager or TaskManager spends starting (about 4 s to 2 s each
on this machine), which is what the real-Flink suites wait for on two cores; the JVM prints one
"Picked up JAVA_TOOL_OPTIONS" line on stderr. No garbage collector is named, so a spec's own
`env.java.opts` choosing one does not conflict, and a container `env` entry of the same name
replaces it, as it would the image's.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

FAST_JIT = "-XX:TieredStopAtLevel=1"  # see the module doc
FLINK_UID = 9999
FLINK_GID = 9999
HERE = Path(__file__).resolve().parent

FLINK_SUBDIRS = ("bin", "conf", "lib", "opt", "plugins", "licenses")
COPIED_SUBDIRS = ("bin", "conf")  # small; copied so they can be owned by flink like in the image


@dataclass
class Image:
    name: str
    layers: list[str]  # top first
    user: int
    group: int
    entrypoint: list[str]
    cmd: list[str]
    env: dict[str, str]
    workdir: str
    flink_version: str | None = None
    placeholder: bool = False  # a stand-in for an image the harness cannot run
    notes: list[str] = field(default_factory=list)


def java_home() -> str:
    java = shutil.which("java")
    if not java:
        raise RuntimeError("java not found on PATH")
    home = str(Path(os.path.realpath(java)).parent.parent)
    if not home.startswith("/usr/"):
        raise RuntimeError(f"the JDK at {home} is not under /usr, so the fake image root (host /usr) cannot see it")
    return home


def flink_version_of(flink_home: Path) -> str:
    dist = sorted((Path(flink_home) / "lib").glob("flink-dist*.jar"))
    if len(dist) != 1:
        raise RuntimeError(f"expected one lib/flink-dist*.jar in {flink_home}, found {dist}")
    m = re.fullmatch(r"flink-dist(?:_[0-9.]+)?-(.+)\.jar", dist[0].name)
    if not m:
        raise RuntimeError(f"cannot read the Flink version from {dist[0].name}")
    return m.group(1)


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError as e:
        if e.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
            raise
        shutil.copy2(src, dst)


class ImageStore:
    """Builds layers once under `root` (atomically: temp dir + rename) and hands out Images."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        self._java_home = java_home()

    def _layer(self, name: str, build) -> str:
        final = self.root / name
        if not final.is_dir():
            tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=self.root))
            os.chmod(tmp, 0o755)
            build(tmp)
            try:
                os.rename(tmp, final)
            except OSError:
                shutil.rmtree(tmp, ignore_errors=True)  # built concurrently by someone else
        return str(final)

    # -- layers ---------------------------------------------------------------------------------

    def os_layer(self) -> str:
        def build(d: Path):
            for entry in os.listdir("/"):
                p = Path("/") / entry
                if p.is_symlink():
                    target = os.readlink(p)
                    if not target.startswith("/"):
                        os.symlink(target, d / entry)
            for sub, mode in (("usr", 0o755), ("etc", 0o755), ("proc", 0o555), ("sys", 0o555), ("dev", 0o755),
                              ("run", 0o755), ("tmp", 0o1777), ("var", 0o755), ("var/tmp", 0o1777),
                              ("var/lib", 0o755), ("root", 0o700), ("home", 0o755), ("opt", 0o755), ("mnt", 0o755)):
                (d / sub).mkdir(parents=True, exist_ok=True)
                os.chmod(d / sub, mode)

        return self._layer("os", build)

    def flink_layer(self, flink_home: Path) -> tuple[str, str]:
        version = flink_version_of(flink_home)

        def build(d: Path):
            opt = d / "opt"
            opt.mkdir()
            os.chmod(opt, 0o755)
            fl = opt / "flink"
            fl.mkdir()
            for sub in FLINK_SUBDIRS:
                src_root = Path(flink_home) / sub
                if not src_root.is_dir():
                    continue
                for dirpath, dirnames, filenames in os.walk(src_root):
                    dirnames[:] = [n for n in dirnames if n != "__pycache__"]
                    rel = Path(dirpath).relative_to(flink_home)
                    (fl / rel).mkdir(parents=True, exist_ok=True)
                    os.chmod(fl / rel, 0o755)
                    os.chown(fl / rel, FLINK_UID, FLINK_GID)
                    for fn in filenames:
                        src, dst = Path(dirpath) / fn, fl / rel / fn
                        if src.is_symlink():
                            os.symlink(os.readlink(src), dst)
                        elif sub in COPIED_SUBDIRS:
                            shutil.copy2(src, dst)
                            os.chown(dst, FLINK_UID, FLINK_GID)
                        else:
                            _link_or_copy(src, dst)
            for sub in ("log", "examples"):
                (fl / sub).mkdir()
                os.chmod(fl / sub, 0o755)
                os.chown(fl / sub, FLINK_UID, FLINK_GID)
            os.chmod(fl, 0o755)
            os.chown(fl, FLINK_UID, FLINK_GID)
            text = (HERE / "entrypoint.py").read_text(encoding="utf-8")
            one_x = version.startswith(("0.", "1."))  # 1.x images start as root and use gosu
            text = text.replace("STEP_DOWN_TO_FLINK = False", f"STEP_DOWN_TO_FLINK = {one_x}", 1)
            ep = d / "docker-entrypoint.sh"
            ep.write_text(text, encoding="utf-8")
            os.chmod(ep, 0o755)

        return self._layer(f"flink-{version}", build), version

    def files_layer(self, files: dict[str, Path]) -> str:
        """Extra files {absolute path in the image: host file}; dirs and files under /opt/flink are
        owned by flink like the rest of the image."""
        h = hashlib.sha256()
        for path, src in sorted(files.items()):
            h.update(path.encode() + b"\0" + Path(src).read_bytes() + b"\0")

        def build(d: Path):
            for path, src in sorted(files.items()):
                parts = [p for p in path.split("/") if p]
                if not path.startswith("/") or ".." in parts:
                    raise ValueError(f"image file path {path!r} must be absolute, without '..'")
                cur = d
                for i, part in enumerate(parts[:-1]):
                    cur = cur / part
                    if not cur.exists():
                        cur.mkdir()
                        os.chmod(cur, 0o755)
                        if "/" + "/".join(parts[: i + 1]) != "/opt" and path.startswith("/opt/flink/"):
                            os.chown(cur, FLINK_UID, FLINK_GID)
                dst = cur / parts[-1]
                shutil.copy2(src, dst)
                os.chmod(dst, 0o644)
                if path.startswith("/opt/flink/"):
                    os.chown(dst, FLINK_UID, FLINK_GID)

        return self._layer(f"files-{h.hexdigest()[:16]}", build)

    # -- images ---------------------------------------------------------------------------------

    def flink_image(self, flink_home: Path, files: dict[str, Path] | None = None) -> Image:
        layer, version = self.flink_layer(flink_home)
        layers = [layer, self.os_layer()]
        if files:
            layers.insert(0, self.files_layer(files))
        two_x = not version.startswith(("0.", "1."))
        jh = self._java_home
        return Image(
            name=f"flink:{version} (flink-render kubelet harness)",
            layers=layers,
            user=FLINK_UID if two_x else 0,
            group=FLINK_GID if two_x else 0,
            entrypoint=["/docker-entrypoint.sh"],
            cmd=["help"],
            env={
                "PATH": f"/opt/flink/bin:{jh}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "JAVA_HOME": jh,
                "LANG": "C.UTF-8",
                "LC_ALL": "C.UTF-8",
                "FLINK_HOME": "/opt/flink",
                "JAVA_TOOL_OPTIONS": FAST_JIT,
            },
            workdir="/opt/flink",
            flink_version=version,
        )

    def placeholder_image(self, name: str) -> Image:
        """Stand-in for an image the harness cannot run (a log shipper, a metrics agent): its
        container runs `sleep infinity` with the pod's mounts, so mounts and readiness still count."""
        return Image(
            name=name,
            layers=[self.os_layer()],
            user=0,
            group=0,
            entrypoint=["sleep", "infinity"],
            cmd=[],
            env={"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
            workdir="/",
            placeholder=True,
            notes=[f"image {name} is not emulated: its container runs `sleep infinity` instead"],
        )
