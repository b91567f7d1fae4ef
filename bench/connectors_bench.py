"""500 connector jobs held at once by one engine host with 2 workers.

    python bench/connectors_bench.py [--seconds 2.0] [--db sqlite|postgresql]

Starts a server (``--workers 2``), registers ``bench/flows/connector_flows.py`` and runs
``timers``: one execution of 500 timer tasks (a connector whose job is a timer of ``--seconds``),
all running at once. Prints the wall time from launch to SUCCEEDED beside the longest job (goal:
within 10%), the wall time of one timer alone (the platform's fixed cost around a job), and the
engine host's CPU seconds and peak memory over the run (the server process: API, scheduler and
engine host; the workers are other processes and hold none of the jobs).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from _server_proc import start, stop

FLOWS = Path(__file__).resolve().parent / "flows" / "connector_flows.py"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def _cpu_s(pid: int) -> float:
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _mib(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return 0.0


def _launch(api: httpx.Client, wf: str, inputs: dict[str, Any]) -> str:
    body = {
        "target": {"resource_type": "workflow", "project": "bench", "domain": "development",
                   "name": f"connector_flows.{wf}"},
        "inputs": inputs,
    }  # fmt: skip
    r = api.post("/executions", json=body)
    r.raise_for_status()
    return str(r.json()["id"]["name"])


def _wait(api: httpx.Client, name: str, timeout: float = 300) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rec = api.get(f"/executions/bench/development/{name}").json()
        if rec.get("phase") in ("SUCCEEDED", "FAILED", "ABORTED"):
            if rec["phase"] != "SUCCEEDED":
                raise RuntimeError(f"{name} ended {rec['phase']}: {rec.get('error')}")
            return time.perf_counter()
        time.sleep(0.02)
    raise RuntimeError(f"{name} did not finish in {timeout} s")


def run(seconds: float, db: str) -> dict[str, Any]:
    from slipstream.remote import Remote

    tmp = Path(tempfile.mkdtemp(prefix="slipstream-bench-"))
    tmp.chmod(0o755)
    if db == "sqlite":
        db_url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        import psycopg

        pg = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg}"')
        db_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg}"
    proc, url = start(tmp / "home", db_url, "--workers", "2")
    out: dict[str, Any] = {"db": db, "jobs": 500, "job_s": seconds, "workers": 2}
    try:
        token = (tmp / "home" / "admin-token").read_text().strip()
        with Remote(url, project="bench", domain="development", token=token) as r:
            r.create_project("bench")
            r.register(FLOWS)
        api = httpx.Client(
            base_url=f"{url}/api/v1", timeout=60, headers={"Authorization": f"Bearer {token}"}
        )
        t0 = time.perf_counter()
        out["one_timer_wall_s"] = _wait(api, _launch(api, "one_timer", {"seconds": seconds})) - t0
        cpu0, rss0 = _cpu_s(proc.pid), _mib(proc.pid, "VmRSS:")
        t0 = time.perf_counter()
        name = _launch(api, "timers", {"seconds": seconds})
        t1 = _wait(api, name)
        out["wall_s"] = t1 - t0
        out["over_longest_job_pct"] = 100 * (out["wall_s"] - seconds) / seconds
        out["host_cpu_s"] = _cpu_s(proc.pid) - cpu0
        out["host_rss_before_mib"] = rss0
        out["host_rss_after_mib"] = _mib(proc.pid, "VmRSS:")
        out["host_peak_rss_mib"] = _mib(proc.pid, "VmHWM:")
        nodes = api.get(f"/executions/bench/development/{name}/nodes", params={"limit": 500})
        items = nodes.json()["items"]
        starts = [n["started_at"] for n in items if n.get("started_at")]
        ends = [n["ended_at"] for n in items if n.get("ended_at")]
        out["nodes_seen"] = len(items)
        out["first_to_last_start_s"] = max(starts) - min(starts)
        out["longest_node_s"] = max(n["ended_at"] - n["started_at"] for n in items)
        out["last_end_after_first_start_s"] = max(ends) - min(starts)
    finally:
        stop(proc)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = ap.parse_args()
    print(json.dumps(run(args.seconds, args.db), indent=2))


if __name__ == "__main__":
    main()
