"""The execution commands against a real server that runs executions (SQLite and PostgreSQL):
``run --remote [--wait]``, ``get executions``, ``execution describe|abort|relaunch|recover``,
``logs`` and ``signal``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from live_server import BACKENDS, LiveServer, cli, cli_project, live

from slipstream.remote import Remote

FLOWS = """
from slipstream import approve, task, wait_for_input, workflow


@task
def double(x: int) -> int:
    print(f"doubling {x}")
    return 2 * x


@task
def boom(x: int) -> int:
    raise ValueError(f"bad x {x}")


@workflow
def pipeline(x: int = 3) -> int:
    return double(x=double(x=x))


@workflow
def failing(x: int = 1) -> int:
    return boom(x=double(x=x))


@workflow
def gated(x: int = 1) -> int:
    answer = wait_for_input("answer", timeout=120, expected_type=int)
    return approve(double(x=answer), "ok", timeout=120)
"""


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest) -> LiveServer:
    return live(request.param)


@pytest.fixture
def env(server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """A project on the server, the client pointed at it, and a file of workflows."""
    project, package = cli_project(server, monkeypatch, "ce", tmp_path, {"flows.py": FLOWS})
    return project, package / "flows.py"


def test_run_remote_wait_prints_outputs(env: tuple[str, Path]) -> None:
    project, flows = env
    out = cli("run", "--remote", "--wait", str(flows), "pipeline", "--x", "5")
    assert "o0: 20" in out.stdout
    data = json.loads(cli("run", "--remote", "--wait", "--json", str(flows), "pipeline").stdout)
    assert data == {"o0": 12}  # the default x=3
    started = cli("run", "--remote", str(flows), "pipeline", "--x", "1").stdout.strip()
    assert started.startswith(f"{project}/development/")
    name = started.rsplit("/", 1)[1]
    rows = json.loads(cli("get", "executions", "--json", "--workflow", "pipeline").stdout)
    assert name not in [r["name"] for r in rows]  # workflows are named by module path
    rows = json.loads(cli("get", "executions", "--json").stdout)
    assert name in [r["name"] for r in rows] and len(rows) == 3
    with Remote() as remote:
        assert remote.wait(name, timeout=60, poll_interval=0.2).phase.value == "SUCCEEDED"
    described = json.loads(cli("execution", "describe", name, "--json").stdout)
    assert described["phase"] == "SUCCEEDED" and described["outputs"] == {"o0": 4}
    assert [n["path"] for n in described["nodes"]] == ["n0", "n1"]
    assert "doubling 1" in cli("logs", name, "n0").stdout
    assert "n1" in cli("logs", name).stdout
    err = cli("execution", "abort", name, code=1)
    assert "already ended SUCCEEDED" in err.output
    succeeded = json.loads(cli("get", "executions", "--json", "--phase", "succeeded").stdout)
    assert len(succeeded) == 3


def test_bad_input_is_a_usage_error_before_anything_runs(env: tuple[str, Path]) -> None:
    _, flows = env
    result = cli("run", "--remote", str(flows), "pipeline", "--x", "five", code=2)
    assert "int" in result.output
    assert json.loads(cli("get", "executions", "--json").stdout) == []


def test_failure_exit_code_recover_and_relaunch(env: tuple[str, Path]) -> None:
    project, flows = env
    result = cli("run", "--remote", "--wait", str(flows), "failing", code=1)
    assert "ValueError: bad x 2" in result.output and "n1" in result.output
    failed = json.loads(cli("get", "executions", "--json", "--phase", "FAILED").stdout)
    name = failed[0]["name"]
    assert failed[0]["error"]["node"] == "n1"
    recovered = cli("execution", "recover", name, "--wait", code=1)
    assert "bad x 2" in recovered.output
    again = cli("execution", "relaunch", name).stdout.strip()
    assert again.startswith(f"{project}/development/")
    rows = {r["name"]: r for r in json.loads(cli("get", "executions", "--json").stdout)}
    modes = sorted(r["mode"] for r in rows.values())
    assert modes == ["normal", "recover", "relaunch"]
    assert all(r["source"] == name for r in rows.values() if r["mode"] != "normal")
    with Remote() as remote:
        recover = next(r for r in rows.values() if r["mode"] == "recover")
        attempts = remote.attempts(recover["name"], "n0")
        assert attempts == []  # n0 succeeded in the source: copied, not run again


def test_signal_answers_gates(env: tuple[str, Path]) -> None:
    _, flows = env
    started = cli("run", "--remote", str(flows), "gated").stdout.strip()
    name = started.rsplit("/", 1)[1]
    bad = cli("signal", name, "answer", "twenty", code=1)
    assert "answer" in bad.output and "int" in bad.output
    assert "answer = 21" in cli("signal", name, "answer", "21").stdout
    cli("signal", name, "ok", "yes")
    with Remote() as remote:
        done = remote.wait(name, timeout=60, poll_interval=0.2)
        assert done.phase.value == "SUCCEEDED", done.error
        assert remote.outputs(done) == {"o0": 42}


def test_missing_input_is_a_usage_error(env: tuple[str, Path]) -> None:
    _, flows = env
    result = cli("run", "--remote", str(flows), "double", code=2)
    assert "'x'" in result.output and "int" in result.output
    assert json.loads(cli("get", "executions", "--json").stdout) == []
