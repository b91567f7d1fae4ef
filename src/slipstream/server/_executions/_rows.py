"""What the execution services share about rows: finding an execution, writing its record back
under a phase check, appending events, and the registered entities an execution runs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import msgspec
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from slipstream.errors import ConflictError, IllegalTransitionError, NotFoundError
from slipstream.model import (
    EXECUTION_TRANSITIONS,
    BranchNode,
    CompiledWorkflow,
    ExecutionId,
    ExecutionPhase,
    ExecutionRecord,
    GateNode,
    Identifier,
    Interface,
    Node,
    ResourceType,
    TaskTemplate,
    check_transition,
)

from .._database import EntityRow, EventRow, ExecutionRow, check_domain, check_name, check_project
from .._registry import decode_spec

__all__ = [
    "add_event",
    "decode_record",
    "find_row",
    "gates_of",
    "record_row",
    "target_interface",
    "target_spec",
    "write_record",
]

_record_decoder = msgspec.json.Decoder(ExecutionRecord)


def decode_record(row: ExecutionRow) -> ExecutionRecord:
    """The row's record as its struct."""
    return _record_decoder.decode(row.record)


def record_row(record: ExecutionRecord, now: float) -> ExecutionRow:
    """The row of a new execution record."""
    target = record.spec.target
    parent = record.spec.parent_execution
    return ExecutionRow(
        project=record.id.project,
        domain=record.id.domain,
        name=record.id.name,
        phase=record.phase.value,
        target_type=target.resource_type.value,
        target_name=target.name,
        target_version=target.version,
        record=msgspec.json.encode(record).decode(),
        created_at=record.created_at or now,
        updated_at=now,
        parent_node=record.spec.parent_node if parent is not None else "",
        launched_by=record.spec.launched_by,
    )


def find_row(
    session: Session, project: str, domain: str, name: str, domains: tuple[str, ...] | None
) -> ExecutionRow:
    """The row of one execution, or :class:`NotFoundError`. The names are checked first
    (``domains``: the server's), unless ``domains`` is None: then a name that could not be
    valid is simply not found (what the console's pages answer)."""
    if domains is not None:
        check_project(project)
        check_domain(domain, domains)
        check_name(name)
    row = session.scalars(
        select(ExecutionRow).where(
            ExecutionRow.project == project,
            ExecutionRow.domain == domain,
            ExecutionRow.name == name,
        )
    ).first()
    if row is None:
        raise NotFoundError(
            f"execution {project}/{domain}/{name} does not exist",
            details={"project": project, "domain": domain, "name": name},
        )
    return row


def write_record(
    session: Session, row: ExecutionRow, new: ExecutionRecord, *, unclaimed: bool = False
) -> None:
    """Store ``new`` over ``row``'s record if the phase in the database is still the one that was
    read: the change of phase is checked against the declared transitions, and a concurrent
    writer (the engine host) that moved the execution first makes this a :class:`ConflictError`
    instead of a lost update. With ``unclaimed``, the write also requires that no engine host
    holds the execution's lease (one that claimed it meanwhile would overwrite the change)."""
    old = ExecutionPhase(row.phase)
    if new.phase is not old:
        check_transition(
            EXECUTION_TRANSITIONS,
            old,
            new.phase,
            f"execution {new.id}",
            IllegalTransitionError,
        )
    now = time.time()
    where = [ExecutionRow.id == row.id, ExecutionRow.phase == old.value]
    if unclaimed:
        where.append(ExecutionRow.lease_owner.is_(None))
    result = session.execute(
        update(ExecutionRow)
        .where(*where)
        .values(phase=new.phase.value, record=msgspec.json.encode(new).decode(), updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 1) != 1:
        raise ConflictError(
            f"execution {new.id} changed while this request ran (it left {old.value}); "
            "read it again and retry",
            details={"phase": old.value, "changed": True},
        )


def add_event(
    session: Session,
    execution_id: int,
    kind: str,
    actor: str,
    payload: dict[str, Any] | None = None,
    node: str = "",
) -> None:
    """Append one event to the execution's log."""
    session.execute(
        insert(EventRow),
        [
            {
                "execution_id": execution_id,
                "at": time.time(),
                "kind": kind,
                "node": node,
                "actor": actor,
                "payload": msgspec.json.encode(payload or {}).decode(),
            }
        ],
    )


def execution_id_of(row: ExecutionRow) -> ExecutionId:
    """The model identity of a row."""
    return ExecutionId(row.project, row.domain, row.name)


def _entity(session: Session, id: Identifier) -> EntityRow:
    row = session.scalars(
        select(EntityRow).where(
            EntityRow.resource_type == id.resource_type.value,
            EntityRow.project == id.project,
            EntityRow.domain == id.domain,
            EntityRow.name == id.name,
            EntityRow.version == id.version,
        )
    ).first()
    if row is None:
        raise NotFoundError(f"{id.resource_type.value} {id} is not registered")
    return row


def target_spec(session: Session, record: ExecutionRecord) -> TaskTemplate | CompiledWorkflow:
    """The registered task or workflow an execution runs."""
    spec = decode_spec(_entity(session, record.spec.target))
    assert isinstance(spec, (TaskTemplate, CompiledWorkflow))
    return spec


def target_interface(session: Session, record: ExecutionRecord) -> Interface:
    """The interface of what an execution runs."""
    spec = target_spec(session, record)
    return spec.interface if isinstance(spec, TaskTemplate) else spec.workflow.interface


def _walk(nodes: Iterator[Node | None], prefix: str) -> Iterator[tuple[str, Node]]:
    for node in nodes:
        if node is None:
            continue
        yield f"{prefix}{node.id}", node
        if isinstance(node.kind, BranchNode):
            yield from _walk((case.then for case in node.kind.cases), f"{prefix}{node.id}/")


def gates_of(spec: TaskTemplate | CompiledWorkflow) -> dict[str, tuple[str, GateNode]]:
    """Gates that wait for a signal, by signal name: the node id and the gate (workflow and
    subworkflows, inside branches too; a task has none)."""
    found: dict[str, tuple[str, GateNode]] = {}
    if isinstance(spec, TaskTemplate):
        return found
    specs = [(spec.workflow, ""), *((sub, f"{name}:") for name, sub in spec.subworkflows.items())]
    for wf, prefix in specs:
        for path, node in _walk(iter((*wf.nodes, wf.on_failure)), prefix):
            kind = node.kind
            if isinstance(kind, GateNode) and kind.gate in ("wait_for_input", "approve"):
                found.setdefault(kind.name, (path, kind))
    return found


def is_task(record: ExecutionRecord) -> bool:
    """Whether the execution runs a single task."""
    return record.spec.target.resource_type is ResourceType.TASK
