"""Child executions on the server: a launch plan node starts its launch plan as an execution of
its own (linked both ways: the child names its parent and node, the node record names the child),
through the same launch service as the API, so that its inputs are checked the same way."""

from __future__ import annotations

import contextlib
from typing import Any

import msgspec
from sqlalchemy import select

from slipstream.errors import ConflictError
from slipstream.model import AbortRequest, ExecutionId, ExecutionRecord, Identifier, decode

from .._db import Database
from .._execution_control import ExecutionControl
from .._launch import LaunchService
from .._tables import ExecutionRow
from ._offload import load_outputs

__all__ = ["DbChildExecutions"]


class DbChildExecutions:
    """The engine's ``ChildExecutions`` over the executions table."""

    def __init__(self, db: Database, launches: LaunchService, control: ExecutionControl) -> None:
        self.db = db
        self.launches = launches
        self.control = control

    def start(
        self, parent: ExecutionId, node: str, launch_plan: Identifier, inputs: dict[str, Any]
    ) -> ExecutionId:
        return self.launches.create_child(parent, node, launch_plan, inputs).id

    def poll(self, child: ExecutionId) -> ExecutionRecord | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(
                select(ExecutionRow.phase, ExecutionRow.record).where(
                    ExecutionRow.project == child.project,
                    ExecutionRow.domain == child.domain,
                    ExecutionRow.name == child.name,
                )
            ).first()
        if row is None or row[0] not in _TERMINAL:
            return None
        record = decode(row[1], ExecutionRecord)
        if record.outputs is None and record.outputs_uri:
            record = msgspec.structs.replace(record, outputs=load_outputs(record))
        return record

    def abort(self, child: ExecutionId, cause: str) -> None:
        with contextlib.suppress(ConflictError):  # it ended meanwhile
            self.control.abort(
                child.project, child.domain, child.name, AbortRequest(cause=cause), "engine"
            )


_TERMINAL = frozenset({"SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"})
