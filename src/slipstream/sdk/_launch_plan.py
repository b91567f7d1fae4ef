"""``LaunchPlan``: a named way to launch a workflow, with default and fixed inputs and a schedule."""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from slipstream._hooks import get_local_executor
from slipstream.errors import CompileError, ConflictError, InputError
from slipstream.model import (
    Identifier,
    Interface,
    LaunchPlanNode,
    LaunchPlanSpec,
    ResourceType,
    Variable,
)

from . import _compiler
from ._location import caller_location
from ._signature import PyInterface, PyVar
from ._task import bind_arguments
from ._workflow import WorkflowBase

__all__ = ["LaunchPlan"]

_lock = threading.Lock()


LAUNCH_PLAN_OPTIONS_ACCEPTED = frozenset(
    {
        "raw_output_data_config",
        "security_context",
        "auth_role",
        "trigger",
        "overwrite_cache",
        "auto_activate",
        "concurrency",
    }
)
"""flytekit launch plan options that only matter on a Flyte cluster: accepted and not used."""


class LaunchPlan:
    """A workflow with defaults, fixed inputs, a schedule, notifications and labels.

    ``LaunchPlan.get_or_create(wf)`` is the workflow's default launch plan; with a ``name`` it is a
    named one, the same object for the same arguments and an error for the same name with other
    arguments. Fixed inputs cannot be overridden by the caller (flytekit's local runs let them be).
    """

    CACHE: ClassVar[dict[str, LaunchPlan]] = {}

    def __init__(
        self,
        name: str,
        workflow: WorkflowBase,
        default_inputs: dict[str, Any],
        fixed_inputs: dict[str, Any],
        schedule: Any = None,
        notifications: Any = None,
        labels: Any = None,
        annotations: Any = None,
        max_parallelism: int | None = None,
    ) -> None:
        self.name = name
        self.workflow = workflow
        self.default_inputs = dict(default_inputs)
        self.fixed_inputs = dict(fixed_inputs)
        self.schedule = schedule
        self.notifications = list(notifications or [])
        self.labels = dict(getattr(labels, "values", labels) or {})
        self.annotations = dict(getattr(annotations, "values", annotations) or {})
        self.max_parallelism = max_parallelism
        wf_iface = workflow.python_interface
        what = f"launch plan {name}"
        for k in (*self.default_inputs, *self.fixed_inputs):
            if wf_iface.input(k) is None:
                raise CompileError(
                    f"{what}: workflow {workflow.name} has no input {k!r}; inputs are "
                    f"{', '.join(wf_iface.input_names) or '(none)'}"
                )
        both = set(self.default_inputs) & set(self.fixed_inputs)
        if both:
            raise CompileError(f"{what}: inputs {sorted(both)} are both default and fixed")
        self._literals: dict[str, Any] = {}
        inputs: list[PyVar] = []
        for v in wf_iface.inputs:
            if v.name in self.fixed_inputs:
                self._literals[v.name] = self._convert(v, self.fixed_inputs[v.name], what)
                continue
            if v.name in self.default_inputs:
                value = self.default_inputs[v.name]
                self._literals[v.name] = self._convert(v, value, what)
                v = PyVar(v.name, v.python_type, v.codec, True, value, v.description)
            inputs.append(v)
        if schedule is not None:
            arg = getattr(schedule, "kickoff_time_input_arg", None)
            if arg and wf_iface.input(arg) is None:
                raise CompileError(f"{what}: kickoff_time_input_arg {arg!r} is not an input")
            required = [v.name for v in inputs if not v.has_default and v.name != arg]
            if required:
                raise CompileError(
                    f"{what}: a scheduled launch plan needs a value for every input; "
                    f"missing {', '.join(required)}"
                )
        model = Interface(
            inputs=tuple(
                Variable(
                    v.name,
                    v.codec.literal_type,
                    has_default=v.has_default,
                    default=self._literals.get(v.name),
                )
                for v in inputs
            ),
            outputs=wf_iface.model.outputs,
            output_tuple_name=wf_iface.model.output_tuple_name,
        )
        self.python_interface = PyInterface(
            tuple(inputs), wf_iface.outputs, model, wf_iface.output_tuple
        )

    @staticmethod
    def _convert(v: PyVar, value: Any, what: str) -> Any:
        try:
            return v.codec.to_literal(value, None)
        except TypeError as e:
            raise CompileError(f"{what}: input {v.name!r}: {e}") from None

    @classmethod
    def get_or_create(
        cls,
        workflow: WorkflowBase,
        name: str | None = None,
        default_inputs: dict[str, Any] | None = None,
        fixed_inputs: dict[str, Any] | None = None,
        schedule: Any = None,
        notifications: Any = None,
        labels: Any = None,
        annotations: Any = None,
        max_parallelism: int | None = None,
        **ignored: Any,
    ) -> LaunchPlan:
        """The launch plan ``name`` of ``workflow`` (the default one when ``name`` is None)."""
        args = (
            default_inputs or {},
            fixed_inputs or {},
            schedule,
            notifications,
            labels,
            annotations,
            max_parallelism,
        )
        if name is None:
            if any(a for a in args):
                raise CompileError("a launch plan with options needs a name")
            name = workflow.name
        with _lock:
            existing = cls.CACHE.get(name)
            if existing is not None:
                same_workflow = existing.workflow is workflow or (
                    existing.workflow.name == workflow.name
                )
                if same_workflow and existing._args == args:
                    return existing
                raise ConflictError(f"launch plan {name!r} already exists with different arguments")
            lp = cls(name, workflow, *args)
            lp._args = args
            cls.CACHE[name] = lp
            return lp

    _args: tuple[Any, ...] = ()

    @classmethod
    def create(
        cls,
        name: str,
        workflow: WorkflowBase,
        default_inputs: dict[str, Any] | None = None,
        fixed_inputs: dict[str, Any] | None = None,
        schedule: Any = None,
        notifications: Any = None,
        labels: Any = None,
        annotations: Any = None,
        max_parallelism: int | None = None,
        **cluster_options: Any,
    ) -> LaunchPlan:
        """flytekit's ``LaunchPlan.create``: a new named launch plan (it replaces one of the same
        name defined earlier in this process). Options that only matter on a Flyte cluster
        (``security_context``, ``raw_output_data_config``, ``auth_role``, ``overwrite_cache``,
        ``auto_activate``...) are accepted; any other unknown option is a ``TypeError``."""
        unknown = set(cluster_options) - LAUNCH_PLAN_OPTIONS_ACCEPTED
        if unknown:
            raise TypeError(
                f"LaunchPlan.create got unexpected option(s) {', '.join(sorted(unknown))}"
            )
        args = (
            default_inputs or {},
            fixed_inputs or {},
            schedule,
            notifications,
            labels,
            annotations,
            max_parallelism,
        )
        lp = cls(name, workflow, *args)
        lp._args = args
        with _lock:
            cls.CACHE[name] = lp
        return lp

    @classmethod
    def get_default_launch_plan(cls, ctx: Any, workflow: WorkflowBase) -> LaunchPlan:
        """flytekit's spelling of ``get_or_create(workflow)``; ``ctx`` is not used."""
        return cls.get_or_create(workflow)

    @property
    def spec(self) -> LaunchPlanSpec:
        """The wire form (unversioned)."""
        return LaunchPlanSpec(
            id=Identifier(ResourceType.LAUNCH_PLAN, self.name),
            workflow=Identifier(ResourceType.WORKFLOW, self.workflow.name),
            default_inputs={k: v for k, v in self._literals.items() if k in self.default_inputs},
            fixed_inputs={k: v for k, v in self._literals.items() if k in self.fixed_inputs},
            schedule=self.schedule.to_spec() if self.schedule is not None else None,
            notifications=tuple(n.to_spec() for n in self.notifications),
            labels=self.labels,
            annotations=self.annotations,
            max_parallelism=self.max_parallelism,
        )

    def check_fixed(self, names: Any) -> None:
        """Raise :class:`InputError` if ``names`` include a fixed input."""
        for k in names:
            if k in self.fixed_inputs:
                raise InputError(
                    f"launch plan {self.name}: input {k!r} is fixed to "
                    f"{self.fixed_inputs[k]!r} and cannot be overridden"
                )

    def _add_to_workflow(
        self, builder: Any, args: tuple[Any, ...], kwargs: dict[str, Any], where: str
    ) -> Any:
        try:
            self.check_fixed(kwargs)
        except InputError as e:
            raise CompileError(str(e), location=where) from None
        wf = self.workflow
        builder.tasks.update(wf.compiled.tasks)
        builder.subworkflows.update(wf.compiled.subworkflows)
        builder.subworkflows[wf.name] = wf.compiled.workflow
        fixed = {k: v for k, v in self._literals.items() if k in self.fixed_inputs}
        return builder.add_node(
            kind=LaunchPlanNode(
                launch_plan=Identifier(ResourceType.LAUNCH_PLAN, self.name),
                workflow=wf.name,
                fixed=fixed,
            ),
            entity_name=f"launch plan {self.name}",
            iface=self.python_interface,
            args=args,
            kwargs=kwargs,
            location=where,
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        builder = _compiler.current_builder()
        if builder is not None:
            return builder.add_entity(self, args, kwargs, caller_location())
        self.check_fixed(kwargs)
        bound = bind_arguments(self.name, self.python_interface, args, kwargs)
        from ._eager_calls import CURRENT

        calls = CURRENT.get()
        if calls is not None:  # inside an eager body: a recorded call
            return calls.call(self, bound)
        return get_local_executor()(*self.launch_inputs(bound))

    def launch_inputs(self, inputs: dict[str, Any]) -> tuple[WorkflowBase, dict[str, Any]]:
        """The workflow this plan launches and the inputs it runs with: the defaults, then
        ``inputs``, then the fixed inputs (which ``inputs`` may not name)."""
        self.check_fixed(inputs)
        return self.workflow, {**self.default_inputs, **inputs, **self.fixed_inputs}

    def __repr__(self) -> str:
        return f"LaunchPlan({self.name} -> {self.workflow.name})"
