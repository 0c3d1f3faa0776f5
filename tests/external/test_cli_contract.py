"""The CLI contract of `flink-render render` (DESIGN §4), checked from outside on every fixture:

- `--format json` is one `{"apiVersion": "v1", "kind": "List", "items": [...]}` whose items equal
  the YAML output read by a YAML 1.1 reader (so any YAML 1.1 ambiguity — an unquoted `on`,
  `0777`, a date-like string — shows up as a difference);
- `--output-dir` writes exactly one file per object, named `<kind>_<name>.yaml` or
  `<namespace>_<kind>_<name>.yaml`, holding the same object as stdout;
- the output is deterministic, and reading the spec from stdin (`-`) gives the same output;
- invalid input exits 1 with diagnostics on stderr, nothing on stdout, nothing in --output-dir;
- usage and IO errors exit 2.
"""

from __future__ import annotations

import json

import pytest

from conftest import (
    FIXTURES,
    default_render_args,
    describe,
    fixture_args,
    fixture_id,
    fixture_params,
    invalid_fixture_paths,
    load_output_docs,
    render_fixture,
    require_fixture,
    run_flink_render,
    valid_fixture_paths,
)


def expected_file_name(obj: dict) -> str:
    md = obj["metadata"]
    base = f"{obj['kind'].lower()}_{md['name']}.yaml"
    return f"{md['namespace']}_{base}" if md.get("namespace") else base


@pytest.mark.parametrize("fixture", fixture_params(valid_fixture_paths()))
def test_json_equals_yaml(fixture):
    path = require_fixture(fixture)
    rendered = render_fixture(path)
    if rendered.rejected_by_design:
        return
    proc = run_flink_render(default_render_args(path) + ["--format", "json"])
    assert proc.returncode == 0, describe(proc)
    doc = json.loads(proc.stdout)
    assert doc.get("apiVersion") == "v1" and doc.get("kind") == "List", f"not a v1 List: {str(doc)[:200]}"
    assert set(doc) <= {"apiVersion", "kind", "items", "metadata"}, sorted(doc)
    items = doc["items"]
    from_yaml = rendered.objects
    assert len(items) == len(from_yaml), f"{len(items)} JSON items vs {len(from_yaml)} YAML documents"
    for i, (j, y) in enumerate(zip(items, from_yaml)):
        assert j == y, (
            f"object {i} ({j.get('kind')} {j.get('metadata', {}).get('name')}) differs between "
            "--format json and the YAML output read as YAML 1.1"
        )


@pytest.mark.parametrize("fixture", fixture_params(valid_fixture_paths()))
def test_output_dir_matches_stdout(fixture, tmp_path):
    path = require_fixture(fixture)
    rendered = render_fixture(path)
    if rendered.rejected_by_design:
        return
    out = tmp_path / "out"
    proc = run_flink_render(default_render_args(path) + ["--output-dir", str(out)])
    assert proc.returncode == 0, describe(proc)
    objects = rendered.objects
    expected = {expected_file_name(o): o for o in objects}
    assert len(expected) == len(objects), "two objects map to the same --output-dir file name"
    written = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert written == sorted(expected), f"files written: {written}\nexpected: {sorted(expected)}"
    for name, obj in expected.items():
        docs = load_output_docs((out / name).read_text(encoding="utf-8"))
        assert docs == [obj], f"{name} differs from the object on stdout"


@pytest.mark.parametrize("fixture", fixture_params(valid_fixture_paths()))
def test_deterministic_and_stdin(fixture):
    path = require_fixture(fixture)
    rendered = render_fixture(path)
    if rendered.rejected_by_design:
        return
    again = run_flink_render(default_render_args(path))
    assert again.returncode == 0 and again.stdout == rendered.text, "second render differs from the first"
    args = default_render_args(path)
    args[args.index(str(path))] = "-"
    via_stdin = run_flink_render(args, stdin=path.read_text(encoding="utf-8"))
    assert via_stdin.returncode == 0, describe(via_stdin)
    assert via_stdin.stdout == rendered.text, "rendering from stdin differs from rendering the file"


