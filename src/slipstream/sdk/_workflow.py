"""``@workflow``: a typed function whose body is compiled, once, into a graph of nodes."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar, overload

from slipstream._hooks import get_local_executor
from slipstream.errors import CompileError
from slipstream.model import (
    CompiledWorkflow,
    FailurePolicy,
    Identifier,
    ResourceType,
    WorkflowNode,
    WorkflowSpec,
)
from slipstream.types import WorkflowError

from . import _compiler
from ._compat import WORKFLOW_OPTIONS_ACCEPTED, docs_text
from ._compiler import WorkflowBuilder, run_body
from ._eager_calls import CURRENT
from ._location import caller_location
from ._naming import module_name_of
from ._signature import PyInterface, extract_interface, location_of
from ._task import bind_arguments

__all__ = [
    "PythonWorkflow",
    "WorkflowBase",
    "WorkflowError",
    "WorkflowFailurePolicy",
    "workflow",
]

P = ParamSpec("P")
R = TypeVar("R")

WorkflowFailurePolicy = FailurePolicy


class WorkflowBase:
    """What every workflow offers: a name, a typed interface and its compiled closure."""

    name: str
    python_interface: PyInterface
    compiled: CompiledWorkflow
    location: str

    def _add_to_workflow(
        self, builder: WorkflowBuilder, args: tuple[Any, ...], kwargs: dict[str, Any], where: str
    ) -> Any:
        builder.tasks.update(self.compiled.tasks)
        builder.subworkflows.update(self.compiled.subworkflows)
        builder.subworkflows[self.name] = self.compiled.workflow
        return builder.add_node(
            kind=WorkflowNode(workflow=self.name),
            entity_name=self.name,
            iface=self.python_interface,
            args=args,
            kwargs=kwargs,
            location=where,
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        builder = _compiler.current_builder()
        if builder is not None:
            return builder.add_entity(self, args, kwargs, caller_location())
        bound = bind_arguments(self.name, self.python_interface, args, kwargs)
        calls = CURRENT.get()
        if calls is not None:  # inside an eager body: a recorded call
            return calls.call(self, bound)
        return get_local_executor()(self, bound)


class PythonWorkflow(WorkflowBase, Generic[P, R]):
    """A workflow defined by a decorated function (see :func:`workflow`)."""

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        failure_policy: FailurePolicy | str | None = None,
        on_failure: Any = None,
        docs: Any = None,
        name: str | None = None,
        **cluster_options: Any,
    ) -> None:
        functools.update_wrapper(self, fn)
        self._fn = fn
        self.location = location_of(fn)
        unknown = set(cluster_options) - WORKFLOW_OPTIONS_ACCEPTED
        if unknown:
            raise TypeError(
                f"@workflow got unexpected option(s) {', '.join(sorted(unknown))} "
                f"(on {fn.__qualname__})"
            )
        self.name = name or f"{module_name_of(fn)}.{fn.__qualname__}"
        self.python_interface = extract_interface(fn, f"workflow {self.name}")
        try:
            self.failure_policy = FailurePolicy(
                getattr(failure_policy, "name", failure_policy) or FailurePolicy.FAIL_IMMEDIATELY
            )
        except ValueError:
            raise CompileError(
                f"workflow {self.name}: unknown failure_policy {failure_policy!r}; use one of "
                f"{', '.join(p.value for p in FailurePolicy)}",
                location=self.location,
            ) from None
        self.on_failure = on_failure
        text = docs_text(docs)
        self.docs = text if text is not None else (inspect.getdoc(fn) or "")
        self.compiled = self._compile()

    def _compile(self) -> CompiledWorkflow:
        builder = WorkflowBuilder(self.name, self.python_interface)
        result = run_body(builder, self._fn)
        builder.check_complete(self.location)
        outputs = builder.output_bindings(result, self.location)
        on_failure = None
        if self.on_failure is not None:
            on_failure = _failure_node(self, builder)
        spec = WorkflowSpec(
            id=Identifier(ResourceType.WORKFLOW, self.name),
            interface=self.python_interface.model,
            nodes=builder.freeze(),
            outputs=outputs,
            failure_policy=self.failure_policy,
            on_failure=on_failure,
            docs=self.docs,
        )
        return CompiledWorkflow(
            workflow=spec, tasks=dict(builder.tasks), subworkflows=dict(builder.subworkflows)
        )

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return super().__call__(*args, **kwargs)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"PythonWorkflow({self.name})"


def _failure_node(wf: PythonWorkflow[..., Any], builder: WorkflowBuilder) -> Any:
    """The node that runs ``on_failure`` with the workflow's inputs (and ``err`` if declared)."""
    handler = wf.on_failure
    iface = getattr(handler, "python_interface", None)
    if iface is None:
        raise CompileError(
            f"workflow {wf.name}: on_failure must be a task or a workflow", location=wf.location
        )
    sub = WorkflowBuilder(wf.name, wf.python_interface)
    kwargs: dict[str, Any] = {k: v for k, v in sub.inputs.items() if iface.input(k) is not None}
    if "err" in iface.input_names:
        kwargs["err"] = None  # the engine binds the real error when the handler runs
    with sub:
        handler(**kwargs)
    builder.tasks.update(sub.tasks)
    builder.subworkflows.update(sub.subworkflows)
    node = sub.nodes[0].freeze()
    return node


@overload
def workflow(_fn: Callable[P, R]) -> PythonWorkflow[P, R]: ...
@overload
def workflow(
    _fn: None = None, **kwargs: Any
) -> Callable[[Callable[P, R]], PythonWorkflow[P, R]]: ...
def workflow(_fn: Any = None, **kwargs: Any) -> Any:
    """Declare a workflow. Its body runs once, now, over promises, and is compiled and checked.

    Options: ``failure_policy`` (``WorkflowFailurePolicy``), ``on_failure`` (a task or workflow
    run with the workflow's inputs when it fails), ``docs``.
    """
    if _fn is not None:
        return PythonWorkflow(_fn, **kwargs)

    def wrap(fn: Callable[P, R]) -> PythonWorkflow[P, R]:
        return PythonWorkflow(fn, **kwargs)

    return wrap
