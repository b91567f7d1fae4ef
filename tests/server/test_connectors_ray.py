"""The Ray job connector on a real local Ray head with its job API: a task's body runs as a Ray
job (in a local run and on a server), a failing body fails the task naming the service and the
cause, and a server killed with SIGKILL mid-job follows the same job after its restart: one job
submitted (listed through Ray's own client), and the execution succeeds."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("ray.job_submission")

from engine_procs import Cluster, cluster, launch, register_flows, wait_phase

pytestmark = [pytest.mark.ray, pytest.mark.timeout(240)]

RAY = str(Path(sys.executable).parent / "ray")
FLOWS = Path(__file__).parent / "flows"
PROJECT = "proj"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def ray_jobs() -> Iterator[dict[str, str]]:
    """A Ray head with its dashboard (the job API); yields the environment an engine needs to
    submit to it (``RAY_ADDRESS``, and a ``PATH`` whose ``python`` is this interpreter)."""
    from ray.job_submission import JobSubmissionClient

    port, dash = _free_port(), _free_port()
    temp = tempfile.mkdtemp(prefix="rj", dir="/tmp")  # Ray's socket paths must stay short
    env = dict(os.environ)
    env.pop("RAY_ADDRESS", None)
    env["RAY_AUTH_MODE"] = "disabled"
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    head = subprocess.Popen(
        [RAY, "start", "--block", "--disable-usage-stats", "--head", f"--port={port}",
         "--num-cpus=2", "--include-dashboard=true", "--dashboard-host=127.0.0.1",
         f"--dashboard-port={dash}", f"--temp-dir={temp}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=env,
    )  # fmt: skip
    address = f"http://127.0.0.1:{dash}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert head.poll() is None, "ray start --head exited"
            assert time.monotonic() < deadline, "the Ray job API did not start"
            try:
                JobSubmissionClient(address).list_jobs()
                break
            except Exception:
                time.sleep(0.5)
        yield {"RAY_ADDRESS": address, "PATH": env["PATH"], "RAY_AUTH_MODE": "disabled"}
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(head.pid, sig)
                head.wait(15)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        shutil.rmtree(temp, ignore_errors=True)


def _jobs_of(address: str, task: str) -> list[Any]:
    from ray.job_submission import JobSubmissionClient

    jobs = JobSubmissionClient(address).list_jobs()
    return [j for j in jobs if (j.metadata or {}).get("slipstream_task") == task]


@pytest.fixture
def flows(ray_jobs: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    for k, v in ray_jobs.items():
        monkeypatch.setenv(k, v)
    monkeypatch.syspath_prepend(str(FLOWS))
    import ray_jobs as module

    return module


def test_a_body_runs_as_a_ray_job(flows: Any, ray_jobs: dict[str, str]) -> None:
    from slipstream.runners import execute_local

    run = execute_local(flows.on_ray, {"x": 4, "seconds": 0.0})
    assert run.record.phase.value == "SUCCEEDED", run.record.error
    assert run.python_outputs() == 9
    assert _jobs_of(ray_jobs["RAY_ADDRESS"], "ray_jobs.slow_double")


def test_a_failing_body_fails_naming_the_service(flows: Any) -> None:
    from slipstream.runners import execute_local

    run = execute_local(flows.on_ray, {"x": -1, "seconds": 0.0})
    err = run.record.error
    assert run.record.phase.value == "FAILED" and err is not None
    assert err.message.startswith("Ray job service: the job failed: x must be >= 0, got -1")
    assert err.kind == "USER"


def test_a_killed_server_follows_its_ray_job(ray_jobs: dict[str, str], tmp_path: Path) -> None:
    address = ray_jobs["RAY_ADDRESS"]
    with cluster("sqlite", tmp_path, **ray_jobs) as c:
        server = _serve(c)
        register_flows(c, PROJECT, module="ray_jobs")
        name = launch(c, "on_ray", {"x": 20, "seconds": 6.0}, PROJECT, module="ray_jobs")
        deadline = time.monotonic() + 90
        while not [j for j in _jobs_of(address, "ray_jobs.slow_double") if name in j.submission_id]:
            assert time.monotonic() < deadline, "the Ray job was never submitted"
            time.sleep(0.2)
        journal_at = time.monotonic() + 30  # the node's job journal, written as the job starts
        while not list((c.root / "data").rglob("connector-job.json")):
            assert time.monotonic() < journal_at, "the job's journal was never written"
            time.sleep(0.05)
        server.kill9()
        _serve(c)
        rec = wait_phase(c, name, timeout=150)
        assert rec["phase"] == "SUCCEEDED", rec
        assert rec["outputs"] == {"o0": 41}
        mine = [j for j in _jobs_of(address, "ray_jobs.slow_double") if name in j.submission_id]
        assert len(mine) == 1, mine  # submitted once, followed after the restart
        assert str(getattr(mine[0].status, "value", mine[0].status)) == "SUCCEEDED"


def _serve(c: Cluster) -> Any:
    server = c.server()
    server.start()
    c.wait_ready()
    return server
