"""The console's response time for an execution of 100,000 nodes, and the browser's render time.

    python bench/bench_console.py [--db sqlite|postgresql|both] [--items N] [--no-browser]

Writes an execution of one task, a map of N items (default 100,000; 90% succeeded, 3% failed,
the rest running, each with an attempt) and a last node straight into a fresh database, starts
``slipstream server --no-engine`` on it, logs in through the console like a browser, and times
each page and fragment a user opens (median and max of 5 requests after one warm-up). With
Chromium at /usr/bin/chromium and the ``playwright`` package, it also times the execution page
in a real browser: until the node rows, the graph and the Gantt chart are drawn. Goal: every
page under 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "console"))
from _server_proc import start, stop  # noqa: E402
from big_execution import make_big_execution  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _pg() -> str:
    import psycopg

    name = f"slipstream_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def _drop(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _time(client: httpx.Client, path: str, runs: int = 5) -> tuple[float, float, int]:
    r = client.get(path)
    r.raise_for_status()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        r = client.get(path)
        times.append(time.perf_counter() - t)
        r.raise_for_status()
    return statistics.median(times), max(times), len(r.content)


def _browser(url: str, token: str, page_path: str) -> dict[str, float]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {}
    if not Path(CHROMIUM).exists():
        return {}
    out: dict[str, float] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.goto(f"{url}/console/login?token={token}&next=/console/projects")
        for label in ("first", "warm"):
            t = time.perf_counter()
            page.goto(url + page_path)
            page.wait_for_selector("#node-rows tr[data-path='n1']")
            page.wait_for_selector("#graph svg g[data-node='n1']")
            page.wait_for_selector("#gantt svg rect")
            out[f"execution page ({label})"] = time.perf_counter() - t
        t = time.perf_counter()
        page.click("#node-rows tr[data-path='n1'] button.expand")
        page.wait_for_selector("#items tbody tr")
        out["map items by phase (click)"] = time.perf_counter() - t
        t = time.perf_counter()
        page.click(".phase-counts a[data-phase='FAILED']")
        page.wait_for_selector("#items tbody tr >> text=FAILED")
        out["failed items (click)"] = time.perf_counter() - t
        browser.close()
    return out


def run(backend: str, items: int, browser: bool) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-console-"))
    db_url = f"sqlite:///{tmp / 'slipstream.db'}" if backend == "sqlite" else _pg()
    try:
        project = "bench"
        t = time.perf_counter()
        name = make_big_execution(db_url, str(tmp / "home"), project, items)
        print(
            f"\n[{backend}] wrote an execution of {items + 3:,} nodes in {time.perf_counter() - t:.1f} s"
        )
        proc, url = start(tmp / "home", db_url, "--no-engine")
        try:
            token = (tmp / "home" / "admin-token").read_text().strip()
            with httpx.Client(base_url=url, timeout=60) as client:
                client.get(f"/console/login?token={token}")
                base = f"/console/executions/{project}/development/{name}"
                pages = {
                    "projects": "/console/projects",
                    "project": f"/console/projects/{project}/development",
                    "workflow (graph)": f"/console/projects/{project}/development/workflows/big",
                    "executions list": f"/console/executions/{project}/development",
                    "execution page": base,
                    "header": f"{base}/header",
                    "graph phases": f"{base}/phases",
                    "top-level nodes": f"{base}/nodes",
                    "map: counts + first items": f"{base}/map?node=n1",
                    "map: failed items": f"{base}/map?node=n1&phase=FAILED",
                    "map: item 99,999": f"{base}/node?path=n1%5B{items - 1}%5D",
                    "map: deep page": f"{base}/map?node=n1&after={items}",
                    "gantt (200 of all)": f"{base}/gantt",
                    "node n1 (the map)": f"{base}/node?path=n1",
                }
                print(f"{'page':32} {'median':>9} {'max':>9} {'bytes':>9}")
                worst = 0.0
                for label, path in pages.items():
                    med, top, size = _time(client, path)
                    worst = max(worst, top)
                    print(f"{label:32} {med * 1000:8.1f}ms {top * 1000:8.1f}ms {size:9,}")
                print(f"slowest request: {worst * 1000:.0f} ms (goal: under 1000 ms)")
            if browser:
                for label, seconds in _browser(url, token, base).items():
                    print(f"browser: {label:30} {seconds * 1000:8.0f}ms")
        finally:
            stop(proc)
    finally:
        if backend != "sqlite":
            _drop(db_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    for backend in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        run(backend, args.items, not args.no_browser)


if __name__ == "__main__":
    main()
