"""Strings that a YAML 1.1 reader would turn into bool / int / float / null must survive rendering.

Many consumers of Kubernetes manifests read YAML 1.1 (PyYAML here; go-yaml v2 style resolvers).
The renderer must quote "on", "yes", "n", "0777", "1.10", "~", "null", "1e3" (and keep "über"
intact) wherever they are string values: labels, env values, and the Flink configuration file.

The expectations are collected by walking the input spec, so the test follows the fixture:
- label values from `spec[.jobManager|.taskManager].podTemplate.metadata.labels` must appear in
  the matching Deployments' pod labels; label values from the FlinkDeployment's own
  `metadata.labels` must be exact wherever that label key shows up in the output;
- env values from the pod templates' containers, and `containerized.{master,taskmanager}.env.*`
  configuration keys, must appear in the matching Deployments' main container env;
- `flinkConfiguration` values (flat or nested in the input) must be in the ConfigMap's Flink
  config file with the same string value:
  * `config.yaml` (Flink 2.x): loaded with PyYAML, flattened with '.', every key and value a str;
    and Flink 2.3 itself (`BashJavaUtils UPDATE_AND_GET_FLINK_CONFIGURATION -flatten`) must read
    the same strings (its YAML 1.2 parser turns plain 0777 into 777 and 1.10 into 1.1, and a
    plain ~ or null makes the whole file fail with "Value must not be null").
  * `flink-conf.yaml` (Flink 1.x): Flink 1.20's legacy reader is *not* YAML: it cuts at '#',
    splits at ': ' and keeps quotes literally (`k: "on"` reads as the 4 characters "on" with
    quotes). So here the oracle is Flink 1.20 itself plus a Python copy of that reader, not PyYAML.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from conftest import (
    FIXTURES,
    bash_java_utils,
    describe,
    flatten_nested,
    flink_conf_file_of,
    flink_home_for_conf_file,
    get_object,
    legacy_flink_conf_parse,
    load_input_docs,
    load_output_docs,
    parse_flattened_config,
    run_flink_render,
    write_conf_dir,
)

TRICKY = ["on", "yes", "n", "0777", "1.10", "~", "null", "1e3", "über"]
FIXTURE = FIXTURES / "yaml-tricky-strings.yaml"

# Operator-only keys never reach the Flink config file (FO §2).
STRIPPED_CONFIG_PREFIXES = ("kubernetes.operator.",)


def _is_tricky(v) -> bool:
    return isinstance(v, str) and v in TRICKY


def _template_labels(pod_template) -> dict:
    return ((pod_template or {}).get("metadata") or {}).get("labels") or {}


def _template_env(pod_template) -> list[tuple[str, str]]:
    out = []
    for c in ((pod_template or {}).get("spec") or {}).get("containers") or []:
        if c.get("name") != "flink-main-container":
            continue
        for e in c.get("env") or []:
            if "value" in e:
                out.append((e["name"], e["value"]))
    return out


def collect_expectations(fd: dict) -> dict:
    """(where, key, value) triples of tricky strings in one FlinkDeployment input document."""
    spec = fd.get("spec") or {}
    jm, tm = spec.get("jobManager") or {}, spec.get("taskManager") or {}
    exp = {"pod_labels": [], "meta_labels": [], "env": [], "config": []}

    # pod labels: component template wins over the common one (FO §3 merge)
    for comp, comp_spec in (("jm", jm), ("tm", tm)):
        labels = dict(_template_labels(spec.get("podTemplate")))
        labels.update(_template_labels(comp_spec.get("podTemplate")))
        exp["pod_labels"] += [(comp, k, v) for k, v in labels.items() if _is_tricky(v)]

    for k, v in ((fd.get("metadata") or {}).get("labels") or {}).items():
        if _is_tricky(v):
            exp["meta_labels"].append(("any", k, v))

    raw_conf = spec.get("flinkConfiguration") or {}
    conf = flatten_nested(raw_conf) if any(isinstance(v, dict) for v in raw_conf.values()) else raw_conf
    for comp, comp_spec, env_prefix in (
        ("jm", jm, "containerized.master.env."),
        ("tm", tm, "containerized.taskmanager.env."),
    ):
        env = dict(_template_env(spec.get("podTemplate")))
        env.update(dict(_template_env(comp_spec.get("podTemplate"))))
        env.update({k[len(env_prefix):]: v for k, v in conf.items() if k.startswith(env_prefix)})
        exp["env"] += [(comp, k, v) for k, v in env.items() if _is_tricky(v)]

    exp["config"] = [
        ("config", k, v)
        for k, v in conf.items()
        if _is_tricky(v) and not k.startswith(STRIPPED_CONFIG_PREFIXES)
    ]
    return exp


def _input_flink_deployments(path: Path) -> list[dict]:
    fds = [d for d in load_input_docs(path) if d.get("kind") == "FlinkDeployment"]
    assert fds, f"{path.name} has no FlinkDeployment"
    return fds


def _variant_text(variant: str) -> str:
    """The fixture as written (Flink 2.x, nested config.yaml), or the same spec switched to Flink
    1.20 so the flat flink-conf.yaml path and Flink 1.20's legacy reader are covered too."""
    text = FIXTURE.read_text(encoding="utf-8")
    if variant == "flink-1.20":
        text, n = re.subn(r"(?m)^(\s*)flinkVersion:.*$", r"\1flinkVersion: v1_20", text)
        assert n >= 1, f"{FIXTURE.name} has no flinkVersion line to switch"
        text = re.sub(r"(?m)^(\s*)image:\s*flink:2[^\s]*\s*$", r"\1image: flink:1.20", text)
    return text


