"""Routine restarts are not failures, and crashes count as the task configured.

A server stopped with SIGTERM waits a grace period for its running attempts, then hands the rest
back ``INTERRUPTED``: four restarts during a long task with ``retries=0`` still end in success,
with every attempt and its real duration recorded and no retry budget spent. A task whose own
process dies (a segfault, ``os._exit``, a timeout it ignores) is retried under its own
``retries`` as ``worker_lost`` / ``timeout``, never more; ``system_retries=0`` opts out of the
platform's retries; what a crashed task printed is served. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import getpass
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from engine_procs import Cluster, Proc, cluster, db_rows, launch, marks, register_flows, wait_phase
from live_server import BACKENDS, child_env, cli_command

pytestmark = pytest.mark.timeout(240)

PROJECT = "proj"


def _serve(c: Cluster, *extra: str) -> Proc:
    """Start a server on the cluster's database and wait until it answers."""
    server = c.server(*extra)
    server.start()
    c.wait_ready()
    return server


def _get(c: Cluster, path: str) -> Any:
    with c.api() as api:
        r = api.get(f"/executions/{PROJECT}/development/{path}")
        assert r.status_code == 200, r.text
        return r.json()


def _only_node(c: Cluster, name: str) -> dict[str, Any]:
    nodes = _get(c, f"{name}/nodes")["items"]
    assert len(nodes) == 1, nodes
    return dict(nodes[0])


def _env(mark_file: Path) -> dict[str, str]:
    """The processes' environment: marks written there, tasks run as the test's own user (these
    tests are about restarts and crashes, not about the walls around workers)."""
    return {"SLIPSTREAM_TEST_MARKS": str(mark_file), "SLIPSTREAM_WORKER_USER": getpass.getuser()}


def _mark_file() -> Path:
    """A file every worker may append to, whatever OS user the pool runs tasks as."""
    shared = Path(tempfile.mkdtemp(prefix="slipstream-marks-"))
    shared.chmod(0o1777)
    return shared / "marks"


def _runs(mark_file: Path, name: str) -> Counter[int]:
    """How often each attempt number (counted from 0) of ``name`` ran."""
    return Counter(attempt for ex, _, attempt in marks(mark_file) if ex == name)


