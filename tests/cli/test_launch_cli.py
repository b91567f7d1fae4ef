"""Against a real server process: console URLs (`server`, `run --remote`, `execution describe`),
``slipstream launch`` of what is registered with a launcher's token, ``get execution NAME``,
``-o json``, a DataFrame output shown the same on every path of ``run --remote --wait``, a
launch plan's fixed input refused as fixed, ``logs --attempt`` counted from 1, and a refused
token explained in the command line's words."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from live_server import LiveServer, cli, cli_project, live, unique

from slipstream.remote import Remote

FRAMES = """
import pandas as pd

from slipstream import task, workflow


@task
def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"a": list(range(n)), "b": [str(i) for i in range(n)]})


@workflow
def frames(n: int = 7) -> pd.DataFrame:
    return frame(n=n)
"""

FLOWS = """
from slipstream import LaunchPlan, current_context, task, workflow


@task(retries=1)
def double(x: int) -> int:
    if current_context().attempt_number == 0:  # the first attempt fails, the second succeeds
        print(f"first attempt for {x}")
        raise RuntimeError("once")
    print(f"second attempt for {x}")
    return 2 * x


@workflow
def pipeline(x: int = 3) -> int:
    return double(x=x)


@task
def scaled(x: int, scale: int) -> int:
    return x * scale


@workflow
def scaling(x: int, scale: int) -> int:
    return scaled(x=x, scale=scale)


