"""The engine never dies silently: database outages, a full disk, poisoned executions and a loop
that keeps dying, each on a real server process.

* PostgreSQL resetting every connection for 2 s and for 15 s mid-run (a proxy of the test's own in
  front of the test's own database): the executions finish without a restart; meanwhile the API
  answers 503 with ``Retry-After`` and a JSON error naming the database, and ``/readyz`` says so.
* SQLite on a full disk (a 2 MiB tmpfs filled by a ballast file), then freed: the run finishes.
* An execution whose input the workers cannot be sent (an int past 64 bits, stored directly, as
  rows written before launch-time validation are) among 50 good ones: it alone fails, saying why;
  a restart with such rows (and an unreadable one) stored does not crash-loop.
* An execution whose records the database refuses (a trigger) among ten that it takes: the
  batch is written again execution by execution, and only that one fails.
* An engine host whose loop keeps dying: ``slipstream engine`` exits non-zero and the server's
  ``/healthz`` answers 503.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from engine_procs import (
    TERMINAL,
    Cluster,
    cluster,
    db_rows,
    fresh_db,
    launch,
    register_flows,
)
from flaky_proxy import FlakyProxy
from live_server import BACKENDS

pytestmark = pytest.mark.timeout(240)

PROJECT = "proj"


def _register(c: Cluster) -> None:
    register_flows(c, PROJECT, "outage")


def _launch(c: Cluster, workflow: str, inputs: dict[str, Any]) -> str:
    return launch(c, workflow, inputs, PROJECT, "outage")


def _get(c: Cluster, name: str) -> httpx.Response:
    with httpx.Client(base_url=f"{c.url}/api/v1", timeout=30) as api:
        return api.get(f"/executions/{PROJECT}/development/{name}")


def _wait_all(c: Cluster, names: list[str], timeout: float = 90.0) -> dict[str, dict[str, Any]]:
    """Every execution's record once all ended (an API answering 503 meanwhile is waited out)."""
    deadline = time.monotonic() + timeout
    done: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        for name in [n for n in names if n not in done]:
            with contextlib.suppress(httpx.HTTPError):
                r = _get(c, name)
                if r.status_code == 200 and r.json().get("phase") in TERMINAL:
                    done[name] = r.json()
        if len(done) == len(names):
            return done
        time.sleep(0.2)
    left = {n: _get(c, n).text[:300] for n in names if n not in done}
    logs = "\n".join(p.output()[-4000:] for p in c.procs)
    raise AssertionError(f"{len(left)} executions never ended: {left}\n{logs}")


def _store_row(db_url: str, like: str, record: str) -> str:
    """Store a QUEUED execution of ``like``'s target directly, with the JSON ``record`` (its
    ``NAME`` replaced by a fresh name), as an older server or a hand-made row would."""
    from sqlalchemy import create_engine, text

    name = "p" + uuid.uuid4().hex[:12]
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            row = conn.execute(
                text("SELECT project, domain, target_type, target_name, target_version "
                     "FROM executions WHERE name = :n"), {"n": like},
            ).one()  # fmt: skip
            now = time.time()
            conn.execute(
                text("INSERT INTO executions (project, domain, name, phase, target_type, "
                     "target_name, target_version, record, created_at, updated_at) VALUES "
                     "(:p, :d, :n, 'QUEUED', :tt, :tn, :tv, :r, :now, :now)"),
                {"p": row[0], "d": row[1], "n": name, "tt": row[2], "tn": row[3], "tv": row[4],
                 "r": record.replace("NAME", name), "now": now},
            )  # fmt: skip
    finally:
        engine.dispose()
    return name


def _poisoned(db_url: str, like: str) -> str:
    """A stored execution of ``like``'s target whose input ``x`` is past 64 bits."""
    rows = db_rows(db_url, "SELECT record FROM executions WHERE name = :n", n=like)
    rec = json.loads(rows[0][0])
    record = {"id": {**rec["id"], "name": "NAME"},
              "spec": {**rec["spec"], "inputs": {"x": 2**70}}, "created_at": time.time()}  # fmt: skip
    return _store_row(db_url, like, json.dumps(record))


