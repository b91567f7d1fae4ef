"""Routes of executions: launch (create, relaunch, recover), abort, signals, and reads of records,
node executions, attempts, events, logs, inputs and outputs.

Who acts (``launched_by``, ``aborted_by``, ``sent_by``, event actors) is the caller the API's
edge authenticated, as for promotions; the bodies' ``*_by`` fields are not trusted.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from slipstream.model import (
    AbortRequest,
    AttemptRecord,
    ExecutionCreate,
    ExecutionEvent,
    ExecutionRecord,
    ExecutionValues,
    LogChunk,
    NodeRecord,
    Page,
    RelaunchRequest,
    SignalInfo,
    SignalSend,
)

from .._database import PageRequest
from .._services import Services
from ._deps import caller, page_params, principal, services
from ._io import doc, json_response, read_body, record_response

__all__ = ["router"]

router = APIRouter(tags=["executions"])
Svc = Annotated[Services, Depends(services)]
PageQ = Annotated[PageRequest, Depends(page_params)]
_ONE = "/executions/{project}/{domain}/{name}"


def oldest_first(
    limit: int = Query(100, description="rows per page, 1 to 500"),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
    order: str = Query("asc", description="asc (oldest first) or desc"),
) -> PageRequest:
    """Page parameters of the lists read in the order things happened."""
    return PageRequest(limit=limit, cursor=cursor, order=order)  # type: ignore[arg-type]


OldestFirst = Annotated[PageRequest, Depends(oldest_first)]


async def _body_or_empty(request: Request, tp: type[Any]) -> Any:
    """The JSON body as ``tp``; an empty body is ``tp()`` (every field has a default)."""
    if not await request.body():
        return tp()
    return await read_body(request, tp)


@router.post("/executions", **doc(body=ExecutionCreate, response=ExecutionRecord, status_code=201))
async def create_execution(request: Request, svc: Svc) -> Response:
    """Start an execution of a launch plan, a workflow (its default launch plan) or a task.

    The inputs are checked against the interface before anything is stored; the execution is
    stored QUEUED and the engine host runs it.
    """
    body = await read_body(request, ExecutionCreate)
    return record_response(
        await run_in_threadpool(svc.launches.create, body, principal(request)), 201
    )


@router.get("/executions/{project}/{domain}", **doc(response=Page[ExecutionRecord]))
def list_executions(
    project: str,
    domain: str,
    svc: Svc,
    page: PageQ,
    phase: str | None = Query(None, description="only executions in this phase"),
    workflow: str | None = Query(None, description="only executions of this workflow or task"),
) -> Response:
    """Executions of a project/domain, newest first by default, optionally in one phase or of one
    workflow."""
    return json_response(svc.executions.list(project, domain, page, phase=phase, workflow=workflow))


@router.get(_ONE, **doc(response=ExecutionRecord))
def get_execution(project: str, domain: str, name: str, svc: Svc) -> Response:
    """One execution's record."""
    return record_response(svc.executions.get(project, domain, name))


@router.post(f"{_ONE}/abort", **doc(body=AbortRequest, response=ExecutionRecord))
async def abort_execution(
    project: str, domain: str, name: str, request: Request, svc: Svc
) -> Response:
    """Abort: a QUEUED execution ends ABORTED at once, a RUNNING one becomes ABORTING until its
    engine host has stopped it. Aborting an execution that ended is a 409."""
    body = await _body_or_empty(request, AbortRequest)
    record = await run_in_threadpool(
        svc.control.abort, project, domain, name, body, caller(request)
    )
    return json_response(record)


@router.post(
    f"{_ONE}/relaunch", **doc(body=RelaunchRequest, response=ExecutionRecord, status_code=201)
)
async def relaunch_execution(
    project: str, domain: str, name: str, request: Request, svc: Svc
) -> Response:
    """A new execution of the same target with the same inputs (``mode`` ``relaunch``)."""
    body = await _body_or_empty(request, RelaunchRequest)
    record = await run_in_threadpool(
        svc.launches.relaunch, project, domain, name, body, principal(request)
    )
    return json_response(record, 201)


@router.post(
    f"{_ONE}/recover", **doc(body=RelaunchRequest, response=ExecutionRecord, status_code=201)
)
async def recover_execution(
    project: str, domain: str, name: str, request: Request, svc: Svc
) -> Response:
    """A new execution (``mode`` ``recover``) of a FAILED, ABORTED or TIMED_OUT one that reuses
    the outputs of every node that succeeded in it."""
    body = await _body_or_empty(request, RelaunchRequest)
    record = await run_in_threadpool(
        svc.launches.recover, project, domain, name, body, principal(request)
    )
    return json_response(record, 201)


