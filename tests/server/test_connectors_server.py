"""Connector jobs on a server: a server killed with SIGKILL while its timer job runs follows the
same job after its restart (the job is submitted once), the execution succeeds and the job's links
are the attempt's log; an abort stops the job on its service."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from engine_procs import (
    Cluster,
    Proc,
    cluster,
    execution,
    launch,
    register_flows,
    wait_phase,
)

pytestmark = pytest.mark.timeout(180)

PROJECT = "proj"


def _serve(c: Cluster) -> Proc:
    server = c.server()
    server.start()
    c.wait_ready()
    return server


def _jobs(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def _wait_for_job(c: Cluster, name: str, folder: Path) -> None:
    deadline = time.monotonic() + 60
    while not _jobs(folder):
        assert time.monotonic() < deadline, f"the timer job never started: {execution(c, name)}"
        time.sleep(0.05)


def _attempts(c: Cluster, name: str, node: str = "n0") -> list[dict[str, Any]]:
    with c.api() as api:
        r = api.get(f"/executions/{PROJECT}/development/{name}/nodes/{node}/attempts")
        assert r.status_code == 200, r.text
        return list(r.json())


def test_a_killed_server_follows_its_job_after_restart(
    tmp_path: Path,
) -> None:
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    with cluster("sqlite", tmp_path, SLIPSTREAM_TIMER_JOBS_DIR=str(jobs)) as c:
        server = _serve(c)
        register_flows(c, PROJECT, module="connectors")
        name = launch(c, "timer_then_python", {"seconds": 4.0}, PROJECT, module="connectors")
        _wait_for_job(c, name, jobs)
        journal_at = time.monotonic() + 30  # the node's job journal, written as the job starts
        while not list((c.root / "data").rglob("connector-job.json")):
            assert time.monotonic() < journal_at, "the job's journal was never written"
            time.sleep(0.05)
        server.kill9()
        _serve(c)
        rec = wait_phase(c, name, timeout=120)
        assert rec["phase"] == "SUCCEEDED", rec
        assert rec["outputs"] == {"o0": 5.0}
        assert len(_jobs(jobs)) == 1  # submitted once, followed again after the restart
        phases = [(a["phase"], (a.get("error") or {}).get("code")) for a in _attempts(c, name)]
        assert phases == [("FAILED", "attempt_lost"), ("SUCCEEDED", None)], phases
        with c.api() as api:  # the job's links are the attempt's log
            r = api.get(f"/executions/{PROJECT}/development/{name}/nodes/n0/logs")
            assert r.status_code == 200, r.text
        log = r.json()["data"]
        assert "timer service job of task connectors.wait (node n0, attempt 2)" in log, log
        assert "timer job: timer://" in log, log


def test_an_abort_stops_the_job(tmp_path: Path) -> None:
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    with cluster("sqlite", tmp_path, SLIPSTREAM_TIMER_JOBS_DIR=str(jobs)) as c:
        _serve(c)
        register_flows(c, PROJECT, module="connectors")
        name = launch(c, "timer_then_python", {"seconds": 60.0}, PROJECT, module="connectors")
        _wait_for_job(c, name, jobs)
        with c.api() as api:
            r = api.post(f"/executions/{PROJECT}/development/{name}/abort", json={"cause": "t"})
            assert r.status_code in (200, 202), r.text
        rec = wait_phase(c, name, timeout=60)
        assert rec["phase"] == "ABORTED", rec
        deadline = time.monotonic() + 10
        while [j["state"] for j in _jobs(jobs)] != ["STOPPED"]:
            assert time.monotonic() < deadline, _jobs(jobs)
            time.sleep(0.05)
