"""Gate values on the server: the engine's :class:`~slipstream.engine.SignalSource` over ``signals``.

``slipstream signal`` (through the API) stores a gate's value as literal JSON; the engine polls for
it while the gate waits, so an answer is one indexed read (the unique ``(project, domain, name)``
of executions joined to the unique ``(execution_id, name)`` of signals).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from slipstream.engine import PENDING, REJECTED
from slipstream.model import ExecutionId, GateNode, decode

from .._database import Database, ExecutionRow, SignalRow
from .._loops import is_transient

__all__ = ["DbSignals"]


class DbSignals:
    """Answers gates from the values sent to them; :data:`PENDING` until one is sent.

    For an ``approve`` gate, a stored ``false`` is :data:`REJECTED` and any other value approves.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, execution: ExecutionId, node: str, gate: GateNode, deadline: float | None) -> Any:
        """The literal sent to ``gate`` of ``execution``, :data:`PENDING` or :data:`REJECTED`."""
        e, s = ExecutionRow, SignalRow
        stmt = (
            select(s.value)
            .join(e, e.id == s.execution_id)
            .where(
                e.project == execution.project,
                e.domain == execution.domain,
                e.name == execution.name,
                s.name == gate.name,
            )
        )
        try:
            with self.db.engine.connect() as conn:
                value = conn.execute(stmt).scalar()
        except Exception as e:
            if not is_transient(e):
                raise
            return PENDING  # the database is away: asked again at the gate's next poll
        if value is None:
            return PENDING
        literal = decode(value, Any)
        if gate.gate == "approve":
            return REJECTED if isinstance(literal, bool) and not literal else True
        return literal
