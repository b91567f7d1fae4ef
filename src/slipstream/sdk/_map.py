"""``map_task``: run a task once per item of its list inputs, item by item."""

from __future__ import annotations

import functools
import typing
from typing import Any

from slipstream._hooks import get_local_executor
from slipstream.errors import CompileError
from slipstream.model import (
    WORKFLOW_INPUTS,
    Binding,
    CompiledWorkflow,
    Identifier,
    Interface,
    MapNode,
    Node,
    Ref,
    ResourceType,
    Variable,
    WorkflowSpec,
)
from slipstream.types import default_engine

from . import _compiler
from ._location import caller_location
from ._signature import PyInterface, PyVar
from ._task import PythonTask, bind_arguments

__all__ = ["MapTask", "map_task"]


class MapTask:
    """A task mapped over lists: ``map_task(t)(x=[1, 2, 3])`` calls ``t`` three times.

    Several list inputs are zipped; ``functools.partial`` fixes other inputs (scalars, or lists
    that are passed whole to every call). With ``min_success_ratio < 1`` failed items become
    ``None`` in the outputs (``List[Optional[T]]``) as long as enough items succeed.
    """

    def __init__(
        self,
        task_or_partial: Any,
        concurrency: int | None = None,
        min_success_ratio: float = 1.0,
    ) -> None:
        fixed: dict[str, Any] = {}
        t = task_or_partial
        if isinstance(t, functools.partial):
            if t.args:
                raise CompileError("map_task: functools.partial must fix inputs by keyword")
            fixed = dict(t.keywords)
            t = t.func
        if not isinstance(t, PythonTask):
            raise CompileError(f"map_task expects a @task (or a partial of one), got {t!r}")
        if t.task_type not in ("python", "dynamic"):
            raise CompileError(f"map_task: cannot map {t.task_type} task {t.name}")
        if not 0.0 <= min_success_ratio <= 1.0:
            raise CompileError(
                f"map_task: min_success_ratio must be within [0, 1], got {min_success_ratio}"
            )
        if concurrency is not None and concurrency < 0:
            raise CompileError("map_task: concurrency must be >= 0")
        base = t.python_interface
        for k in fixed:
            if base.input(k) is None:
                raise CompileError(f"map_task: partial fixes unknown input {k!r} of {t.name}")
        self.task = t
        self.fixed = fixed
        self.concurrency = concurrency or None
        self.min_success_ratio = float(min_success_ratio)
        self.name = f"map_{t.name}"
        self.mapped = tuple(v.name for v in base.inputs if v.name not in fixed)
        engine = default_engine()
        inputs = []
        for v in base.inputs:
            if v.name in fixed:
                continue
            lt = list[v.python_type]  # type: ignore[name-defined]
            inputs.append(PyVar(v.name, lt, engine.codec(lt), description=v.description))
        outputs = []
        for v in base.outputs:
            item: Any = v.python_type
            if self.min_success_ratio < 1:
                item = typing.Union[item, None]
            out_t: Any = list[item]
            outputs.append(PyVar(v.name, out_t, engine.codec(out_t)))
        tuple_cls = base.output_tuple
        model = Interface(
            inputs=tuple(Variable(v.name, v.codec.literal_type) for v in inputs),
            outputs=tuple(Variable(v.name, v.codec.literal_type) for v in outputs),
        )
        self.python_interface = PyInterface(tuple(inputs), tuple(outputs), model, tuple_cls)
        # the node sees list types for mapped inputs and the task's own types for fixed ones
        node_inputs = tuple(inputs) + tuple(v for v in base.inputs if v.name in fixed)
        self._node_iface = PyInterface(
            node_inputs,
            tuple(outputs),
            Interface(
                inputs=tuple(
                    Variable(v.name, v.codec.literal_type, has_default=v.has_default)
                    for v in node_inputs
                ),
                outputs=model.outputs,
            ),
            tuple_cls,
        )
        self._compiled: CompiledWorkflow | None = None

    def _kind(self) -> MapNode:
        return MapNode(
            task=self.task.name,
            mapped=self.mapped,
            concurrency=self.concurrency,
            min_success_ratio=self.min_success_ratio,
        )

    def _add_to_workflow(
        self, builder: Any, args: tuple[Any, ...], kwargs: dict[str, Any], where: str
    ) -> Any:
        builder.tasks[self.task.name] = self.task.template
        merged = {**self.fixed, **dict(zip(self.mapped, args, strict=False)), **kwargs}
        if len(args) > len(self.mapped):
            raise CompileError(
                f"{self.name}: takes {len(self.mapped)} list inputs, {len(args)} given",
                location=where,
            )
        for k in kwargs:
            if k in self.fixed:
                raise CompileError(
                    f"{self.name}: input {k!r} is fixed by functools.partial", location=where
                )
        return builder.add_node(
            kind=self._kind(),
            entity_name=self.name,
            iface=self._node_iface,
            args=(),
            kwargs=merged,
            location=where,
        )

    @property
    def compiled(self) -> CompiledWorkflow:
        """A one-node workflow running the map (for calls outside a workflow)."""
        if self._compiled is None:
            iface = self.python_interface.model
            node = Node(
                id="n0",
                kind=self._kind(),
                interface=self._node_iface.model,
                inputs=tuple(Binding(v.name, Ref(WORKFLOW_INPUTS, v.name)) for v in iface.inputs),
            )
            spec = WorkflowSpec(
                id=Identifier(ResourceType.WORKFLOW, self.name),
                interface=iface,
                nodes=(node,),
                outputs=tuple(Binding(v.name, Ref("n0", v.name)) for v in iface.outputs),
            )
            self._compiled = CompiledWorkflow(
                workflow=spec, tasks={self.task.name: self.task.template}
            )
        return self._compiled

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        builder = _compiler.current_builder()
        if builder is not None:
            return builder.add_entity(self, args, kwargs, caller_location())
        if any(_has_promise(v) for v in self.fixed.values()):
            raise CompileError(f"{self.name}: a partial with promises only works in a workflow")
        bound = bind_arguments(self.name, self.python_interface, args, kwargs)
        from ._eager_calls import CURRENT

        calls = CURRENT.get()
        if calls is not None:  # inside an eager body: a recorded call
            return calls.call(self, bound)
        if self.fixed:
            # fixed inputs become constants of the one-node workflow
            compiled = self.compiled
            node = compiled.workflow.nodes[0]
            consts = []
            from slipstream.model import Const

            for name, value in self.fixed.items():
                var = self.task.python_interface.input(name)
                assert var is not None
                consts.append(Binding(name, Const(var.codec.to_literal(value, None))))
            node = Node(
                id=node.id,
                kind=node.kind,
                interface=node.interface,
                inputs=node.inputs + tuple(consts),
            )
            import msgspec

            self._compiled = msgspec.structs.replace(
                compiled, workflow=msgspec.structs.replace(compiled.workflow, nodes=(node,))
            )
        return get_local_executor()(self, bound)

    def __repr__(self) -> str:
        return f"MapTask({self.task.name})"


def _has_promise(v: Any) -> bool:
    from ._promise import Promise

    return isinstance(v, Promise)


def map_task(
    task_or_partial: Any, concurrency: int | None = None, min_success_ratio: float = 1.0
) -> MapTask:
    """Map a task over list inputs (flytekit's ``map_task``; also exported as ``map``)."""
    return MapTask(task_or_partial, concurrency=concurrency, min_success_ratio=min_success_ratio)
