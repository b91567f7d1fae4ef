"""Tasks the engine answers itself: eager workflow bodies, and echoes.

**Eager bodies run in the engine's process, on one asyncio loop per eager node that the executor
steps.** The body awaits calls; each call is compiled on the spot (with the same checks as a call
in a static workflow) into a node ``e{i}`` under the eager node's path (``n2/e0``, ``n2/e1``... in
the order the body makes them), recorded, and queued like any ready node: the catalog, retries,
timeouts and the runner treat it as a task node of a static workflow. When a call ends, its future
is resolved and the loop is stepped until the body blocks again. Nothing in the body runs between
two steps, so the body sees results in the order the engine records them, and the engine needs no
thread, lock or channel to a worker. On resume the body runs again from the start: call ``i``
gets the same path, and a call the records show finished is answered from them (the replay adopts
it) instead of running again; since the body's control flow depends only on its inputs and the
results it was fed, it makes the same calls in the same order.

The loop is stepped by running it until it has no ready callback (``call_soon(stop)`` then
``run_forever``), never left running: the engine's loop stays the only loop of the thread. A
body that waits on something that is not a call (``asyncio.sleep``, I/O) is stepped again by an
engine timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
import weakref
from asyncio import events
from typing import TYPE_CHECKING, Any

import msgspec

from slipstream.errors import EagerException, FailureCode, NondeterministicError
from slipstream.model import (
    WORKFLOW_INPUTS,
    Binding,
    CacheStatus,
    Const,
    ErrorInfo,
    ErrorKind,
    Identifier,
    Interface,
    NodePhase,
    Ref,
    ResourceType,
    TaskNode,
    TaskTemplate,
    WorkflowSpec,
)
from slipstream.storage import DataLayout, node_segment, open_store, slipstream_home

from ._error_info import error_info
from ._scope import NodeRun, Scope

if TYPE_CHECKING:
    from slipstream.types import TypeContext

    from ._ops import Engine

__all__ = ["ENGINE_TASK_TYPES", "EagerRun", "start_engine_task"]

ENGINE_TASK_TYPES = frozenset({"eager", "echo"})
"""Task types the engine runs without an attempt on a runner."""

_POLL_S = 0.01
"""How soon a body blocked on something other than a call is stepped again."""
_MAX_STEPS = 64
"""Loop iterations per step when the loop cannot say whether callbacks are ready."""


def start_engine_task(ex: Engine, nr: NodeRun, task: TaskTemplate) -> None:
    """Start a task node whose work the engine does itself (``eager`` or ``echo``)."""
    nr.task = task
    nr.record.task = task.id.name
    if task.type == "echo":  # its outputs are its inputs, by name: no worker needed
        given = {v.name: v.default for v in task.interface.inputs if v.has_default}
        given.update(nr.inputs or {})
        outputs = {v.name: given.get(v.name) for v in task.interface.outputs}
        ex.node_succeeded(nr, outputs, CacheStatus.DISABLED)
        return
    runner = getattr(ex, "runner", None)
    if getattr(runner, "user_code_apart", False):  # its body would run as the server
        from slipstream.errors import UnschedulableError

        e = UnschedulableError(
            f"eager workflow {task.id.name} runs its body in the engine host's process, which a "
            "server whose workers run as a user of their own does not allow (the body would run "
            "as the server); run it locally or on a server whose workers run as the server"
        )
        ex.node_failed(nr, error_info(e, nr.path, ErrorKind.USER), e)
        return
    EagerRun(ex, nr, task).start()


class EagerRun:
    """One running eager body: its loop, its scope of calls, and the calls it waits on."""

    __slots__ = (
        "__weakref__",
        "_ctx",
        "_tasks",
        "calls",
        "entity",
        "ex",
        "loop",
        "main",
        "nr",
        "pumping",
        "scope",
        "shapes",
        "template",
        "waiting",
        "wake_armed",
    )

    def __init__(self, ex: Engine, nr: NodeRun, template: TaskTemplate) -> None:
        self.ex = ex
        self.nr = nr
        self.template = template
        self.entity: Any = None
        self.loop = asyncio.new_event_loop()
        self._tasks: list[asyncio.Task[Any]] = []
        weakref.finalize(self, _shutdown, self.loop, self._tasks)
        spec = WorkflowSpec(
            id=Identifier(ResourceType.WORKFLOW, f"{template.id.name} (eager)"),
            interface=Interface(),
            nodes=(),
        )
        self.scope = Scope(f"{nr.path}/", spec, {}, nr, nr.scope, dict(nr.scope.tasks))
        self.scope.watcher = self._ended
        self.calls = 0
        self.waiting: dict[str, tuple[asyncio.Future[Any], Any]] = {}
        self.main: asyncio.Task[Any] | None = None
        self.pumping = False
        self.wake_armed = False
        self._ctx: TypeContext | None = None
        self.shapes: dict[tuple[int, tuple[str, ...]], Any] = {}
        """Calls compiled so far, by entity and input names: a gather of N calls of one task
        compiles one."""

    # -- starting -----------------------------------------------------------------------------

    def start(self) -> None:
        """Resolve the body, decode the inputs, start the body and step it until it blocks."""
        ex, nr = self.ex, self.nr
        from slipstream.sdk import resolve_loader
        from slipstream.sdk._eager_calls import CURRENT

        try:
            entity = resolve_loader(self.template.loader, ex.code_root or None)
            body = getattr(entity, "body", None)
            if body is None:
                raise TypeError(f"{self.template.id.name} is not an eager workflow")
            self.entity = entity
            literals = dict(nr.inputs or {})
            kwargs = entity.decode_inputs(literals, self.context())
        except Exception as e:
            _close(self.loop)
            ex.node_failed(nr, error_info(e, nr.path, ErrorKind.SYSTEM), e)
            return
        nr.child = self.scope
        nr.state = self
        ex.transition(nr, NodePhase.RUNNING)
        ctx = contextvars.copy_context()
        ctx.run(CURRENT.set, _Calls(self))
        self.main = self.loop.create_task(body(**kwargs), context=ctx)
        self._tasks.append(self.main)
        self.pump()

    def context(self) -> TypeContext:
        """Where values of this body's calls are read from and written to."""
        if self._ctx is None:
            from slipstream.types import TypeContext

            ex = self.ex
            store = open_store(ex.blob_store)
            prefix = DataLayout(store).execution_prefix(ex.id.project, ex.id.domain, ex.id.name)
            self._ctx = TypeContext(
                store=store,
                output_prefix=f"{prefix}/{node_segment(self.nr.path)}/eager",
                local_dir=slipstream_home() / "tmp" / ex.id.name / node_segment(self.nr.path),
            )
        return self._ctx

    # -- calls the body makes -----------------------------------------------------------------

    def call(self, entity: Any, inputs: dict[str, Any]) -> asyncio.Future[Any]:
        """A call of ``entity``: compile it into node ``e{i}``, record and queue it; the future
        gets its outputs as Python values (or an :class:`EagerException`)."""
        eid = f"e{self.calls}"
        path = f"{self.nr.path}/{eid}"
        node, tasks, subworkflows = self._compile(entity, inputs, eid)
        self._check_replay(path, node)
        self.calls += 1
        self.scope.tasks.update(tasks)
        self.ex.subworkflows.update(subworkflows)
        cnr = NodeRun(self.scope, node, path)
        self.scope.nodes[eid] = cnr
        self.scope.open += 1
        fut: asyncio.Future[Any] = self.loop.create_future()
        self.waiting[path] = (fut, entity)
        self.ex.add_node(cnr)
        return fut

    def _check_replay(self, path: str, node: Any) -> None:
        """On resume, call ``i`` must call what the records say call ``i`` called."""
        replay = self.ex.replay
        if replay is None or not replay.resume:
            return
        rec = replay.nodes.get(path)
        kind = node.kind
        if rec is None or not rec.task or type(kind) is not TaskNode or rec.task == kind.task:
            return
        raise NondeterministicError(
            f"eager workflow {self.template.id.name}: call {path} is {kind.task} now but was "
            f"{rec.task} when recorded; a body must make the same calls in the same order when "
            "it runs again (base decisions only on its inputs and awaited results)"
        )

    def _compile(
        self, entity: Any, inputs: dict[str, Any], eid: str
    ) -> tuple[Any, dict[str, TaskTemplate], dict[str, WorkflowSpec]]:
        """The node of one call: the entity's call shape, compiled once per run by the workflow
        compiler over promises for the given inputs, with the given values put in as literals."""
        key = (id(entity), tuple(inputs))
        shape = self.shapes.get(key)
        if shape is None:
            shape = self.shapes[key] = _call_shape(self.template.id.name, entity, inputs)
        node, tasks, subworkflows = shape
        iface = entity.python_interface
        ctx = self.context() if getattr(entity, "needs_context", True) else None
        consts: dict[str, Any] = {}
        for name, value in inputs.items():
            var = iface.input(name)
            try:
                consts[name] = var.codec.to_literal(value, ctx)
            except TypeError as e:
                raise TypeError(
                    f"{getattr(entity, 'name', entity)!r}: input {name!r}: {e}"
                ) from None
        bindings = tuple(_const(b, consts) for b in node.inputs)
        return msgspec.structs.replace(node, id=eid, inputs=bindings), tasks, subworkflows

    def _ended(
        self,
        cnr: NodeRun,
        outputs: dict[str, Any] | None,
        err: Any,
        exc: BaseException | None,
    ) -> None:
        """A call ended (the scope's watcher): resolve its future and step the body."""
        self.scope.open -= 1
        waiting = self.waiting.pop(cnr.path, None)
        if waiting is None or self.loop.is_closed():
            return
        fut, entity = waiting
        if fut.done():  # the body cancelled it
            return
        if outputs is not None:
            try:
                fut.set_result(self._decode(entity, outputs))
            except Exception as e:
                fut.set_exception(e)
        else:
            what = getattr(entity, "name", "") or cnr.record.task
            message = err.message if err is not None else "failed"
            fut.set_exception(
                EagerException(
                    f"call {cnr.path} ({what}) failed: {message}",
                    node=cnr.path,
                    error=err,
                    cause=exc,
                )
            )
        self.pump()

    def _decode(self, entity: Any, outputs: dict[str, Any]) -> Any:
        iface = entity.python_interface
        outs = iface.outputs
        if not outs:
            return None
        ctx = self.context() if getattr(entity, "needs_context", True) else None
        values = [v.codec.to_python(outputs[v.name], ctx) for v in outs]
        if iface.output_tuple is None:
            return values[0]
        return iface.output_tuple(*values)

    # -- stepping the body --------------------------------------------------------------------

    def pump(self) -> None:
        """Run the body's loop until nothing in it is ready; finish the node if the body ended."""
        loop, main = self.loop, self.main
        if self.pumping or main is None or loop.is_closed():
            return
        self.pumping = True
        try:
            ready = getattr(loop, "_ready", None)  # CPython's queue of ready callbacks
            if ready is not None and _only_callbacks(loop):
                # nothing but callbacks to run (no timer, no I/O watched): run them here, as the
                # loop would, without the cost of starting and stopping it
                _drain(loop, ready, main)
            elif ready is not None:
                # one run of the loop: a sentinel that stops it once nothing else is ready
                def stop_when_idle() -> None:
                    if ready and not main.done():
                        loop.call_soon(stop_when_idle)
                    else:
                        loop.stop()

                loop.call_soon(stop_when_idle)
                loop.run_forever()
            else:
                for _ in range(_MAX_STEPS):
                    loop.call_soon(loop.stop)
                    loop.run_forever()
                    if main.done():
                        break
        finally:
            self.pumping = False
        if main.done():
            self._finish(main)
            return
        scheduled = getattr(loop, "_scheduled", None)
        if (scheduled or not self.waiting) and not self.wake_armed:
            # the body waits on a timer or on I/O, not (only) on calls: step it again soon
            delay = _POLL_S
            if scheduled:
                delay = max(0.0, min(delay, scheduled[0].when() - loop.time()))
                if not self.waiting:
                    delay = max(0.0, scheduled[0].when() - loop.time())
            self.wake_armed = True
            self.ex.add_timer(delay, self._wake)

    def _wake(self) -> None:
        self.wake_armed = False
        if not self.ex.finished:
            self.pump()

    def _finish(self, main: asyncio.Task[Any]) -> None:
        ex, nr = self.ex, self.nr
        _close(self.loop)
        if ex.finished or nr.record.phase.terminal:
            return
        if main.cancelled():
            err = ErrorInfo(
                code=FailureCode.CANCELLED,
                message="the eager body was cancelled",
                kind=ErrorKind.USER,
                node=nr.path,
            )
            ex.node_failed(nr, err, None)
            return
        raised = main.exception()
        if raised is not None:
            ex.node_failed(nr, error_info(raised, nr.path), raised)
            return
        try:
            outputs = self.entity.encode_outputs(main.result(), self.context())
        except Exception as e:
            ex.node_failed(nr, error_info(e, nr.path), e)
            return
        nr.record.ended_at = time.time()
        ex.node_succeeded(nr, outputs, CacheStatus.DISABLED)


