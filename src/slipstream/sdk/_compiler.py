"""Compiling a workflow body: the builder that records nodes while the body runs over promises.

Compilation is an explicit pass: ``WorkflowBuilder.compile`` runs the body once with promises for
its inputs; each task, subworkflow or launch plan called in the body adds a :class:`NodeDraft`
here, with its bindings checked against the callee's interface on the spot (so errors carry the
file and line of the call). The result is a frozen :class:`~slipstream.model.WorkflowSpec`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slipstream.errors import CompileError
from slipstream.model import (
    WORKFLOW_INPUTS,
    Binding,
    BindingData,
    Const,
    DictOf,
    Interface,
    Kind,
    ListOf,
    LiteralType,
    Node,
    NodeKind,
    NodeOverrides,
    Ref,
    ResourceSpec,
    TaskTemplate,
    WorkflowSpec,
    is_assignable,
)

from ._location import caller_location
from ._promise import NodeOutput, Promise, PromiseNode
from ._signature import PyInterface, PyVar

__all__ = ["NodeDraft", "WorkflowBuilder", "current_builder"]

_stack: list[WorkflowBuilder] = []


def current_builder() -> WorkflowBuilder | None:
    """The builder of the workflow being compiled in this thread, if any."""
    return _stack[-1] if _stack else None


class NodeDraft(PromiseNode):
    """A node while its workflow is being compiled (mutable until the spec is frozen)."""

    def __init__(
        self,
        builder: WorkflowBuilder,
        node_id: str,
        kind: NodeKind,
        interface: Interface,
        entity_name: str,
        location: str,
    ) -> None:
        self.builder = builder
        self.id = node_id
        self.kind = kind
        self.interface = interface
        self.entity_name = entity_name
        self.location = location
        self.bindings: list[Binding] = []
        self.upstream: list[str] = []
        self.overrides = NodeOverrides()
        self.py_interface: PyInterface | None = None

    @property
    def outputs(self) -> dict[str, Promise]:
        """The node's outputs by name (``node.outputs["o0"]``), for imperative workflows."""
        iface = self.py_interface
        if iface is None:
            return {}
        return {
            v.name: Promise(self.id, v.name, v.codec.literal_type, v.python_type, self)
            for v in iface.outputs
        }

    def __getattr__(self, name: str) -> Promise:
        """An output as an attribute (``node.o0``), as flytekit's ``create_node`` gives it."""
        iface = self.__dict__.get("py_interface")
        if iface is not None and not name.startswith("__"):
            for v in iface.outputs:
                if v.name == name:
                    return Promise(self.id, v.name, v.codec.literal_type, v.python_type, self)
            raise CompileError(
                f"node {self.id} ({self.entity_name}) has no output {name!r}; outputs are "
                f"{', '.join(v.name for v in iface.outputs) or '(none)'}",
                location=caller_location(),
            )
        raise AttributeError(name)

    def add_upstream(self, node_id: str) -> None:
        """Run after ``node_id``."""
        if node_id != self.id and node_id != WORKFLOW_INPUTS and node_id not in self.upstream:
            self.upstream.append(node_id)

    def runs_before(self, other: NodeDraft) -> None:
        """flytekit's spelling of ``self >> other``."""
        other.add_upstream(self.id)

    def with_overrides(self, **kwargs: Any) -> NodeDraft:
        """Per call site settings: ``name``, ``retries``, ``timeout``, ``cache``, ``cache_version``,
        ``interruptible``, ``requests``, ``limits`` (``Resources``)."""
        import datetime

        allowed = {
            "name",
            "retries",
            "timeout",
            "cache",
            "cache_version",
            "interruptible",
            "requests",
            "limits",
            "node_name",
        }
        unknown = set(kwargs) - allowed
        if unknown:
            raise CompileError(
                f"with_overrides: unknown option(s) {', '.join(sorted(unknown))}; "
                f"allowed: {', '.join(sorted(allowed))}",
                location=caller_location(),
            )
        o = self.overrides
        import msgspec

        changes: dict[str, Any] = {}
        if "name" in kwargs or "node_name" in kwargs:
            changes["name"] = str(kwargs.get("name", kwargs.get("node_name")))
        if "retries" in kwargs:
            changes["retries"] = int(kwargs["retries"])
        if "timeout" in kwargs:
            t = kwargs["timeout"]
            changes["timeout_s"] = (
                t.total_seconds() if isinstance(t, datetime.timedelta) else float(t)
            )
        if "cache" in kwargs:
            changes["cache"] = bool(kwargs["cache"])
        if "cache_version" in kwargs:
            changes["cache_version"] = str(kwargs["cache_version"])
        if "interruptible" in kwargs:
            changes["interruptible"] = bool(kwargs["interruptible"])
        for key in ("requests", "limits"):
            if key in kwargs:
                r = kwargs[key]
                changes[key] = r.to_spec() if hasattr(r, "to_spec") else ResourceSpec()
        self.overrides = msgspec.structs.replace(o, **changes)
        return self

    def freeze(self) -> Node:
        """The immutable node."""
        return Node(
            id=self.id,
            kind=self.kind,
            interface=self.interface,
            inputs=tuple(self.bindings),
            upstream=tuple(self.upstream),
            overrides=self.overrides,
            location=self.location,
        )


