"""Memory that grows on retry, on a real server process: an attempt killed for memory runs again with
twice the memory without spending the task's retries, the attempt records keep each limit and
peak, ``execution describe`` shows them, and a project's ``oom_retry`` cap stops the growth with an
error that names it. A bad ``oom_retry`` setting is refused and changes nothing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "console"))

from console_client import ConsoleClient
from live_server import LiveServer, cli, cli_project, live

from slipstream.model import OomRetry, Settings
from slipstream.remote import Remote

pytestmark = pytest.mark.timeout(120)

MiB = 1 << 20

FLOWS = """
import time

from slipstream import Resources, task, workflow


@task(retries=0, limits=Resources(mem="100Mi"))
def grows(mib: int) -> int:
    block = bytearray(mib << 20)
    for i in range(0, len(block), 4096):
        block[i] = 1
    time.sleep(0.3)
    return len(block) >> 20


@workflow
def needs_more(mib: int = 150) -> int:
    return grows(mib=mib)
"""


@pytest.fixture(scope="module")
def server() -> LiveServer:
    return live("sqlite")


@pytest.fixture
def env(server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    project, package = cli_project(server, monkeypatch, "oom", tmp_path, {"flows.py": FLOWS})
    return project, package / "flows.py"


def _run(flows: Path, code: int) -> str:
    cli("run", "--remote", "--wait", str(flows), "needs_more", code=code)
    (row,) = json.loads(cli("get", "executions", "--json").stdout)
    return str(row["name"])


def test_an_attempt_killed_for_memory_succeeds_with_twice_the_memory(
    server: LiveServer, env: tuple[str, Path]
) -> None:
    _, flows = env
    name = _run(flows, 0)
    with Remote() as remote:
        attempts = remote.attempts(name, "n0")
    assert [a.phase.value for a in attempts] == ["FAILED", "SUCCEEDED"]  # with retries=0
    first, second = attempts
    assert first.error is not None and first.error.kind == "OOM"
    assert first.memory_limit == 100 * MiB and first.memory_peak > 100 * MiB
    assert second.memory_limit == 200 * MiB and 150 * MiB < second.memory_peak <= 200 * MiB
    text = cli("execution", "describe", name).stdout
    assert "n0: attempt 2 ran with 200Mi after attempt 1 used" in text
    assert "MiB of 100Mi" in text
    (node,) = json.loads(cli("execution", "describe", name, "--json").stdout)["nodes"]
    assert node["attempt_memory"][1]["limit"] == 200 * MiB
    assert node["memory"][0].startswith("attempt 2 ran with 200Mi after attempt 1 used ")
    logged = [line for line in server.output if name in line and "runs with 200Mi" in line]
    assert logged and "n0: attempt 2 runs with 200Mi after attempt 1 used " in logged[0]
    project = env[0]
    with ConsoleClient(server.url, server.token) as browser:
        base = f"/console/executions/{project}/development/{name}"
        detail = browser.get(f"{base}/node", params={"path": "n0"}).text
    assert '<p class="memory-note">attempt 2 ran with 200Mi after attempt 1 used ' in detail


def test_the_project_cap_stops_the_growth_with_a_message_naming_it(
    env: tuple[str, Path],
) -> None:
    project, flows = env
    with Remote() as remote:
        remote.set_settings(Settings(oom_retry=OomRetry(factor=1.5, max="150Mi")), project=project)
    name = _run(flows, 1)
    with Remote() as remote:
        attempts = remote.attempts(name, "n0")
        record = remote.fetch_execution(name)
    assert [a.memory_limit for a in attempts] == [100 * MiB, 150 * MiB]
    assert all(a.error is not None and a.error.kind == "OOM" for a in attempts)
    assert record.error is not None
    assert "it ran with 150Mi, the cap of memory retries (oom_retry max 150Mi)" in (
        record.error.message
    )


@pytest.mark.parametrize(
    "oom", [{"factor": 1}, {"factor": 100}, {"max": "lots"}, {"max": "1k"}, {"factor": "x"}]
)
def test_a_bad_oom_retry_setting_is_refused(
    server: LiveServer, env: tuple[str, Path], oom: dict[str, object]
) -> None:
    project, _ = env
    url = f"{server.url}/api/v1/projects/{project}/settings"
    with httpx.Client(headers=server.headers) as http:
        before = http.get(url).json()
        r = http.put(url, json={"oom_retry": oom})
        assert r.status_code in (400, 422), r.text
        assert http.get(url).json() == before
