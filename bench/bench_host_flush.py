"""Write throughput of the engine host's database state store: buffered saves and one-transaction
flushes, on SQLite and PostgreSQL.

    python bench/bench_host_flush.py [--tasks 6000] [--batch 200] [--executions 1,200]
                                     [--backends sqlite,postgresql] [--metrics]

Simulates what the engine host writes for task completions: per task a node record saved as
RUNNING and SUCCEEDED (with small outputs), an attempt record saved as RUNNING and SUCCEEDED, and
the node's two phase events; flushed every ``--batch`` completions across all executions in one
transaction, with the lease fencing check. ``--executions`` runs the measurement once per count
of concurrent executions (1: one big run; 200: many small ones). Prints, per backend and count:
task completions per second end to end (saves + flushes), rows per second of flush alone, the
time of one flush of about 3,000 rows, and the database bytes per task. Goal on SQLite: at least
1,000 task completions per second, and a flush of a few thousand rows well under a second.
PostgreSQL gets a throwaway database on 127.0.0.1:5432 (user postgres), dropped at the end.
``--metrics`` counts every saved attempt into a server's ``Metrics``, as a server with metrics on
does (without it: off), to measure what counting costs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import msgspec
from sqlalchemy import text

from slipstream.model import (
    AttemptPhase,
    AttemptRecord,
    ExecutionId,
    ExecutionPhase,
    ExecutionRecord,
    ExecutionSpec,
    Identifier,
    NodePhase,
    NodeRecord,
    ResourceType,
)
from slipstream.server import Database
from slipstream.server._database import ExecutionRow, ProjectRow
from slipstream.server._host import DbStateStore, claim, flush
from slipstream.server._metrics import NO_METRICS, Metrics

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
OWNER = "bench-host"


def _pg_database() -> tuple[str, str]:
    import psycopg

    name = f"slipstream_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", name


def _drop_pg(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _executions(db: Database, n: int) -> list[tuple[int, ExecutionId]]:
    out = []
    now = time.time()
    with db.session() as s:
        if s.get(ProjectRow, "bench") is None:
            s.add(ProjectRow(name="bench", created_at=now))
            s.flush()
        rows = []
        for _ in range(n):
            eid = ExecutionId("bench", "development", "e" + uuid.uuid4().hex[:12])
            record = ExecutionRecord(
                id=eid,
                spec=ExecutionSpec(
                    target=Identifier(ResourceType.WORKFLOW, "wf", "bench", "development", "v1")
                ),
            )
            row = ExecutionRow(
                project="bench",
                domain="development",
                name=eid.name,
                phase="QUEUED",
                target_type="workflow",
                target_name="wf",
                target_version="v1",
                record=msgspec.json.encode(record).decode(),
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            rows.append((row, eid))
        s.flush()
        out = [(row.id, eid) for row, eid in rows]
    claimed = claim(db, OWNER, 600, n)
    assert len(claimed) == n, "claim took fewer executions than made"
    return out


def _db_bytes(db: Database) -> int:
    with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            pages = conn.execute(text("PRAGMA page_count")).scalar_one()
            size = conn.execute(text("PRAGMA page_size")).scalar_one()
            return int(pages * size)
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def _run(
    db: Database, blob_url: str, tasks: int, batch: int, executions: int, metrics: bool = False
) -> dict[str, float]:
    pairs = _executions(db, executions)
    stores = [DbStateStore(db, pk, eid, blob_url) for pk, eid in pairs]
    counted = Metrics() if metrics else NO_METRICS
    for store in stores:
        store.metrics = counted
    records = {}
    for st in stores:
        st.save_execution(
            ExecutionRecord(
                id=st.execution,
                spec=ExecutionSpec(target=Identifier(ResourceType.WORKFLOW, "wf")),
                phase=ExecutionPhase.RUNNING,
            )
        )
        records[st.execution_pk] = st
    flush(db, OWNER, stores)
    bytes_before = _db_bytes(db)
    flush_s = 0.0
    flush_rows = 0
    big_flush_s = 0.0
    t0 = time.perf_counter()
    for i in range(tasks):
        st = stores[i % executions]
        eid = st.execution
        path = f"n{i // executions}"
        now = time.time()
        rec = NodeRecord(path=path, name="t", task="bench.t", inputs={"x": i}, started_at=now)
        rec.phase = NodePhase.RUNNING
        rec.attempts = 1
        st.save_node(eid, rec)
        st.save_attempt(
            eid, AttemptRecord(node=path, number=1, phase=AttemptPhase.RUNNING, started_at=now)
        )
        st.save_attempt(
            eid,
            AttemptRecord(
                node=path,
                number=1,
                phase=AttemptPhase.SUCCEEDED,
                runner="local",
                worker="w0",
                started_at=now,
                ended_at=now,
            ),
        )
        rec.phase = NodePhase.SUCCEEDED
        rec.outputs = {"o0": i * 2}
        rec.ended_at = now
        st.save_node(eid, rec)
        if (i + 1) % batch == 0 or i == tasks - 1:
            rows = sum(len(s._pending.nodes) + len(s._pending.attempts) for s in stores)
            rows += sum(len(s._pending.events) for s in stores)
            f0 = time.perf_counter()
            lost = flush(db, OWNER, stores)
            flush_s += time.perf_counter() - f0
            flush_rows += rows
            assert not lost
    total = time.perf_counter() - t0
    # one large flush: 1,000 completions (1,000 nodes + 1,000 attempts + 1,000 events = 3,000 rows)
    st = stores[0]
    for j in range(1_000):
        path = f"big{j}"
        rec = NodeRecord(path=path, task="bench.t", phase=NodePhase.SUCCEEDED, outputs={"o0": j})
        st.save_node(st.execution, rec)
        st.save_attempt(
            st.execution, AttemptRecord(node=path, number=1, phase=AttemptPhase.SUCCEEDED)
        )
    big_rows = len(st._pending.nodes) + len(st._pending.attempts) + len(st._pending.events)
    f0 = time.perf_counter()
    flush(db, OWNER, stores)
    big_flush_s = time.perf_counter() - f0
    return {
        "executions": executions,
        "tasks": tasks,
        "batch": batch,
        "task_completions_per_s": round(tasks / total),
        "flush_rows_per_s": round(flush_rows / flush_s),
        "flush_share_of_time": round(flush_s / total, 3),
        "one_flush_rows": big_rows,
        "one_flush_ms": round(big_flush_s * 1000, 1),
        "db_bytes_per_task": round((_db_bytes(db) - bytes_before) / tasks),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", type=int, default=6000)
    ap.add_argument("--batch", type=int, default=200, help="task completions per flush")
    ap.add_argument("--executions", default="1,200", help="comma-separated counts")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--metrics", action="store_true", help="count attempts as a server does")
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-host-") as tmp:
        blob_url = (Path(tmp) / "blobs").as_uri()
        for backend in args.backends.split(","):
            for n in (int(x) for x in args.executions.split(",")):
                pg_name = ""
                if backend == "sqlite":
                    url = f"sqlite:///{Path(tmp) / f'host-{n}.db'}"
                else:
                    url, pg_name = _pg_database()
                db = Database(url)
                try:
                    db.upgrade()
                    found = _run(db, blob_url, args.tasks, args.batch, n, args.metrics)
                    result = {"backend": backend, "metrics": args.metrics, **found}
                finally:
                    db.dispose()
                    if pg_name:
                        _drop_pg(pg_name)
                results.append(result)
                print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
