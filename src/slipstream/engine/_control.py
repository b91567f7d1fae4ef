"""Map nodes: one task call per item, dispatched, cached and retried item by item.

A map of N items keeps no record per item in memory: only the next index to dispatch, the attempt
numbers of items being retried, the errors of failed items and one column of output literals per
output. Item paths are ``n4[17]``; attempts of items carry them like any other node path. An item
is recorded once, as it ends, in its last phase; the path it took to that phase (QUEUED, RUNNING
when an attempt of it ran, the end) is checked step by step against the declared node table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slipstream.errors import ErrorKind, FailureCode, IllegalTransitionError
from slipstream.model import (
    NODE_TRANSITIONS,
    AttemptResult,
    CacheStatus,
    ErrorInfo,
    GateNode,
    Kind,
    MapNode,
    NodePhase,
    NodeRecord,
    TaskTemplate,
    check_path,
)
from slipstream.storage import node_segment

from ._blobs import blobs_exist, fill_hashes, read_outputs
from ._catalog import cache_ttl_of, cache_version_of
from ._children import start_dynamic
from ._exceptions import unpack_exception
from ._retry import Budget

if TYPE_CHECKING:
    from ._ops import Engine
    from ._scope import NodeRun

__all__ = ["MapState", "on_item_result", "start_special"]

_MAX_REPORTED = 20
_RAN = (NodePhase.QUEUED, NodePhase.RUNNING)
_ANSWERED = (NodePhase.QUEUED,)


def _illegal(msg: str) -> Exception:
    return IllegalTransitionError(msg)


_LEGAL: set[tuple[bool, NodePhase]] = set()
"""The item paths (ran, end) already checked: the table is constant, so each is checked once."""


def _record_item(ex: Engine, record: NodeRecord, ran: bool) -> None:
    """Record a map item's end (one record) once its path from QUEUED, through RUNNING when an
    attempt of it ran, to ``record.phase`` is checked against the declared node table."""
    key = (ran, record.phase)
    if key not in _LEGAL:
        path = (*(_RAN if ran else _ANSWERED), record.phase)
        check_path(NODE_TRANSITIONS, path, f"map item {record.path}", _illegal)
        _LEGAL.add(key)
    ex.record_item(record)


class MapState:
    """Progress of one map node."""

    __slots__ = (
        "budgets",
        "columns",
        "concurrency",
        "done",
        "errors",
        "exception",
        "fixed",
        "mapped",
        "n",
        "next",
        "retrying",
        "running",
        "segment",
        "task",
        "version",
    )

    def __init__(
        self, task: TaskTemplate, n: int, mapped: dict[str, list[Any]], fixed: dict[str, Any]
    ) -> None:
        self.task = task
        self.n = n
        self.mapped = mapped
        self.fixed = fixed
        self.next = 0
        self.running = 0
        self.done = 0
        self.concurrency: int | None = None
        self.columns: dict[str, list[Any]] = {v.name: [None] * n for v in task.interface.outputs}
        self.errors: dict[int, ErrorInfo] = {}
        self.retrying: dict[int, int] = {}
        self.budgets: dict[int, Budget] = {}
        """Failures spent by the items that failed at least once."""
        self.exception: BaseException | None = None
        self.version: str | None = None
        self.segment = ""
        """The storage segment of the map node's path; items add ``@index``."""

    def item_inputs(self, i: int) -> dict[str, Any]:
        """The inputs of item ``i``."""
        inputs = dict(self.fixed)
        for name, values in self.mapped.items():
            inputs[name] = values[i]
        return inputs


def start_special(ex: Engine, nr: NodeRun) -> None:
    """Start a node that is neither a task, a subworkflow nor a branch."""
    kind = nr.node.kind
    if isinstance(kind, MapNode):
        _start_map(ex, nr, kind)
    elif isinstance(kind, GateNode):
        from ._gates import start_gate

        start_gate(ex, nr, kind)
    else:  # pragma: no cover - the model has no other kinds
        ex.node_failed(
            nr,
            ErrorInfo(code=FailureCode.UNKNOWN_NODE, message=repr(kind), kind=ErrorKind.SYSTEM),
            None,
        )


def _start_map(ex: Engine, nr: NodeRun, kind: MapNode) -> None:
    task = nr.scope.tasks[kind.task]
    nr.task = task
    nr.record.task = task.id.name
    inputs = nr.inputs or {}
    mapped = {name: inputs.get(name) or [] for name in kind.mapped}
    lengths = {name: len(v) for name, v in mapped.items()}
    if len(set(lengths.values())) > 1:
        ex.node_failed(
            nr,
            ErrorInfo(
                code=FailureCode.MAP_LENGTH_MISMATCH,
                message="map inputs have different lengths: "
                + ", ".join(f"{k}={v}" for k, v in lengths.items()),
            ),
            None,
        )
        return
    n = next(iter(lengths.values()), 0)
    fixed = {k: v for k, v in inputs.items() if k not in mapped}
    state = MapState(task, n, mapped, fixed)
    state.concurrency = kind.concurrency
    state.segment = node_segment(nr.path)
    state.version = cache_version_of(nr.node, task) if ex.catalog is not None else None
    nr.state = state
    nr.record.item_count = n
    ex.transition(nr, NodePhase.RUNNING)
    if n == 0:
        _finish_map(ex, nr, state, kind)
        return
    ex.maps.append(nr)


