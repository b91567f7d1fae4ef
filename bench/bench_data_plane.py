"""A data plane through the API against the server's embedded engine host, side by side.

    python bench/bench_data_plane.py [--map N] [--rounds K]

Two set-ups on one SQLite file each, two warm workers, authentication on, on this machine:

- **embedded**: ``slipstream server`` (its engine host reads and writes the database itself);
- **data plane**: ``slipstream server --no-engine`` plus ``slipstream engine --cluster east
  --endpoint URL --token T --store ...`` (a separate process with its own home and store that
  reaches the control plane only through its HTTP API).

Measured through the API, as ``bench/bench_server.py`` does: (a) one execution of a map of N
trivial tasks (plus its two other tasks), (b) 200 executions of a 5-task chain launched by 16
clients at once, and the dispatch latency of a chain of 200 (an upstream task's end to its
downstream task's start, as the workers recorded them). The control plane's cost per task is the
CPU time its process spent during (a) divided by the tasks (for the embedded server this includes
its engine host; for the data plane set-up the engine host's CPU is reported apart).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server_proc import cli, env
from bench_server import FLOWS, _chain_latencies, _create, _wait


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _start(home: Path, args: list[str], ready: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        cli(*args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env(home)
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if ready in line:
            return proc, line
    raise RuntimeError(f"{args[0]} did not start")


def run(mode: str, map_n: int) -> dict[str, Any]:
    from slipstream.remote import Remote

    tmp = Path(tempfile.mkdtemp(prefix="slipstream-bench-dp-"))
    tmp.chmod(0o755)
    db = f"sqlite:///{tmp / 'bench.db'}"
    home = tmp / "home"
    extra = ["--no-engine"] if mode == "data plane" else []
    server, line = _start(
        home, ["server", "--port", "0", "--home", str(home), "--db", db, "--workers", "2",
               *extra], "listening on ")  # fmt: skip
    url = line.split("listening on ", 1)[1].strip()
    token = (home / "admin-token").read_text().strip()
    procs = [server]
    out: dict[str, Any] = {"mode": mode}
    try:
        api = httpx.Client(
            base_url=f"{url}/api/v1", timeout=60, headers={"Authorization": f"Bearer {token}"}
        )
        with Remote(url, project="bench", domain="development", token=token) as r:
            r.create_project("bench")
            r.register(FLOWS)
        engine = None
        if mode == "data plane":
            made = api.post("/tokens", json={"scope": "cluster:east"})
            made.raise_for_status()
            r = api.put("/projects/bench/settings", json={"execution_cluster": ["east"]})
            r.raise_for_status()
            plane_home = tmp / "plane"
            engine, _ = _start(
                plane_home, ["engine", "--cluster", "east", "--endpoint", url, "--token",
                             made.json()["token"], "--home", str(plane_home), "--store",
                             (plane_home / "data").as_uri(), "--workers", "2"],
                "running executions",
            )  # fmt: skip
            procs.append(engine)
        _wait(api, [_create(api, "chain5", {"x": 0})])  # warm-up: workers import the flows

        cpu0 = _cpu_s(server.pid)
        host0 = _cpu_s(engine.pid) if engine else 0.0
        t0 = time.perf_counter()
        name = _create(api, "fan", {"n": map_n})
        t1 = _wait(api, [name], timeout=1200)
        tasks = map_n + 2
        out["a_tasks"] = tasks
        out["a_s"] = t1 - t0
        out["a_tasks_per_s"] = tasks / (t1 - t0)
        out["control_cpu_us_per_task"] = 1e6 * (_cpu_s(server.pid) - cpu0) / tasks
        if engine is not None:
            out["host_cpu_us_per_task"] = 1e6 * (_cpu_s(engine.pid) - host0) / tasks

        name = _create(api, "chain200", {"x": 0})
        _wait(api, [name])
        lat = sorted(_chain_latencies(api, name))
        out["dispatch_p50_ms"] = 1000 * statistics.median(lat)
        out["dispatch_p99_ms"] = 1000 * lat[int(0.99 * (len(lat) - 1))]

        t0 = time.perf_counter()
        with ThreadPoolExecutor(16) as pool:
            names = list(pool.map(lambda i: _create(api, "chain5", {"x": i}), range(200)))
        out["b_launch_s"] = time.perf_counter() - t0
        t1 = _wait(api, names)
        out["b_200x5_s"] = t1 - t0
        out["b_tasks_per_s"] = 1000 / (t1 - t0)
        api.close()
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--map", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=1)
    a = p.parse_args()
    for _ in range(a.rounds):
        for mode in ("embedded", "data plane"):
            res = run(mode, a.map)
            print(
                json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in res.items()})
            )


if __name__ == "__main__":
    main()
