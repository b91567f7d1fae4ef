"""Executions through the server: throughput, dispatch latency, rows and bytes per task.

    python bench/bench_server.py [--db sqlite|postgresql|both] [--map N] [--skip-map]

Starts ``slipstream server`` (SQLite file or a fresh PostgreSQL database, two warm workers),
registers ``bench/flows/server_flows.py`` and measures, end to end through the API:

(a) one execution of 2,000 trivial tasks (a map) and a chain of 200 (dispatch latency);
(b) 200 concurrent executions of a 5-task chain;
(c) a map of 100,000 items (time, the server's peak memory).

Task completions per second count every task run in the measured window (wall clock from the
first create to the last terminal phase). Dispatch latency is ready -> running: the time from an
upstream task's end to its downstream task's start, both as the workers recorded them (chain).
Rows and bytes per task count node, attempt and event rows (and their JSON) of the execution.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server_proc import cli, env

FLOWS = Path(__file__).resolve().parent / "flows" / "server_flows.py"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def _token(tmp: Path) -> str:
    return (tmp / "home" / "admin-token").read_text().strip()


def _start(home: Path, db_url: str) -> tuple[Any, str]:
    import subprocess

    proc = subprocess.Popen(
        cli("server", "--port", "0", "--db", db_url, "--workers", "2"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env(home),
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if "listening on " in line:
            return proc, line.split("listening on ", 1)[1].strip()
    raise RuntimeError("the server did not start")


def _create(api: httpx.Client, wf: str, inputs: dict[str, Any]) -> str:
    body = {
        "target": {"resource_type": "workflow", "project": "bench", "domain": "development",
                   "name": f"server_flows.{wf}"},
        "inputs": inputs,
    }  # fmt: skip
    r = api.post("/executions", json=body)
    r.raise_for_status()
    return str(r.json()["id"]["name"])


def _wait(api: httpx.Client, names: list[str], timeout: float = 900) -> float:
    left = set(names)
    deadline = time.monotonic() + timeout
    while left and time.monotonic() < deadline:
        if len(left) > 5:  # one list request a round instead of one request per execution
            recs = _listing(api)
        else:
            recs = [api.get(f"/executions/bench/development/{n}").json() for n in left]
        for rec in recs:
            name = rec["id"]["name"]
            if name in left and rec.get("phase") in ("SUCCEEDED", "FAILED", "ABORTED"):
                if rec["phase"] != "SUCCEEDED":
                    raise RuntimeError(f"{name} ended {rec['phase']}: {rec.get('error')}")
                left.discard(name)
        if left:
            time.sleep(0.05)
    if left:
        raise RuntimeError(f"{len(left)} executions did not finish")
    return time.perf_counter()


def _listing(api: httpx.Client) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/executions/bench/development", params=params).json()
        out.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return out


def _db_figures(db_url: str, names: list[str]) -> tuple[int, int]:
    from sqlalchemy import create_engine, text

    eng = create_engine(db_url)
    rows = size = 0
    with eng.connect() as conn:
        for table, col in (("node_executions", "record"), ("attempts", "record"),
                           ("events", "payload")):  # fmt: skip
            r = conn.execute(
                text(
                    f"SELECT count(*), coalesce(sum(length(t.{col})), 0) FROM {table} t "
                    "JOIN executions e ON e.id = t.execution_id WHERE e.name IN :names"
                ).bindparams(__import__("sqlalchemy").bindparam("names", expanding=True)),
                {"names": names},
            ).one()
            rows += int(r[0])
            size += int(r[1])
    eng.dispose()
    return rows, size


def _chain_latencies(api: httpx.Client, name: str) -> list[float]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if cursor:
            params["cursor"] = cursor
        page = api.get(f"/executions/bench/development/{name}/nodes", params=params).json()
        items.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    by = {n["path"]: n for n in items}
    out = []
    for i in range(1, 200):
        up, down = by.get(f"n{i - 1}"), by.get(f"n{i}")
        if up and down and up.get("ended_at") and down.get("started_at"):
            out.append(down["started_at"] - up["ended_at"])
    return out


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(backend: str, map_n: int, skip_map: bool) -> dict[str, Any]:
    from slipstream.remote import Remote

    tmp = Path(tempfile.mkdtemp(prefix="slipstream-bench-"))
    tmp.chmod(0o755)  # a server started as root runs its workers as a user that passes through
    pg_name = ""
    if backend == "sqlite":
        db_url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        import psycopg

        pg_name = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        db_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_name}"
    proc, url = _start(tmp / "home", db_url)
    out: dict[str, Any] = {"backend": backend}
    try:
        with Remote(url, project="bench", domain="development", token=_token(tmp)) as r:
            r.create_project("bench")
            r.register(FLOWS)
        api = httpx.Client(
            base_url=f"{url}/api/v1",
            timeout=60,
            headers={"Authorization": f"Bearer {_token(tmp)}"},
        )
        # warm-up: workers import the flows once
        _wait(api, [_create(api, "chain5", {"x": 0})])

        t0 = time.perf_counter()
        name = _create(api, "fan", {"n": 2000})
        t1 = _wait(api, [name])
        rows, size = _db_figures(db_url, [name])
        out["a_2000_tasks_s"] = t1 - t0
        out["a_tasks_per_s"] = 2002 / (t1 - t0)
        out["a_rows_per_task"] = rows / 2002
        out["a_bytes_per_task"] = size / 2002

        name = _create(api, "chain200", {"x": 0})
        _wait(api, [name])
        lat = sorted(_chain_latencies(api, name))
        out["dispatch_p50_ms"] = 1000 * statistics.median(lat)
        out["dispatch_p99_ms"] = 1000 * lat[int(0.99 * (len(lat) - 1))]

        from concurrent.futures import ThreadPoolExecutor

        t0 = time.perf_counter()
        with ThreadPoolExecutor(16) as pool:  # 200 clients launching at once
            names = list(pool.map(lambda i: _create(api, "chain5", {"x": i}), range(200)))
        out["b_create_200_s"] = time.perf_counter() - t0
        t1 = _wait(api, names)
        rows, size = _db_figures(db_url, names)
        out["b_200x5_s"] = t1 - t0
        out["b_tasks_per_s"] = 1000 / (t1 - t0)
        out["b_rows_per_task"] = rows / 1000
        out["b_bytes_per_task"] = size / 1000

        if not skip_map:
            t0 = time.perf_counter()
            name = _create(api, "fan", {"n": map_n})
            t1 = _wait(api, [name], timeout=1200)
            out["c_map_n"] = map_n
            out["c_map_s"] = t1 - t0
            out["c_tasks_per_s"] = map_n / (t1 - t0)
            out["c_server_peak_mib"] = _peak_rss_mib(proc.pid)
            rows, size = _db_figures(db_url, [name])
            out["c_rows_per_task"] = rows / map_n
            out["c_bytes_per_task"] = size / map_n
        api.close()
    finally:
        proc.terminate()
        proc.wait(60)
        if pg_name:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--map", type=int, default=100_000)
    p.add_argument("--skip-map", action="store_true")
    a = p.parse_args()
    backends = ["sqlite", "postgresql"] if a.db == "both" else [a.db]
    for b in backends:
        res = run(b, a.map, a.skip_map)
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in res.items()}))


if __name__ == "__main__":
    main()