def _healthz(c: Cluster) -> httpx.Response:
    return httpx.get(f"{c.url}/healthz", timeout=10)


def _readyz(c: Cluster) -> httpx.Response:
    return httpx.get(f"{c.url}/readyz", timeout=15)


# -- a poisoned execution fails alone -----------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_poisoned_execution_among_fifty_fails_alone_and_a_restart_does_not_trip_on_it(
    backend: str, tmp_path: Path
) -> None:
    with cluster(backend, tmp_path) as c:
        server = c.server()
        server.start()
        c.wait_ready()
        _register(c)
        good = [_launch(c, "once", {"x": i}) for i in range(25)]
        poisoned = _poisoned(c.db_url, good[0])
        good += [_launch(c, "once", {"x": i}) for i in range(25, 50)]

        ended = _wait_all(c, [*good, poisoned])
        for i, name in enumerate(good):
            assert ended[name]["phase"] == "SUCCEEDED", ended[name]
            assert ended[name]["outputs"] == {"o0": i + 1}
        bad = ended[poisoned]
        assert bad["phase"] == "FAILED", bad
        assert bad["error"]["code"] == "unsendable_input", bad["error"]
        assert "OverflowError" in bad["error"]["message"], bad["error"]
        assert bad["error"]["kind"] == "SYSTEM"
        # the loop goes on: the server is healthy and runs what comes next
        assert _healthz(c).status_code == 200
        after = _launch(c, "once", {"x": 7})
        assert _wait_all(c, [after])[after]["outputs"] == {"o0": 8}

        # stopped with a poisoned row and an unreadable one stored, the server starts again,
        # fails both, and goes on running the rest
        server.stop()
        again = _poisoned(c.db_url, good[1])
        garbage = _store_row(c.db_url, good[2], '{"id": {"name": "NAME"}, "spec": [not json')
        server = c.server()
        server.start()
        c.wait_ready()
        fresh = _launch(c, "once", {"x": 41})
        ended = _wait_all(c, [again, fresh])
        assert ended[again]["phase"] == "FAILED"
        assert ended[again]["error"]["code"] == "unsendable_input"
        assert ended[fresh].get("outputs") == {"o0": 42}, (ended[fresh], server.output()[-3000:])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            phase = db_rows(c.db_url, "SELECT phase FROM executions WHERE name = :n", n=garbage)
            if phase[0][0] == "FAILED":
                break
            time.sleep(0.2)
        assert phase[0][0] == "FAILED", server.output()[-3000:]
        assert server.process is not None and server.process.poll() is None
        assert _healthz(c).status_code == 200
        assert "Traceback" not in server.output(), server.output()[-3000:]


# -- PostgreSQL away for a while ----------------------------------------------------------------


@contextlib.contextmanager
def _pg_behind_proxy(tmp_path: Path) -> Iterator[tuple[Cluster, FlakyProxy]]:
    pytest.importorskip("psycopg")
    with fresh_db("postgresql", tmp_path) as url:
        proxy = FlakyProxy()
        c = Cluster(url.replace(":5432/", f":{proxy.port}/"), tmp_path)
        try:
            yield c, proxy
        finally:
            c.stop_all()
            proxy.close()


