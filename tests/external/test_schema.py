"""The committed input schemas (schema/*.schema.json, schema/*.crd.yaml) against the operator's
official CRDs, checked with check-jsonschema (a JSON Schema validator independent of our code).

- Every FlinkDeployment / FlinkSessionJob document in fixtures/upstream/*.yaml that the official
  CRD schema accepts is accepted by our JSON Schema, and by the openAPIV3Schema of our CRD.
- Every local valid fixture is accepted by our JSON Schema, the deprecated FLIP-212 spellings
  (fixtures/seed-aliases.yaml) included.
- Our JSON Schema rejects the schema errors among the invalid fixtures: those whose golden
  diagnostics (golden/invalid_fixtures@*.snap) are `unknown-field` or `invalid-type`, at the
  path the diagnostic names.
- Our CRDs are valid CustomResourceDefinition objects for Kubernetes 1.30 … 1.37 (strict).

"Accepted by the official CRD" means what the API server does: unknown fields are pruned, not
rejected. The CRD → JSON Schema conversion follows reference/ecosystem.md §2.5 (crd2schema):
the storage version's openAPIV3Schema plus apiVersion/kind enums and the required top-level fields.
check-jsonschema reads one document per file, so multi-document inputs are split first; it runs
once per schema over all documents.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from conftest import FIXTURES, REPO, UPSTREAM, load_input_docs, valid_fixture_paths

SCHEMA_DIR = REPO / "schema"
OFFICIAL_CRDS = UPSTREAM / "crds"
GOLDEN = REPO / "golden"
FLINK_KINDS = ("FlinkDeployment", "FlinkSessionJob")
KUBERNETES_VERSIONS = [f"1.{minor}.0" for minor in range(30, 38)]
SCHEMA_ERROR_CODES = ("unknown-field", "invalid-type")
CHECK_TIMEOUT_S = 300

OUR_SCHEMAS = {
    "FlinkDeployment": SCHEMA_DIR / "flinkdeployment.schema.json",
    "FlinkSessionJob": SCHEMA_DIR / "flinksessionjob.schema.json",
}
OUR_CRDS = {
    "FlinkDeployment": SCHEMA_DIR / "flinkdeployments.flink.apache.org.crd.yaml",
    "FlinkSessionJob": SCHEMA_DIR / "flinksessionjobs.flink.apache.org.crd.yaml",
}
OFFICIAL_CRD_FILES = {
    "FlinkDeployment": OFFICIAL_CRDS / "flinkdeployments.flink.apache.org-v1.yml",
    "FlinkSessionJob": OFFICIAL_CRDS / "flinksessionjobs.flink.apache.org-v1.yml",
}


def crd_to_json_schema(crd_path: Path, out: Path) -> Path:
    """The storage version's openAPIV3Schema as a draft-07 JSON Schema for whole documents."""
    crd = yaml.safe_load(crd_path.read_text(encoding="utf-8"))
    version = next(v for v in crd["spec"]["versions"] if v.get("storage"))
    schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
    group = crd["spec"]["group"]
    schema.setdefault("properties", {})
    schema["properties"]["apiVersion"] = {"type": "string", "enum": [f"{group}/{version['name']}"]}
    schema["properties"]["kind"] = {"type": "string", "enum": [crd["spec"]["names"]["kind"]]}
    schema["properties"]["metadata"] = {"type": "object"}
    schema["required"] = ["apiVersion", "kind"]
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    out.write_text(json.dumps(schema, indent=1, sort_keys=True), encoding="utf-8")
    return out


def split_documents(paths: list[Path], out_dir: Path) -> dict[str, list[tuple[str, Path]]]:
    """Write each Flink document of `paths` to its own JSON file: kind -> [(id, file)]."""
    out_dir.mkdir(parents=True, exist_ok=True)
    by_kind: dict[str, list[tuple[str, Path]]] = {kind: [] for kind in FLINK_KINDS}
    for path in paths:
        for index, doc in enumerate(load_input_docs(path)):
            if not isinstance(doc, dict) or doc.get("kind") not in FLINK_KINDS:
                continue
            doc_id = f"{path.relative_to(FIXTURES).as_posix()}#{index}"
            file = out_dir / f"{path.stem}.{index}.json"
            file.write_text(json.dumps(doc), encoding="utf-8")
            by_kind[doc["kind"]].append((doc_id, file))
    return by_kind


def check_jsonschema(schema: Path, files: list[Path]) -> dict[Path, list[str]]:
    """Run check-jsonschema once; returns the errors of every file (empty list: accepted)."""
    errors: dict[Path, list[str]] = {file: [] for file in files}
    if not files:
        return errors
    proc = subprocess.run(
        ["check-jsonschema", "--schemafile", str(schema), "-o", "json", *map(str, files)],
        capture_output=True, text=True, encoding="utf-8", timeout=CHECK_TIMEOUT_S,
    )
    assert proc.returncode in (0, 1), f"check-jsonschema crashed (exit {proc.returncode}):\n{proc.stderr}"
    report = json.loads(proc.stdout)
    assert not report.get("parse_errors"), f"check-jsonschema could not read inputs: {report['parse_errors']}"
    for error in report["errors"]:
        errors[Path(error["filename"])].append(f"{error['path']}: {error['message']}")
    return errors


