"""What the failover loop costs: its idle pass (every second, on every server) and a move.

    python bench/bench_failover.py [--waiting 20000] [--dead 2000] [--backends sqlite,postgresql]

Stores ``--waiting`` QUEUED executions routed to a live cluster (with a route to a second one)
and times ``fail_over`` when nothing is to move (the steady state: one query for the live
clusters, one for candidates); then ``--dead`` executions on a cluster whose host stopped
heartbeating, and times the pass that moves them all (batches of 500, an event each), and the
idle pass after. PostgreSQL gets a throwaway database on 127.0.0.1:5432 (user postgres).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "server"))

from live_server import pg_database  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from slipstream.model import ExecutionPhase  # noqa: E402
from slipstream.server import Database  # noqa: E402
from slipstream.server._clusters import fail_over, record_heartbeat  # noqa: E402
from slipstream.server._database import ExecutionRow, ProjectRow  # noqa: E402

RECORD = (
    '{"id":{"project":"bench","domain":"development","name":"NAME"},"spec":{"target":'
    '{"resource_type":"workflow","name":"wf","project":"bench","domain":"development",'
    '"version":"v1"}}}'
)


def _heartbeat(db: Database, cluster: str, lease_s: float) -> None:
    record_heartbeat(
        db,
        owner=f"bench:{cluster}",
        cluster=cluster,
        hostname="bench",
        runner="local",
        capacity={"cpus": 2, "memory": 1 << 33, "gpus": 0, "slots": 2},
        running=0,
        executions=0,
        lease_s=lease_s,
        store_url="",
        started_at=time.time(),
    )


def _store(db: Database, n: int, cluster: str, route: str, start: int) -> None:
    now = time.time()
    rows = [
        {
            "project": "bench",
            "domain": "development",
            "name": f"e{start + i}",
            "phase": ExecutionPhase.QUEUED.value,
            "target_type": "workflow",
            "target_name": "wf",
            "target_version": "v1",
            "record": RECORD.replace("NAME", f"e{start + i}"),
            "created_at": now,
            "updated_at": now,
            "cluster": cluster,
            "route": route,
        }
        for i in range(n)
    ]
    with db.engine.begin() as conn:
        for i in range(0, n, 5000):
            conn.execute(insert(ExecutionRow), rows[i : i + 5000])


def _idle(db: Database) -> float:
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        assert fail_over(db) == 0
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def run(backend: str, waiting: int, dead: int) -> None:
    url = f"sqlite:///{tempfile.mkdtemp()}/bench.db" if backend == "sqlite" else pg_database()
    db = Database(url)
    db.upgrade()
    with db.session() as s:
        s.add(ProjectRow(name="bench", created_at=time.time()))
    _heartbeat(db, "east", 600)
    _heartbeat(db, "west", 600)
    _store(db, waiting, "east", "east,west", 0)
    idle = _idle(db)
    _heartbeat(db, "north", 0.001)  # its only host is silent already
    _store(db, dead, "north", "north,west", waiting)
    t0 = time.perf_counter()
    moved = 0
    while True:
        n = fail_over(db)
        if not n:
            break
        moved += n
    took = time.perf_counter() - t0
    assert moved == dead, moved
    after = _idle(db)
    print(
        f"{backend}: idle pass with {waiting} waiting executions {idle:.2f} ms (median of 20); "
        f"{dead} executions moved off a dead cluster in {took:.2f} s "
        f"({dead / took:.0f}/s, with their events); idle pass after {after:.2f} ms"
    )
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--waiting", type=int, default=20000)
    parser.add_argument("--dead", type=int, default=2000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        run(backend, args.waiting, args.dead)


if __name__ == "__main__":
    main()
