"""The lifecycle scripts' decisions (src/emit/lifecycle/scripts: common.sh,
steps.sh and revision.sh), each rule against a
fake Flink REST API on 127.0.0.x that answers as Flink does, including as its caches do. The
real-Flink proofs are in test_lifecycle.py; these pin the rules down one by one, fast, and with
answers a real cluster gives only by bad luck (a stale statistics cache, a discarded newest
checkpoint, a standby answering for its leader).

Rules (issue 20):
  - the checkpoint a next revision restores from is read only after Flink's checkpoint-statistics
    cache (`rest.cache.checkpoint-statistics.timeout`, else `web.refresh-interval`, else 3 s) has
    expired since the job ended, and is the newest completed and kept;
  - a job that completed checkpoints and has none to hand over fails the step (exit 3), and so
    do statistics older than a checkpoint seen before the stop; only a job that never completed
    one starts the next revision empty, and the reason says so;
  - a TaskManager joins only when every ready JobManager is of its revision and one runs its job
    since that JobManager started, and stops once its job has ended or another revision's
    JobManager is ready.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import REPO

SCRIPTS = REPO / "src/emit/lifecycle/scripts"
# common.sh and both libraries: each step runs with common.sh and the one it names
LIBRARIES = " ".join(f"source {SCRIPTS / name};" for name in ("common.sh", "steps.sh", "revision.sh"))
JOB = "a" * 32
REVISION = "0123456789abcdef"


class FakeFlink:
    """A Flink REST API at `address`: `routes` maps a path to a JSON-able answer, or to a function
    of the seconds since the server started that returns one."""

    def __init__(self, address: str = "127.0.0.1", port: int = 0, routes: dict | None = None):
        self.routes = routes or {}
        self.started = time.monotonic()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server interface
                answer = fake.routes.get(self.path.split("?")[0])
                if callable(answer):
                    answer = answer(time.monotonic() - fake.started)
                body = json.dumps(answer, separators=(",", ":")).encode() if answer is not None else b"{}"
                self.send_response(200 if answer is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((address, port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def bash(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/bin:/bin", "CONNECT_TIMEOUT_SECONDS": "2", "REQUEST_TIMEOUT_SECONDS": "5",
            "FLINK_RENDER_RESPONSE": str(tmp_path / "response.json"), "JOB_ID": JOB}
    return subprocess.run(["bash", "-c", f"{LIBRARIES}\n{code}"], env={**base, **env}, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def config(**keys: str) -> list[dict]:
    return [{"key": key, "value": value} for key, value in keys.items()]


def checkpoint(id_: int, *, discarded: bool = False, savepoint: bool = False, path: str | None = None) -> dict:
    """A completed checkpoint as GET /jobs/<id>/checkpoints lists it (Flink's field order)."""
    return {"className": "completed", "id": id_, "status": "COMPLETED", "is_savepoint": savepoint,
            "savepointFormat": "CANONICAL" if savepoint else None, "trigger_timestamp": 1000 + id_,
            "latest_ack_timestamp": 1001 + id_, "checkpointed_size": 4096, "state_size": 4096,
            "end_to_end_duration": 12, "alignment_buffered": 0, "processed_data": 0, "persisted_data": 0,
            "num_subtasks": 4, "num_acknowledged_subtasks": 4,
            "checkpoint_type": "SAVEPOINT" if savepoint else "CHECKPOINT", "tasks": {},
            "external_path": path or f"file:/cp/{JOB}/chk-{id_}", "discarded": discarded}


def statistics(history: list[dict], completed: int | None = None, restored: dict | None = None) -> dict:
    """The whole answer: counts, a summary, `latest` and `history` (newest first)."""
    checkpoints = [c for c in history if not c["is_savepoint"]]
    savepoints = [c for c in history if c["is_savepoint"]]
    size = {"min": 1, "max": 9, "avg": 5, "p50": 5, "p90": 9, "p95": 9, "p99": 9, "p999": 9}
    return {
        "counts": {"restored": 1 if restored else 0, "total": len(history), "in_progress": 0,
                   "completed": len(history) if completed is None else completed, "failed": 0},
        "summary": {"checkpointed_size": size, "state_size": size, "end_to_end_duration": size},
        "latest": {"completed": max(checkpoints, key=lambda c: c["id"], default=None),
                   "savepoint": max(savepoints, key=lambda c: c["id"], default=None),
                   "failed": None, "restored": restored},
        "history": sorted(history, key=lambda c: -c["id"]),
    }


@pytest.fixture
def flink():
    servers: list[FakeFlink] = []

    def start(routes: dict, address: str = "127.0.0.1", port: int = 0) -> FakeFlink:
        server = FakeFlink(address, port, routes)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def restore_point(flink, tmp_path: Path, checkpoints, seen: str = "", **settings: str):
    server = flink({"/jobmanager/config": config(**settings), f"/jobs/{JOB}/checkpoints": checkpoints})
    t0 = time.monotonic()
    r = bash(f'restore_point {JOB} "{seen}"\nprintf "%s|%s" "$RESTORE" "$RESTORE_REASON"', tmp_path,
             REST_URL=f"http://127.0.0.1:{server.port}")
    return r, time.monotonic() - t0


# -- the checkpoint a next revision restores from -------------------------------------------------

def test_restore_point_waits_out_the_checkpoint_statistics_cache(flink, tmp_path):
    # until the cache expires, Flink answers with the snapshot of a reader's earlier request:
    # chk-14 the newest (and, being a shared object, already marked discarded), chk-15 missing
    stale = statistics([checkpoint(13, discarded=True), checkpoint(14, discarded=True)])
    final = statistics([checkpoint(13, discarded=True), checkpoint(14, discarded=True), checkpoint(15)])
    r, took = restore_point(flink, tmp_path, lambda t: stale if t < 2.0 else final,
                            **{"rest.cache.checkpoint-statistics.timeout": "2 s"})
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"file:/cp/{JOB}/chk-15|its latest retained checkpoint (15)", r.stderr
    assert took >= 2.0


@pytest.mark.parametrize("settings, waits", [
    ({}, 3.0),
    ({"web.refresh-interval": "1000"}, 1.0),
    ({"web.refresh-interval": "9 s", "rest.cache.checkpoint-statistics.timeout": "1 s"}, 1.0),
], ids=["default-3s", "web.refresh-interval", "checkpoint-statistics-timeout-wins"])
def test_restore_point_cache_timeout_follows_flinks_fallbacks(flink, tmp_path, settings, waits):
    r, took = restore_point(flink, tmp_path, statistics([checkpoint(3)]), **settings)
    assert r.returncode == 0 and r.stdout.startswith(f"file:/cp/{JOB}/chk-3|"), r.stderr
    assert waits <= took < waits + 5


def test_restore_point_fails_when_the_newest_checkpoint_is_discarded(flink, tmp_path):
    stale = statistics([checkpoint(13, discarded=True), checkpoint(14, discarded=True)])
    r, _ = restore_point(flink, tmp_path, stale, **{"web.refresh-interval": "0"})
    assert r.returncode == 3, (r.stdout, r.stderr)
    assert "the newest checkpoint of job" in r.stderr and "(14) is discarded" in r.stderr


def test_restore_point_fails_on_statistics_older_than_a_checkpoint_seen(flink, tmp_path):
    r, _ = restore_point(flink, tmp_path, statistics([checkpoint(11, discarded=True), checkpoint(12)]), seen="14",
                         **{"web.refresh-interval": "0"})
    assert r.returncode == 3 and "older than checkpoint 14" in r.stderr, (r.stdout, r.stderr)


def test_restore_point_starts_empty_only_without_a_completed_checkpoint(flink, tmp_path):
    r, _ = restore_point(flink, tmp_path, statistics([]), **{"web.refresh-interval": "0"})
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"|job {JOB} completed no checkpoint: the next one starts empty"


@pytest.mark.parametrize("answer", [
    statistics([], completed=3),
    statistics([checkpoint(3, path="<checkpoint-not-externally-addressable>")]),
], ids=["completed-but-not-listed", "kept-in-memory-only"])
def test_restore_point_fails_when_completed_checkpoints_cannot_be_handed_over(flink, tmp_path, answer):
    r, _ = restore_point(flink, tmp_path, answer, **{"web.refresh-interval": "0"})
    assert r.returncode == 3 and "lists none to restore from" in r.stderr, (r.stdout, r.stderr)


def test_restore_point_takes_a_newer_savepoint_over_the_latest_checkpoint(flink, tmp_path):
    answer = statistics([checkpoint(7), checkpoint(8, savepoint=True, path="file:/sp/savepoint-8")])
    r, _ = restore_point(flink, tmp_path, answer, **{"web.refresh-interval": "0"})
    assert r.returncode == 0 and r.stdout.startswith("file:/sp/savepoint-8|"), r.stderr


def test_restore_point_hands_over_the_restored_state_when_no_checkpoint_followed(flink, tmp_path):
    restored = {"id": 5, "restore_timestamp": 99, "is_savepoint": True, "external_path": "file:/sp/savepoint-5"}
    r, _ = restore_point(flink, tmp_path, statistics([], restored=restored), **{"web.refresh-interval": "0"})
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"file:/sp/savepoint-5|job {JOB} completed no checkpoint after the state it started from (5)"


@pytest.mark.parametrize("text, ms", [
    ("3 s", "3000"), ("3000", "3000"), ("1min", "60000"), ("500 ms", "500"), ("2 h", "7200000"),
    ("010s", "10000"), ("1 d", "86400000"), ("1500000 us", "1500"), ("3 S", "3000"), ("soon", ""),
])
def test_duration_ms_reads_flink_durations(tmp_path, text, ms):
    r = bash(f'duration_ms "{text}"', tmp_path)
    assert (r.returncode, r.stdout) == (0, ms), r.stderr


# -- which JobManager a TaskManager serves --------------------------------------------------------

def jobmanager(revision: str, started: int, jobs: list[tuple[str, str, int]]) -> dict:
    """A JobManager's answers: its configuration and its jobs (id, state, start time)."""
    overview = {"jobs": [{"jid": jid, "name": "counting", "start-time": start, "end-time": -1, "duration": 5,
                          "state": state, "last-modification": start, "tasks": {"running": 2, "total": 2}}
                         for jid, state, start in jobs]}
    return {"/jobmanager/config": config(**{"flink-render.revision": revision, "flink-render.started": str(started)}),
            "/jobs/overview": overview}


def decide(flink, tmp_path: Path, *jobmanagers: dict) -> tuple[bool, bool]:
    """(joinable, superseded) for a TaskManager of REVISION, with JOBMANAGER resolving to one fake
    JobManager per argument, each on its own loopback address and the same port."""
    port = flink({}).port
    addresses = []
    for n, routes in enumerate(jobmanagers, start=2):
        flink(routes, f"127.0.0.{n}", port)
        addresses.append(f"127.0.0.{n}")
    hosts = "".join(f"{a}      STREAM jobmanager\\n{a}      DGRAM\\n" for a in addresses)
    code = (f"getent() {{ printf '{hosts}'; }}\n"
            "joinable && echo joinable\nsuperseded && echo superseded\ntrue\n")
    r = bash(code, tmp_path, JOBMANAGER="jobmanager", REST_PORT=str(port), FLINK_RENDER_REVISION=REVISION)
    assert r.returncode == 0, r.stderr
    return "joinable" in r.stdout, "superseded" in r.stdout


def test_a_taskmanager_joins_a_jobmanager_of_its_revision_running_its_job(flink, tmp_path):
    assert decide(flink, tmp_path, jobmanager(REVISION, 100, [(JOB, "RUNNING", 150)])) == (True, False)


def test_a_taskmanager_waits_while_the_old_revision_knows_the_same_job_id(flink, tmp_path):
    # last-state keeps the job id: the outgoing JobManager runs it too
    old = jobmanager("fedcba9876543210", 10, [(JOB, "RUNNING", 20)])
    new = jobmanager(REVISION, 100, [(JOB, "RUNNING", 150)])
    assert decide(flink, tmp_path, old, new) == (False, True)
    assert decide(flink, tmp_path, old) == (False, True)


def test_a_taskmanager_waits_while_a_standby_answers_for_an_older_leader(flink, tmp_path):
    # high availability: the new revision's standby lists the job its leader (of the old revision) runs
    assert decide(flink, tmp_path, jobmanager(REVISION, 100, [(JOB, "RUNNING", 20)])) == (False, False)


def test_a_taskmanager_stops_once_its_job_has_ended(flink, tmp_path):
    assert decide(flink, tmp_path, jobmanager(REVISION, 100, [(JOB, "CANCELED", 150)])) == (False, True)


def test_a_taskmanager_waits_without_a_ready_jobmanager(flink, tmp_path):
    assert decide(flink, tmp_path) == (False, False)