class WorkflowBuilder:
    """Records the nodes of one workflow body. Entered with ``with builder:`` while the body runs."""

    def __init__(self, name: str, interface: PyInterface) -> None:
        self.name = name
        self.interface = interface
        self.nodes: list[NodeDraft] = []
        self.tasks: dict[str, TaskTemplate] = {}
        self.subworkflows: dict[str, WorkflowSpec] = {}
        self._next = 0
        self.open_sections: list[Any] = []
        self.inputs = {
            v.name: Promise(WORKFLOW_INPUTS, v.name, v.codec.literal_type, v.python_type)
            for v in interface.inputs
        }

    def __enter__(self) -> WorkflowBuilder:
        _stack.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _stack.pop()

    def new_node_id(self) -> str:
        """The next free node id (``n0``, ``n1``...)."""
        nid = f"n{self._next}"
        self._next += 1
        return nid

    # -- adding nodes ----------------------------------------------------------------------------

    def add_entity(
        self, entity: Any, args: tuple[Any, ...], kwargs: dict[str, Any], location: str
    ) -> Any:
        """Add a node that calls ``entity`` (task, workflow, launch plan, map task...)."""
        add = getattr(entity, "_add_to_workflow", None)
        if add is None:
            raise CompileError(
                f"workflow {self.name}: cannot call {entity!r} in a workflow", location=location
            )
        return add(self, args, kwargs, location)

    def add_node(
        self,
        *,
        kind: NodeKind,
        entity_name: str,
        iface: PyInterface,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        location: str,
    ) -> Any:
        """Bind a call's arguments to ``iface`` with type checks and add the node.

        Returns the outputs as promises: one promise, a (named) tuple of them, or a
        :class:`NodeOutput` when there are no outputs.
        """
        node = NodeDraft(self, self.new_node_id(), kind, iface.model, entity_name, location)
        node.py_interface = iface
        what = f"workflow {self.name}: node {node.id} ({entity_name})"
        names = iface.input_names
        if len(args) > len(names):
            raise CompileError(
                f"{what}: takes {len(names)} inputs but {len(args)} positional arguments were "
                "given",
                location=location,
            )
        bound: dict[str, Any] = dict(zip(names, args, strict=False))
        for k, v in kwargs.items():
            if k not in names:
                raise CompileError(
                    f"{what}: unknown input {k!r}; inputs are {', '.join(names) or '(none)'}",
                    location=location,
                )
            if k in bound:
                raise CompileError(f"{what}: input {k!r} given twice", location=location)
            bound[k] = v
        for var in iface.inputs:
            if var.name not in bound:
                if var.has_default:
                    continue
                raise CompileError(
                    f"{what}: missing required input {var.name!r} ({var.codec.literal_type})",
                    location=location,
                )
            expected = var.codec.literal_type
            data = self.bind_value(bound[var.name], expected, var, what, location, node)
            node.bindings.append(Binding(var.name, data))
        self.nodes.append(node)
        return self.outputs_of(node, iface)

    def add_entity_node(self, entity: Any, kwargs: dict[str, Any], location: str) -> NodeDraft:
        """Add a node for ``entity`` and return the node itself (imperative workflows)."""
        before = len(self.nodes)
        self.add_entity(entity, (), kwargs, location)
        return self.nodes[before]

    def outputs_of(self, node: NodeDraft, iface: PyInterface) -> Any:
        """Promises for the outputs of ``node``."""
        outs = iface.outputs
        if not outs:
            return NodeOutput(node)
        promises = [
            Promise(node.id, v.name, v.codec.literal_type, v.python_type, node) for v in outs
        ]
        if iface.output_tuple is None:
            return promises[0]
        return iface.output_tuple(*promises)

    # -- binding values ----------------------------------------------------------------------------

    def bind_value(
        self,
        value: Any,
        expected: LiteralType,
        var: PyVar | None,
        what: str,
        location: str,
        node: NodeDraft | None,
    ) -> BindingData:
        """The binding for ``value`` given to an input of type ``expected``."""
        name = var.name if var is not None else "output"
        if isinstance(value, Promise):
            self._check_promise(value)
            if not is_assignable(value.literal_type, expected):
                raise CompileError(
                    f"{what}: input {name!r} expects {expected} but gets {value.literal_type} "
                    f"from the {value.describe()}",
                    location=location,
                )
            if node is not None:
                node.add_upstream(value.node_id)
            ref = value.ref()
            if value.literal_type != expected:
                ref = Ref(ref.node, ref.output, ref.path, src_type=value.literal_type)
            return ref
        if isinstance(value, NodeOutput):
            raise CompileError(
                f"{what}: input {name!r} is given the result of node {value.node.id}, "
                "which has no outputs",
                location=location,
            )
        if _contains_promise(value):
            if isinstance(value, (list, tuple)) and expected.kind is Kind.LIST:
                return ListOf(
                    tuple(
                        self.bind_value(v, expected.args[0], None, what, location, node)
                        for v in value
                    )
                )
            if isinstance(value, dict) and expected.kind is Kind.DICT:
                return DictOf(
                    {
                        str(k): self.bind_value(v, expected.args[1], None, what, location, node)
                        for k, v in value.items()
                    }
                )
            raise CompileError(
                f"{what}: input {name!r} of type {expected} cannot be built from "
                f"{type(value).__name__} containing promises",
                location=location,
            )
        return Const(self.constant_literal(value, expected, var, what, location))

    def constant_literal(
        self, value: Any, expected: LiteralType, var: PyVar | None, what: str, location: str
    ) -> Any:
        """A constant given in the workflow body, converted to a literal now."""
        from slipstream.types import default_engine

        name = var.name if var is not None else "value"
        try:
            if var is not None and var.codec.literal_type == expected:
                codec = var.codec
            else:
                from slipstream.types import guess_python_type

                codec = default_engine().codec(guess_python_type(expected))
            return codec.to_literal(value, None)
        except TypeError as e:
            raise CompileError(
                f"{what}: input {name!r} expects {expected}: {e}", location=location
            ) from None
        except Exception as e:
            raise CompileError(
                f"{what}: constant for input {name!r} cannot be converted ({e}); pass it as a "
                "workflow input instead",
                location=location,
            ) from None

    def _check_promise(self, p: Promise) -> None:
        node = p.node
        if isinstance(node, NodeDraft) and node.builder is not self:
            raise CompileError(
                f"workflow {self.name}: {p.describe()} belongs to another workflow "
                f"({node.builder.name})"
            )

    # -- finishing ---------------------------------------------------------------------------------

    def output_bindings(self, result: Any, location: str) -> tuple[Binding, ...]:
        """Bind what the body returned to the workflow's declared outputs."""
        outs = self.interface.outputs
        if not outs:
            if result is not None and not isinstance(result, NodeOutput):
                raise CompileError(
                    f"workflow {self.name} returns a value but declares no outputs "
                    "(add a return annotation)",
                    location=location,
                )
            return ()
        if result is None:
            raise CompileError(
                f"workflow {self.name}: output{'s' if len(outs) > 1 else ''} "
                f"{', '.join(repr(v.name) for v in outs)} left unbound: the body returns nothing",
                location=location,
            )
        if len(outs) == 1 and self.interface.output_tuple is None:
            values: tuple[Any, ...] = (result,)
        else:
            if not isinstance(result, tuple) or len(result) != len(outs):
                raise CompileError(
                    f"workflow {self.name}: declares {len(outs)} outputs but the body returns "
                    f"{_describe_return(result)}",
                    location=location,
                )
            values = tuple(result)
        bindings = []
        for var, value in zip(outs, values, strict=True):
            what = f"workflow {self.name}: output {var.name!r}"
            bindings.append(
                Binding(
                    var.name,
                    self.bind_value(value, var.codec.literal_type, var, what, location, None),
                )
            )
        return tuple(bindings)

    def check_complete(self, location: str) -> None:
        """Every conditional the body started must have ended with ``else_()``."""
        for section in self.open_sections:
            raise CompileError(
                f"workflow {self.name}: conditional {section.name!r} has no else_(): every "
                "conditional must end with .else_().then(...) or .else_().fail(...)",
                location=section.location,
            )

    def freeze(self) -> tuple[Node, ...]:
        """The immutable nodes."""
        return tuple(n.freeze() for n in self.nodes)


def _describe_return(result: Any) -> str:
    if isinstance(result, tuple):
        return f"{len(result)} values"
    return "one value"


def _contains_promise(value: Any) -> bool:
    if isinstance(value, Promise):
        return True
    if isinstance(value, (list, tuple)):
        return any(_contains_promise(v) for v in value)
    if isinstance(value, dict):
        return any(_contains_promise(v) for v in value.values())
    return False


def run_body(builder: WorkflowBuilder, fn: Callable[..., Any]) -> Any:
    """Run a workflow body with promises for its inputs."""
    with builder:
        return fn(**builder.inputs)
