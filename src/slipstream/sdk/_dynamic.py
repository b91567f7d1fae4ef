"""``@dynamic``: a task whose body runs with real inputs and builds the workflow to run next."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, overload

from slipstream.model import (
    CompiledWorkflow,
    Identifier,
    Interface,
    ResourceType,
    WorkflowSpec,
)

from ._compiler import WorkflowBuilder
from ._signature import PyInterface
from ._task import PythonTask

__all__ = ["DynamicTask", "dynamic"]

P = ParamSpec("P")
R = TypeVar("R")


class DynamicTask(PythonTask[P, R]):
    """A ``@dynamic`` task. At run time its body is compiled, with the same checks as a static
    workflow, into a workflow that the engine runs as children of the node (``n3/dyn/n0``)."""

    task_type = "dynamic"

    def __init__(self, fn: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(fn, check_returns=False, **kwargs)

    def compile_dynamic(self, kwargs: dict[str, Any]) -> CompiledWorkflow:
        """Run the body with real ``kwargs`` and compile what it calls into a workflow."""
        iface = self.python_interface
        outputs_only = PyInterface(
            (), iface.outputs, Interface(outputs=iface.model.outputs), iface.output_tuple
        )
        builder = WorkflowBuilder(f"{self.name} (dynamic)", outputs_only)
        with builder:
            result = self._fn(**kwargs)
        outputs = builder.output_bindings(result, self.location)
        builder.check_complete(self.location)
        spec = WorkflowSpec(
            id=Identifier(ResourceType.WORKFLOW, f"{self.name}-dynamic"),
            interface=outputs_only.model,
            nodes=builder.freeze(),
            outputs=outputs,
        )
        return CompiledWorkflow(
            workflow=spec, tasks=dict(builder.tasks), subworkflows=dict(builder.subworkflows)
        )


@overload
def dynamic(_fn: Callable[P, R]) -> DynamicTask[P, R]: ...
@overload
def dynamic(_fn: None = None, **kwargs: Any) -> Callable[[Callable[P, R]], DynamicTask[P, R]]: ...
def dynamic(_fn: Any = None, **kwargs: Any) -> Any:
    """Declare a dynamic workflow; takes the same options as ``@task``."""
    if _fn is not None:
        return DynamicTask(_fn, **kwargs)

    def wrap(fn: Callable[P, R]) -> DynamicTask[P, R]:
        return DynamicTask(fn, **kwargs)

    return wrap