@pytest.fixture(scope="module", params=["as-written", "flink-1.20"])
def rendered(request):
    assert FIXTURE.is_file(), f"fixture {FIXTURE} does not exist"
    text = _variant_text(request.param)
    proc = run_flink_render(["render", "-"], stdin=text)
    assert proc.returncode == 0, describe(proc)
    fds = [d for d in yaml.safe_load_all(text) if d and d.get("kind") == "FlinkDeployment"]
    assert fds, f"{FIXTURE.name} has no FlinkDeployment"
    return proc.stdout, load_output_docs(proc.stdout), fds


def test_fixture_exercises_every_tricky_string():
    """Guard against a fixture edit that silently stops testing something (e.g. an unquoted
    `on` in the input is already a bool to PyYAML and would not be collected)."""
    seen = set()
    for fd in _input_flink_deployments(FIXTURE):
        for triples in collect_expectations(fd).values():
            seen.update(v for _, _, v in triples)
    missing = [s for s in TRICKY if s not in seen]
    assert not missing, f"{FIXTURE.name} no longer contains these quoted strings: {missing}"


def _deployment(objects, fd: dict, comp: str) -> dict:
    name = fd["metadata"]["name"]
    return get_object(objects, "Deployment", name if comp == "jm" else f"{name}-taskmanager")


def test_labels_stay_strings(rendered):
    _, objects, fds = rendered
    errors = []
    for fd in fds:
        exp = collect_expectations(fd)
        for comp, key, value in exp["pod_labels"]:
            dep = _deployment(objects, fd, comp)
            labels = dep["spec"]["template"].get("metadata", {}).get("labels") or {}
            if key not in labels:
                errors.append(f"{dep['metadata']['name']}: pod label {key!r} missing")
            elif labels[key] != value or type(labels[key]) is not str:
                errors.append(f"{dep['metadata']['name']}: pod label {key}: {labels[key]!r} != {value!r}")
        for _, key, value in exp["meta_labels"]:
            for obj in objects:
                for where, labels in (
                    ("metadata", (obj.get("metadata") or {}).get("labels") or {}),
                    ("pod", ((((obj.get("spec") or {}).get("template") or {}).get("metadata")) or {}).get("labels") or {}),
                ):
                    if key in labels and (labels[key] != value or type(labels[key]) is not str):
                        errors.append(
                            f"{obj['kind']} {obj['metadata']['name']} {where} label {key}: "
                            f"{labels[key]!r} != {value!r}"
                        )
    assert not errors, "\n".join(errors)