def fill_maps(ex: Engine) -> None:
    """Dispatch map items while the runner has room."""
    maps = ex.maps
    i = 0
    while i < len(maps) and ex.has_room() and not ex.finished:
        nr = maps[i]
        state: MapState = nr.state
        progressed = False
        while (
            state.next < state.n
            and ex.has_room()
            and (state.concurrency is None or state.running < state.concurrency)
        ):
            idx = state.next
            state.next += 1
            progressed = True
            if not _dispatch_item(ex, nr, state, idx):
                continue
        if state.next >= state.n:
            if i < len(maps) and maps[i] is nr:  # a cache hit may have finished (and removed) it
                maps.pop(i)
            continue
        if not progressed:
            i += 1


def _dispatch_item(ex: Engine, nr: NodeRun, state: MapState, idx: int) -> bool:
    """Start item ``idx``; returns False when a record or the cache answered it at once."""
    path = f"{nr.path}[{idx}]"
    attempt = 1
    replay = ex.replay
    if replay is not None:
        done = replay.finished(path)
        if done is not None:
            if done.phase is NodePhase.SUCCEEDED:
                _item_done(ex, nr, state, idx, replay.outputs(done), replayed=True)
            else:
                _item_failed(ex, nr, state, idx, done.error, None, replayed=True)
            return False
        if replay.resume:
            attempt = replay.last_attempt(path) + 1
            state.budgets[idx] = Budget.of(replay.attempts.get(path, ()), ex.retry_policy.oom)
    inputs = state.item_inputs(idx)
    if state.version is not None and ex.catalog is not None:
        fill_hashes(inputs, state.task.interface, ex.blob_store)
        key = ex.cache_key(state.task, state.version, inputs)
        hit = ex.catalog.get(key)
        if hit is not None and blobs_exist(hit, state.task.interface):
            _item_done(ex, nr, state, idx, hit, CacheStatus.HIT)
            return False
    state.running += 1
    budget = state.budgets.get(idx)
    memory = budget.memory if budget is not None else 0
    ex.submit_attempt(nr, path, attempt, state.task, inputs, f"{state.segment}@{idx}", memory)
    return True


def on_item_result(ex: Engine, nr: NodeRun, r: AttemptResult) -> None:
    """Record the result of one item's attempt."""
    state: MapState = nr.state
    state.running -= 1
    if ex.finished:
        return
    idx = int(r.node[r.node.rindex("[") + 1 : -1])
    if r.ok and r.dynamic:  # a mapped @dynamic: run what it generated as the item's children
        from slipstream.model import CompiledWorkflow, decode

        from ._scope import NodeRun

        item = NodeRun(nr.scope, nr.node, r.node)
        item.item_of = (nr, idx)
        item.task = state.task
        state.running += 1
        start_dynamic(ex, item, decode(r.dynamic, CompiledWorkflow), r.dynamic)
        return
    if r.ok:
        state.retrying.pop(idx, None)
        outputs = r.outputs
        if outputs is None and r.outputs_uri:
            outputs = read_outputs(r.outputs_uri)
        outputs = outputs or {}
        status = CacheStatus.DISABLED
        if state.version is not None and ex.catalog is not None:
            inputs = state.item_inputs(idx)
            key = ex.cache_key(state.task, state.version, inputs)
            ex.catalog.put(
                key, state.task.id.name, outputs, str(ex.id), ttl_s=cache_ttl_of(state.task)
            )
            status = CacheStatus.POPULATED
        _item_done(ex, nr, state, idx, outputs, status, r)
        return
    ex.record_attempt(r)
    budget = state.budgets.get(idx)
    if budget is None:
        budget = state.budgets[idx] = Budget()
    err = ex.retry_policy.decide(budget, r, state.task, nr.node)
    if err is None:
        state.retrying[idx] = r.attempt + 1
        state.running += 1
        ex.submit_attempt(
            nr, r.node, r.attempt + 1, state.task, state.item_inputs(idx),
            f"{state.segment}@{idx}", budget.memory,
        )  # fmt: skip
        return
    state.retrying.pop(idx, None)
    exc = unpack_exception(r.exception, err.traceback) if state.exception is None else None
    _item_failed(ex, nr, state, idx, err, exc, r)


