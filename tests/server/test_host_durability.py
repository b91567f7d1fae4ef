"""The engine host survives being killed: SIGKILL of the server or of a worker at random moments,
many times, on SQLite and PostgreSQL. Nothing is lost, no node that had finished runs again, and
attempts that were running are retried as SYSTEM failures."""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from pathlib import Path

import pytest
from engine_procs import (
    cluster,
    db_rows,
    execution,
    launch,
    marks,
    register_flows,
    wait_phase,
)
from live_server import BACKENDS

pytestmark = pytest.mark.timeout(300)

KILLS = 20


def _succeeded(db_url: str, name: str) -> set[str]:
    rows = db_rows(
        db_url,
        "SELECT n.path FROM node_executions n JOIN executions e ON e.id = n.execution_id "
        "WHERE e.name = :name AND n.phase = 'SUCCEEDED'",
        name=name,
    )
    return {r[0] for r in rows}


@pytest.mark.parametrize("backend", BACKENDS)
def test_server_killed_twenty_times_loses_nothing_and_reruns_nothing_finished(
    backend: str, tmp_path: Path
) -> None:
    mark_file = tmp_path / "marks"
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    n = 400
    with cluster(backend, tmp_path, SLIPSTREAM_TEST_MARKS=str(mark_file)) as c:
        server = c.server()
        server.start()
        c.wait_ready()
        register_flows(c)
        name = launch(c, "durable", {"n": n, "delay": 0.05})
        snapshots: list[tuple[set[str], Counter[str]]] = []
        kills_while_running = 0
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.05, 0.5))
            server.kill9()
            phase = db_rows(c.db_url, "SELECT phase FROM executions WHERE name = :name", name=name)[
                0
            ][0]
            kills_while_running += phase not in ("SUCCEEDED", "FAILED")
            # the killed host's records as they are, and what ran up to now
            done = _succeeded(c.db_url, name)
            ran = Counter(node for ex, node, _ in marks(mark_file) if ex == name)
            snapshots.append((done, ran))
            server.start()
            c.wait_ready()
        rec = wait_phase(c, name, timeout=120)
        assert rec["phase"] == "SUCCEEDED", rec
        start = 2
        assert rec["outputs"] == {"o0": sum(2 * (start + k) for k in range(n)) + 1}
        final = Counter(node for ex, node, _ in marks(mark_file) if ex == name)
        # every node ran; none that was recorded finished at a kill ran again after it
        assert {"n0", "n1", "n2", "n4", "n5"} <= set(final)
        assert all(f"n3[{k}]" in final for k in range(n))
        for done, ran in snapshots:
            again = {p: (ran[p], final[p]) for p in done if final[p] != ran[p]}
            assert not again, f"finished nodes ran again after a kill: {again}"
        # runs beyond the first are attempts that were in flight at a kill
        reruns = sum(final.values()) - len(final)
        lost = db_rows(
            c.db_url,
            "SELECT count(*) FROM attempts a JOIN executions e ON e.id = a.execution_id "
            "WHERE e.name = :name AND a.record LIKE '%attempt_lost%'",
            name=name,
        )[0][0]
        print(
            f"{backend}: {KILLS} kills ({kills_while_running} while running), "
            f"{reruns} task runs repeated (in flight at a kill), {lost} attempts recorded lost"
        )
        assert kills_while_running >= KILLS // 2
        # nothing half-written: every record decodes and every node ended
        rows = db_rows(
            c.db_url,
            "SELECT n.phase, n.record FROM node_executions n JOIN executions e "
            "ON e.id = n.execution_id WHERE e.name = :name",
            name=name,
        )
        import json

        for phase, record in rows:
            assert json.loads(record)["path"]
            assert phase in ("SUCCEEDED",), (phase, record[:200])


def _worker_pids(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


@pytest.mark.parametrize("backend", BACKENDS)
def test_workers_killed_mid_attempt_are_retried_as_system_errors(
    backend: str, tmp_path: Path
) -> None:
    mark_file = tmp_path / "marks"
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    n = 60
    with cluster(backend, tmp_path, SLIPSTREAM_TEST_MARKS=str(mark_file)) as c:
        server = c.server()
        server.start()
        c.wait_ready()
        register_flows(c)
        name = launch(c, "durable", {"n": n, "delay": 0.1})
        killed = 0
        for _ in range(10):
            time.sleep(rng.uniform(0.1, 0.4))
            if execution(c, name)["phase"] != "RUNNING":
                break
            pids = _worker_pids(server.pid)
            if pids:
                os.kill(rng.choice(pids), 9)
                killed += 1
        rec = wait_phase(c, name, timeout=120)
        assert rec["phase"] == "SUCCEEDED", rec
        assert rec["outputs"] == {"o0": sum(2 * (2 + k) for k in range(n)) + 1}
        system = db_rows(
            c.db_url,
            "SELECT count(*) FROM attempts a JOIN executions e ON e.id = a.execution_id "
            "WHERE e.name = :name AND a.phase = 'FAILED' AND a.record LIKE '%\"SYSTEM\"%'",
            name=name,
        )[0][0]
        print(f"{backend}: {killed} workers killed, {system} attempts failed as SYSTEM errors")
        assert killed >= 1
        assert system >= 1