@pytest.mark.parametrize("outage_s", [2.0, 15.0])
def test_postgresql_away_mid_run_executions_finish_and_the_api_says_503(
    outage_s: float, tmp_path: Path
) -> None:
    with _pg_behind_proxy(tmp_path) as (c, proxy):
        server = c.server()
        server.start()
        c.wait_ready()
        _register(c)
        names = [_launch(c, "chain", {"delay": 0.4}) for _ in range(3)]
        assert _readyz(c).status_code == 200, _readyz(c).text
        time.sleep(1.0)

        proxy.down()
        statuses: list[int] = []
        slowest = 0.0
        outage_seen: dict[str, Any] = {}
        readiness: dict[str, Any] = {}
        end = time.monotonic() + outage_s
        while time.monotonic() < end:
            started = time.monotonic()
            r = _get(c, names[0])  # an httpx error here (a reset connection) fails the test
            slowest = max(slowest, time.monotonic() - started)
            statuses.append(r.status_code)
            if r.status_code == 503:
                outage_seen = {"body": r.json(), "retry": r.headers.get("retry-after")}
            if not readiness:
                ready = _readyz(c)
                if ready.status_code == 503:
                    readiness = ready.json()
            time.sleep(0.2)
        proxy.up()

        assert set(statuses) <= {503}, statuses
        assert outage_seen["retry"] is not None and int(outage_seen["retry"]) > 0
        assert outage_seen["body"]["error"] == "database_unavailable"
        assert "database" in outage_seen["body"]["message"]
        assert outage_seen["body"]["details"]["component"] == "database"
        assert slowest < 8.0, slowest
        assert readiness["status"] == "unavailable", readiness
        assert readiness["checks"]["database"]["ok"] is False

        ended = _wait_all(c, names, timeout=120)
        for name in names:
            assert ended[name]["phase"] == "SUCCEEDED", ended[name]
            assert ended[name]["outputs"] == {"o0": 6}
        deadline = time.monotonic() + 30
        while _readyz(c).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        ready = _readyz(c)
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["engine host"]["alive"] is True
        out = server.output()
        # the outage is logged once per loop, with its cause, not a traceback per turn
        assert out.count("the engine host failed, retrying") == 1, out[-4000:]
        assert out.count("requests refused, the database is unavailable") == 1, out[-4000:]
        assert "Traceback" not in out, out[-4000:]
        assert "works again" in out


# -- SQLite on a full disk ----------------------------------------------------------------------


@contextlib.contextmanager
def _small_disk(path: Path) -> Iterator[Path]:
    path.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _fill(path: Path) -> Path:
    """Write a ballast file until the disk is full."""
    ballast = path / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 65536)
    finally:
        os.close(fd)
    return ballast


def test_sqlite_on_a_full_disk_then_freed_the_run_finishes(tmp_path: Path) -> None:
    with _small_disk(tmp_path / "disk") as disk:
        c = Cluster(f"sqlite:///{disk / 'slipstream.db'}", tmp_path)
        try:
            server = c.server()
            server.start()
            c.wait_ready()
            _register(c)
            names = [_launch(c, "chain", {"delay": 0.4}) for _ in range(2)]
            time.sleep(1.0)
            ballast = _fill(disk)
            time.sleep(0.5)
            with c.api() as api:  # a write needs room: 503 naming the database, not a 500
                body = {"target": {"resource_type": "workflow", "project": PROJECT,
                                   "domain": "development", "name": "outage.once"}}  # fmt: skip
                r = api.post("/executions", json=body)
            assert r.status_code in (201, 503), r.text
            if r.status_code == 503:
                assert r.json()["error"] == "database_unavailable"
                assert r.headers["retry-after"]
            time.sleep(3.0)
            ballast.unlink()
            ended = _wait_all(c, names, timeout=120)
            for name in names:
                assert ended[name]["phase"] == "SUCCEEDED", ended[name]
            assert _healthz(c).status_code == 200
            out = server.output()
            assert (
                "the engine host failed, retrying until it works: OperationalError: database or disk is full"
                in out
            ), out[-3000:]
            assert "the engine host works again" in out, out[-3000:]
            assert "Traceback" not in out, out[-3000:]
        finally:
            c.stop_all()


# -- a loop that keeps dying --------------------------------------------------------------------