# fixtures/invalid/ may not exist yet: then this collects as one "empty parameter set" skip.
@pytest.mark.parametrize("fixture", [pytest.param(p, id=fixture_id(p)) for p in invalid_fixture_paths()])
def test_invalid_input_exits_1(fixture, tmp_path):
    path = require_fixture(fixture)
    out = tmp_path / "out"
    # A fixture may ask for arguments on a `# flink-render: ARGS` line (as tests/golden.rs reads
    # them); `krm` runs the KRM function with the fixture on stdin.
    text = path.read_text(encoding="utf-8", errors="replace")
    args = fixture_args(path)
    if args[:1] == ["krm"]:
        proc = run_flink_render(["krm"], stdin=text)
    else:
        proc = run_flink_render(["render", str(path), "--output-dir", str(out), *args])
    assert proc.returncode == 1, describe(proc)
    assert proc.stdout == "", f"stdout must be empty on invalid input\n{describe(proc)}"
    assert proc.stderr.strip(), "no diagnostics on stderr"
    assert not out.exists() or not any(out.iterdir()), f"files written on invalid input: {list(out.iterdir())}"


def test_invalid_stdin_exits_1():
    bad = (
        "apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata:\n  name: bad\n"
        "spec:\n  image: flink:2.2\n  flinkVersion: v2_2\n  mode: standalone\n  serviceAccount: flink\n"
        "  jobManager:\n    resource:\n      memory: invalid\n      cpu: 1\n"
        "  taskManager:\n    resource:\n      memory: invalid\n      cpu: 1\n"
    )
    proc = run_flink_render(["render", "-"], stdin=bad)
    assert proc.returncode == 1, describe(proc)
    assert proc.stdout == "" and proc.stderr.strip(), describe(proc)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["render", "fixtures/does-not-exist.yaml"], id="missing-file"),
        pytest.param(["render", "fixtures/basic-application.yaml", "--format", "xml"], id="bad-format"),
        pytest.param(["render", "fixtures/basic-application.yaml", "--no-such-flag"], id="unknown-flag"),
    ],
)
def test_usage_and_io_errors_exit_2(args):
    proc = run_flink_render(args)
    assert proc.returncode == 2, describe(proc)
    assert proc.stdout == "", describe(proc)
    assert proc.stderr.strip(), describe(proc)


def test_a_session_cluster_rendered_elsewhere_is_a_reference(tmp_path):
    """`--reference`: the session jobs of a fixture rendered apart from their cluster, with the
    cluster's spec as a reference, come out exactly as in the run that renders both (the cluster's
    objects from its own run); an error in the reference still fails the run, named after it."""
    path = require_fixture(FIXTURES / "session-jobs-from-artifact-server.yaml")
    comments, _, body = path.read_text(encoding="utf-8").partition("apiVersion:")
    cluster, *jobs = ("apiVersion:" + body).split("\n---\n")
    (tmp_path / "cluster.yaml").write_text(cluster + "\n", encoding="utf-8")
    (tmp_path / "jobs.yaml").write_text("\n---\n".join(jobs), encoding="utf-8")
    args = fixture_args(path)
    together = run_flink_render(["render", str(path), *args])
    apart = [
        run_flink_render(["render", str(tmp_path / "cluster.yaml"), *args]),
        run_flink_render(["render", str(tmp_path / "jobs.yaml"), "--reference", str(tmp_path / "cluster.yaml"), *args]),
    ]
    for proc in (together, *apart):
        assert proc.returncode == 0 and proc.stderr == "", describe(proc)
    jobs_objects = load_output_docs(apart[1].stdout)
    assert [o["kind"] for o in jobs_objects] == ["ConfigMap", "Job"] * 2, "nothing of the reference is rendered"
    assert [o["metadata"]["name"].split("-scripts-")[0] for o in jobs_objects[::2]] == ["counter", "mirror"], \
        "each session job's scripts"
    assert load_output_docs(apart[0].stdout) + jobs_objects == load_output_docs(together.stdout)

    (tmp_path / "broken.yaml").write_text(cluster.replace('replicas: 2', 'replicas: -2') + "\n", encoding="utf-8")
    failed = run_flink_render(["render", str(tmp_path / "jobs.yaml"), "--reference", str(tmp_path / "broken.yaml"), *args])
    assert failed.returncode == 1 and failed.stdout == "", describe(failed)
    assert f"--> {tmp_path / 'broken.yaml'}:" in failed.stderr, failed.stderr
    without = run_flink_render(["render", str(tmp_path / "jobs.yaml"), *args])
    assert without.returncode == 1 and "error[session-cluster-missing]" in without.stderr, describe(without)
    assert "--reference FILE" in without.stderr
