"""Following a server execution from the command line: the local run's live progress view fed
by polled node executions, then its outputs (exit 0) or its classified error (exit 1)."""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, Any, NoReturn

from slipstream.errors import FailureCode
from slipstream.model import ErrorInfo, ExecutionPhase, ExecutionRecord, type_str

from ._render import (
    Progress,
    error_json,
    execution_name,
    loaded,
    print_error,
    print_outputs,
    stderr_console,
    stdout_console,
)

if TYPE_CHECKING:
    from slipstream.remote import Remote

__all__ = ["follow", "record_row"]


def record_row(record: ExecutionRecord) -> dict[str, Any]:
    """An execution as one row of ``get executions`` / ``execution describe``."""
    from ._remote import when

    spec = record.spec
    row: dict[str, Any] = {
        "name": record.id.name,
        "project": record.id.project,
        "domain": record.id.domain,
        "phase": record.phase.value,
        "target": f"{spec.target.resource_type.value} {spec.target.name}@{spec.target.version}",
        "launch_plan": spec.launch_plan.name if spec.launch_plan else "",
        "mode": spec.mode,
        "source": spec.source_execution.name if spec.source_execution else "",
        "launched_by": spec.launched_by,
        "cluster": record.cluster,
        "created_at": when(record.created_at) if record.created_at else "",
        "started_at": when(record.started_at) if record.started_at else "",
        "ended_at": when(record.ended_at) if record.ended_at else "",
        "duration_s": round(record.ended_at - (record.started_at or record.created_at), 3)
        if record.ended_at
        else None,
    }
    if record.error is not None:
        row["error"] = {
            "code": record.error.code,
            "kind": record.error.kind,
            "node": record.error.node,
            "message": record.error.message,
        }
    return row


def follow(
    remote: Remote,
    record: ExecutionRecord,
    *,
    entity: Any = None,
    as_json: bool = False,
    poll_interval: float = 0.5,
) -> None:
    """Show ``record``'s progress until it ends, then print its outputs; exit 1 if it did not
    succeed (its error classified as a local run's is)."""
    console = stderr_console()
    progress = Progress(console, 1, enabled=console.is_terminal and not as_json)
    listener = progress.listener()
    with progress:
        while not record.phase.terminal:
            if listener is not None:
                for node in remote.node_executions(record, deep=True):
                    listener("node", node)
            time.sleep(poll_interval)
            record = remote.fetch_execution(record)
    name = execution_name(record)
    if record.phase is not ExecutionPhase.SUCCEEDED:
        err = record.error or ErrorInfo(
            code=FailureCode.FAILED, message=f"execution ended {record.phase}"
        )
        fail(err, name, as_json, task=_task_of(remote, record, err.node))
    values = {k: loaded(v) for k, v in remote.outputs(record, entity).items()}
    literals = remote.values(record, "outputs").values  # blob URIs, as a local run shows them
    if entity is not None:
        from slipstream.types import describe_type

        types = {v.name: describe_type(v.python_type) for v in entity.python_interface.outputs}
    else:
        types = {k: type_str(t) for k, t in _output_types(remote, record).items()}
    print_outputs(values, literals, types, as_json=as_json, console=stdout_console())
    if not as_json and console.is_terminal:
        console.print(f"[green]SUCCEEDED[/] {name}", highlight=False)


def _output_types(remote: Remote, record: ExecutionRecord) -> dict[str, Any]:
    try:
        spec = remote.fetch(  # the registered target's interface
            record.spec.target.resource_type,
            record.spec.target.name,
            record.spec.target.version,
            project=record.id.project,
            domain=record.id.domain,
        ).spec
    except Exception:  # types are only shown, never required
        return {}
    iface = getattr(spec, "interface", None) or spec.workflow.interface
    return {v.name: v.type for v in iface.outputs}


def _task_of(remote: Remote, record: ExecutionRecord, node: str) -> str:
    if not node:
        return ""
    for rec in remote.node_executions(record, deep=True):
        if rec.path == node:
            return rec.task
    return ""


def fail(err: ErrorInfo, execution: str, as_json: bool, task: str = "") -> NoReturn:
    """Print a failed execution's error and exit 1."""
    if as_json:
        sys.stdout.write(json.dumps(error_json(err, execution)) + "\n")
        sys.stdout.flush()
    else:
        print_error(err, execution, stderr_console(), task)
    sys.exit(1)
