"""Helpers of the engine host's database tests: a fresh migrated database, executions in it."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import msgspec
from live_server import pg_database

from slipstream.model import (
    ExecutionId,
    ExecutionPhase,
    ExecutionRecord,
    ExecutionSpec,
    Identifier,
    ResourceType,
)
from slipstream.server import Database
from slipstream.server._database import ExecutionRow, ProjectRow


def fresh_database(backend: str, tmp_path: Path) -> Database:
    """A migrated database: a SQLite file under ``tmp_path`` or a new PostgreSQL database."""
    url = f"sqlite:///{tmp_path / 'host.db'}" if backend == "sqlite" else pg_database()
    db = Database(url)
    db.upgrade()
    return db


def add_execution(
    db: Database,
    phase: ExecutionPhase = ExecutionPhase.QUEUED,
    *,
    project: str = "proj",
    domain: str = "development",
    owner: str | None = None,
    expires: float | None = None,
) -> tuple[int, ExecutionId]:
    """Store a new execution of a workflow ``wf``; returns its id and its ``ExecutionId``."""
    eid = ExecutionId(project, domain, "e" + uuid.uuid4().hex[:12])
    record = ExecutionRecord(
        id=eid,
        spec=ExecutionSpec(target=Identifier(ResourceType.WORKFLOW, "wf", project, domain, "v1")),
        phase=phase,
        created_at=time.time(),
    )
    now = time.time()
    with db.session() as s:
        if s.get(ProjectRow, project) is None:
            s.add(ProjectRow(name=project, created_at=now))
            s.flush()
        row = ExecutionRow(
            project=project,
            domain=domain,
            name=eid.name,
            phase=phase.value,
            target_type="workflow",
            target_name="wf",
            target_version="v1",
            record=msgspec.json.encode(record).decode(),
            created_at=now,
            updated_at=now,
            lease_owner=owner,
            lease_expires=expires,
        )
        s.add(row)
        s.flush()
        return row.id, eid