def test_an_engine_whose_loop_keeps_dying_exits_non_zero_and_the_server_is_unhealthy(
    tmp_path: Path,
) -> None:
    with cluster("sqlite", tmp_path) as c:
        server = c.server()
        server.start()
        c.wait_ready()
        engine = c.engine("a")
        engine.start()
        engine.wait_output("running executions")
        assert _healthz(c).status_code == 200
        # the schema is gone from under them: not an outage that passes, every turn fails
        path = c.db_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            conn.execute("ALTER TABLE executions RENAME TO executions_gone")
        assert engine.process is not None
        code = engine.process.wait(60)
        assert code != 0, engine.output()
        assert "died" in engine.output()
        deadline = time.monotonic() + 30
        while _healthz(c).status_code != 503 and time.monotonic() < deadline:
            time.sleep(0.2)
        health = _healthz(c)
        assert health.status_code == 503, health.text
        assert health.json()["engine host"]["alive"] is False
        assert _readyz(c).status_code == 503


def test_an_execution_whose_records_the_database_refuses_fails_alone(tmp_path: Path) -> None:
    with cluster("sqlite", tmp_path) as c:
        server = c.server()
        server.start()
        c.wait_ready()
        _register(c)
        path = c.db_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:  # the database refuses one execution's node records
            for event in ("INSERT", "UPDATE"):
                conn.execute(
                    f"CREATE TRIGGER refuse_{event.lower()} BEFORE {event} ON node_executions "
                    "WHEN NEW.record LIKE '%UNWRITABLE%' "
                    "BEGIN SELECT RAISE(ABORT, 'this record is refused'); END"
                )
        names = [_launch(c, "say", {"s": f"fine {i}"}) for i in range(5)]
        names.insert(2, _launch(c, "say", {"s": "unwritable"}))
        names += [_launch(c, "say", {"s": f"fine {i}"}) for i in range(5, 10)]
        ended = _wait_all(c, names)
        bad = ended.pop(names[2])
        assert bad["phase"] == "FAILED", bad
        assert bad["error"]["code"] == "unrecordable", bad["error"]
        assert "this record is refused" in bad["error"]["message"]
        assert sorted(r["outputs"]["o0"] for r in ended.values()) == sorted(
            f"FINE {i}" for i in range(10)
        )
        assert _healthz(c).status_code == 200
        out = server.output()
        assert "writing execution records failed" in out and "Traceback" not in out, out[-3000:]


def test_an_output_the_worker_cannot_send_back_fails_its_attempt_not_the_worker(
    tmp_path: Path,
) -> None:
    with cluster("sqlite", tmp_path) as c:
        server = c.server()
        server.start()
        c.wait_ready()
        _register(c)
        good = [_launch(c, "once", {"x": i}) for i in range(6)]
        bad = _launch(c, "too_big", {"x": 1})
        good += [_launch(c, "once", {"x": i}) for i in range(6, 12)]
        ended = _wait_all(c, [*good, bad])
        failed = ended.pop(bad)
        assert failed["phase"] == "FAILED", failed
        assert failed["error"]["code"] == "type_mismatch", failed["error"]
        assert "cannot be sent back from the worker" in failed["error"]["message"]
        assert sorted(r["outputs"]["o0"] for r in ended.values()) == list(range(1, 13))
        out = server.output()
        assert "Traceback" not in out, out[-3000:]


def test_a_queued_execution_shows_its_phase_and_readiness_without_an_engine(
    tmp_path: Path,
) -> None:
    with cluster("sqlite", tmp_path) as c:
        server = c.server("--no-engine")  # nothing runs what is launched
        server.start()
        c.wait_ready()
        _register(c)
        name = _launch(c, "once", {"x": 1})
        r = _get(c, name)
        assert r.status_code == 200 and r.json()["phase"] == "QUEUED", r.text
        ready = _readyz(c)
        assert ready.status_code == 200, ready.text
        checks = ready.json()["checks"]
        assert checks["database"]["ok"] and checks["store"]["ok"]
        assert "engine host" not in checks
        assert checks["scheduler"]["alive"] and checks["notifier"]["alive"]
