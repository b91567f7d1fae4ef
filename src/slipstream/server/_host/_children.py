"""Child executions on the server: a launch plan node starts its launch plan as an execution of
its own (linked both ways: the child names its parent and node, the node record names the child),
through the same launch service as the API, so that its inputs are checked the same way.

A child is launched as the user who launched its parent (recorded as the child's ``launched_by``,
so a grandchild is launched as the same user), and that user's roles are checked when it starts:
without the launcher role on the child's project/domain the node fails with a permission error,
whatever roles the workflow's registrant held. A launch made by the server itself (a schedule's
tick: no user of that name) is the registrant's, checked at registration.
"""

from __future__ import annotations

import contextlib
from typing import Any

import msgspec
from sqlalchemy import select

from slipstream.errors import ConflictError, PermissionDeniedError
from slipstream.model import (
    AbortRequest,
    ExecutionId,
    ExecutionRecord,
    Grant,
    Identifier,
    Role,
    decode,
)

from .._auth import Principal
from .._database import Database, ExecutionRow, GrantRow, UserRow
from .._executions import ExecutionControl, LaunchService
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
        user = self._launcher_of(parent, launch_plan)
        return self.launches.create_child(parent, node, launch_plan, inputs, user).id

    def _launcher_of(self, parent: ExecutionId, target: Identifier) -> str:
        """Who launched ``parent``, once checked to hold the launcher role on ``target``'s
        project/domain (:class:`PermissionDeniedError` otherwise)."""
        with self.db.session() as session:
            user = session.scalars(
                select(ExecutionRow.launched_by).where(
                    ExecutionRow.project == parent.project,
                    ExecutionRow.domain == parent.domain,
                    ExecutionRow.name == parent.name,
                )
            ).first()
            if user is None or session.get(UserRow, user) is None:
                return user or ""  # the server's own launch (a schedule), or no auth at all
            grants = tuple(
                Grant(Role(r.role), r.project, r.domain)
                for r in session.scalars(select(GrantRow).where(GrantRow.user == user))
            )
        caller = Principal(user, grants)
        if not caller.allows(Role.LAUNCHER, target.project, target.domain):
            held = caller.role_on(target.project, target.domain)
            raise PermissionDeniedError(
                f"{target.resource_type.value} {target.project}/{target.domain}/{target.name} "
                f"is launched as {user!r}, who launched execution {parent.name}: that needs the "
                f"launcher role on project {target.project!r}, domain {target.domain!r}, and "
                f"{user!r} holds {held.value if held is not None else 'no role'} there",
                details={
                    "needed": Role.LAUNCHER.value,
                    "project": target.project,
                    "domain": target.domain,
                    "user": user,
                },
            )
        return user

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
