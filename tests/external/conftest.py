"""Shared helpers for the external (black-box) tests of the `flink-render` binary.

These tests run the real binary and check its output with independent tools:
kubernetes-validate (JSON schemas of the Kubernetes API), yamllint, PyYAML (a YAML 1.1 reader,
like many consumers of Kubernetes manifests) and a real Flink distribution (BashJavaUtils).
`scripts/test.sh` installs all of them and sets the environment:

    FLINK_RENDER_BIN   the binary under test (fallback: target/release, then target/debug)
    FLINK_HOME_1       pyflink dir of the apache-flink 1.20.5 distribution (flat flink-conf.yaml)
    FLINK_HOME_2       pyflink dir of the apache-flink 2.3.0 distribution (nested config.yaml)

A missing Flink distribution is a test failure, never a skip.
"""

from __future__ import annotations

import concurrent.futures
import glob
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"
UPSTREAM = FIXTURES / "upstream"
REAL_WORLD = FIXTURES / "real-world"

RENDER_TIMEOUT_S = 120
JAVA_TIMEOUT_S = 120

# An upstream (unmodified operator) example may be rejected by design, with exit 1 and a
# diagnostic that says so. Anything else is a failure.
BY_DESIGN_REJECTION = re.compile(r"not supported|out of scope", re.IGNORECASE)

# Upstream's e2e files carry placeholders that its CI replaces with sed before applying them
# (`jarURI: STREAMING_EXAMPLES_JAR_URL`). As they are, the operator rejects such a session job
# for its scheme-less jarURI, and so does flink-render.
E2E_PLACEHOLDER = "STREAMING_EXAMPLES_JAR_URL"
PLACEHOLDER_REJECTION = re.compile(r"jarURI must include a scheme")


def rejected_by_design(path: Path, stderr: str) -> bool:
    if BY_DESIGN_REJECTION.search(stderr):
        return True
    return E2E_PLACEHOLDER in path.read_text(encoding="utf-8") and bool(PLACEHOLDER_REJECTION.search(stderr))

# Upstream examples are written for `kubectl apply -n <ns>`; render them with a namespace so
# rules that need one (Kubernetes HA) can be satisfied. Local fixtures are rendered as they are.
UPSTREAM_NAMESPACE = "flink-upstream"


# --------------------------------------------------------------------------------------------
# Fixture discovery
# --------------------------------------------------------------------------------------------


def valid_fixture_paths() -> list[Path]:
    """fixtures/*.yaml|yml|json (sorted) then fixtures/upstream/*.yaml (sorted)."""
    local = sorted(
        p for ext in ("yaml", "yml", "json") for p in FIXTURES.glob(f"*.{ext}") if p.is_file()
    )
    upstream = sorted(p for p in UPSTREAM.glob("*.yaml") if p.is_file())
    return local + upstream


def real_world_paths() -> list[Path]:
    """fixtures/real-world/*.yaml (sorted): specs other people wrote; valid or not (their golden
    snapshots record which)."""
    return sorted(p for p in REAL_WORLD.glob("*.yaml") if p.is_file())


def invalid_fixture_paths() -> list[Path]:
    d = FIXTURES / "invalid"
    return sorted(p for ext in ("yaml", "yml", "json") for p in d.glob(f"*.{ext}") if p.is_file())


def fixture_id(path: Path) -> str:
    return path.relative_to(FIXTURES).as_posix()


def is_upstream(path: Path) -> bool:
    return UPSTREAM in path.parents


def is_real_world(path: Path) -> bool:
    return REAL_WORLD in path.parents


def fixture_params(paths: list[Path]) -> list:
    """pytest params with the file name as id. An empty list becomes one failing param, so a
    missing fixtures directory fails loudly instead of collecting zero tests."""
    if not paths:
        return [pytest.param(None, id="no-fixtures-found")]
    return [pytest.param(p, id=fixture_id(p)) for p in paths]


def require_fixture(path: Path | None) -> Path:
    if path is None:
        pytest.fail(f"no fixture files found under {FIXTURES}")
    if not path.is_file():
        pytest.fail(f"fixture {path} does not exist")
    return path


