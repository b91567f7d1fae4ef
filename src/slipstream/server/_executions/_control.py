"""Acting on running executions: abort, and signals for the gates that wait for them.

Abort of a QUEUED execution ends it ABORTED at once (no engine has it yet); a RUNNING one becomes
ABORTING and the engine host that runs it stops its attempts and ends it ABORTED. A signal is
stored once per gate name, after checking that the execution's workflow has that gate, that
the value has the gate's type and that it is data the sender may pass (the launch's input policy:
a signal's value becomes an input of the nodes after its gate); the engine host's signal source
reads it from there.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from slipstream.errors import (
    ConflictError,
    ErrorKind,
    FailureCode,
    InputError,
    NotFoundError,
    ValidationError,
)
from slipstream.model import (
    AbortRequest,
    ErrorInfo,
    ExecutionPhase,
    ExecutionRecord,
    GateNode,
    Kind,
    LiteralType,
    SignalInfo,
    SignalSend,
    Variable,
    literal_problem,
    type_str,
)

from .._auth import Principal
from .._database import Database, SignalRow, check_name
from .._projects import ProjectService
from ._input_policy import InputPolicy
from ._launch import check_actor
from ._rows import add_event, decode_record, find_row, gates_of, target_spec, write_record

__all__ = ["ExecutionControl", "gate_type"]

_BOOL = LiteralType(Kind.BOOL)
_STR = LiteralType(Kind.STR)
_MAX_CAUSE = 4096


def gate_type(gate: GateNode) -> LiteralType:
    """The type of the value a gate waits for: a bool for approvals."""
    if gate.gate == "approve":
        return _BOOL
    return gate.value_type or _STR


class ExecutionControl:
    """Abort and signals; see the module docstring."""

    def __init__(
        self, db: Database, projects: ProjectService, inputs: InputPolicy | None = None
    ) -> None:
        self.db = db
        self.projects = projects
        self.inputs = inputs

    def abort(
        self, project: str, domain: str, name: str, request: AbortRequest, actor: str = ""
    ) -> ExecutionRecord:
        """Abort an execution that has not ended; aborting an ABORTING one again is a no-op."""
        actor = check_actor(actor or request.aborted_by, "aborted_by")
        if len(request.cause) > _MAX_CAUSE:
            raise ValidationError(f"cause must have at most {_MAX_CAUSE} characters")
        cause = request.cause or f"aborted by {actor}"
        error = ErrorInfo(
            code=FailureCode.ABORTED, message=cause, kind=ErrorKind.USER, type="Aborted"
        )
        for _ in range(3):
            try:
                return self._abort_once(project, domain, name, error, actor, cause)
            except ConflictError as e:
                if not (isinstance(e.details, dict) and e.details.get("changed")):
                    raise
        return self._abort_once(project, domain, name, error, actor, cause)

    def _abort_once(
        self, project: str, domain: str, name: str, error: ErrorInfo, actor: str, cause: str
    ) -> ExecutionRecord:
        """One try of :meth:`abort`: a ConflictError when an engine host moved the execution
        (started it, or claimed it) while this ran; the next try reads the new state."""
        with self.db.session() as session:
            row = find_row(session, project, domain, name, self.projects.domains)
            record = decode_record(row)
            phase = record.phase
            if phase.terminal:
                raise ConflictError(
                    f"execution {record.id} already ended {phase.value}: there is nothing to abort",
                    details={"phase": phase.value},
                )
            if phase is ExecutionPhase.ABORTING:
                return record
            # a QUEUED execution no engine host holds ends here; one a host has claimed (or is
            # claiming right now) is left ABORTING for that host to stop, as a running one is
            unclaimed = phase is ExecutionPhase.QUEUED and row.lease_owner is None
            if unclaimed:
                new = msgspec.structs.replace(
                    record, phase=ExecutionPhase.ABORTED, error=error, ended_at=time.time()
                )
            else:
                new = msgspec.structs.replace(record, phase=ExecutionPhase.ABORTING, error=error)
            write_record(session, row, new, unclaimed=unclaimed)
            add_event(
                session,
                row.id,
                "abort",
                actor,
                {"from": phase.value, "phase": new.phase.value, "cause": cause},
            )
        return new

    def signals(self, project: str, domain: str, name: str) -> list[SignalInfo]:
        """The gates of the execution's workflow that wait for a signal, with what was sent."""
        with self.db.session() as session:
            row = find_row(session, project, domain, name, self.projects.domains)
            gates = gates_of(target_spec(session, decode_record(row)))
            sent = {
                s.name: s
                for s in session.scalars(select(SignalRow).where(SignalRow.execution_id == row.id))
            }
        out = []
        for signal, (node, gate) in gates.items():
            s = sent.get(signal)
            info = SignalInfo(name=signal, gate=gate.gate, type=gate_type(gate), node=node)
            if s is not None:
                info = msgspec.structs.replace(
                    info,
                    sent=True,
                    value=msgspec.json.decode(s.value),
                    sent_by=s.sent_by,
                    sent_at=s.created_at,
                )
            out.append(info)
        return out

    def signal(
        self,
        project: str,
        domain: str,
        name: str,
        request: SignalSend,
        actor: str = "",
        caller: Principal | None = None,
    ) -> SignalInfo:
        """Store ``request.value`` for the gate ``request.name`` of a running execution; a value
        from ``caller`` is held to the input policy as a launch's inputs are."""
        actor = check_actor(actor or request.sent_by, "sent_by")
        check_name(request.name)
        now = time.time()
        try:
            with self.db.session() as session:
                row = find_row(session, project, domain, name, self.projects.domains)
                record = decode_record(row)
                if record.phase.terminal or record.phase is ExecutionPhase.ABORTING:
                    raise ConflictError(
                        f"execution {record.id} is {record.phase.value}: it takes no more signals",
                        details={"phase": record.phase.value},
                    )
                gates = gates_of(target_spec(session, record))
                found = gates.get(request.name)
                if found is None:
                    known = ", ".join(sorted(gates)) or "none"
                    raise NotFoundError(
                        f"execution {record.id} has no gate waiting for a signal named "
                        f"{request.name!r} (its signals: {known})",
                        details={"signal": request.name, "known": sorted(gates)},
                    )
                node, gate = found
                t = gate_type(gate)
                problem = literal_problem(request.value, t)
                if problem:
                    raise InputError(
                        f"signal {request.name!r} of type {type_str(t)}: {problem}",
                        details={"signal": request.name, "type": type_str(t), "problem": problem},
                    )
                if caller is not None and self.inputs is not None:
                    given = {request.name: request.value}
                    gate_var = (Variable(request.name, t),)
                    self.inputs.check(
                        session, project, domain, gate_var, given, given, caller, "signal"
                    )
                session.add(
                    SignalRow(
                        execution_id=row.id,
                        name=request.name,
                        value=msgspec.json.encode(request.value).decode(),
                        sent_by=actor,
                        created_at=now,
                    )
                )
                session.flush()
                payload: dict[str, Any] = {"name": request.name}
                add_event(session, row.id, "signal", actor, payload, node=node)
        except IntegrityError:
            raise ConflictError(
                f"signal {request.name!r} was already sent to execution {project}/{domain}/{name}",
                details={"signal": request.name},
            ) from None
        return SignalInfo(
            name=request.name,
            gate=gate.gate,
            type=t,
            node=node,
            sent=True,
            value=request.value,
            sent_by=actor,
            sent_at=now,
        )
