"""Promises: the placeholders a workflow body handles instead of values.

A promise stands for an output of a node (or an input of the workflow). Reading a field, a key or an
item of it gives another promise; comparing it gives a condition for ``conditional``; anything that
needs the real value (``if``, ``bool()``, arithmetic, iteration) is a :class:`CompileError` raised
right where the user wrote it.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from slipstream.errors import CompileError
from slipstream.model import Kind, LiteralType, Ref

from ._location import caller_location

__all__ = ["Comparison", "Condition", "Conjunction", "NodeOutput", "Promise", "PromiseNode"]


def _where() -> str | None:
    return caller_location() or None


class PromiseNode:
    """The node a promise is an output of, as promises see it: an id that other nodes can be
    ordered after (``>>``) and settings that the call site can override.

    The compiler's ``PromiseNode`` is the one kind of it; declaring the base here lets promises
    order and override nodes without importing the compiler, which makes promises.
    """

    __slots__ = ()
    id: str

    def add_upstream(self, node_id: str) -> None:
        """Run after ``node_id``."""
        raise NotImplementedError

    def with_overrides(self, **kwargs: Any) -> PromiseNode:
        """Per call site settings (see ``PromiseNode.with_overrides``)."""
        raise NotImplementedError

    def __rshift__(self, other: Any) -> Any:
        _order(self, other)
        return other


class NodeOutput:
    """What a call returns when the callee has no outputs: a handle to order nodes with ``>>``."""

    def __init__(self, node: PromiseNode) -> None:
        self.node = node

    def __rshift__(self, other: Any) -> Any:
        _order(self.node, other)
        return other

    def with_overrides(self, **kwargs: Any) -> NodeOutput:
        """Override node settings for this call site (see ``Node.with_overrides``)."""
        self.node.with_overrides(**kwargs)
        return self

    @property
    def ref(self) -> PromiseNode:
        """The node."""
        return self.node

    def __repr__(self) -> str:
        return f"NodeOutput({self.node.id})"


def _node_of(x: Any) -> PromiseNode | None:
    if isinstance(x, (Promise, NodeOutput)):
        return x.node
    if isinstance(x, tuple) and x and isinstance(x[0], Promise):
        return x[0].node
    if isinstance(x, PromiseNode):
        return x
    node = getattr(x, "node", None)
    return node if isinstance(node, PromiseNode) else None


def _order(first: PromiseNode | None, other: Any) -> None:
    second = _node_of(other)
    if first is None or second is None:
        raise CompileError(
            f">> orders nodes: both sides must be node outputs, got {type(other).__name__}",
            location=_where(),
        )
    second.add_upstream(first.id)


class Promise:
    """A value that will exist when the workflow runs."""

    __slots__ = ("_lt", "_output", "_path", "_pytype", "node", "node_id")

    def __init__(
        self,
        node_id: str,
        output: str,
        literal_type: LiteralType,
        python_type: Any,
        node: PromiseNode | None = None,
        path: tuple[str | int, ...] = (),
    ) -> None:
        self.node_id = node_id
        self._output = output
        self._lt = literal_type
        self._pytype = python_type
        self._path = path
        self.node = node

    @property
    def literal_type(self) -> LiteralType:
        """The type of the value this promise stands for."""
        return self._lt

    @property
    def python_type(self) -> Any:
        """The declared Python type."""
        return self._pytype

    def ref(self) -> Ref:
        """The binding that reads this promise."""
        return Ref(node=self.node_id, output=self._output, path=self._path)

    def describe(self) -> str:
        """How errors name this promise."""
        base = "workflow input" if self.node_id == "$in" else f"output of node {self.node_id}"
        sel = "".join(f".{p}" if isinstance(p, str) else f"[{p}]" for p in self._path)
        return f"{base} {self._output!r}{sel}"

    # -- selecting into the value --------------------------------------------------------------

    def __getattr__(self, name: str) -> Promise:
        if name.startswith("__"):
            raise AttributeError(name)
        tp = self._pytype
        ftype = _field_type(tp, name)
        if ftype is _MISSING:
            raise CompileError(
                f"{self.describe()} of type {self._lt} has no attribute {name!r}",
                location=_where(),
            )
        return self._select(name, ftype)

    def __getitem__(self, key: Any) -> Promise:
        lt = self._lt
        args = typing.get_args(self._pytype)
        if lt.kind is Kind.LIST and isinstance(key, int):
            return self._select(key, args[0] if args else Any)
        if lt.kind is Kind.DICT and isinstance(key, str):
            return self._select(key, args[1] if len(args) > 1 else Any)
        if lt.kind is Kind.STRUCT and isinstance(key, str):
            return self.__getattr__(key)
        raise CompileError(
            f"cannot index {self.describe()} of type {lt} with {key!r}", location=_where()
        )

    def _select(self, key: str | int, python_type: Any) -> Promise:
        from slipstream.types import default_engine

        lt = default_engine().literal_type(python_type)
        return Promise(self.node_id, self._output, lt, python_type, self.node, (*self._path, key))

    # -- ordering and overrides ----------------------------------------------------------------

    def __rshift__(self, other: Any) -> Any:
        _order(self.node, other)
        return other

    def with_overrides(self, **kwargs: Any) -> Promise:
        """Override node settings for the call that produced this promise."""
        if self.node is None:
            raise CompileError("with_overrides needs a node output", location=_where())
        self.node.with_overrides(**kwargs)
        return self

    # -- conditions ----------------------------------------------------------------------------

    def _cmp(self, op: str, other: Any) -> Comparison:
        return Comparison(op, self, other)

    def __eq__(self, other: object) -> Comparison:  # type: ignore[override]
        return self._cmp("==", other)

    def __ne__(self, other: object) -> Comparison:  # type: ignore[override]
        return self._cmp("!=", other)

    def __lt__(self, other: Any) -> Comparison:
        return self._cmp("<", other)

    def __le__(self, other: Any) -> Comparison:
        return self._cmp("<=", other)

    def __gt__(self, other: Any) -> Comparison:
        return self._cmp(">", other)

    def __ge__(self, other: Any) -> Comparison:
        return self._cmp(">=", other)

    def is_true(self) -> Comparison:
        """Condition: the (bool) value is true."""
        return Comparison("is_true", self, None)

    def is_false(self) -> Comparison:
        """Condition: the (bool) value is false."""
        return Comparison("is_false", self, None)

    def is_none(self) -> Comparison:
        """Condition: the value is None."""
        return Comparison("is_none", self, None)

    __hash__ = object.__hash__

    # -- what cannot be done with a value that does not exist yet ------------------------------

    def __bool__(self) -> bool:
        raise CompileError(
            f"{self.describe()} is a promise: its value is not known while the workflow is "
            "being defined, so it cannot be used in a Python if, while, `and`/`or`, or bool(). "
            "Use slipstream.conditional(...) to branch, or move the logic into a task",
            location=_where(),
        )

    def __iter__(self) -> Any:
        raise CompileError(
            f"cannot iterate over {self.describe()} while the workflow is being defined; "
            "use map_task or a @dynamic workflow",
            location=_where(),
        )

    def __len__(self) -> int:
        raise CompileError(
            f"len() of {self.describe()} is not known while the workflow is being defined",
            location=_where(),
        )

    def __repr__(self) -> str:
        return f"Promise({self.describe()}: {self._lt})"


def _arith(name: str) -> Any:
    def op(self: Promise, *other: Any) -> Any:
        raise CompileError(
            f"{self.describe()} is a promise: the operator {name} needs its value, which is not "
            "known while the workflow is being defined; do the arithmetic inside a task",
            location=_where(),
        )

    op.__name__ = name
    return op


for _name in [
    "__add__",
    "__radd__",
    "__sub__",
    "__rsub__",
    "__mul__",
    "__rmul__",
    "__truediv__",
    "__rtruediv__",
    "__floordiv__",
    "__rfloordiv__",
    "__mod__",
    "__rmod__",
    "__pow__",
    "__rpow__",
    "__neg__",
    "__pos__",
    "__abs__",
    "__and__",
    "__rand__",
    "__or__",
    "__ror__",
    "__xor__",
    "__invert__",
    "__int__",
    "__float__",
    "__index__",
    "__contains__",
    "__lshift__",
]:
    setattr(Promise, _name, _arith(_name))

_MISSING = object()


def _field_type(tp: Any, name: str) -> Any:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = typing.get_type_hints(tp)
        return hints.get(name, _MISSING)
    if isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields"):
        return typing.get_type_hints(tp).get(name, _MISSING)
    fields = getattr(tp, "model_fields", None)  # pydantic v2
    if isinstance(fields, dict) and name in fields:
        return fields[name].annotation
    return _MISSING


class Condition:
    """A boolean expression over promises, for ``conditional(...).if_(...)``."""

    def __and__(self, other: Condition) -> Conjunction:
        return Conjunction("and", self, other)

    def __or__(self, other: Condition) -> Conjunction:
        return Conjunction("or", self, other)

    def __bool__(self) -> bool:
        raise CompileError(
            "a comparison of promises cannot be used in a Python if or with and/or: use "
            "slipstream.conditional(...).if_(...) and & / | to combine conditions",
            location=_where(),
        )


class Comparison(Condition):
    """``left op right``; ``right`` may be a constant or a promise."""

    def __init__(self, op: str, left: Any, right: Any) -> None:
        self.op = op
        self.left = left
        self.right = right


class Conjunction(Condition):
    """``left and right`` (``&``) or ``left or right`` (``|``)."""

    def __init__(self, op: str, left: Condition, right: Condition) -> None:
        self.op = op
        self.left = left
        self.right = right
