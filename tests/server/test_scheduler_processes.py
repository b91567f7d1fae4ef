"""Two server processes on one database (PostgreSQL, then SQLite) run one schedule: every tick
becomes exactly one execution, with the tick's time, though both schedulers race for every
tick; after one of them is killed (SIGKILL) and started again, still exactly once."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import msgspec
import pytest
from live_server import BACKENDS, pg_database, start_server
from scheduling import AT, DOMAIN
from sqlalchemy import select, update

from slipstream.model import CronSchedule, Identifier, LaunchPlanSpec, ResourceType
from slipstream.server import Database
from slipstream.server._database import ExecutionRow, ScheduleRow, ScheduleTickRow


def _register(api: httpx.Client, project: str) -> None:
    wid = Identifier(ResourceType.WORKFLOW, "wf", project, DOMAIN, "v1")
    wf = {
        "workflow": {
            "id": msgspec.to_builtins(wid),
            "interface": msgspec.to_builtins(AT),
            "nodes": [],
        }
    }
    lp = LaunchPlanSpec(
        id=Identifier(ResourceType.LAUNCH_PLAN, "every_minute", project, DOMAIN, "v1"),
        workflow=wid,
        default_inputs={"at": "2000-01-01T00:00:00+00:00"},
        schedule=CronSchedule("* * * * *", "at", catchup="all"),
    )
    r = api.post(
        "/registrations", json={"workflows": [wf], "launch_plans": [msgspec.to_builtins(lp)]}
    )
    assert r.status_code in (200, 201), r.text


def _created(db: Database) -> tuple[list[float], list[str]]:
    with db.session() as s:
        ticks = s.scalars(
            select(ScheduleTickRow.tick_at).where(ScheduleTickRow.state == "created")
        ).all()
        names = s.scalars(select(ExecutionRow.name)).all()
    return sorted(ticks), sorted(names)


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_servers_run_each_tick_once(backend: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}" if backend == "sqlite" else pg_database()
    a = start_server(backend, url, tmp_path / "a", "--no-auth", "--no-engine")
    b = start_server(backend, url, tmp_path / "b", "--no-auth", "--no-engine")
    db = Database(url)
    try:
        with httpx.Client(base_url=f"{a.url}/api/v1", timeout=30) as api:
            assert api.post("/projects", json={"name": "twin"}).status_code == 201
            _register(api, "twin")
            r = api.post(f"/schedules/twin/{DOMAIN}/every_minute/activate", json={"version": "v1"})
            assert r.status_code == 200, r.text
        # as if both servers had been down for eight minutes: eight ticks missed, all to run
        now = time.time()
        start = now - now % 60 - 8 * 60
        with db.session() as s:
            s.execute(update(ScheduleRow).values(next_at=start))
        expected = [start + 60 * i for i in range(9) if start + 60 * i <= time.time()]
        deadline = time.monotonic() + 60
        while len(_created(db)[0]) < len(expected):
            assert time.monotonic() < deadline, _created(db)
            time.sleep(0.2)
        # one of them dies in the middle of its work and comes back
        a.process.kill()
        a.stop()  # reaps it and closes its output
        with db.session() as s:
            s.execute(update(ScheduleRow).values(next_at=start))  # the same ticks again
        a = start_server(backend, url, tmp_path / "a", "--no-auth", "--no-engine")
        time.sleep(3)
        ticks, names = _created(db)
        assert ticks[: len(expected)] == expected
        assert len(ticks) == len(set(ticks)) == len(names) == len(set(names))
        with db.session() as s:
            inputs = sorted(
                msgspec.json.decode(r)["spec"]["inputs"]["at"]
                for r in s.scalars(select(ExecutionRow.record))
            )
        assert inputs[0].endswith(":00+00:00") and len(inputs) == len(ticks)
    finally:
        a.stop()
        b.stop()
        db.dispose()
