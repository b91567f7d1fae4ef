"""An execution of 100,000 map items written straight into a server's database, for the console's
benchmark and its browser test: one task node, a map node of ``items`` items (mostly succeeded,
some failed, some running) each with one attempt, and a node after it. The workflow is registered,
so that the page has its graph."""

from __future__ import annotations

import random
import time

import msgspec
from sqlalchemy import insert

from slipstream.model import (
    AttemptPhase,
    AttemptRecord,
    CompiledWorkflow,
    ErrorInfo,
    ExecutionId,
    ExecutionPhase,
    ExecutionRecord,
    ExecutionSpec,
    Identifier,
    Interface,
    MapNode,
    Node,
    NodePhase,
    NodeRecord,
    RegisterRequest,
    ResourceType,
    TaskNode,
    WorkflowSpec,
)
from slipstream.server import Database, ServerConfig
from slipstream.server._database import AttemptRow, NodeExecutionRow, ProjectRow
from slipstream.server._executions import record_row
from slipstream.server._services import Services

__all__ = ["make_big_execution"]


def _workflow(project: str, domain: str) -> CompiledWorkflow:
    wid = Identifier(ResourceType.WORKFLOW, "big", project, domain, "v1")
    iface = Interface()
    nodes = (
        Node(id="n0", kind=TaskNode(task="prepare"), interface=iface),
        Node(
            id="n1",
            kind=MapNode(task="square", mapped=("x",)),
            interface=iface,
            upstream=("n0",),
        ),
        Node(id="n2", kind=TaskNode(task="total"), interface=iface, upstream=("n1",)),
    )
    return CompiledWorkflow(workflow=WorkflowSpec(id=wid, interface=iface, nodes=nodes))


def make_big_execution(
    db_url: str,
    home: str,
    project: str,
    items: int = 100_000,
    domain: str = "development",
    *,
    running: bool = True,
) -> str:
    """Write the execution; returns its name. ``running``: the map is still running (some
    items are); otherwise the execution ended FAILED (and an engine host leaves it alone)."""
    db = Database(db_url)
    db.upgrade()
    try:
        config = ServerConfig.load(home=home, db_url=db_url, auth=False)
        svc = Services.build(config, db)
        now = time.time()
        with db.session() as s:
            if s.get(ProjectRow, project) is None:
                s.add(ProjectRow(name=project, created_at=now))
        svc.registry.register(RegisterRequest(workflows=(_workflow(project, domain),)))
        name = "ebig" + str(int(now))[-8:]
        t0 = now - 600
        record = ExecutionRecord(
            id=ExecutionId(project, domain, name),
            spec=ExecutionSpec(
                target=Identifier(ResourceType.WORKFLOW, "big", project, domain, "v1"),
                launched_by="bench",
            ),
            phase=ExecutionPhase.RUNNING if running else ExecutionPhase.FAILED,
            created_at=t0,
            started_at=t0,
            ended_at=None if running else now,
        )
        with db.session() as s:
            row = record_row(record, now)
            s.add(row)
            s.flush()
            pk = row.id
        rnd = random.Random(7)
        enc = msgspec.json.encode

        def node(
            path: str, phase: NodePhase, start: float, end: float | None, **kw: object
        ) -> dict[str, object]:
            rec = NodeRecord(
                path=path, phase=phase, attempts=1, started_at=start, ended_at=end, **kw
            )  # type: ignore[arg-type]
            return {
                "execution_id": pk,
                "path": path,
                "phase": phase.value,
                "record": enc(rec).decode(),
                "updated_at": now,
            }

        top = [
            node("n0", NodePhase.SUCCEEDED, t0, t0 + 1, name="prepare", task="prepare"),
            node(
                "n1",
                NodePhase.RUNNING if running else NodePhase.FAILED,
                t0 + 1,
                None,
                name="square",
                task="square",
                item_count=items,
            ),
            node(
                "n2",
                NodePhase.QUEUED if running else NodePhase.SKIPPED,
                t0,
                None,
                name="total",
                task="total",
            ),
        ]
        error = ErrorInfo(
            code="user_error",
            message="ValueError: odd luck",
            type="ValueError",
            traceback='Traceback (most recent call last):\n  File "flows.py", line 3, in square\nValueError: odd luck\n',
        )
        with db.engine.begin() as conn:
            conn.execute(insert(NodeExecutionRow), top)
            batch: list[dict[str, object]] = []
            attempts: list[dict[str, object]] = []
            for i in range(items):
                r = rnd.random()
                idle = NodePhase.RUNNING if running else NodePhase.ABORTED
                phase = NodePhase.SUCCEEDED if r < 0.9 else NodePhase.FAILED if r < 0.93 else idle
                start = t0 + 1 + i * 0.005
                end = None if phase is NodePhase.RUNNING else start + 0.2
                if phase is NodePhase.ABORTED:
                    end = now
                path = f"n1[{i}]"
                kw: dict[str, object] = {"task": "square"}
                if phase is NodePhase.FAILED:
                    kw["error"] = error
                batch.append(node(path, phase, start, end, **kw))
                ap = {
                    NodePhase.SUCCEEDED: AttemptPhase.SUCCEEDED,
                    NodePhase.FAILED: AttemptPhase.FAILED,
                    NodePhase.ABORTED: AttemptPhase.ABORTED,
                }.get(phase, AttemptPhase.RUNNING)
                att = AttemptRecord(
                    node=path,
                    number=1,
                    phase=ap,
                    runner="local",
                    worker="w1",
                    started_at=start,
                    ended_at=end,
                    error=error if phase is NodePhase.FAILED else None,
                )
                attempts.append(
                    {
                        "execution_id": pk,
                        "node": path,
                        "number": 1,
                        "phase": ap.value,
                        "record": enc(att).decode(),
                        "updated_at": now,
                    }
                )
                if len(batch) >= 5000:
                    conn.execute(insert(NodeExecutionRow), batch)
                    conn.execute(insert(AttemptRow), attempts)
                    batch, attempts = [], []
            if batch:
                conn.execute(insert(NodeExecutionRow), batch)
                conn.execute(insert(AttemptRow), attempts)
        return name
    finally:
        db.dispose()