def load_input_docs(path: Path) -> list[dict]:
    """The input documents of a fixture, read with PyYAML (JSON is a subset)."""
    text = path.read_text(encoding="utf-8")
    return [d for d in yaml.safe_load_all(text) if d is not None]


# --------------------------------------------------------------------------------------------
# Running the binary
# --------------------------------------------------------------------------------------------


def _find_binary() -> Path:
    env = os.environ.get("FLINK_RENDER_BIN")
    if env:
        p = Path(env)
        if not (p.is_file() and os.access(p, os.X_OK)):
            pytest.fail(f"FLINK_RENDER_BIN={env} is not an executable file")
        return p
    for cand in (REPO / "target/release/flink-render", REPO / "target/debug/flink-render"):
        if cand.is_file() and os.access(cand, os.X_OK):
            return cand
    pytest.fail(
        "flink-render binary not found: set FLINK_RENDER_BIN or run `cargo build --release` "
        "(scripts/test.sh does both)"
    )


@pytest.fixture(scope="session")
def flink_render_bin() -> Path:
    return _find_binary()


def run_flink_render(args: list[str], stdin: str | None = None, cwd: Path | None = None):
    """Run the binary; returns CompletedProcess with text stdout/stderr (UTF-8)."""
    binary = _find_binary()
    return subprocess.run(
        [str(binary), *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd or REPO,
        timeout=RENDER_TIMEOUT_S,
    )


def describe(proc) -> str:
    return (
        f"command: {' '.join(map(str, proc.args))}\nexit code: {proc.returncode}\n"
        f"--- stderr ---\n{proc.stderr}\n--- stdout (first 3000 chars) ---\n{proc.stdout[:3000]}"
    )


def fixture_args(path: Path) -> list[str]:
    """The arguments a fixture asks for on `# flink-render: ARGS` lines (as tests/golden.rs reads
    them), e.g. `--defaults fixtures/defaults/team-defaults.yaml`; `krm` means "run as the KRM
    function" and is the caller's to honour."""
    text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    return [arg for line in text.splitlines() if line.startswith("# flink-render:")
            for arg in line.removeprefix("# flink-render:").split()]


def default_render_args(path: Path) -> list[str]:
    args = ["render", str(path)]
    if is_upstream(path) or is_real_world(path):
        args += ["--namespace", UPSTREAM_NAMESPACE]
    own = fixture_args(path)
    return args + ([] if own[:1] == ["krm"] else own)


@dataclass
class Rendered:
    path: Path
    proc: subprocess.CompletedProcess
    rejected_by_design: bool = False

    @property
    def text(self) -> str:
        return self.proc.stdout

    @property
    def objects(self) -> list[dict]:
        return load_output_docs(self.proc.stdout)


# Sections of the terminal summary (see `summary`).
# Fixtures with no FlinkDeployment/FlinkSessionJob spec (the operator's canary) that rendered to
# an empty stream: "fixture id: first stderr line".
EMPTY_RENDERS = "fixtures without a spec that rendered to nothing (accepted)"
# Rejections of upstream fixtures: "fixture id: first stderr line".
UPSTREAM_REJECTIONS = "upstream fixtures rejected by design (exit 1, accepted)"
# Real-world specs that are invalid by upstream's rules: "fixture id: first error".
REAL_WORLD_REJECTIONS = "real-world specs invalid by upstream's rules (exit 1, in their goldens)"


def first_line(text: str) -> str:
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), "")


def expects_objects(path: Path) -> bool:
    """True if the input has a FlinkDeployment or FlinkSessionJob with a spec: then an empty
    output is a failure. (The operator's canary has no spec and may render to nothing.)"""
    return any(
        d.get("kind") in ("FlinkDeployment", "FlinkSessionJob") and d.get("spec")
        for d in load_input_docs(path)
        if isinstance(d, dict)
    )
_RENDER_CACHE: dict[tuple, Rendered] = {}