tripled = LaunchPlan.get_or_create(scaling, name=f"{__name__}.tripled", fixed_inputs={"scale": 3})
"""


@pytest.fixture(scope="module")
def server() -> LiveServer:
    return live("sqlite")


@pytest.fixture
def env(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, Path, str]:
    """A project with FLOWS registered; the client pointed at the server as its admin."""
    # pandas only where a test needs it: frames.py
    modules = {"flows.py": FLOWS, "frames.py": FRAMES}
    project, package = cli_project(server, monkeypatch, "lc", tmp_path, modules)
    return project, package / "flows.py", package.name


def _ended(name: str) -> Any:
    """Wait for an execution started without --wait (one at a time keeps the test quick)."""
    with Remote() as remote:
        return remote.wait(name, timeout=60, poll_interval=0.1)


def test_the_server_prints_its_console_url(server: LiveServer) -> None:
    line = f"slipstream console: {server.url}/console\n"
    deadline = time.monotonic() + 10  # printed just after the line the fixture waits for
    while line not in server.output and time.monotonic() < deadline:
        time.sleep(0.05)
    assert line in server.output


def test_run_remote_prints_the_console_url(
    env: tuple[str, Path, str], server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, flows, _ = env
    started = cli("run", "--remote", str(flows), "pipeline", "--x", "2")
    name = started.stdout.strip().rsplit("/", 1)[1]
    url = f"{server.url}/console/executions/{project}/development/{name}"
    assert started.stdout.strip() == f"{project}/development/{name}"  # stdout: the name alone
    assert f"console: {url}" in started.stderr
    _ended(name)
    data = json.loads(cli("run", "--remote", "--json", str(flows), "pipeline").stdout)
    assert data["url"].startswith(f"{server.url}/console/executions/{project}/development/")
    assert data["url"].endswith("/" + data["execution"].rsplit("/", 1)[1])
    _ended(data["execution"].rsplit("/", 1)[1])
    waited = cli("run", "--remote", "--wait", str(flows), "pipeline", "--x", "2")
    assert f"console: {server.url}/console/executions/{project}/development/" in waited.stderr
    described = json.loads(cli("execution", "describe", name, "--json").stdout)
    assert described["url"] == url


def test_a_dataframe_output_is_previewed_on_every_path(env: tuple[str, Path, str]) -> None:
    _, flows, _ = env
    frames = str(flows.parent / "frames.py")
    # the first run imports FILE (its Python types); the next read the remembered specs
    for _ in range(2):
        text = cli("run", "--remote", "--wait", frames, "frames", "--n", "7").stdout
        assert "o0: 7 rows x 2 columns (a, b) at " in text, text
        data = json.loads(
            cli("run", "--remote", "--wait", "--json", frames, "frames", "--n", "7").stdout
        )
        assert data["o0"]["rows"] == 7 and data["o0"]["columns"] == ["a", "b"]
        assert data["o0"]["uri"]
    newest = json.loads(cli("get", "executions", "--json", "--limit", "1").stdout)[0]["name"]
    described = json.loads(cli("execution", "describe", newest, "--json").stdout)
    assert described["outputs"] == data  # describe shows it the same way


def test_launch_what_is_registered_with_a_launchers_token(
    env: tuple[str, Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, flows, package = env
    cli("register", str(flows.parent))
    user = unique("launcher")
    cli("auth", "create-user", user)
    cli("auth", "grant", user, "launcher", "-p", project, "-d", "development")
    token = json.loads(cli("auth", "token", "create", "--user", user, "--json").stdout)["token"]
    monkeypatch.setenv("SLIPSTREAM_TOKEN", token)
    before = json.loads(cli("get", "workflows", "--json").stdout)

    wf = f"{package}.flows.pipeline"
    assert "--x INTEGER" in cli("launch", wf, "--help").stdout  # typed by the registered interface
    done = cli("launch", wf, "--x", "5", "--wait", "--name", "launched-1")
    assert "o0: 10" in done.stdout and "console: " in done.stderr
    out = json.loads(
        cli("launch", "--json", f"{package}.flows.tripled", "--launchplan", "--x", "2").stdout
    )
    assert out["url"].endswith(out["execution"].rsplit("/", 1)[1])
    assert _ended(out["execution"].rsplit("/", 1)[1]).phase.value == "SUCCEEDED"

    # a fixed input says it is fixed; a bad value is refused with its type; nothing is launched
    refused = cli(
        "launch", "--launchplan", f"{package}.flows.tripled", "--x", "1", "--scale", "5", code=2
    )
    assert "input 'scale' is fixed by launch plan" in refused.output
    bad = cli("launch", wf, "--x", "many", code=2)
    assert "'many'" in bad.output and "--x" in bad.output
    missing = cli("launch", "no.such.flow", code=1)
    assert "no workflow or task named no.such.flow" in missing.output
    assert "--launchplan" in missing.output
    # nothing was registered by launching, and only the two launches ran
    assert json.loads(cli("get", "workflows", "--json").stdout) == before
    names = [r["name"] for r in json.loads(cli("get", "executions", "--json").stdout)]
    assert len(names) == 2 and "launched-1" in names

    # `get execution NAME` is `execution describe NAME`; `-o json` is `--json` there
    described = json.loads(cli("execution", "describe", "launched-1", "--json").stdout)
    assert json.loads(cli("get", "execution", "launched-1", "-o", "json").stdout) == described
    assert described["outputs"] == {"o0": 10}
    listed = json.loads(cli("get", "execution", "-o", "json").stdout)
    assert sorted(r["name"] for r in listed) == sorted(names)
    assert "yaml is not offered" in cli("get", "execution", "-o", "yaml", code=2).output

    # attempts count from 1, as the node's attempt count does
    assert "first attempt for 5" in cli("logs", "launched-1", "n0", "--attempt", "1").stdout
    assert "second attempt for 5" in cli("logs", "launched-1", "n0", "--attempt", "2").stdout
    assert "second attempt for 5" in cli("logs", "launched-1", "n0").stdout
    assert "Invalid value" in cli("logs", "launched-1", "n0", "--attempt", "0", code=2).output


def test_a_refused_token_speaks_of_the_options(
    env: tuple[str, Path, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SLIPSTREAM_HOME", str(tmp_path))  # not the server's home: no admin token
    monkeypatch.delenv("SLIPSTREAM_TOKEN")
    out = cli("get", "workflows", code=1).output
    assert "--token" in out and "SLIPSTREAM_TOKEN" in out and "Authorization" not in out
    out = cli("get", "workflows", "--token", "ss_not_a_token", code=1).output
    assert "error [unauthenticated]" in out and "--token" in out
    data = json.loads(cli("get", "workflows", "--json", code=1).stdout)
    assert (
        data["error"]["code"] == "unauthenticated"
        and "SLIPSTREAM_TOKEN" in data["error"]["message"]
    )
