"""Helpers of the scheduler and notifier tests: services on a fresh database, a clock the test
moves, and launch plans with schedules registered straight from the wire model."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec
from sqlalchemy import select

from slipstream.model import (
    CompiledWorkflow,
    CronSchedule,
    FixedRate,
    Identifier,
    Interface,
    Kind,
    LaunchPlanSpec,
    LiteralType,
    Notification,
    RegisterRequest,
    ResourceType,
    Variable,
    WorkflowSpec,
)
from slipstream.server import Database, ServerConfig
from slipstream.server._database import ExecutionRow, ProjectRow
from slipstream.server._services import Services

PROJECT = "sched"
DOMAIN = "development"
AT = Interface(inputs=(Variable("at", LiteralType(Kind.DATETIME)),))


class Clock:
    """A clock the test sets; schedulers and services read it."""

    def __init__(self, at: float) -> None:
        self.now = at

    def __call__(self) -> float:
        return self.now

    def set(self, when: dt.datetime) -> None:
        self.now = when.timestamp()


def utc(*args: int) -> dt.datetime:
    """A UTC datetime."""
    return dt.datetime(*args, tzinfo=dt.UTC)  # type: ignore[misc]


def services(db: Database, tmp_path: Path) -> Services:
    """The services over ``db``, with the test project created."""
    config = ServerConfig.load(
        home=tmp_path / "home",
        db_url=str(db.engine.url.render_as_string(hide_password=False)),
        auth=False,
    )
    svc = Services.build(config, db)
    with db.session() as s:
        if s.get(ProjectRow, PROJECT) is None:
            s.add(ProjectRow(name=PROJECT, created_at=0.0))
    return svc


def register(
    svc: Services,
    name: str,
    schedule: CronSchedule | FixedRate | None,
    *,
    version: str = "v1",
    notifications: tuple[Notification, ...] = (),
    project: str = PROJECT,
) -> LaunchPlanSpec:
    """A workflow of no nodes taking ``at: datetime`` and its launch plan ``name``."""
    wid = Identifier(ResourceType.WORKFLOW, f"{name}_wf", project, DOMAIN, version)
    wf = CompiledWorkflow(workflow=WorkflowSpec(id=wid, interface=AT, nodes=(), outputs=()))
    lp = LaunchPlanSpec(
        id=Identifier(ResourceType.LAUNCH_PLAN, name, project, DOMAIN, version),
        workflow=wid,
        default_inputs={"at": "2000-01-01T00:00:00+00:00"},
        schedule=schedule,
        notifications=notifications,
    )
    svc.registry.register(RegisterRequest(workflows=(wf,), launch_plans=(lp,)))
    return lp


def kickoffs(db: Database, name: str) -> list[str]:
    """The ``at`` input of every execution of launch plan ``name``, in order."""
    with db.session() as s:
        records = s.scalars(select(ExecutionRow.record).order_by(ExecutionRow.id)).all()
    out = []
    for data in records:
        rec = msgspec.json.decode(data)
        lp = rec["spec"].get("launch_plan") or {}
        if lp.get("name") == name:
            out.append(rec["spec"]["inputs"]["at"])
    return out