@router.get(f"{_ONE}/signals", **doc(response=list[SignalInfo]))
def list_signals(project: str, domain: str, name: str, svc: Svc) -> Response:
    """The gates of the execution that wait for a signal: name, type, and the value sent."""
    return json_response(svc.control.signals(project, domain, name))


@router.post(f"{_ONE}/signals", **doc(body=SignalSend, response=SignalInfo, status_code=201))
async def send_signal(project: str, domain: str, name: str, request: Request, svc: Svc) -> Response:
    """Send a value to a gate (``wait_for_input``; ``true``/``false`` for ``approve``). The gate
    must exist in the execution's workflow and the value must have its type; one value per gate."""
    body = await read_body(request, SignalSend)
    info = await run_in_threadpool(
        svc.control.signal, project, domain, name, body, caller(request), principal(request)
    )
    return json_response(info, 201)


@router.get(f"{_ONE}/nodes", **doc(response=Page[NodeRecord]))
def list_nodes(
    project: str,
    domain: str,
    name: str,
    svc: Svc,
    page: OldestFirst,
    parent: str | None = Query(None, description="children of this node path (default: top level)"),
    deep: bool = Query(False, description="every descendant instead of direct children"),
) -> Response:
    """Node executions in the order they were recorded: the top level, or the children of
    ``parent`` (subworkflow, branch, dynamic and map children)."""
    return json_response(
        svc.executions.nodes(project, domain, name, page, parent=parent, deep=deep)
    )


@router.get(f"{_ONE}/nodes/{{path:path}}/attempts", **doc(response=list[AttemptRecord]))
def list_attempts(project: str, domain: str, name: str, path: str, svc: Svc) -> Response:
    """The attempts of a task node or map item (``n4[17]``), first to last."""
    return json_response(svc.executions.attempts(project, domain, name, path))


@router.get(f"{_ONE}/nodes/{{path:path}}/logs", **doc(response=LogChunk))
def get_logs(
    project: str,
    domain: str,
    name: str,
    path: str,
    svc: Svc,
    attempt: int | None = Query(None, description="attempt number (default: the last)"),
    offset: int = Query(0, description="byte offset to read from"),
    limit: int = Query(64 * 1024, description="at most this many bytes (up to 1 MiB)"),
) -> Response:
    """Part of an attempt's log (stdout and stderr) from ``offset``; ask again from
    ``next_offset`` to follow it while the attempt runs."""
    chunk = svc.data.log(project, domain, name, path, attempt, offset, limit)
    return json_response(chunk)


@router.get(
    f"{_ONE}/nodes/{{path:path}}/deck",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}, "description": "the deck page"}},
)
def get_deck(
    project: str,
    domain: str,
    name: str,
    path: str,
    svc: Svc,
    attempt: int | None = Query(None, description="attempt number (default: the last)"),
) -> Response:
    """The decks an attempt made, as one self-contained HTML page. The page is the task's own
    content: it is served sandboxed (an opaque origin), so its scripts cannot act with the
    viewer's session."""
    rec, page = svc.data.deck(project, domain, name, path, attempt)
    return Response(
        page,
        media_type="text/html; charset=utf-8",
        headers={
            "content-security-policy": "sandbox allow-scripts",
            "x-content-type-options": "nosniff",
            "x-slipstream-attempt": str(rec.number),
        },
    )


@router.get(f"{_ONE}/nodes/{{path:path}}", **doc(response=NodeRecord))
def get_node(project: str, domain: str, name: str, path: str, svc: Svc) -> Response:
    """One node execution by path."""
    return json_response(svc.executions.node(project, domain, name, path))


@router.get(f"{_ONE}/events", **doc(response=Page[ExecutionEvent]))
def list_events(project: str, domain: str, name: str, svc: Svc, page: OldestFirst) -> Response:
    """The execution's append-only event log, oldest first."""
    return json_response(svc.executions.events(project, domain, name, page))


@router.get(f"{_ONE}/inputs", **doc(response=ExecutionValues))
def get_inputs(project: str, domain: str, name: str, svc: Svc) -> Response:
    """The inputs the execution runs with, as literals with their types."""
    return json_response(svc.data.inputs(project, domain, name))


@router.get(f"{_ONE}/outputs", **doc(response=ExecutionValues))
def get_outputs(project: str, domain: str, name: str, svc: Svc) -> Response:
    """The outputs of a SUCCEEDED execution (read from the blob store when offloaded), as literals
    with their types."""
    return json_response(svc.data.outputs(project, domain, name))