class _Calls:
    """What the body's context holds: the run, weakly, so that a body left waiting keeps
    nothing alive and its run's finalizer can unwind it."""

    __slots__ = ("_run",)

    def __init__(self, run: EagerRun) -> None:
        self._run = weakref.ref(run)

    def call(self, entity: Any, inputs: dict[str, Any]) -> asyncio.Future[Any]:
        run = self._run()
        if run is None:
            raise RuntimeError("the eager run of this body has ended")
        return run.call(entity, inputs)


def _call_shape(
    name: str, entity: Any, inputs: dict[str, Any]
) -> tuple[Any, dict[str, TaskTemplate], dict[str, WorkflowSpec]]:
    """A call of ``entity`` with these input names, compiled as in a static workflow (so a bad
    call fails the same way), its inputs still references to be replaced by values."""
    from slipstream.sdk import WorkflowBuilder
    from slipstream.sdk._location import caller_location

    builder = WorkflowBuilder(f"{name} (eager)", entity.python_interface)
    where = caller_location()
    with builder:
        builder.add_entity(entity, (), {k: builder.inputs[k] for k in inputs}, where)
    node = msgspec.structs.replace(builder.nodes[-1].freeze(), upstream=(), location=where)
    return node, builder.tasks, builder.subworkflows


def _only_callbacks(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether the loop has no timer and watches no file but its own wake-up pipe."""
    if getattr(loop, "_scheduled", True):
        return False
    selector = getattr(loop, "_selector", None)
    return selector is not None and len(selector.get_map()) <= 1


def _drain(loop: asyncio.AbstractEventLoop, ready: Any, main: asyncio.Task[Any]) -> None:
    """Run the loop's ready callbacks, and those they schedule, until none is left: one pass of
    ``run_forever`` minus the polling, with this loop as the running one for the body."""
    outer = events._get_running_loop()
    events._set_running_loop(loop)
    try:
        while ready and not main.done():
            handle = ready.popleft()
            if not handle._cancelled:
                handle._run()
    finally:
        events._set_running_loop(outer)


def _const(b: Binding, consts: dict[str, Any]) -> Binding:
    data = b.data
    if type(data) is Ref and data.node == WORKFLOW_INPUTS and not data.path:
        return Binding(b.name, Const(consts[data.output]))
    return b


def _shutdown(loop: asyncio.AbstractEventLoop, tasks: list[asyncio.Task[Any]]) -> None:
    """A run dropped while its body waits (the execution ended elsewhere): cancel the body and
    let it unwind (its ``finally`` blocks run) when no other loop runs here, then close."""
    if loop.is_closed():
        return
    pending = [t for t in tasks if not t.done()]
    if pending:
        for t in pending:
            t.cancel()
        # when another loop runs in this thread now, closing is all that can be done
        with contextlib.suppress(RuntimeError):
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    _close(loop)


def _close(loop: asyncio.AbstractEventLoop) -> None:
    if not loop.is_closed() and not loop.is_running():
        loop.close()
