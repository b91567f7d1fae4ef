"""Helpers of the retention tests: ended executions with node records and blobs, made directly in
a database and a store (no server needed), and a look at what is left of them."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import func, select

from slipstream.model import (
    ExecutionId,
    ExecutionPhase,
    ExecutionRecord,
    ExecutionSpec,
    Identifier,
    NodePhase,
    NodeRecord,
    ResourceType,
)
from slipstream.server import Database
from slipstream.server._database import (
    AttemptRow,
    CacheEntryRow,
    EventRow,
    ExecutionRow,
    NodeExecutionRow,
    ProjectRow,
)
from slipstream.storage import DataLayout, open_store

DAY = 86400.0


@dataclass
class Made:
    """An execution made by :func:`make_execution`: its row id, name and blobs."""

    id: int
    name: str
    prefix: str
    output: str
    log: str
    blobs: list[str] = field(default_factory=list)


def make_execution(
    db: Database,
    store_url: str,
    project: str,
    domain: str = "development",
    *,
    age_days: float = 0.0,
    phase: ExecutionPhase = ExecutionPhase.SUCCEEDED,
    launch_plan: str = "wf",
    inputs: dict[str, Any] | None = None,
) -> Made:
    """An execution with one node (its inputs ``inputs``, its output a file in its own data),
    one attempt with a log, an event, and their blobs in the store; last updated ``age_days`` ago."""
    store = open_store(store_url)
    name = "e" + uuid.uuid4().hex[:12]
    prefix = DataLayout(store).execution_prefix(project, domain, name)
    attempt = DataLayout(store).attempt_prefix(project, domain, name, "n0", 1)
    output = store.join_uri(attempt.outputs, "o0", "made.txt")
    log = store.join_uri(attempt.logs, "attempt.log")
    checkpoint = store.join_uri(attempt.checkpoint, "state.bin")
    for uri in (output, log, checkpoint):
        store.put_bytes(uri, f"{name} {uri}".encode())
    eid = ExecutionId(project, domain, name)
    when = time.time() - age_days * DAY
    values = {"o0": {"$blob": {"uri": output, "format": ""}}}
    record = ExecutionRecord(
        id=eid,
        spec=ExecutionSpec(
            target=Identifier(ResourceType.WORKFLOW, launch_plan, project, domain, "v1"),
            inputs=inputs or {},
        ),
        phase=phase,
        outputs=values if phase is ExecutionPhase.SUCCEEDED else None,
        created_at=when,
    )
    node = NodeRecord(
        path="n0",
        phase=NodePhase.SUCCEEDED if phase.terminal else NodePhase.RUNNING,
        inputs=inputs or {},
        outputs=values,
    )
    with db.session() as s:
        if s.get(ProjectRow, project) is None:
            s.add(ProjectRow(name=project, created_at=when))
            s.flush()
        row = ExecutionRow(
            project=project,
            domain=domain,
            name=name,
            phase=phase.value,
            target_type="launch_plan",
            target_name=launch_plan,
            target_version="v1",
            record=msgspec.json.encode(record).decode(),
            created_at=when,
            updated_at=when,
        )
        s.add(row)
        s.flush()
        s.add(
            NodeExecutionRow(
                execution_id=row.id,
                path="n0",
                phase=node.phase.value,
                record=msgspec.json.encode(node).decode(),
                updated_at=when,
            )
        )
        s.add(
            AttemptRow(
                execution_id=row.id,
                node="n0",
                number=1,
                phase="SUCCEEDED",
                record=msgspec.json.encode({"log_uri": log}).decode(),
                updated_at=when,
            )
        )
        s.add(EventRow(execution_id=row.id, at=when, kind="phase", payload="{}"))
        return Made(row.id, name, prefix, output, log, [output, log, checkpoint])


def blob_input(uri: str) -> dict[str, Any]:
    """An input value naming the blob ``uri``."""
    return {"f": {"$blob": {"uri": uri, "format": ""}}}


def add_cache_entry(db: Database, project: str, uri: str, domain: str = "development") -> str:
    """A cache entry whose outputs point at ``uri``; returns its key."""
    key = uuid.uuid4().hex
    with db.session() as s:
        s.add(
            CacheEntryRow(
                key=key,
                project=project,
                domain=domain,
                task="t",
                outputs=msgspec.json.encode({"o0": {"$blob": {"uri": uri}}}).decode(),
                outputs_uri="",
                source="",
                created_at=time.time(),
            )
        )
    return key


def rows_of(db: Database, execution_id: int) -> int:
    """How many rows of any kind an execution still has (0: it was collected)."""
    with db.engine.connect() as conn:
        return sum(
            conn.execute(
                select(func.count()).select_from(t).where(col == execution_id)
            ).scalar_one()
            for t, col in (
                (ExecutionRow, ExecutionRow.id),
                (NodeExecutionRow, NodeExecutionRow.execution_id),
                (AttemptRow, AttemptRow.execution_id),
                (EventRow, EventRow.execution_id),
            )
        )