def test_upstream_documents_accepted_officially_are_accepted_by_our_schemas(tmp_path):
    upstream = sorted(p for p in UPSTREAM.glob("*.yaml") if p.is_file())
    assert upstream, f"no upstream fixtures under {UPSTREAM}"
    documents = split_documents(upstream, tmp_path / "docs")
    failures = []
    for kind, docs in documents.items():
        assert docs, f"no upstream {kind} documents"
        files = [file for _, file in docs]
        official = check_jsonschema(crd_to_json_schema(OFFICIAL_CRD_FILES[kind], tmp_path / f"{kind}.official.json"), files)
        accepted = [(doc_id, file) for doc_id, file in docs if not official[file]]
        assert accepted, f"the official {kind} CRD accepts none of the upstream {kind} documents"
        accepted_files = [file for _, file in accepted]
        ours = check_jsonschema(OUR_SCHEMAS[kind], accepted_files)
        ours_crd = check_jsonschema(crd_to_json_schema(OUR_CRDS[kind], tmp_path / f"{kind}.ours-crd.json"), accepted_files)
        for doc_id, file in accepted:
            for name, result in (("schema", ours), ("CRD", ours_crd)):
                if result[file]:
                    failures.append(f"{doc_id}: our {kind} {name} rejects: {'; '.join(result[file])}")
    assert not failures, "\n".join(failures)


def test_local_fixtures_are_accepted_by_our_schema(tmp_path):
    local = [p for p in valid_fixture_paths() if UPSTREAM not in p.parents]
    documents = split_documents(local, tmp_path / "docs")
    assert any(doc_id.startswith("seed-aliases.yaml#") for doc_id, _ in documents["FlinkDeployment"]), (
        "fixtures/seed-aliases.yaml (FLIP-212 spellings) is missing"
    )
    failures = []
    for kind, docs in documents.items():
        result = check_jsonschema(OUR_SCHEMAS[kind], [file for _, file in docs])
        failures += [f"{doc_id}: {'; '.join(result[file])}" for doc_id, file in docs if result[file]]
    assert not failures, "our schema rejects valid fixtures:\n" + "\n".join(failures)


DIAGNOSTIC = re.compile(r"^error\[(?P<code>[a-z-]+)\]: .*\((?P<path>[A-Za-z0-9_.\[\]-]+)\)$", re.MULTILINE)


def schema_error_fixtures() -> list[tuple[Path, list[tuple[str, str]]]]:
    """Invalid fixtures whose golden diagnostics include a schema error: (fixture, [(code, path)])."""
    found = []
    for snap in sorted(GOLDEN.glob("invalid_fixtures@*.snap")):
        fixture = FIXTURES / "invalid" / snap.name.removeprefix("invalid_fixtures@").removesuffix(".snap")
        errors = [
            (m["code"], m["path"])
            for m in DIAGNOSTIC.finditer(snap.read_text(encoding="utf-8"))
            if m["code"] in SCHEMA_ERROR_CODES
        ]
        if errors and fixture.is_file():
            found.append((fixture, errors))
    return found


def test_schema_error_fixtures_exist():
    codes = {code for _, errors in schema_error_fixtures() for code, _ in errors}
    assert codes == set(SCHEMA_ERROR_CODES), f"golden invalid fixtures cover only {sorted(codes)}"


@pytest.mark.parametrize(
    "fixture,errors",
    [pytest.param(f, e, id=f.name) for f, e in schema_error_fixtures()] or [pytest.param(None, None, id="none-found")],
)
def test_our_schema_rejects_schema_errors(fixture, errors, tmp_path):
    assert fixture is not None, "no invalid fixture has an unknown-field or invalid-type golden diagnostic"
    documents = split_documents([fixture], tmp_path)
    reported = []
    for kind, docs in documents.items():
        result = check_jsonschema(OUR_SCHEMAS[kind], [file for _, file in docs])
        reported += [message for _, file in docs for message in result[file]]
    assert reported, f"our schema accepts {fixture.name}, which flink-render rejects with {errors}"
    for code, path in errors:
        parent, _, field = path.rpartition(".")
        if code == "unknown-field":
            where = f"$.{parent}" if parent else "$"
            expected = f"{where}: Additional properties are not allowed ('{field}' was unexpected)"
            assert expected in reported, f"{code} at {path}: check-jsonschema reported {reported}"
        else:
            assert any(message.startswith(f"$.{path}: ") for message in reported), (
                f"{code} at {path}: check-jsonschema reported {reported}"
            )


@pytest.mark.parametrize("kind", FLINK_KINDS)
def test_our_crds_are_valid_for_every_kubernetes_version(kind):
    crd = yaml.safe_load(OUR_CRDS[kind].read_text(encoding="utf-8"))
    errors = []
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(crd, version, strict=True)
        except (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError) as e:
            errors.append(f"Kubernetes {version}: {e.message}")
    assert not errors, "\n".join(errors)
    names = crd["spec"]["names"]
    official = yaml.safe_load(OFFICIAL_CRD_FILES[kind].read_text(encoding="utf-8"))
    assert names == official["spec"]["names"], "names and short names differ from the official CRD"
    assert crd["spec"]["scope"] == official["spec"]["scope"] == "Namespaced"
    assert crd["spec"]["group"] == official["spec"]["group"]
