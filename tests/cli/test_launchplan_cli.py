"""``slipstream launchplan activate|deactivate|status|backfill|ticks`` against a real server
(SQLite and PostgreSQL) whose scheduler thread makes the executions."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from live_server import BACKENDS, LiveServer, cli, cli_project, live

from slipstream.remote import Remote

FLOWS = """
import datetime

from slipstream import CronSchedule, LaunchPlan, task, workflow


@task
def stamp(at: datetime.datetime) -> str:
    return at.isoformat()


@workflow
def daily(at: datetime.datetime = datetime.datetime(2000, 1, 1)) -> str:
    return stamp(at=at)


nightly = LaunchPlan.get_or_create(
    daily,
    name="nightly",
    schedule=CronSchedule("0 */6 * * *", kickoff_time_input_arg="at", timezone="Europe/Paris"),
)
"""


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest) -> LiveServer:
    return live(request.param)


@pytest.fixture
def env(server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A project on the server with ``nightly`` registered as v1 and v2."""
    project, package = cli_project(server, monkeypatch, "lp", tmp_path, {})
    # launch plans are named once per process: each test gets its own name
    (package / "flows.py").write_text(FLOWS.replace('"nightly"', f'"{_lp(project)}"'))
    cli("register", str(package), "--version", "v1")
    cli("register", str(package), "--version", "v2", "--reimport")
    return project


def _lp(project: str) -> str:
    return "nightly_" + project.replace("-", "_")


def test_activate_one_version_then_deactivate(env: str) -> None:
    lp = _lp(env)
    state = json.loads(cli("launchplan", "activate", lp, "--version", "v1", "--json").stdout)
    assert state["active"] and state["version"] == "v1"
    assert state["schedule"]["timezone"] == "Europe/Paris"
    cli("launchplan", "activate", lp, "--version", "v2")
    [only] = json.loads(cli("launchplan", "status", "--json").stdout)
    assert only["version"] == "v2" and only["active"]
    assert lp in cli("launchplan", "status").stdout
    cli("launchplan", "deactivate", lp)
    with Remote() as remote:
        assert not remote.get_schedule(lp).active
        assert remote.list_schedules(active=True) == []
    err = cli("launchplan", "activate", "absent", "--version", "v1", code=1)
    assert "absent" in err.output


def test_backfill_runs_each_tick_once_with_its_time(env: str) -> None:
    lp = _lp(env)
    cli("launchplan", "activate", lp, "--version", "v1")
    day = dt.date.today() - dt.timedelta(days=2)
    start, end = f"{day}T00:00:00+00:00", f"{day}T23:59:00+00:00"
    out = cli("launchplan", "backfill", lp, "--from", start, "--to", end, "--pace", "0")
    assert out.stdout.startswith("4 tick(s) to run")
    again = json.loads(
        cli("launchplan", "backfill", lp, "--from", start, "--to", end, "--json").stdout
    )
    assert again["created"] == 0 and again["existing"] == 4
    deadline = time.monotonic() + 60
    with Remote() as remote:
        while time.monotonic() < deadline:
            ticks = remote.schedule_ticks(lp)
            if ticks and all(t.state == "created" for t in ticks):
                break
            time.sleep(0.2)
        assert [t.state for t in ticks] == ["created"] * 4
        outputs = sorted(
            remote.outputs(remote.wait(t.execution, timeout=60, poll_interval=0.2))["o0"]
            for t in ticks
        )
    # 00:00, 06:00, 12:00, 18:00 in Paris, as instants
    assert len(outputs) == 4 and all(
        str(day) in o or str(day - dt.timedelta(days=1)) in o for o in outputs
    )
    rows = json.loads(cli("launchplan", "ticks", lp, "--json").stdout)
    assert {r["origin"] for r in rows} == {"backfill"}
    bad = cli("launchplan", "backfill", lp, "--from", "yesterday", "--to", end, code=2)
    assert "ISO-8601" in bad.output
