"""A real Flink accepts the rendered configuration and computes the memory we sized the pods for.

For each rendered ConfigMap `flink-config-<name>`, its data entries are written to a conf dir (as a
ConfigMap volume would) and Flink's BashJavaUtils is run exactly as `bin/jobmanager.sh` /
`bin/taskmanager.sh` run it (reference flink-runtime.md §3.1):

    java -classpath "$FLINK_HOME/bin/bash-java-utils.jar:$FLINK_HOME/lib/flink-dist*.jar" \
      org.apache.flink.runtime.util.bash.BashJavaUtils GET_{JM,TM}_RESOURCE_PARAMS --configDir CONF

with Flink 1.20.5 for `flink-conf.yaml` and Flink 2.3.0 for `config.yaml`. It must exit 0 and print
the two `BASH_JAVA_UTILS_EXEC_RESULT:` lines (JVM flags, then `-D` memory settings). The
components Flink derives add up to its total process memory; the main container of the matching
Deployment must request (and, without limit factors, be limited to) exactly that, in whole MiB,
as the operator does: `<floor(process bytes / MiB)>Mi` (FO §2.3). A native cluster has no
TaskManager Deployment: its JobManager sizes the TaskManager pods from the same configuration.

For the two basic fixtures the exact -Xmx/-Xms values are pinned (computed by Flink itself).
A missing FLINK_HOME_1 / FLINK_HOME_2 fails these tests; nothing is skipped.
"""

from __future__ import annotations

import pytest

import yaml

from conftest import (
    FIXTURES,
    bash_java_utils_many,
    find_objects,
    fixture_params,
    flatten_nested,
    flink_conf_file_of,
    flink_home_for_conf_file,
    flink_memory_bytes,
    get_object,
    legacy_flink_conf_parse,
    load_input_docs,
    main_container,
    parse_dynamic_params,
    render_fixture,
    render_to_dir,
    require_fixture,
    valid_fixture_paths,
    write_conf_dir,
)

MIB = 1 << 20
FLINK_LABEL = {"flink-conf.yaml": "Flink 1.20.5, flink-conf.yaml", "config.yaml": "Flink 2.3.0, config.yaml"}

# Pinned results. Process sizes come from the fixtures (resources.requests.memory "2048m", which
# Flink/the operator read as 2048 MiB). The -Xmx values were computed by Flink itself:
# - JM 2 GiB → -Xmx1530082096: documented data point (flink-runtime.md §3.2), re-checked with
#   1.20.5 and 2.3.0 (`jobmanager.memory.process.size: 2 gb`), identical on both.
# - TM 2 GiB, 2 slots, default fractions → -Xmx697932173 -XX:MaxDirectMemorySize=300647712:
#   computed once with BashJavaUtils GET_TM_RESOURCE_PARAMS on 1.20.5 and on 2.3.0 (identical).
TWO_GIB_BOTH = {
    "jm_process": 2048 * MIB,
    "tm_process": 2048 * MIB,
    "jm_jvm": ["-Xmx1530082096", "-Xms1530082096", "-XX:MaxMetaspaceSize=268435456"],
    "tm_jvm": ["-Xmx697932173", "-Xms697932173", "-XX:MaxDirectMemorySize=300647712",
               "-XX:MaxMetaspaceSize=268435456"],
}
PINNED = {
    "basic-application-flink-1-20.yaml": {"conf_file": "flink-conf.yaml", **TWO_GIB_BOTH},
    "basic-application.yaml": {"conf_file": "config.yaml", **TWO_GIB_BOTH},
}


# The parts of total process memory in BashJavaUtils' -D output (min == max for the ranges).
JM_PARTS = [
    "jobmanager.memory.heap.size",
    "jobmanager.memory.off-heap.size",
    "jobmanager.memory.jvm-metaspace.size",
    "jobmanager.memory.jvm-overhead.min",
]
TM_PARTS = [
    "taskmanager.memory.framework.heap.size",
    "taskmanager.memory.task.heap.size",
    "taskmanager.memory.framework.off-heap.size",
    "taskmanager.memory.task.off-heap.size",
    "taskmanager.memory.managed.size",
    "taskmanager.memory.network.min",
    "taskmanager.memory.jvm-metaspace.size",
    "taskmanager.memory.jvm-overhead.min",
]


def process_bytes(dyn: dict[str, str], parts: list[str], what: str) -> int:
    missing = [p for p in parts if p not in dyn]
    assert not missing, f"{what}: BashJavaUtils -D output lacks {missing}: {dyn}"
    for lo in ("jobmanager.memory.jvm-overhead", "taskmanager.memory.jvm-overhead", "taskmanager.memory.network"):
        if f"{lo}.min" in dyn:
            assert dyn[f"{lo}.min"] == dyn.get(f"{lo}.max"), f"{what}: {lo}.min != .max"
    return sum(flink_memory_bytes(dyn[p]) for p in parts)