def test_env_values_stay_strings(rendered):
    _, objects, fds = rendered
    errors = []
    for fd in fds:
        for comp, name, value in collect_expectations(fd)["env"]:
            dep = _deployment(objects, fd, comp)
            containers = [c for c in dep["spec"]["template"]["spec"]["containers"] if c["name"] == "flink-main-container"]
            env = [e for c in containers for e in c.get("env") or [] if e.get("name") == name]
            if not env:
                errors.append(f"{dep['metadata']['name']}: env {name} missing")
            for e in env:
                if e.get("value") != value or type(e.get("value")) is not str:
                    errors.append(f"{dep['metadata']['name']}: env {name}: {e.get('value')!r} != {value!r}")
    assert not errors, "\n".join(errors)


def test_flink_config_values_stay_strings(rendered, tmp_path):
    _, objects, fds = rendered
    errors = []
    for fd in fds:
        expected = collect_expectations(fd)["config"]
        cm = get_object(objects, "ConfigMap", f"flink-config-{fd['metadata']['name']}")
        conf_file = flink_conf_file_of(cm)
        text = cm["data"][conf_file]

        if conf_file == "config.yaml":
            loaded = yaml.safe_load(text)
            assert isinstance(loaded, dict), f"config.yaml does not load as a mapping: {loaded!r:.200}"
            ours = flatten_nested(loaded)  # asserts every key is a str
        else:
            ours = legacy_flink_conf_parse(text)

        conf_dir = tmp_path / fd["metadata"]["name"]
        write_conf_dir(cm, conf_dir)
        res = bash_java_utils(
            flink_home_for_conf_file(conf_file), "UPDATE_AND_GET_FLINK_CONFIGURATION", conf_dir, "-flatten"
        )
        assert res.returncode == 0, f"Flink cannot read the rendered {conf_file}\n{res.describe()}"
        flinks = parse_flattened_config(res, conf_file)

        reader = "PyYAML" if conf_file == "config.yaml" else "legacy-reader copy"
        for _, key, value in expected:
            if key not in ours:
                errors.append(f"{conf_file}: key {key!r} missing ({reader})")
            elif ours[key] != value or type(ours[key]) is not str:
                errors.append(f"{conf_file}: {key}: {reader} reads {ours[key]!r}, expected {value!r}")
            if key not in flinks:
                errors.append(f"{conf_file}: key {key!r} missing (Flink's own reading)")
            elif flinks[key] != value:
                errors.append(f"{conf_file}: {key}: Flink reads {flinks[key]!r}, expected {value!r}")
    assert not errors, "\n".join(errors)


# Beyond PyYAML: `n` and `1e3` load as str in PyYAML, but `n` is a bool for other YAML 1.1
# readers (go-yaml v2) and `1e3` is a float in YAML 1.2. So every ambiguous string must be
# *quoted* (or a block scalar) wherever it is emitted, checked on PyYAML's node tree (which
# keeps the scalar style). flink-conf.yaml is exempt: Flink 1.x needs it plain (see above).
AMBIGUOUS = [s for s in TRICKY if s != "über"]


def _plain_ambiguous_scalars(text: str, where: str) -> list[str]:
    found = []

    def walk(node, path):
        if isinstance(node, yaml.ScalarNode):
            if node.value in AMBIGUOUS and node.style in (None, ""):
                found.append(f"{where}: {path or '<root>'}: plain {node.value!r} (line {node.start_mark.line + 1})")
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                walk(k, f"{path}.<key>")
                walk(v, f"{path}.{k.value}" if isinstance(k, yaml.ScalarNode) else path)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, f"{path}[{i}]")

    for i, doc in enumerate(yaml.compose_all(text)):
        walk(doc, f"doc{i}")
    return found


def test_ambiguous_strings_are_quoted(rendered):
    text, objects, _ = rendered
    found = _plain_ambiguous_scalars(text, "output")
    for cm in (o for o in objects if o.get("kind") == "ConfigMap"):
        inner = (cm.get("data") or {}).get("config.yaml")
        if inner is not None:
            found += _plain_ambiguous_scalars(inner, f"ConfigMap {cm['metadata']['name']} config.yaml")
    assert not found, "unquoted ambiguous scalars:\n" + "\n".join(found)