def render_fixture(path: Path, extra: tuple[str, ...] = ()) -> Rendered:
    """Render a valid fixture to stdout (cached per session).

    Local fixtures must exit 0. Upstream fixtures must exit 0, or exit 1 with "not supported" /
    "out of scope" on stderr and nothing on stdout; such rejections are recorded and reported in
    the terminal summary, and the returned object has rejected_by_design=True.
    """
    key = (str(path), extra)
    if key in _RENDER_CACHE:
        return _RENDER_CACHE[key]
    proc = run_flink_render(default_render_args(path) + list(extra))
    result = Rendered(path, proc)
    if proc.returncode == 0:
        if expects_objects(path):
            assert proc.stdout.strip(), f"exit 0 but empty stdout\n{describe(proc)}"
        elif not proc.stdout.strip():
            summary(EMPTY_RENDERS, f"{fixture_id(path)}: {first_line(proc.stderr) or '(no stderr)'}")
    elif is_upstream(path) and proc.returncode == 1:
        assert proc.stderr.strip(), f"exit 1 without diagnostics on stderr\n{describe(proc)}"
        assert rejected_by_design(path, proc.stderr), (
            "upstream fixture rejected, but stderr says neither 'not supported' nor "
            f"'out of scope', nor is it an e2e placeholder rejection\n{describe(proc)}"
        )
        assert proc.stdout == "", f"exit 1 must print nothing on stdout\n{describe(proc)}"
        result.rejected_by_design = True
        summary(UPSTREAM_REJECTIONS, f"{fixture_id(path)}: {first_line(proc.stderr)}")
    elif is_real_world(path) and proc.returncode == 1:
        # invalid by upstream's rules (tests/golden.rs records every diagnostic)
        assert proc.stderr.strip() and proc.stdout == "", f"exit 1 must explain on stderr only\n{describe(proc)}"
        result.rejected_by_design = True
        first_error = next((ln for ln in proc.stderr.splitlines() if ln.startswith("error")), first_line(proc.stderr))
        summary(REAL_WORLD_REJECTIONS, f"{fixture_id(path)}: {first_error}")
    else:
        pytest.fail(f"render of {fixture_id(path)} failed\n{describe(proc)}")
    _RENDER_CACHE[key] = result
    return result


def load_output_docs(text: str) -> list[dict]:
    """Split rendered YAML (PyYAML safe_load_all, i.e. YAML 1.1) into objects."""
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    for i, d in enumerate(docs):
        assert isinstance(d, dict), f"output document {i} is not a mapping: {d!r:.200}"
    return docs


def render_to_dir(path: Path, out_dir: Path, extra: tuple[str, ...] = ()) -> dict:
    """Render with --output-dir; returns {(kind, namespace or None, name): object}."""
    proc = run_flink_render(default_render_args(path) + list(extra) + ["--output-dir", str(out_dir)])
    assert proc.returncode == 0, f"render --output-dir failed\n{describe(proc)}"
    objects = {}
    for f in sorted(out_dir.iterdir()) if out_dir.exists() else []:
        docs = load_output_docs(f.read_text(encoding="utf-8"))
        assert len(docs) == 1, f"{f.name}: expected exactly one object, found {len(docs)}"
        obj = docs[0]
        md = obj.get("metadata") or {}
        k = (obj.get("kind"), md.get("namespace"), md.get("name"))
        assert k not in objects, f"object {k} written twice"
        objects[k] = obj
    return objects


# --------------------------------------------------------------------------------------------
# Object helpers
# --------------------------------------------------------------------------------------------


def find_objects(objects, kind: str) -> list[dict]:
    values = objects.values() if isinstance(objects, dict) else objects
    return [o for o in values if o.get("kind") == kind]


def get_object(objects, kind: str, name: str, namespace: str | None = None) -> dict:
    matches = [
        o
        for o in find_objects(objects, kind)
        if (o.get("metadata") or {}).get("name") == name
        and (namespace is None or (o.get("metadata") or {}).get("namespace") == namespace)
    ]
    assert matches, f"no {kind} named {name!r} (namespace {namespace!r}) in the output"
    assert len(matches) == 1, f"{len(matches)} {kind} objects named {name!r}"
    return matches[0]