def check_cluster(objects: dict, cm: dict, tmp_path, pinned: dict | None = None) -> list[str]:
    """Run BashJavaUtils on one rendered ConfigMap; return a list of problems."""
    md = cm["metadata"]
    ns = md.get("namespace")
    name = md["name"][len("flink-config-"):]
    conf_file = flink_conf_file_of(cm)
    flink_home = flink_home_for_conf_file(conf_file)
    conf_dir = tmp_path / f"{ns or '_'}-{name}"
    write_conf_dir(cm, conf_dir)
    text = cm["data"][conf_file]
    config = flatten_nested(yaml.safe_load(text) or {}) if conf_file == "config.yaml" else legacy_flink_conf_parse(text)

    native = any(o["metadata"]["name"] == f"pod-template-{name}" and o["metadata"].get("namespace") == ns
                 for o in find_objects(objects, "ConfigMap"))
    jm, tm = bash_java_utils_many([
        (flink_home, "GET_JM_RESOURCE_PARAMS", conf_dir),
        (flink_home, "GET_TM_RESOURCE_PARAMS", conf_dir),
    ])
    errors = []
    if pinned:
        if conf_file != pinned["conf_file"]:
            errors.append(f"{name}: config file is {conf_file}, expected {pinned['conf_file']}")
    for role, res, parts, dep_name in (
        ("jm", jm, JM_PARTS, name),
        ("tm", tm, TM_PARTS, f"{name}-taskmanager"),
    ):
        what = f"{ns + '/' if ns else ''}{name} {role.upper()} ({FLINK_LABEL[conf_file]})"
        if res.returncode != 0 or len(res.result_lines) != 2:
            errors.append(f"{what}: BashJavaUtils failed on the rendered {conf_file}\n{res.describe()}")
            continue
        jvm_line, dyn_line = res.result_lines
        jvm = jvm_line.split()
        xmx = [t for t in jvm if t.startswith("-Xmx")]
        if len(xmx) != 1 or f"-Xms{xmx[0][4:]}" not in jvm:
            errors.append(f"{what}: no single -Xmx/-Xms pair in {jvm_line!r}")
        if pinned:
            want = pinned[f"{role}_jvm"]
            if [t for t in jvm if t.startswith(("-Xm", "-XX:"))] != want:
                errors.append(f"{what}: JVM flags {jvm_line!r}, expected {' '.join(want)}")
        total = process_bytes(parse_dynamic_params(dyn_line), parts, what)
        if pinned and total != pinned[f"{role}_process"]:
            errors.append(f"{what}: Flink's process memory is {total} bytes, expected {pinned[f'{role}_process']}")

        if role == "tm" and native:
            # no TaskManager Deployment: the JobManager sizes the pods it creates from this same
            # configuration (test_native_mode.py compares their JVMs with `flink-render memory`)
            continue
        # The pod is sized for exactly what Flink will use.
        deps = [d for d in find_objects(objects, "Deployment")
                if d["metadata"]["name"] == dep_name and d["metadata"].get("namespace") == ns]
        if len(deps) != 1:
            errors.append(f"{what}: expected one Deployment {dep_name!r} in namespace {ns!r}, found {len(deps)}")
            continue
        resources = main_container(deps[0]).get("resources") or {}
        want_mem = f"{total // MIB}Mi"
        req = (resources.get("requests") or {}).get("memory")
        if req != want_mem:
            errors.append(f"{what}: {dep_name} requests.memory is {req!r}, Flink's process size is {want_mem}")
        # limits = floor(MiB × kubernetes.<component>.memory.limit-factor), factor default 1.0
        factor_key = f"kubernetes.{'jobmanager' if role == 'jm' else 'taskmanager'}.memory.limit-factor"
        factor = float(config.get(factor_key, "1.0"))
        want_lim = f"{int(total // MIB * factor)}Mi"
        lim = (resources.get("limits") or {}).get("memory")
        if lim != want_lim:
            errors.append(f"{what}: {dep_name} limits.memory is {lim!r}, expected {want_lim} ({factor_key} {factor})")
    return errors


@pytest.mark.parametrize("fixture_name", sorted(PINNED))
def test_basic_fixture_memory_pinned(fixture_name, tmp_path, flink_home_1, flink_home_2):
    path = FIXTURES / fixture_name
    assert path.is_file(), f"fixture {path} does not exist"
    objects = render_to_dir(path, tmp_path / "out")
    cms = [o for o in find_objects(objects, "ConfigMap") if o["metadata"]["name"].startswith("flink-config-")]
    assert len(cms) == 1, f"expected one flink-config-* ConfigMap, found {[c['metadata']['name'] for c in cms]}"
    name = [d for d in load_input_docs(path) if d.get("kind") == "FlinkDeployment"][0]["metadata"]["name"]
    cm = get_object(objects, "ConfigMap", f"flink-config-{name}")
    errors = check_cluster(objects, cm, tmp_path / "conf", PINNED[fixture_name])
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("fixture", fixture_params(valid_fixture_paths()))
def test_every_rendered_config_accepted_by_flink(fixture, tmp_path, flink_home_1, flink_home_2):
    """Every ConfigMap any valid fixture renders is accepted by the matching real Flink, and its
    pods are sized for the process memory Flink derives."""
    path = require_fixture(fixture)
    if render_fixture(path).rejected_by_design:
        return
    objects = render_to_dir(path, tmp_path / "out")
    cms = [o for o in find_objects(objects, "ConfigMap") if o["metadata"]["name"].startswith("flink-config-")]
    has_fd = any(d.get("kind") == "FlinkDeployment" and d.get("spec") for d in load_input_docs(path))
    if has_fd:
        assert cms, "a FlinkDeployment rendered without a flink-config-* ConfigMap"
    errors = []
    for cm in cms:
        errors += check_cluster(objects, cm, tmp_path / "conf")
    assert not errors, "\n".join(errors)
