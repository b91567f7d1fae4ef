"""Running a workflow or a task on this machine, through the one engine.

``wf(x=1)`` and ``slipstream run`` both land here: Python values become literals, the engine runs
the compiled closure with an in-memory state store, the local cache catalog and a runner (inline
or a pool of warm processes), and the outputs come back as Python values.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from slipstream.engine import (
    Executor,
    Listener,
    LocalCatalog,
    MemoryStateStore,
    RetryPolicy,
    Runner,
    TerminalSignals,
    task_closure,
)
from slipstream.model import (
    CompiledWorkflow,
    ExecutionId,
    ExecutionRecord,
    OomRetry,
)
from slipstream.sdk import PyInterface
from slipstream.storage import DataLayout, default_store_url, open_store, slipstream_home
from slipstream.types import TypeContext

from ._plugins import RunnerOptions, load_runner

__all__ = [
    "LocalRun",
    "closure_of",
    "default_catalog",
    "execute_local",
    "make_runner",
    "run_local",
]

LOCAL_PROJECT = "local"
LOCAL_DOMAIN = "development"


_catalog: LocalCatalog | None = None


def default_catalog() -> LocalCatalog:
    """The catalog shared by every local run under ``SLIPSTREAM_HOME``."""
    global _catalog
    path = slipstream_home() / "catalog.db"
    if _catalog is None or _catalog.path != path:
        _catalog = LocalCatalog(path)
    return _catalog


def _launched(entity: Any, inputs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """A launch plan runs its workflow with its defaults and fixed inputs; others run as given."""
    launch = getattr(entity, "launch_inputs", None)
    return launch(inputs) if launch is not None else (entity, inputs)


def closure_of(entity: Any) -> CompiledWorkflow:
    """What the engine runs for ``entity``: a workflow's closure, or a one-node workflow for a task."""
    entity, _ = _launched(entity, {})
    compiled = getattr(entity, "compiled", None)
    if compiled is not None:
        return compiled  # type: ignore[no-any-return]
    return task_closure(entity.template)


def code_root_for(entity: Any) -> str:
    """The directory workers put on ``sys.path`` to import ``entity``'s code ("" if unknown)."""
    entity, _ = _launched(entity, {})
    fn = getattr(entity, "__wrapped__", None)
    if fn is None:
        task = getattr(entity, "task", None)  # a map task
        fn = getattr(task, "__wrapped__", None)
    if fn is None:
        return ""
    from slipstream.sdk import code_root_of

    root = code_root_of(fn)
    return str(root) if root else ""


def make_runner(
    kind: str | Runner = "inline", workers: int | None = None, code_root: str = ""
) -> Runner:
    """A runner by name: ``inline``, ``local`` (a pool of warm worker processes) or ``ray``
    (warm actors on the Ray cluster at ``RAY_ADDRESS``, or a private local Ray), or any other
    ``slipstream.runners`` entry point (see ``_plugins``)."""
    if not isinstance(kind, str):
        return kind
    return load_runner(kind, RunnerOptions(workers=workers, code_root=code_root))


class LocalRun:
    """One local execution: its executor (records, phase, outputs) and its Python outputs."""

    def __init__(self, executor: Executor, iface: PyInterface, ctx: TypeContext) -> None:
        self.executor = executor
        self._iface = iface
        self._ctx = ctx

    @property
    def record(self) -> ExecutionRecord:
        """The final execution record."""
        return self.executor.record

    def python_outputs(self) -> Any:
        """The outputs as the workflow declared them (a value, a namedtuple, or None)."""
        self.executor.raise_for_failure()
        literals = self.executor.outputs or {}
        outs = self._iface.outputs
        if not outs:
            return None
        values = [v.codec.to_python(literals[v.name], self._ctx) for v in outs]
        if self._iface.output_tuple is None:
            return values[0]
        return self._iface.output_tuple(*values)


def execute_local(
    entity: Any,
    inputs: dict[str, Any],
    *,
    runner: str | Runner = "inline",
    workers: int | None = None,
    listener: Listener | None = None,
    max_parallelism: int | None = None,
    name: str | None = None,
    cache: bool = True,
    oom_retry: OomRetry | None = None,
) -> LocalRun:
    """Run ``entity`` (workflow or task) with Python ``inputs``; returns the finished run.

    ``oom_retry`` says how an attempt killed for memory grows on retry (the engine's default:
    twice the memory, up to 8Gi)."""
    entity, inputs = _launched(entity, inputs)
    iface: PyInterface = entity.python_interface
    closure = closure_of(entity)
    exec_id = ExecutionId(LOCAL_PROJECT, LOCAL_DOMAIN, name or f"l{uuid.uuid4().hex[:12]}")
    store_url = default_store_url()
    store = open_store(store_url)
    layout = DataLayout(store)
    ctx = TypeContext(
        store=store,
        output_prefix=layout.execution_prefix(exec_id.project, exec_id.domain, exec_id.name)
        + "/inputs",
        local_dir=slipstream_home() / "tmp" / exec_id.name,
    )
    literals: dict[str, Any] = {}
    missing = [v.name for v in iface.inputs if v.name not in inputs and not v.has_default]
    unknown = [k for k in inputs if iface.input(k) is None]
    if missing or unknown:
        from slipstream.errors import InputError

        parts = []
        if missing:
            parts.append(f"missing required input(s) {', '.join(map(repr, missing))}")
        if unknown:
            parts.append(f"unknown input(s) {', '.join(map(repr, unknown))}")
        raise InputError(f"{entity.name}: {'; '.join(parts)}")
    for v in iface.inputs:
        if v.name in inputs:
            try:
                literals[v.name] = v.codec.to_literal(inputs[v.name], ctx)
            except TypeError as e:
                from slipstream.errors import LiteralTypeError

                raise LiteralTypeError(f"{entity.name}: input {v.name!r}: {e}") from None
        elif v.has_default and v.codec.needs_context:
            literals[v.name] = v.codec.to_literal(v.default, ctx)
        elif v.has_default:
            literals[v.name] = closure.workflow.interface.input(v.name).default  # type: ignore[union-attr]
    code_root = code_root_for(entity)
    own_runner = isinstance(runner, str)
    r = make_runner(runner, workers, code_root)
    try:
        executor = Executor(
            execution_id=exec_id,
            closure=closure,
            inputs=literals,
            store=MemoryStateStore(),
            runner=r,
            catalog=default_catalog() if cache else None,
            blob_store=store_url,
            code_root=code_root,
            max_parallelism=max_parallelism,
            listener=listener,
            signals=TerminalSignals(),  # gates ask on the terminal (fail clearly without one)
            retry_policy=RetryPolicy(oom=oom_retry) if oom_retry is not None else None,
        )
        executor.run()
    finally:
        if own_runner:
            r.close()
    return LocalRun(executor, iface, ctx)


def run_local(entity: Any, inputs: dict[str, Any], **options: Any) -> Any:
    """Run ``entity`` locally and return its Python outputs; raise the task's error on failure."""
    if "runner" not in options:
        env = os.environ.get("SLIPSTREAM_RUNNER")
        if env:
            options["runner"] = env
    return execute_local(entity, inputs, **options).python_outputs()