def _wait_runs(mark_file: Path, name: str, n: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while sum(_runs(mark_file, name).values()) < n:
        assert time.monotonic() < deadline, f"run {n} of {name} never started"
        time.sleep(0.05)


@pytest.mark.parametrize("backend", BACKENDS)
def test_four_sigterm_restarts_during_a_long_task_spend_no_retry(
    backend: str, tmp_path: Path
) -> None:
    mark_file = _mark_file()
    restarts = 4
    with cluster(backend, tmp_path, **_env(mark_file)) as c:
        server = _serve(c, "--shutdown-grace", "0.5")
        register_flows(c, PROJECT, module="restarts")
        # longer than the grace: each restart interrupts it; the last host lets it finish
        name = launch(c, "long_run", {"seconds": 2.5}, PROJECT, module="restarts")
        for k in range(restarts):
            _wait_runs(mark_file, name, k + 1)
            time.sleep(0.3)
            server.stop()  # SIGTERM: a routine restart
            assert server.process is not None and server.process.returncode == 0
            server = _serve(c, "--shutdown-grace", "0.5")
        rec = wait_phase(c, name, timeout=120)
        assert rec["phase"] == "SUCCEEDED", rec
        assert rec["outputs"] == {"o0": 2.5}
        node = _only_node(c, name)
        attempts = _get(c, f"{name}/nodes/{node['path']}/attempts")
        phases = [a["phase"] for a in attempts]
        assert phases == ["INTERRUPTED"] * restarts + ["SUCCEEDED"], attempts
        assert [a["number"] for a in attempts] == list(range(1, restarts + 2))
        for a in attempts[:-1]:
            assert a["error"]["code"] == "interrupted"
            assert a["ended_at"] - a["started_at"] >= 0.5, a  # its real duration, not 0
        assert node["attempts"] == restarts + 1
        assert node["ended_at"] - node["started_at"] >= restarts * 0.8 + 2.5, node
        assert _runs(mark_file, name) == {k: 1 for k in range(restarts + 1)}
        lost = db_rows(
            c.db_url,
            "SELECT count(*) FROM attempts a JOIN executions e ON e.id = a.execution_id "
            "WHERE e.name = :name AND (a.phase = 'FAILED' OR a.record LIKE '%attempt_lost%')",
            name=name,
        )[0][0]
        assert lost == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_standalone_engine_stopped_with_sigterm_hands_its_attempt_back(
    backend: str, tmp_path: Path
) -> None:
    mark_file = _mark_file()
    env = {**_env(mark_file), "SLIPSTREAM_SHUTDOWN_GRACE_S": "0.5"}  # the option's variable
    with cluster(backend, tmp_path, **env) as c:
        _serve(c, "--no-engine")
        register_flows(c, PROJECT, module="restarts")
        name = launch(c, "long_run", {"seconds": 2.0}, PROJECT, module="restarts")
        for k in range(2):
            engine = c.engine(f"e{k}")
            engine.start()
            engine.wait_output("running executions")
            if k == 0:
                _wait_runs(mark_file, name, 1)
                engine.stop()
                assert engine.process is not None and engine.process.returncode == 0
                assert "slipstream engine stopped" in engine.output()
        rec = wait_phase(c, name, timeout=90)
        assert rec["phase"] == "SUCCEEDED", rec
        attempts = _get(c, f"{name}/nodes/{_only_node(c, name)['path']}/attempts")
        assert [a["phase"] for a in attempts] == ["INTERRUPTED", "SUCCEEDED"], attempts
        assert _runs(mark_file, name) == {0: 1, 1: 1}


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_attempt_lost_with_a_killed_server_keeps_its_start_and_log(
    backend: str, tmp_path: Path
) -> None:
    mark_file = _mark_file()
    with cluster(backend, tmp_path, **_env(mark_file)) as c:
        server = _serve(c)
        register_flows(c, PROJECT, module="restarts")
        name = launch(c, "long_run", {"seconds": 1.0}, PROJECT, module="restarts")
        _wait_runs(mark_file, name, 1)
        time.sleep(0.3)
        server.kill9()  # not a routine restart: the attempt is lost, a SYSTEM failure
        _serve(c)
        rec = wait_phase(c, name, timeout=90)
        assert rec["phase"] == "SUCCEEDED", rec
        path = _only_node(c, name)["path"]
        lost, ok = _get(c, f"{name}/nodes/{path}/attempts")
        assert lost["phase"] == "FAILED" and lost["error"]["code"] == "attempt_lost", lost
        assert lost["ended_at"] - lost["started_at"] >= 0.3, lost  # from its real start
        assert lost["log_uri"], lost  # what it printed stays readable
        assert ok["phase"] == "SUCCEEDED"


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_attempt_that_ends_within_the_grace_is_recorded_and_not_run_again(
    backend: str, tmp_path: Path
) -> None:
    mark_file = _mark_file()
    with cluster(backend, tmp_path, **_env(mark_file)) as c:
        server = _serve(c, "--shutdown-grace", "20")
        register_flows(c, PROJECT, module="restarts")
        name = launch(c, "long_run", {"seconds": 1.5}, PROJECT, module="restarts")
        _wait_runs(mark_file, name, 1)
        began = time.monotonic()
        server.stop()
        assert time.monotonic() - began >= 1.0  # it waited for the attempt
        done = db_rows(c.db_url, "SELECT phase FROM executions WHERE name = :name", name=name)[0][0]
        assert done == "SUCCEEDED"
        _serve(c)
        rec = wait_phase(c, name)
        assert rec["phase"] == "SUCCEEDED"
        assert _runs(mark_file, name) == {0: 1}
        attempts = _get(c, f"{name}/nodes/{_only_node(c, name)['path']}/attempts")
        assert [a["phase"] for a in attempts] == ["SUCCEEDED"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_task_whose_process_dies_is_retried_under_its_own_retries(
    backend: str, tmp_path: Path
) -> None:
    mark_file = _mark_file()
    with cluster(backend, tmp_path, **_env(mark_file)) as c:
        _serve(c)
        register_flows(c, PROJECT, module="restarts")
        names = {
            wf: launch(c, wf, {"x": 1}, PROJECT, module="restarts")
            for wf in (
                "crash_segfault", "crash_exit", "crash_timeout", "killed_no_system_retries",
                "user_error",
            )
        }  # fmt: skip
        for wf, want_code, want_kind, runs in (
            ("crash_segfault", "worker_lost", "USER", 2),
            ("crash_exit", "worker_lost", "USER", 2),
            ("crash_timeout", "timeout", "TIMEOUT", 2),
            ("killed_no_system_retries", "worker_lost", "SYSTEM", 1),
            ("user_error", "user_error", "USER", 1),  # the kind is in the JSON, USER too
        ):
            name = names[wf]
            rec = wait_phase(c, name, timeout=90)
            assert rec["phase"] in ("FAILED", "TIMED_OUT"), (wf, rec)
            assert rec["error"]["code"] == want_code, (wf, rec["error"])
            assert rec["error"]["kind"] == want_kind, (wf, rec["error"])
            node = _only_node(c, name)
            attempts = _get(c, f"{name}/nodes/{node['path']}/attempts")
            assert len(attempts) == runs, (wf, attempts)
            assert all(a["error"]["code"] == want_code for a in attempts), (wf, attempts)
            assert all(a["error"]["kind"] == want_kind for a in attempts), (wf, attempts)
            assert sum(_runs(mark_file, name).values()) == runs, wf
        # what the segfaulted task printed before it died is served, by the API and the CLI
        name = names["crash_segfault"]
        path = _only_node(c, name)["path"]
        for a in _get(c, f"{name}/nodes/{path}/attempts"):
            assert a["log_uri"], a
        chunk = _get(c, f"{name}/nodes/{path}/logs")
        assert "about to crash on 1" in chunk["data"], chunk
        out = subprocess.run(
            cli_command("logs", name, path, "--endpoint", c.url, "-p", PROJECT, "-d", "development"),
            env=child_env(tmp_path / "cli-home"), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        assert "about to crash on 1" in out.stdout