def pod_spec(obj: dict) -> dict:
    """The pod spec of a Deployment / Job / StatefulSet."""
    return obj["spec"]["template"]["spec"]


def main_container(obj: dict, name: str = "flink-main-container") -> dict:
    cs = [c for c in pod_spec(obj).get("containers", []) if c.get("name") == name]
    assert cs, f"{obj['kind']} {obj['metadata']['name']} has no container {name!r}"
    return cs[0]


# --------------------------------------------------------------------------------------------
# Real Flink (BashJavaUtils)
# --------------------------------------------------------------------------------------------


def _flink_home(var: str, version: str) -> Path:
    value = os.environ.get(var)
    if not value:
        pytest.fail(
            f"{var} is not set: it must point at the pyflink dir of apache-flink {version} "
            "(…/site-packages/pyflink). Run the tests through scripts/test.sh, which installs it, "
            "or `source ${FLINK_RENDER_TOOLS:-$HOME/.cache/flink-render-tools}/env.sh`."
        )
    home = Path(value)
    if not (home / "bin/bash-java-utils.jar").is_file() or not glob.glob(
        str(home / "lib/flink-dist*.jar")
    ):
        pytest.fail(f"{var}={value} is not a Flink distribution (bin/bash-java-utils.jar, lib/flink-dist*.jar)")
    return home


@pytest.fixture(scope="session")
def flink_home_1() -> Path:
    """Flink 1.20.5: reads flat flink-conf.yaml with the legacy line parser."""
    return _flink_home("FLINK_HOME_1", "1.20.5")


@pytest.fixture(scope="session")
def flink_home_2() -> Path:
    """Flink 2.3.0: reads config.yaml with a YAML 1.2 parser (snakeyaml-engine)."""
    return _flink_home("FLINK_HOME_2", "2.3.0")


def flink_home_for_conf_file(conf_file: str) -> Path:
    if conf_file == "flink-conf.yaml":
        return _flink_home("FLINK_HOME_1", "1.20.5")
    if conf_file == "config.yaml":
        return _flink_home("FLINK_HOME_2", "2.3.0")
    raise AssertionError(f"unknown Flink config file name {conf_file!r}")


RESULT_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:"


@dataclass
class BashJavaUtilsResult:
    cmd: list[str]
    returncode: int
    output: str  # stdout and stderr merged, as bin/config.sh sees it

    @property
    def result_lines(self) -> list[str]:
        return [ln[len(RESULT_PREFIX):] for ln in self.output.splitlines() if ln.startswith(RESULT_PREFIX)]

    def describe(self) -> str:
        text = "\n".join(ln for ln in self.output.splitlines() if not ln.lstrip().startswith("at "))
        return f"command: {' '.join(self.cmd)}\nexit code: {self.returncode}\n--- output ---\n{text[-6000:]}"


# JVM settings for a short-lived BashJavaUtils: its start is most of its time, and a test run
# makes a few hundred (two per rendered configuration). The C1 compiler only, the serial
# collector, and the classes it loads from a class-data archive made by its first run (a
# JDK and classpath of its own; see `class_data_archive`): a third of the CPU time of a plain
# start (0.25 s against 0.73 s). What BashJavaUtils computes and prints does not depend on them.
FAST_JVM = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]


