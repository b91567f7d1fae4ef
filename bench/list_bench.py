"""List latency with 100,000 rows: workflows and executions, page by page through the API.

    python bench/list_bench.py [--rows 100000] [--pages 200] [--db URL]

Fills a fresh database (through the server's migrations and tables) with ``--rows`` workflow
versions and ``--rows`` executions in one project/domain, starts the real server on it, and times
``GET`` of pages of 100: the first page, cursor walks from the newest and deep into the table,
by name, and with a name filter. Goal: a page under 50 ms. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import _server_proc as S

sys.path.insert(0, str(S.SRC))

import msgspec
from sqlalchemy import insert

from slipstream.model import (
    CompiledWorkflow,
    ExecutionId,
    ExecutionRecord,
    ExecutionSpec,
    Identifier,
    Interface,
    Kind,
    LiteralType,
    Node,
    ResourceType,
    TaskLoader,
    TaskNode,
    TaskTemplate,
    Variable,
    WorkflowSpec,
)
from slipstream.server import Database
from slipstream.server._database import EntityRow, ExecutionRow, ProjectRow

P, D = "bench", "development"


def workflow_json(i: int) -> str:
    iface = Interface(
        (Variable("x", LiteralType(Kind.INT)),), (Variable("o0", LiteralType(Kind.INT)),)
    )
    version = f"v{i}"
    t = TaskTemplate(
        Identifier(ResourceType.TASK, f"mod{i % 500}.task", P, D, version),
        iface,
        TaskLoader(f"pkg.mod{i % 500}", "task", f"pkg/mod{i % 500}.py"),
    )
    wf = WorkflowSpec(
        Identifier(ResourceType.WORKFLOW, f"pkg.mod{i % 500}.wf", P, D, version),
        iface,
        (Node("n0", TaskNode(t.id.name), iface),),
    )
    return msgspec.json.encode(CompiledWorkflow(wf, {t.id.name: t})).decode()


def fill(db_url: str, rows: int) -> None:
    db = Database(db_url)
    db.upgrade()
    now = time.time()
    with db.session() as s:
        s.add(ProjectRow(name=P, description="", labels="{}", state="active", created_at=now))
    batch = 5000
    for start in range(0, rows, batch):
        entities, executions = [], []
        for i in range(start, min(rows, start + batch)):
            entities.append(
                {
                    "resource_type": "workflow",
                    "project": P,
                    "domain": D,
                    "name": f"pkg.mod{i % 500}.wf",
                    "version": f"v{i}",
                    "digest": f"{i:064x}",
                    "bundle": "",
                    "spec": workflow_json(i),
                    "created_at": now + i * 1e-3,
                }
            )
            target = Identifier(ResourceType.WORKFLOW, f"pkg.mod{i % 500}.wf", P, D, f"v{i}")
            record = ExecutionRecord(
                ExecutionId(P, D, f"e{i:08d}"),
                ExecutionSpec(target, {"x": i}),
                created_at=now + i * 1e-3,
            )
            executions.append(
                {
                    "project": P,
                    "domain": D,
                    "name": f"e{i:08d}",
                    "phase": record.phase.value,
                    "target_type": "workflow",
                    "target_name": target.name,
                    "target_version": target.version,
                    "record": msgspec.json.encode(record).decode(),
                    "created_at": record.created_at,
                    "updated_at": record.created_at,
                }
            )
        with db.session() as s:
            s.execute(insert(EntityRow), entities)
            s.execute(insert(ExecutionRow), executions)
    if db.dialect == "postgresql":
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    db.dispose()


def timed_walk(client, path: str, pages: int, **params: object) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    cursor = None
    for _ in range(pages):
        start = time.perf_counter()
        response = client.get(path, params={**params, "limit": 100, "cursor": cursor})
        times.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    return times


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "pages": len(times),
        "median_ms": round(statistics.median(times), 2),
        "p99_ms": round(p99, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    import httpx

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        db = args.db or f"sqlite:///{home / 'slipstream.db'}"
        t0 = time.perf_counter()
        fill(db, args.rows)
        fill_s = time.perf_counter() - t0
        proc, url = S.start(home, db)
        results: dict[str, object] = {"rows": args.rows, "fill_s": round(fill_s, 1)}
        try:
            with httpx.Client(base_url=f"{url}/api/v1", timeout=60, headers=S.headers()) as client:
                wf, ex = f"/workflows/{P}/{D}", f"/executions/{P}/{D}"
                timed_walk(client, wf, 5)  # warm up
                first = [timed_walk(client, wf, 1)[0] for _ in range(50)]
                results["workflows_first_page"] = summary(first)
                results["workflows_newest_walk"] = summary(timed_walk(client, wf, args.pages))
                results["workflows_by_name_walk"] = summary(
                    timed_walk(client, wf, args.pages, sort_by="name", order="asc")
                )
                results["workflows_name_filter"] = summary(
                    timed_walk(client, wf, args.pages, name="pkg.mod7.wf")
                )
                results["executions_first_page"] = summary(
                    [timed_walk(client, ex, 1)[0] for _ in range(50)]
                )
                results["executions_walk"] = summary(timed_walk(client, ex, args.pages))
                results["executions_oldest_walk"] = summary(
                    timed_walk(client, ex, args.pages, order="asc")
                )
        finally:
            S.stop(proc)
    results["database"] = "postgresql" if args.db else "sqlite"
    results["goal_ms"] = 50
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
