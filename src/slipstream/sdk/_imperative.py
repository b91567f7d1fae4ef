"""``Workflow``: build a workflow step by step instead of from a function body (flytekit's
imperative workflows)."""

from __future__ import annotations

from typing import Any

from slipstream.errors import CompileError
from slipstream.model import (
    CompiledWorkflow,
    FailurePolicy,
    Identifier,
    Interface,
    ResourceType,
    Variable,
    WorkflowSpec,
)
from slipstream.types import default_engine

from ._compiler import NodeDraft, WorkflowBuilder
from ._location import caller_location
from ._promise import Promise
from ._signature import PyInterface, PyVar
from ._workflow import WorkflowBase

__all__ = ["Workflow"]


class Workflow(WorkflowBase):
    """An imperative workflow::

    wb = Workflow(name="my_wf")
    wb.add_workflow_input("x", int)
    node = wb.add_entity(t1, a=wb.inputs["x"])
    wb.add_workflow_output("out", node.outputs["o0"])
    wb(x=3)
    """

    def __init__(
        self, name: str, failure_policy: FailurePolicy | str | None = None, docs: str = ""
    ) -> None:
        self.name = name
        self.location = caller_location()
        self.failure_policy = FailurePolicy(
            getattr(failure_policy, "name", failure_policy) or FailurePolicy.FAIL_IMMEDIATELY
        )
        self.docs = docs
        self._inputs: list[PyVar] = []
        self._outputs: list[tuple[PyVar, Any]] = []
        self._builder = WorkflowBuilder(name, self._py_interface())
        self._compiled: CompiledWorkflow | None = None

    def _py_interface(self, with_outputs: bool = False) -> PyInterface:
        outs = tuple(v for v, _ in self._outputs) if with_outputs else ()
        model = Interface(
            inputs=tuple(Variable(v.name, v.codec.literal_type) for v in self._inputs),
            outputs=tuple(Variable(v.name, v.codec.literal_type) for v in outs),
        )
        # several outputs come back as a namedtuple of their names, as for @workflow
        tuple_cls: Any = None
        if len(outs) > 1:
            import collections

            factory: Any = collections.namedtuple
            tuple_cls = factory("Outputs", [v.name for v in outs])
        return PyInterface(tuple(self._inputs), outs, model, tuple_cls)

    @property
    def python_interface(self) -> PyInterface:  # type: ignore[override]
        return self._py_interface(with_outputs=True)

    @property
    def inputs(self) -> dict[str, Promise]:
        """The workflow's inputs, as promises to bind."""
        return self._builder.inputs

    def add_workflow_input(self, name: str, python_type: Any) -> Promise:
        """Declare an input."""
        if any(v.name == name for v in self._inputs):
            raise CompileError(f"workflow {self.name}: input {name!r} declared twice")
        codec = default_engine().codec(python_type)
        self._inputs.append(PyVar(name, python_type, codec))
        p = Promise("$in", name, codec.literal_type, python_type)
        self._builder.inputs[name] = p
        self._compiled = None
        return p

    def add_entity(self, entity: Any, **kwargs: Any) -> NodeDraft:
        """Add a call of a task, workflow or launch plan; returns the node (``.outputs[...]``)."""
        self._compiled = None
        with self._builder:
            return self._builder.add_entity_node(entity, kwargs, caller_location())

    add_task = add_entity
    add_subwf = add_entity
    add_launch_plan = add_entity

    def add_workflow_output(self, name: str, value: Any, python_type: Any | None = None) -> None:
        """Declare an output bound to a node output (or a list/dict of them)."""
        if any(v.name == name for v, _ in self._outputs):
            raise CompileError(f"workflow {self.name}: output {name!r} declared twice")
        if python_type is None:
            if not isinstance(value, Promise):
                raise CompileError(
                    f"workflow {self.name}: output {name!r}: give python_type for a value that "
                    "is not a single promise"
                )
            python_type = value.python_type
        codec = default_engine().codec(python_type)
        self._outputs.append((PyVar(name, python_type, codec), value))
        self._compiled = None

    @property
    def compiled(self) -> CompiledWorkflow:  # type: ignore[override]
        if self._compiled is None:
            b = self._builder
            iface = self._py_interface(with_outputs=True)
            outputs = []
            for var, value in self._outputs:
                what = f"workflow {self.name}: output {var.name!r}"
                data = b.bind_value(value, var.codec.literal_type, var, what, self.location, None)
                from slipstream.model import Binding

                outputs.append(Binding(var.name, data))
            spec = WorkflowSpec(
                id=Identifier(ResourceType.WORKFLOW, self.name),
                interface=iface.model,
                nodes=b.freeze(),
                outputs=tuple(outputs),
                failure_policy=self.failure_policy,
                docs=self.docs,
            )
            self._compiled = CompiledWorkflow(
                workflow=spec, tasks=dict(b.tasks), subworkflows=dict(b.subworkflows)
            )
        return self._compiled