def _item_failed(
    ex: Engine,
    nr: NodeRun,
    state: MapState,
    idx: int,
    err: ErrorInfo | None,
    exc: BaseException | None,
    r: AttemptResult | None = None,
    replayed: bool = False,
) -> None:
    err = err or ErrorInfo(code=FailureCode.FAILED, message="item failed")
    state.errors[idx] = err
    if state.exception is None and exc is not None:
        state.exception = exc
    if r is not None:
        _record_item(
            ex,
            NodeRecord(
                path=r.node,
                phase=NodePhase.TIMED_OUT if r.timed_out else NodePhase.FAILED,
                attempts=r.attempt,
                error=err,
                started_at=r.started_at,
                ended_at=r.ended_at,
                task=state.task.id.name,
            ),
            ran=True,
        )
    elif err is not None and not replayed:
        _record_item(
            ex,
            NodeRecord(
                path=f"{nr.path}[{idx}]", phase=NodePhase.FAILED, error=err,
                task=state.task.id.name,
            ),
            ran=False,
        )  # fmt: skip
    kind = nr.node.kind
    assert isinstance(kind, MapNode)
    state.done += 1
    if kind.min_success_ratio >= 1.0:  # no failure is tolerated: fail now, stop the rest
        _fail_map(ex, nr, state)
        return
    if state.done == state.n:
        _finish_map(ex, nr, state, kind)


def item_finished(
    ex: Engine,
    item: NodeRun,
    outputs: dict[str, Any] | None,
    err: ErrorInfo | None,
    exc: BaseException | None = None,
) -> None:
    """A map item that ran children (a mapped ``@dynamic``) finished."""
    assert item.item_of is not None
    nr, idx = item.item_of
    state: MapState = nr.state
    state.running -= 1
    if ex.finished or nr.record.phase.terminal:
        return
    if outputs is not None:
        _item_done(ex, nr, state, idx, outputs)
        return
    _item_failed(ex, nr, state, idx, err, exc)


def _item_done(
    ex: Engine,
    nr: NodeRun,
    state: MapState,
    idx: int,
    outputs: dict[str, Any],
    cache: CacheStatus = CacheStatus.DISABLED,
    r: AttemptResult | None = None,
    replayed: bool = False,
) -> None:
    for name, col in state.columns.items():
        col[idx] = outputs.get(name)
    if not replayed:
        _record_item(
            ex,
            NodeRecord(
                path=f"{nr.path}[{idx}]",
                phase=NodePhase.SUCCEEDED,
                attempts=r.attempt if r is not None else 0,
                cache=cache,
                outputs=outputs,
                started_at=r.started_at if r is not None else None,
                ended_at=r.ended_at if r is not None else None,
                task=state.task.id.name,
            ),
            ran=r is not None,
        )
    state.done += 1
    if state.done == state.n:
        kind = nr.node.kind
        assert isinstance(kind, MapNode)
        _finish_map(ex, nr, state, kind)


def _finish_map(ex: Engine, nr: NodeRun, state: MapState, kind: MapNode) -> None:
    if nr in ex.maps:
        ex.maps.remove(nr)
    n = state.n
    failed = len(state.errors)
    if failed:
        ratio = (n - failed) / n
        if ratio < kind.min_success_ratio:
            _fail_map(ex, nr, state)
            return
    outputs: dict[str, Any] = {}
    optional = kind.min_success_ratio < 1.0
    for var in state.task.interface.outputs:
        col = state.columns[var.name]
        if optional:
            item_t = var.type
            tag = item_t.tag
            col = [
                {"$u": "none", "v": None} if i in state.errors else _wrap(v, tag, item_t)
                for i, v in enumerate(col)
            ]
        outputs[var.name] = col
    state.mapped = {}
    state.fixed = {}
    ex.node_succeeded(nr, outputs, CacheStatus.DISABLED)


def _wrap(v: Any, tag: str, t: Any) -> Any:
    if t.kind is Kind.UNION:
        return v
    return {"$u": tag, "v": v}


def _fail_map(ex: Engine, nr: NodeRun, state: MapState) -> None:
    if nr in ex.maps:
        ex.maps.remove(nr)
    items = sorted(state.errors)
    shown = "; ".join(
        f"[{i}] {state.errors[i].type.rsplit('.', 1)[-1] or state.errors[i].code}: "
        f"{state.errors[i].message}"
        for i in items[:_MAX_REPORTED]
    )
    more = f" (and {len(items) - _MAX_REPORTED} more)" if len(items) > _MAX_REPORTED else ""
    kind = nr.node.kind
    assert isinstance(kind, MapNode)
    msg = (
        f"map over {state.task.id.name}: {len(items)} of {state.n} items failed"
        f" (min_success_ratio {kind.min_success_ratio}): {shown}{more}"
    )
    first = state.errors[items[0]] if items else None
    err = ErrorInfo(
        code=FailureCode.MAP_FAILED,
        message=msg,
        kind=first.kind if first else ErrorKind.USER,
        type=first.type if first else "",
        traceback=first.traceback if first else "",
    )
    if state.exception is not None:
        state.exception.add_note(msg)
    ex.node_failed(nr, err, state.exception)
