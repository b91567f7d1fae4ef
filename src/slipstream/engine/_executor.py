"""The engine: runs a compiled workflow over a state store, a catalog and a runner.

This file is one object: the execution loop, the node and execution state machines it drives, and
task nodes (the kind it runs itself, on the hot path). The kinds of nodes that run other nodes live
in ``_children.py``, map items in ``_control.py``, gates in ``_gates.py``, eager bodies in
``_eager.py``; they reach the executor only through the :class:`~._ops.Engine` protocol. Its
helpers have files of their own: attempt requests and records (``_attempts.py``), cache lookups
and ``cache_serialize`` (``_cached_calls.py``), adopting recorded results (``_adopt.py``) and
raising a failed execution's error (``_failure_report.py``).

The executor is stepped: :meth:`Executor.step` starts every ready node the runner has room for and
fires due timers; :meth:`Executor.on_result` records an attempt's end and marks what became ready.
:meth:`Executor.run` drives one execution with its own runner (``python wf.py``, ``slipstream
run``); the server's engine host steps many executors over one shared runner and hands each result
to its execution. Task nodes go to the runner (after the catalog had its say); subworkflows,
generated (``@dynamic``) workflows and taken branch cases become child scopes whose nodes are
recorded under the parent's path before they run; maps expand into items. A :class:`~._replay.Replay`
lets an execution adopt recorded results (resume after a crash, recover after a failure).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import msgspec

from slipstream.errors import FailureCode, IllegalTransitionError
from slipstream.model import (
    NODE_TRANSITIONS,
    AttemptPhase,
    AttemptResult,
    BranchNode,
    CacheStatus,
    CompiledWorkflow,
    ErrorInfo,
    ErrorKind,
    ExecutionId,
    ExecutionPhase,
    ExecutionRecord,
    ExecutionSpec,
    FailurePolicy,
    LaunchPlanNode,
    MapNode,
    NodePhase,
    NodeRecord,
    TaskNode,
    TaskTemplate,
    WorkflowNode,
    WorkflowSpec,
    check_transition,
    decode,
    execution_phase_after,
)

from ._adopt import adopt, resumed_attempt
from ._attempts import Attempts
from ._bindings import input_type, output_type, resolve
from ._blobs import read_outputs
from ._cached_calls import CachedCalls
from ._catalog import cache_ttl_of, cache_version_of
from ._children import (
    bind_error,
    failure_scope,
    start_branch,
    start_child_execution,
    start_dynamic,
    start_subworkflow,
)
from ._control import fill_maps, item_finished, on_item_result, start_special
from ._eager import ENGINE_TASK_TYPES, start_engine_task
from ._exceptions import unpack_exception
from ._failure_report import failure_exception
from ._interfaces import Catalog, ChildExecutions, Runner, StateStore
from ._replay import Replay
from ._retry import RetryPolicy
from ._scope import NodeRun, Scope, walk
from ._signals import NoSignals, SignalSource

__all__ = ["Executor", "Listener"]

Listener = Callable[[str, Any], None]
"""``listener(event, payload)``: ``node`` (a NodeRecord), ``execution`` (an ExecutionRecord)."""


def _illegal(msg: str) -> Exception:
    return IllegalTransitionError(msg)


class Executor:
    """Runs one execution to its end. Create one per execution; call :meth:`run`, or
    :meth:`begin` and then :meth:`step` / :meth:`on_result` from a host's loop."""

    def __init__(
        self,
        *,
        execution_id: ExecutionId,
        closure: CompiledWorkflow,
        inputs: dict[str, Any],
        store: StateStore,
        runner: Runner,
        catalog: Catalog | None,
        blob_store: str,
        code_root: str = "",
        max_parallelism: int | None = None,
        listener: Listener | None = None,
        spec: ExecutionSpec | None = None,
        signals: SignalSource | None = None,
        record: ExecutionRecord | None = None,
        replay: Replay | None = None,
        retry_policy: RetryPolicy | None = None,
        capture_logs: bool = False,
        record_items: bool = False,
        children: ChildExecutions | None = None,
    ) -> None:
        self.id = execution_id
        self.closure = closure
        self.inputs = inputs
        self.store = store
        self.runner = runner
        self.catalog = catalog
        self.blob_store = blob_store.rstrip("/")
        self.code_root = code_root
        limit = runner.capacity
        if max_parallelism:
            limit = min(limit, max_parallelism)
        self.limit = max(1, limit)
        self.listener = listener
        self.subworkflows: dict[str, WorkflowSpec] = dict(closure.subworkflows)
        self.record = record or ExecutionRecord(
            id=execution_id,
            spec=spec or ExecutionSpec(target=closure.workflow.id, inputs=inputs),
            created_at=time.time(),
        )
        self.replay = replay
        self.retry_policy = retry_policy or RetryPolicy()
        self.capture_logs = capture_logs
        self.record_items = record_items
        self.children = children
        self._ready: deque[NodeRun] = deque()
        self._inflight: dict[tuple[str, int], NodeRun] = {}
        self._root: Scope | None = None
        self._attempts = Attempts(
            execution_id, store, runner, self.blob_store, code_root, capture_logs, replay
        )
        self._calls = CachedCalls(
            execution_id, catalog, self.blob_store, f"{execution_id}#{id(self):x}"
        )
        self.maps: list[NodeRun] = []
        self.signals: SignalSource = signals or NoSignals()
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._failing: tuple[ErrorInfo, NodeRun | None] | None = None
        self._failure_scope: Scope | None = None
        self._done = False
        self.error: ErrorInfo | None = None
        self.exception: BaseException | None = None
        self.outputs: dict[str, Any] | None = None

    # -- the loop ----------------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        """Whether the execution has ended."""
        return self._done

    @property
    def inflight(self) -> int:
        """Attempts handed to the runner and not yet reported."""
        return len(self._inflight)

    def has_room(self) -> bool:
        """Whether another attempt may be handed to the runner now."""
        return len(self._inflight) < self.limit

    def run(self) -> ExecutionRecord:
        """Run to the end with this executor's own runner; return the final execution record."""
        try:
            self.begin()
            while not self._done:
                timeout = self.step()
                if self._done:
                    break
                if not self._inflight:  # only timers are left (step ends a stalled execution)
                    time.sleep(max(0.0, timeout or 0.0))
                    continue
                for result in self.runner.wait(timeout):
                    self.on_result(result)
        except BaseException as e:
            self.crash(e)
            raise
        return self.record

    def begin(self) -> None:
        """Start the execution: mark it running, record the root scope's nodes, queue the first."""
        if self.record.phase is ExecutionPhase.QUEUED:
            self._set_execution(ExecutionPhase.RUNNING, started_at=time.time())
        root = Scope("", self.closure.workflow, self.inputs, None, None, self.closure.tasks)
        self._root = root
        self.enter(root)

    def step(self) -> float | None:
        """Start what is ready and fits, dispatch map items, fire due timers.

        Returns the seconds until the next timer (None when there is none). An execution in which
        nothing runs and nothing can start ends here as stalled.
        """
        ready, inflight, limit = self._ready, self._inflight, self.limit
        while not self._done:
            while ready and len(inflight) < limit and not self._done:
                self._start(ready.popleft())
            if self.maps and len(inflight) < limit and not self._done:
                fill_maps(self)
                if ready and len(inflight) < limit:
                    continue
            if self._timers and self._timers[0][0] <= time.monotonic():
                self._fire_timers()
                continue
            break
        if self._done:
            return None
        if not inflight and not self._timers and not ready and not self._maps_pending():
            self._stalled()
            return None
        return max(0.0, self._timers[0][0] - time.monotonic()) if self._timers else None

    def crash(self, e: BaseException) -> None:
        """The engine itself failed (a bug, or the host is going away): end as a SYSTEM failure."""
        self._abort_inflight()
        if not self._done:
            self._finish_failed(
                ErrorInfo(
                    code=FailureCode.ENGINE_ERROR,
                    message=f"{type(e).__name__}: {e}",
                    kind=ErrorKind.SYSTEM,
                    type=f"{type(e).__module__}.{type(e).__qualname__}",
                ),
                None,
            )

    def abort(self, reason: str = "aborted") -> None:
        """Stop running attempts, mark unfinished nodes ABORTED and end the execution ABORTED."""
        if self._done:
            return
        self._done = True
        err = ErrorInfo(code=FailureCode.ABORTED, message=reason, kind=ErrorKind.ABORTED)
        self._abort_inflight(err)
        for nr in walk(self._root):
            if not nr.record.phase.terminal:
                if nr.record.child is not None and self.children is not None:
                    # best effort: a child that cannot be told ends on its own
                    with contextlib.suppress(Exception):
                        self.children.abort(nr.record.child, f"parent {self.id.name} aborted")
                nr.record.error = err
                nr.record.ended_at = time.time()
                self.transition(nr, NodePhase.ABORTED)
        self.error = err
        self._set_execution(ExecutionPhase.ABORTED, error=err, ended_at=time.time())

    def _maps_pending(self) -> bool:
        return any(m.state.next < m.state.n for m in self.maps)

    def add_timer(self, seconds: float, callback: Callable[[], None]) -> None:
        """Call ``callback`` from the loop after ``seconds``."""
        heapq.heappush(self._timers, (time.monotonic() + seconds, next(self._seq), callback))

    def _fire_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, cb = heapq.heappop(self._timers)
            cb()

    def _stalled(self) -> None:
        stuck = [nr.path for nr in walk(self._root) if not nr.record.phase.terminal]
        self._finish_failed(
            ErrorInfo(
                code=FailureCode.STALLED,
                message=f"no node can run; unfinished: {', '.join(stuck[:10])}",
                kind=ErrorKind.SYSTEM,
            ),
            None,
        )

    # -- scopes -------------------------------------------------------------------------------------

    def enter(self, scope: Scope) -> None:
        """Record a scope's nodes and queue the ones with nothing upstream.

        Nodes a replay knows keep their stored record (it is adopted when they start), so a crash
        right after this never forgets a finished node.
        """
        replay = self.replay
        for nr in scope.nodes.values():
            if replay is None or not replay.resume or nr.path not in replay:
                self.store.save_node(self.id, nr.record)
        if not scope.nodes:
            self._scope_done(scope)
            return
        self._ready.extend(scope.ready_roots())

    def add_node(self, nr: NodeRun) -> None:
        """Record a node made at run time (an eager body's call, added to its scope) and queue it.

        A node a replay knows keeps its stored record, adopted when it starts.
        """
        replay = self.replay
        if replay is None or not replay.resume or nr.path not in replay:
            self.store.save_node(self.id, nr.record)
        self._ready.append(nr)

    def _scope_done(self, scope: Scope) -> None:
        """Every node of ``scope`` is final: compute its outputs and finish its owner."""
        owner = scope.owner
        if scope is self._failure_scope:
            self._finish_failed(ErrorInfo(code=FailureCode.FAILED, message=""), None)
            return
        if scope.failed:
            first = scope.failed[0]
            err = first.record.error or ErrorInfo(code=FailureCode.FAILED, message="node failed")
            if owner is None:
                self._finish_failed(err, first)
            else:
                self.node_failed(owner, err, None)
            return
        try:
            outputs = {
                b.name: resolve(b.data, scope.lookup, output_type(scope.spec, b))
                for b in scope.spec.outputs
            }
        except Exception as e:
            err = ErrorInfo(code=FailureCode.BINDING_ERROR, message=str(e), kind=ErrorKind.SYSTEM)
            if owner is None:
                self._finish_failed(err, None)
            else:
                self.node_failed(owner, err, None)
            return
        if owner is None:
            self._finish_succeeded(outputs)
        else:
            self.node_succeeded(owner, outputs, CacheStatus.DISABLED)

    # -- starting nodes -----------------------------------------------------------------------------

    def _start(self, nr: NodeRun) -> None:
        scope = nr.scope
        node = nr.node
        try:
            nr.inputs = {
                b.name: resolve(b.data, scope.lookup, input_type(node, b)) for b in node.inputs
            }
        except Exception as e:
            self.node_failed(
                nr,
                ErrorInfo(code=FailureCode.BINDING_ERROR, message=str(e), kind=ErrorKind.SYSTEM),
                None,
            )
            return
        if scope is self._failure_scope and self._failing is not None:
            bind_error(nr, self._failing[0])
        if self.replay is not None and adopt(self, nr):
            return
        rec = nr.record
        if rec.started_at is None:  # a resumed node keeps its first start
            rec.started_at = time.time()
        rec.inputs = nr.inputs  # known from its start: a running node shows what it runs with
        kind = node.kind
        kt = type(kind)
        if kt is TaskNode:
            task = scope.tasks[kind.task]  # type: ignore[union-attr]
            if task.type in ENGINE_TASK_TYPES:  # eager bodies and echoes: no attempt to run
                start_engine_task(self, nr, task)
            elif task.type == "reference" and self.children is not None:
                # a registered entity known by its stub: a child execution of what it names
                nr.task = task
                nr.record.task = task.id.name
                start_child_execution(self, nr, target=task.id)
            else:
                self._start_task(nr, task)
        elif kt is LaunchPlanNode and self.children is not None:
            start_child_execution(self, nr, kind)  # type: ignore[arg-type]
        elif kt is WorkflowNode or kt is LaunchPlanNode:
            start_subworkflow(self, nr, kind)  # type: ignore[arg-type]
        elif kt is BranchNode:
            start_branch(self, nr, kind)  # type: ignore[arg-type]
        else:
            start_special(self, nr)

    def _start_task(self, nr: NodeRun, task: TaskTemplate) -> None:
        nr.task = task
        nr.record.task = task.id.name
        version = cache_version_of(nr.node, task)
        if (
            version is not None
            and self.catalog is not None
            and self._calls.look_up(self, nr, task, version, self._start_task)
        ):
            return
        first = 1
        if self.replay is not None and self.replay.resume:
            first = resumed_attempt(self, nr, task, self._attempts)
            if not first:
                return
        self._submit(nr, first)

    def _submit(self, nr: NodeRun, attempt: int) -> None:
        task = nr.task
        assert task is not None
        rec = nr.record
        rec.attempts = attempt
        if rec.phase is not NodePhase.RUNNING:
            self.transition(nr, NodePhase.RUNNING)
        else:
            self.store.save_node(self.id, rec)
        self.submit_attempt(nr, nr.path, attempt, task, nr.inputs or {}, memory=nr.budget.memory)

    def cache_key(self, task: TaskTemplate, version: str, inputs: dict[str, Any]) -> str:
        """The cache key of a call, with the per-task part computed once per execution."""
        return self._calls.key(task, version, inputs)

    def submit_attempt(
        self,
        nr: NodeRun,
        path: str,
        attempt: int,
        task: TaskTemplate,
        inputs: dict[str, Any],
        segment: str | None = None,
        memory: int = 0,
    ) -> None:
        """Hand one attempt of ``path`` (a node or a map item of ``nr``) to the runner.

        ``segment`` is the path's storage segment when the caller already knows it (map items);
        ``memory`` the bytes it gets after an attempt killed for memory (0: the task's own).
        """
        request = self._attempts.request(
            path, attempt, task, inputs, nr.node.overrides.timeout_s, segment, memory
        )
        self.runner.submit(request)
        self._inflight[(path, attempt)] = nr
        if self.capture_logs and segment is None:
            # a record while it runs, naming its log: the log can be followed before it ends
            self._attempts.running(request)

    # -- results --------------------------------------------------------------------------------------

    def on_result(self, r: AttemptResult) -> None:
        """Record how an attempt ended and move its node on (retry, succeed, fail)."""
        nr = self._inflight.pop((r.node, r.attempt), None)
        if nr is None:
            return  # a cancelled attempt reporting late
        if type(nr.node.kind) is MapNode:
            on_item_result(self, nr, r)
            return
        self.record_attempt(r)
        if self._done:
            return
        if r.ok:
            if r.dynamic:
                closure = decode(r.dynamic, CompiledWorkflow)
                start_dynamic(self, nr, closure, r.dynamic)
                return
            outputs = r.outputs
            if outputs is None and r.outputs_uri:
                nr.record.outputs_uri = r.outputs_uri
                outputs = read_outputs(r.outputs_uri)
            status = CacheStatus.DISABLED
            key = nr.state if isinstance(nr.state, str) else None
            if key is not None and self.catalog is not None and nr.task is not None:
                self.catalog.put(
                    key,
                    nr.task.id.name,
                    outputs or {},
                    str(self.id),
                    ttl_s=cache_ttl_of(nr.task),
                )
                status = CacheStatus.POPULATED
            self.node_succeeded(nr, outputs or {}, status)
            if key is not None:
                self._calls.release(self, nr, key, outputs or {}, self._start_task)
            return
        task = nr.task
        assert task is not None
        err = self.retry_policy.decide(nr.budget, r, task, nr.node)
        if err is None:
            self._submit(nr, r.attempt + 1)
            return
        key = nr.state if isinstance(nr.state, str) else None
        self.node_failed(
            nr,
            err,
            unpack_exception(r.exception, err.traceback),
            NodePhase.TIMED_OUT if r.timed_out else NodePhase.FAILED,
        )
        if key is not None:
            self._calls.release(self, nr, key, None, self._start_task)

    def unstarted(self, path: str, attempt: int) -> None:
        """An attempt this executor handed out never started before its host shut down: it is
        recorded so (never charged), and the host that resumes the execution runs it under the
        same number. A map item's needs no record: an unfinished item simply runs again."""
        nr = self._inflight.pop((path, attempt), None)
        if nr is not None and type(nr.node.kind) is not MapNode:
            self._attempts.unstarted(path, attempt)

    def record_attempt(self, r: AttemptResult) -> None:
        """Append the record of a finished attempt."""
        self._attempts.finished(r)

    def record_item(self, record: NodeRecord) -> None:
        """Record a map item's end, when this executor keeps per-item records (the server)."""
        if self.record_items:
            self.store.save_node(self.id, record)

    # -- finishing nodes ----------------------------------------------------------------------------

    def transition(self, nr: NodeRun, phase: NodePhase) -> None:
        """Move a node to ``phase`` (checked against the declared table) and record it."""
        rec = nr.record
        check_transition(NODE_TRANSITIONS, rec.phase, phase, f"node {nr.path}", _illegal)
        rec.phase = phase
        self.store.save_node(self.id, rec)
        if self.listener is not None:
            self.listener("node", rec)

    def node_succeeded(self, nr: NodeRun, outputs: dict[str, Any], cache: CacheStatus) -> None:
        """A node finished with ``outputs``: record it and queue what it unblocked."""
        if nr.item_of is not None:
            item_finished(self, nr, outputs, None)
            return
        rec = nr.record
        nr.outputs = outputs
        if not rec.outputs_uri:
            rec.outputs = outputs
        rec.inputs = nr.inputs
        rec.cache = cache
        rec.ended_at = time.time()
        self.transition(nr, NodePhase.SUCCEEDED)
        scope = nr.scope
        if scope.watcher is not None:  # a call of a running body (eager): the body is told
            scope.watcher(nr, outputs, None, None)
            return
        scope.open -= 1
        for d in scope.downstream.get(nr.node.id, ()):
            left = scope.pending[d] - 1
            scope.pending[d] = left
            if left == 0:
                dn = scope.nodes[d]
                if dn.record.phase is NodePhase.QUEUED:
                    self._ready.append(dn)
        if scope.open == 0:
            self._scope_done(scope)

    def node_failed(
        self,
        nr: NodeRun,
        err: ErrorInfo,
        exc: BaseException | None,
        phase: NodePhase = NodePhase.FAILED,
    ) -> None:
        """A node failed for good: record it and apply its scope's failure policy."""
        if nr.item_of is not None:
            item_finished(self, nr, None, err, exc)
            return
        rec = nr.record
        if not err.node:
            err = msgspec.structs.replace(err, node=nr.path)
        rec.error = err
        rec.ended_at = time.time()
        rec.inputs = nr.inputs
        scope = nr.scope
        if exc is not None and self.exception is None and scope.watcher is None:
            self.exception = exc
        self.transition(nr, phase)
        if scope.watcher is not None:  # a call of a running body (eager): the body may catch it
            scope.watcher(nr, None, err, exc)
            return
        scope.open -= 1
        scope.failed.append(nr)
        if scope.spec.failure_policy is FailurePolicy.FAIL_IMMEDIATELY or scope.owner is not None:
            if scope.owner is None:
                self._finish_failed(err, nr)
                return
            # a failed child fails its scope at once; skip what has not started
            self._skip_rest(scope)
        else:
            self._skip_downstream(scope, nr.node.id)
        if scope.open == 0:
            self._scope_done(scope)

    def _skip_downstream(self, scope: Scope, node_id: str) -> None:
        todo = list(scope.downstream.get(node_id, ()))
        while todo:
            d = todo.pop()
            dn = scope.nodes[d]
            if dn.record.phase is NodePhase.QUEUED:
                self.transition(dn, NodePhase.SKIPPED)
                scope.open -= 1
                todo.extend(scope.downstream.get(d, ()))

    def _skip_rest(self, scope: Scope) -> None:
        for nr in scope.nodes.values():
            if nr.record.phase is NodePhase.QUEUED:
                self.transition(nr, NodePhase.SKIPPED)
                scope.open -= 1
                if nr in self._ready:
                    self._ready.remove(nr)

    # -- finishing the execution ----------------------------------------------------------------------

    def _set_execution(self, phase: ExecutionPhase, **changes: Any) -> None:
        phase = execution_phase_after(self.record.phase, phase, f"execution {self.id}", _illegal)
        self.record = msgspec.structs.replace(self.record, phase=phase, **changes)
        self.store.save_execution(self.record)
        if self.listener is not None:
            self.listener("execution", self.record)

    def _finish_succeeded(self, outputs: dict[str, Any]) -> None:
        self._done = True
        self.outputs = outputs
        self._set_execution(ExecutionPhase.SUCCEEDED, outputs=outputs, ended_at=time.time())

    def _finish_failed(self, err: ErrorInfo, nr: NodeRun | None) -> None:
        if self._done:
            return
        if self._failing is None and self._start_failure_handler(err, nr):
            return
        if self._failing is not None:
            err, nr = self._failing
        self._done = True
        self.error = err
        self._abort_inflight()
        self._set_execution(ExecutionPhase.FAILED, error=err, ended_at=time.time())

    def _start_failure_handler(self, err: ErrorInfo, nr: NodeRun | None) -> bool:
        """Run the workflow's ``on_failure`` node with its inputs and the error; False if none."""
        handler = self.closure.workflow.on_failure
        root = self._root
        if handler is None or root is None:
            return False
        self._failing = (err, nr)
        self._abort_inflight()
        self._ready.clear()
        self.maps.clear()
        scope = self._failure_scope = failure_scope(handler, root)
        self.enter(scope)
        return True

    def _abort_inflight(self, err: ErrorInfo | None = None) -> None:
        err = err or ErrorInfo(
            code=FailureCode.ABORTED, message="execution ended", kind=ErrorKind.ABORTED
        )
        for (path, attempt), nr in list(self._inflight.items()):
            self.runner.cancel(path, attempt, self.id)
            self._attempts.save(path, attempt, AttemptPhase.ABORTED, err, worker="")
            if not nr.record.phase.terminal:
                nr.record.error = err
                self.transition(nr, NodePhase.ABORTED)
        self._inflight.clear()

    def raise_for_failure(self) -> None:
        """Raise the error the execution failed with: the task's own exception when known, its
        message prefixed with the task and node (see ``_failure_report``); nothing if it
        succeeded."""
        if self.record.phase is ExecutionPhase.SUCCEEDED:
            return
        raise failure_exception(self.id, self.error, self.exception, self._root)