def class_data_archive(classpath: str) -> Path:
    """Where this JDK's and classpath's class-data archive is, once a first run has written it."""
    java = Path(shutil.which("java") or "java").resolve()
    stamp = java.stat().st_mtime_ns if java.exists() else 0
    key = hashlib.sha256(f"{java}:{stamp}:{classpath}".encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"flink-render-bash-java-utils-{key}.jsa"


def bash_java_utils(flink_home: Path, command: str, conf_dir: Path, *args: str) -> BashJavaUtilsResult:
    """Run Flink's BashJavaUtils exactly as bin/config.sh does (reference flink-runtime.md §3.1),
    in a JVM that starts fast (`FAST_JVM`)."""
    dist = sorted(glob.glob(str(flink_home / "lib/flink-dist*.jar")))
    assert len(dist) == 1, f"expected one flink-dist jar in {flink_home}/lib, found {dist}"
    classpath = f"{flink_home}/bin/bash-java-utils.jar:{dist[0]}"
    archive = class_data_archive(classpath)
    written = None
    if archive.exists():
        jvm = [*FAST_JVM, f"-XX:SharedArchiveFile={archive}"]
    else:
        # the first run writes it, to a file of its own renamed into place after, so that pytest
        # workers never read half an archive; writing logs a warning per class it cannot take, on
        # stdout: not in the output
        written = archive.with_name(f"{archive.name}.{os.getpid()}.{threading.get_ident()}")
        jvm = [*FAST_JVM, f"-XX:ArchiveClassesAtExit={written}", "-Xlog:disable"]
    cmd = [
        "java",
        *jvm,
        "-classpath",
        classpath,
        "org.apache.flink.runtime.util.bash.BashJavaUtils",
        command,
        "--configDir",
        str(conf_dir),
        *args,
    ]
    # The official Flink images (eclipse-temurin based) run with a UTF-8 locale. Java 17 takes its
    # default charset from the locale, and Flink 1.20's legacy flink-conf.yaml reader uses the
    # default charset: under LANG=C it reads "über" as two unknown characters. Pin the image's
    # behaviour so results do not depend on the CI machine's locale.
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
    proc = subprocess.run(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8",
        errors="replace", timeout=JAVA_TIMEOUT_S, stdin=subprocess.DEVNULL, env=env,
    )
    if written is not None and written.exists():
        os.replace(written, archive)
    return BashJavaUtilsResult(cmd, proc.returncode, proc.stdout)


def bash_java_utils_many(calls: list[tuple]) -> list[BashJavaUtilsResult]:
    """Run several BashJavaUtils calls concurrently (each is a ~0.5 s JVM start)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as ex:
        return list(ex.map(lambda c: bash_java_utils(*c), calls))


def write_conf_dir(config_map: dict, conf_dir: Path) -> list[str]:
    """Write each data entry of a ConfigMap as a file, like a ConfigMap volume. Returns the names."""
    data = config_map.get("data") or {}
    conf_dir.mkdir(parents=True, exist_ok=True)
    for key, value in data.items():
        assert isinstance(value, str), f"ConfigMap data[{key!r}] is {type(value).__name__}, not a string"
        assert "/" not in key and key not in (".", ".."), f"bad ConfigMap key {key!r}"
        (conf_dir / key).write_text(value, encoding="utf-8")
    return sorted(data)


def flink_conf_file_of(config_map: dict) -> str:
    """'flink-conf.yaml' or 'config.yaml': exactly one of them must be in the ConfigMap."""
    data = config_map.get("data") or {}
    present = [n for n in ("flink-conf.yaml", "config.yaml") if n in data]
    assert len(present) == 1, (
        f"ConfigMap {config_map['metadata']['name']} must hold exactly one of flink-conf.yaml / "
        f"config.yaml, has {sorted(data)}"
    )
    return present[0]


def parse_flattened_config(result: BashJavaUtilsResult, conf_file: str) -> dict[str, str]:
    """Flink's own view of a config dir, from `UPDATE_AND_GET_FLINK_CONFIGURATION -flatten`.

    1.x prints the raw strings its legacy parser read. 2.x dumps each value as YAML 1.2: quoted
    scalars are unquoted here with PyYAML (same quoting rules), plain ones are taken verbatim.
    """
    out = {}
    for line in result.result_lines:
        key, sep, raw = line.partition(": ")
        if not sep:
            key, raw = line.rstrip(":"), ""
        if conf_file == "config.yaml" and raw[:1] in ("'", '"'):
            raw = yaml.safe_load(raw)
        out[key] = raw
    return out


def legacy_flink_conf_parse(text: str) -> dict[str, str]:
    """Python copy of Flink 1.x GlobalConfiguration's legacy flink-conf.yaml reader: per line,
    cut at the first '#', split at the first ': ', trim; no YAML, no unquoting."""
    out = {}
    for line in text.splitlines():
        conf = line.split("#", 1)[0].strip()
        if not conf:
            continue
        kv = conf.split(": ", 1)
        if len(kv) == 1:
            continue
        key, value = kv[0].strip(), kv[1].strip()
        if key and value:
            out[key] = value
    return out


def flatten_nested(value, prefix: str = "") -> dict:
    """Flatten a nested mapping with '.', as Flink 2.x does for config.yaml. Keys must be str."""
    out = {}
    if isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, str), (
                f"config key {k!r} under {prefix or '<root>'!r} loads as {type(k).__name__}, not str"
            )
            full = f"{prefix}.{k}" if prefix else k
            if isinstance(v, dict):
                out.update(flatten_nested(v, full))
            else:
                out[full] = v
    return out


# Flink memory sizes ("2 gb", "2048m", "1728mb", "2147483648b", "2g", ...), see MemorySize.parse.
_MEM_UNITS = {
    "": 1, "b": 1, "bytes": 1,
    "k": 1 << 10, "kb": 1 << 10, "kibibytes": 1 << 10,
    "m": 1 << 20, "mb": 1 << 20, "mebibytes": 1 << 20,
    "g": 1 << 30, "gb": 1 << 30, "gibibytes": 1 << 30,
    "t": 1 << 40, "tb": 1 << 40, "tebibytes": 1 << 40,
}


def flink_memory_bytes(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", text)
    assert m and m.group(2).lower() in _MEM_UNITS, f"not a Flink memory size: {text!r}"
    return int(m.group(1)) * _MEM_UNITS[m.group(2).lower()]


def parse_dynamic_params(line: str) -> dict[str, str]:
    """'-D a=1b -D b=2b' (BashJavaUtils line 2) → {'a': '1b', 'b': '2b'}."""
    tokens = line.split()
    out = {}
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t == "-D" and i + 1 < len(tokens):
            kv = tokens[i + 1]
            i += 2
        elif t.startswith("-D"):
            kv = t[2:]
            i += 1
        else:
            i += 1
            continue
        k, _, v = kv.partition("=")
        out[k] = v
    return out


# --------------------------------------------------------------------------------------------
# Running in parallel, and reporting
# --------------------------------------------------------------------------------------------

# scripts/test.sh may run pytest in pytest-xdist workers (`-n N --dist loadgroup`; the quick mode
# does): each test goes to whichever worker is free. The exception: the local kubelet's
# rendered-cluster cases share one pipeline that boots the next case's cluster while the current
# one is checked, so they must all run, in order, on one worker.
PIPELINED_TESTS = ("test_local_kubelet.py", "test_rendered_cluster_runs")


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the marks
def pytest_collection_modifyitems(items):
    for item in items:
        if (item.path.name, item.originalname) == PIPELINED_TESTS:
            item.add_marker(pytest.mark.xdist_group("local-kubelet-pipeline"))


# Lines for the terminal summary travel with each test's report (its user properties), so that
# they reach the controlling process when the tests ran in pytest-xdist workers.
SUMMARY_PROPERTY = "flink-render summary: "
_RUNNING: list[pytest.Item] = []
_SUMMARY: dict[str, dict[str, None]] = {}  # section -> lines (an ordered set)


def summary(section: str, line: str) -> None:
    """Report LINE under SECTION at the end of the run (once, however often it is reported)."""
    if _RUNNING:
        _RUNNING[-1].user_properties.append((SUMMARY_PROPERTY + section, line))
    else:
        _SUMMARY.setdefault(section, {})[line] = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item):
    _RUNNING.append(item)
    try:
        yield
    finally:
        _RUNNING.pop()


def pytest_runtest_logreport(report):
    for name, line in report.user_properties:
        if name.startswith(SUMMARY_PROPERTY):
            _SUMMARY.setdefault(name[len(SUMMARY_PROPERTY):], {})[line] = None


def pytest_terminal_summary(terminalreporter):
    for section, lines in _SUMMARY.items():
        terminalreporter.section(section)
        for line in sorted(lines):
            terminalreporter.write_line(line)
