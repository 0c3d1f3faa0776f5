"""flink-render's memory model against Flink's own (issue 3).

Each row is a JobManager or TaskManager memory configuration. The same keys go (a) into a
FlinkDeployment's flinkConfiguration, rendered by `flink-render memory`, and (b) into a
config.yaml that Flink 2.3.0's BashJavaUtils reads (GET_JM_RESOURCE_PARAMS /
GET_TM_RESOURCE_PARAMS, exactly as the start-up scripts call it). Every JVM size must match to
the byte, and every configuration Flink rejects must be rejected by flink-render with Flink's
own message.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import bash_java_utils, describe, run_flink_render

JM, TM = "jobmanager", "taskmanager"

ROWS = [
    # --- JobManager: process size only -----------------------------------------------------
    ("jm-process-1600m", JM, {"jobmanager.memory.process.size": "1600m"}),
    ("jm-process-1g", JM, {"jobmanager.memory.process.size": "1g"}),
    ("jm-process-2-gb-operator-form", JM, {"jobmanager.memory.process.size": "2 gb"}),
    ("jm-process-4g", JM, {"jobmanager.memory.process.size": "4g"}),
    ("jm-process-16g-overhead-max-clamp", JM, {"jobmanager.memory.process.size": "16g"}),
    ("jm-process-bytes", JM, {"jobmanager.memory.process.size": "1500000000"}),
    # --- JobManager: flink size, heap, off-heap, fractions -----------------------------------
    ("jm-flink-size-only", JM, {"jobmanager.memory.flink.size": "1280m"}),
    ("jm-heap-only", JM, {"jobmanager.memory.heap.size": "1g"}),
    ("jm-heap-and-flink-derives-off-heap", JM, {"jobmanager.memory.heap.size": "1g", "jobmanager.memory.flink.size": "1536m"}),
    ("jm-heap-off-heap-flink-consistent", JM, {"jobmanager.memory.heap.size": "1g", "jobmanager.memory.off-heap.size": "256m", "jobmanager.memory.flink.size": "1280m"}),
    ("jm-heap-and-process", JM, {"jobmanager.memory.heap.size": "1g", "jobmanager.memory.process.size": "1800m"}),
    ("jm-overhead-fraction-0.25", JM, {"jobmanager.memory.process.size": "2g", "jobmanager.memory.jvm-overhead.fraction": "0.25"}),
    ("jm-metaspace-512m", JM, {"jobmanager.memory.process.size": "2g", "jobmanager.memory.jvm-metaspace.size": "512m"}),
    ("jm-direct-memory-limit", JM, {"jobmanager.memory.process.size": "2g", "jobmanager.memory.enable-jvm-direct-memory-limit": "true", "jobmanager.memory.off-heap.size": "256m"}),
    ("jm-overhead-min-max-fixed", JM, {"jobmanager.memory.process.size": "2g", "jobmanager.memory.jvm-overhead.min": "300m", "jobmanager.memory.jvm-overhead.max": "300m"}),
    # --- JobManager: rejected ----------------------------------------------------------------
    ("jm-too-small-500m", JM, {"jobmanager.memory.process.size": "500m"}),
    ("jm-heap-exceeds-flink", JM, {"jobmanager.memory.heap.size": "2g", "jobmanager.memory.flink.size": "1g"}),
    ("jm-heap-off-heap-flink-inconsistent", JM, {"jobmanager.memory.heap.size": "1g", "jobmanager.memory.off-heap.size": "128m", "jobmanager.memory.flink.size": "2g"}),
    ("jm-heap-and-process-overhead-out-of-range", JM, {"jobmanager.memory.heap.size": "1g", "jobmanager.memory.process.size": "4g"}),
    ("jm-unknown-unit", JM, {"jobmanager.memory.process.size": "1600 megs"}),
    # --- TaskManager: process size only ------------------------------------------------------
    ("tm-process-1728m", TM, {"taskmanager.memory.process.size": "1728m"}),
    ("tm-process-2-gb-operator-form", TM, {"taskmanager.memory.process.size": "2 gb"}),
    ("tm-process-4g", TM, {"taskmanager.memory.process.size": "4g"}),
    ("tm-process-20g-overhead-max-clamp", TM, {"taskmanager.memory.process.size": "20g"}),
    ("tm-process-1g-network-min-clamp", TM, {"taskmanager.memory.process.size": "1g"}),
    ("tm-process-bytes", TM, {"taskmanager.memory.process.size": "3000000000"}),
    # --- TaskManager: flink size, fine-grained, fractions -----------------------------------
    ("tm-flink-size-only", TM, {"taskmanager.memory.flink.size": "1280m"}),
    ("tm-task-heap-and-managed", TM, {"taskmanager.memory.task.heap.size": "512m", "taskmanager.memory.managed.size": "512m"}),
    ("tm-task-heap-managed-and-flink", TM, {"taskmanager.memory.task.heap.size": "512m", "taskmanager.memory.managed.size": "512m", "taskmanager.memory.flink.size": "1536m"}),
    ("tm-task-heap-and-flink", TM, {"taskmanager.memory.task.heap.size": "512m", "taskmanager.memory.flink.size": "1536m"}),
    ("tm-managed-size-and-process", TM, {"taskmanager.memory.process.size": "2g", "taskmanager.memory.managed.size": "256m"}),
    ("tm-managed-fraction-0.1", TM, {"taskmanager.memory.process.size": "2g", "taskmanager.memory.managed.fraction": "0.1"}),
    ("tm-managed-fraction-0.7", TM, {"taskmanager.memory.process.size": "4g", "taskmanager.memory.managed.fraction": "0.7"}),
    ("tm-network-fraction-0.2", TM, {"taskmanager.memory.process.size": "2g", "taskmanager.memory.network.fraction": "0.2"}),
    ("tm-network-max-clamp", TM, {"taskmanager.memory.process.size": "8g", "taskmanager.memory.network.max": "256m"}),
    ("tm-deprecated-network-keys", TM, {"taskmanager.memory.process.size": "2g", "taskmanager.network.memory.fraction": "0.15", "taskmanager.network.memory.min": "128m"}),
    ("tm-task-off-heap-and-framework", TM, {"taskmanager.memory.process.size": "3g", "taskmanager.memory.task.off-heap.size": "256m", "taskmanager.memory.framework.heap.size": "256m"}),
    ("tm-overhead-fraction-0.2", TM, {"taskmanager.memory.process.size": "3g", "taskmanager.memory.jvm-overhead.fraction": "0.2"}),
    ("tm-flink-and-process", TM, {"taskmanager.memory.flink.size": "1280m", "taskmanager.memory.process.size": "1728m"}),
    # --- TaskManager: rejected ---------------------------------------------------------------
    ("tm-too-small-500m", TM, {"taskmanager.memory.process.size": "500m"}),
    ("tm-task-heap-alone", TM, {"taskmanager.memory.task.heap.size": "512m"}),
    ("tm-managed-plus-heap-exceed-flink", TM, {"taskmanager.memory.task.heap.size": "1g", "taskmanager.memory.managed.size": "1g", "taskmanager.memory.flink.size": "1g"}),
    ("tm-network-rest-out-of-range", TM, {"taskmanager.memory.task.heap.size": "512m", "taskmanager.memory.managed.size": "512m", "taskmanager.memory.flink.size": "1300m"}),
    ("tm-flink-and-process-overhead-out-of-range", TM, {"taskmanager.memory.flink.size": "1g", "taskmanager.memory.process.size": "4g"}),
    ("tm-bad-fraction", TM, {"taskmanager.memory.process.size": "2g", "taskmanager.memory.managed.fraction": "1.5"}),
    ("tm-unknown-unit", TM, {"taskmanager.memory.process.size": "1728 megs"}),
]

# -D keys BashJavaUtils prints, and the breakdown field each must equal.
TM_PARTS = {
    "taskmanager.memory.framework.heap.size": "frameworkHeap",
    "taskmanager.memory.task.heap.size": "taskHeap",
    "taskmanager.memory.framework.off-heap.size": "frameworkOffHeap",
    "taskmanager.memory.task.off-heap.size": "taskOffHeap",
    "taskmanager.memory.network.min": "network",
    "taskmanager.memory.network.max": "network",
    "taskmanager.memory.managed.size": "managed",
    "taskmanager.memory.jvm-metaspace.size": "jvmMetaspace",
    "taskmanager.memory.jvm-overhead.min": "jvmOverhead",
    "taskmanager.memory.jvm-overhead.max": "jvmOverhead",
}
JM_PARTS = {
    "jobmanager.memory.heap.size": "jvmHeap",
    "jobmanager.memory.off-heap.size": "offHeap",
    "jobmanager.memory.jvm-metaspace.size": "jvmMetaspace",
    "jobmanager.memory.jvm-overhead.min": "jvmOverhead",
    "jobmanager.memory.jvm-overhead.max": "jvmOverhead",
}


def test_table_is_large_enough():
    assert sum(1 for row in ROWS if row[1] == JM) >= 15
    assert sum(1 for row in ROWS if row[1] == TM) >= 15
    assert len({row[0] for row in ROWS}) == len(ROWS), "row ids are unique"


def spec_for(process: str, config: dict[str, str]) -> str:
    """A FlinkDeployment whose `process` has memory only through `config`; the other process
    gets an ordinary size."""
    other = {
        JM: {"taskManager": {"resources": {"requests": {"memory": "1728m", "cpu": "1"}}}},
        TM: {"jobManager": {"resources": {"requests": {"memory": "1600m", "cpu": "1"}}}},
    }[process]
    own_key = "jobManager" if process == JM else "taskManager"
    spec = {
        "apiVersion": "flink.apache.org/v1beta1",
        "kind": "FlinkDeployment",
        "metadata": {"name": "memory-table", "namespace": "default"},
        "spec": {
            "image": "flink:2.2",
            "flinkVersion": "v2_2",
            "mode": "standalone",
            "serviceAccount": "flink",
            "flinkConfiguration": dict(config),
            own_key: {"resources": {"requests": {"cpu": "1"}}},
            **other,
        },
    }
    return yaml.safe_dump(spec, sort_keys=False)


def flink_message(output: str) -> str:
    """The innermost IllegalConfigurationException message Flink printed (first line)."""
    messages = re.findall(r"IllegalConfigurationException: (.*)", output)
    assert messages, f"no IllegalConfigurationException in Flink's output:\n{output}"
    return messages[0].strip()


@pytest.mark.parametrize("row_id,process,config", ROWS, ids=[row[0] for row in ROWS])
def test_memory_matches_flink(row_id, process, config, tmp_path: Path, flink_home_2):
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_for(process, config), encoding="utf-8")
    ours = run_flink_render(["memory", str(spec), "--format", "json"])

    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    (conf_dir / "config.yaml").write_text(yaml.safe_dump(dict(config)), encoding="utf-8")
    command = "GET_JM_RESOURCE_PARAMS" if process == JM else "GET_TM_RESOURCE_PARAMS"
    flink = bash_java_utils(flink_home_2, command, conf_dir)

    if flink.returncode != 0:
        assert ours.returncode == 1, f"Flink rejects {config}, flink-render must too\n{describe(ours)}"
        assert ours.stdout == "", "nothing on stdout for invalid input"
        expected = flink_message(flink.output)
        if expected.endswith("need to be configured explicitly."):
            # Nothing usable is configured: flink-render reports it as the operator does (FO §6
            # rules 18/24), pointing at the spec field to set.
            expected = "resource memory must be defined using"
        assert expected in ours.stderr, f"Flink says:\n  {expected}\nflink-render says:\n{ours.stderr}"
        return

    assert ours.returncode == 0, f"Flink accepts {config}, flink-render must too\n{describe(ours)}"
    jvm_line, dynamic_line = flink.result_lines
    [cluster] = json.loads(ours.stdout)
    breakdown = cluster[process]
    assert breakdown["jvmArgs"] == jvm_line.strip(), f"JVM arguments differ for {config}"
    dynamic = dict(re.findall(r"-D ([^=\s]+)=(\S+)", dynamic_line))
    parts = JM_PARTS if process == JM else TM_PARTS
    for key, field in parts.items():
        assert dynamic[key] == f"{breakdown[field]}b", f"{key}: Flink {dynamic[key]}, flink-render {breakdown[field]}b"
