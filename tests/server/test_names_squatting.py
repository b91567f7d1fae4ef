"""Names the server gives its own executions cannot be squatted, on SQLite and PostgreSQL: a user
cannot take the system prefix, a schedule tick and a launch plan node adopt an execution only if
its record is theirs (else they take the next name and run the plan's own inputs), and a child
execution is launched as the user who launched its parent, with that user's roles checked when
it starts."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from scheduling import DOMAIN, PROJECT, Clock, kickoffs, register, services, utc
from sqlalchemy import func, select

from slipstream.errors import PermissionDeniedError, ValidationError
from slipstream.model import (
    CronSchedule,
    ExecutionCreate,
    ExecutionId,
    Grant,
    GrantRequest,
    Identifier,
    ResourceType,
    Role,
)
from slipstream.server import Database
from slipstream.server._auth import Principal
from slipstream.server._database import ExecutionRow, ProjectRow, ScheduleTickRow
from slipstream.server._executions import child_name
from slipstream.server._host import DbChildExecutions
from slipstream.server._scheduler import Scheduler, tick_execution_name
from slipstream.server._services import Services

HOURLY = CronSchedule("0 * * * *", kickoff_time_input_arg="at")
OTHER = "other"
EARLY = "1999-01-01T00:00:00+00:00"


def _launcher(name: str, project: str = PROJECT) -> Principal:
    """A caller as a token authenticates them: a launcher of ``project``."""
    return Principal(name, (Grant(Role.LAUNCHER, project, DOMAIN),), token_id="0123456789abcdef")


def _lp(name: str, project: str = PROJECT) -> Identifier:
    return Identifier(ResourceType.LAUNCH_PLAN, name, project, DOMAIN, "v1")


def _count(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(ExecutionRow)) or 0)


def test_a_user_cannot_take_a_system_name(database: Database, tmp_path: Path) -> None:
    svc = services(database, tmp_path)
    register(svc, "plan", None)
    tick = tick_execution_name(PROJECT, DOMAIN, "plan", utc(2026, 1, 1, 10).timestamp())
    parent = ExecutionId(PROJECT, DOMAIN, "e1")
    for name in (tick, child_name(parent, "n0"), "_mine"):
        with pytest.raises(ValidationError, match="names starting with '_'"):
            svc.launches.create(
                ExecutionCreate(target=_lp("plan"), inputs={"at": EARLY}, name=name),
                _launcher("mallory"),
            )
    assert _count(database) == 0
    made = svc.launches.create(
        ExecutionCreate(target=_lp("plan"), inputs={"at": EARLY}, name="mine_"),
        _launcher("mallory"),
    )
    assert made.id.name == "mine_"


def test_a_tick_never_adopts_an_execution_it_did_not_make(
    database: Database, tmp_path: Path
) -> None:
    clock = Clock(utc(2026, 1, 1, 9, 30).timestamp())
    svc = services(database, tmp_path)
    svc.schedules.clock = clock
    register(svc, "hourly", HOURLY)
    svc.schedules.activate(PROJECT, DOMAIN, "hourly", "v1")
    taken = tick_execution_name(PROJECT, DOMAIN, "hourly", utc(2026, 1, 1, 10).timestamp())
    # a row holding the tick's name all the same (one made before the prefix was reserved)
    squat = ExecutionCreate(target=_lp("hourly"), inputs={"at": EARLY}, name=taken)
    svc.launches._create(squat, "mallory", None)
    clock.set(utc(2026, 1, 1, 10, 0, 2))
    s = Scheduler(svc.db, svc.launches, clock=clock, catchup_pace_s=0.0)
    s.run_once()
    s.run_once()
    assert kickoffs(database, "hourly") == [EARLY, "2026-01-01T10:00:00+00:00"]
    with database.session() as session:
        ticks = session.scalars(select(ScheduleTickRow)).all()
        assert [(t.state, t.execution != taken) for t in ticks] == [("created", True)]
        assert ticks[0].execution.startswith("_s")
    # a restart finds its own execution under the name it took, and makes no other
    again = Scheduler(svc.db, svc.launches, clock=clock, catchup_pace_s=0.0)
    assert again._launch_tick(ticks[0], {"at": "2026-01-01T10:00:00+00:00"}) == ticks[0].execution
    assert len(kickoffs(database, "hourly")) == 2


def _world(database: Database, tmp_path: Path) -> tuple[Services, ExecutionId]:
    """Services with projects ``sched`` and ``other`` (each with launch plan ``plan``), user
    ``alice`` (launcher of ``sched`` only) and an execution of ``sched`` she launched."""
    svc = services(database, tmp_path)
    with database.session() as s:
        s.add(ProjectRow(name=OTHER, created_at=0.0))
    register(svc, "plan", None)
    register(svc, "plan", None, project=OTHER)
    svc.auth.create_user("alice", "admin")
    svc.auth.grant("alice", GrantRequest(Role.LAUNCHER, PROJECT, DOMAIN), "admin")
    parent = svc.launches.create(
        ExecutionCreate(target=_lp("plan"), inputs={"at": EARLY}), _launcher("alice")
    )
    return svc, parent.id


def test_a_child_is_launched_as_the_parents_user_with_her_roles_checked(
    database: Database, tmp_path: Path
) -> None:
    svc, parent = _world(database, tmp_path)
    children = DbChildExecutions(svc.db, svc.launches, svc.control)
    before = _count(database)
    with pytest.raises(PermissionDeniedError, match="launcher role on project 'other'") as info:
        children.start(parent, "n0", _lp("plan", OTHER), {"at": EARLY})
    assert "'alice'" in str(info.value)
    assert _count(database) == before  # nothing started in the other project
    svc.auth.grant("alice", GrantRequest(Role.LAUNCHER, OTHER, DOMAIN), "admin")
    child = children.start(parent, "n0", _lp("plan", OTHER), {"at": EARLY})
    record = svc.launches.create_child(parent, "n0", _lp("plan", OTHER), {"at": EARLY})
    assert record.id == child and record.spec.launched_by == "alice"


def test_a_launch_plan_node_never_adopts_an_execution_it_did_not_start(
    database: Database, tmp_path: Path
) -> None:
    svc, parent = _world(database, tmp_path)
    launches = svc.launches
    taken = child_name(parent, "n1")
    # a row holding the child's name that another parent started
    elsewhere = ExecutionId(PROJECT, DOMAIN, "someone-else")
    squat = ExecutionCreate(target=_lp("plan"), inputs={"at": EARLY}, name=taken)
    launches._create(squat, "mallory", None, (elsewhere, "n1"))
    child = launches.create_child(parent, "n1", _lp("plan"), {"at": "2026-01-01T00:00:00+00:00"})
    assert child.id.name != taken and child.id.name.startswith("_")
    assert child.spec.parent_execution == parent and child.spec.parent_node == "n1"
    assert child.spec.inputs["at"] == "2026-01-01T00:00:00+00:00"
    again = launches.create_child(parent, "n1", _lp("plan"), {"at": "2026-01-01T00:00:00+00:00"})
    assert again.id == child.id


def test_the_api_refuses_a_system_name_and_creates_nothing(api: httpx.Client, project: str) -> None:
    target = {"resource_type": "launch_plan", "project": project, "domain": DOMAIN, "name": "lp"}
    r = api.post("/executions", json={"target": target, "inputs": {}, "name": "_sdeadbeef"})
    assert r.status_code == 400, r.text
    assert "names starting with '_'" in r.json()["message"]
    listed = api.get(f"/executions/{project}/{DOMAIN}")
    assert listed.status_code == 200 and listed.json()["items"] == []
