"""Reading a Python function's signature into a typed interface (Python types and literal types)."""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from typing import Any

import msgspec

from slipstream.errors import CompileError
from slipstream.model import Interface, Variable
from slipstream.types import Codec, default_engine

__all__ = ["PyInterface", "PyVar", "extract_interface", "location_of"]

_EMPTY = inspect.Parameter.empty


class PyVar(msgspec.Struct, frozen=True):
    """One input or output with its Python type and codec."""

    name: str
    python_type: Any
    codec: Codec
    has_default: bool = False
    default: Any = None
    description: str = ""


class PyInterface(msgspec.Struct, frozen=True):
    """An interface as the SDK sees it: Python types beside the wire :class:`Interface`.

    ``output_tuple`` is the ``NamedTuple`` class of the outputs when one was declared; a plain tuple
    of outputs gets a generated namedtuple with fields ``o0``, ``o1``...
    """

    inputs: tuple[PyVar, ...]
    outputs: tuple[PyVar, ...]
    model: Interface
    output_tuple: Any = None

    def input(self, name: str) -> PyVar | None:
        """The input called ``name``."""
        for v in self.inputs:
            if v.name == name:
                return v
        return None

    @property
    def input_names(self) -> tuple[str, ...]:
        """Input names in declaration order."""
        return tuple(v.name for v in self.inputs)


def location_of(fn: Callable[..., Any]) -> str:
    """``file.py:LINE`` of a function's definition."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return ""
    return f"{code.co_filename}:{code.co_firstlineno}"


def _is_namedtuple(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields")


def extract_interface(fn: Callable[..., Any], what: str) -> PyInterface:
    """Build the interface of ``fn`` from its annotations; ``what`` names it in errors."""
    import collections

    engine = default_engine()
    where = location_of(fn)
    try:
        hints = _type_hints(fn)
    except Exception as e:  # unresolvable forward reference and the like
        raise CompileError(f"{what}: cannot resolve type annotations: {e}", location=where) from e
    sig = inspect.signature(fn)
    inputs: list[PyVar] = []
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise CompileError(
                f"{what}: *args and **kwargs are not supported (parameter {p.name!r})",
                location=where,
            )
        if p.name not in hints:
            raise CompileError(f"{what}: input {p.name!r} has no type annotation", location=where)
        tp = hints[p.name]
        codec = _codec(engine, tp, f"{what}: input {p.name!r}", where)
        has_default = p.default is not _EMPTY
        inputs.append(PyVar(p.name, tp, codec, has_default, p.default if has_default else None))

    outputs: list[PyVar] = []
    output_tuple: Any = None
    ret = hints.get("return", None) if "return" in hints else None
    if ret is not None and ret is not type(None):
        if _is_namedtuple(ret):
            output_tuple = ret
            ann = typing.get_type_hints(ret, include_extras=True)
            for name in ret._fields:
                tp = ann[name]
                outputs.append(
                    PyVar(name, tp, _codec(engine, tp, f"{what}: output {name!r}", where))
                )
        elif typing.get_origin(ret) is tuple and ... not in typing.get_args(ret):
            args = typing.get_args(ret)
            for i, tp in enumerate(args):
                name = f"o{i}"
                outputs.append(
                    PyVar(name, tp, _codec(engine, tp, f"{what}: output {name!r}", where))
                )
            make_tuple: Any = collections.namedtuple
            output_tuple = make_tuple(f"{fn.__name__}_outputs", [v.name for v in outputs])
        else:
            outputs.append(PyVar("o0", ret, _codec(engine, ret, f"{what}: output", where)))

    model = Interface(
        inputs=tuple(
            Variable(
                name=v.name,
                type=v.codec.literal_type,
                has_default=v.has_default,
                default=_default_literal(v, what, where) if v.has_default else None,
            )
            for v in inputs
        ),
        outputs=tuple(Variable(name=v.name, type=v.codec.literal_type) for v in outputs),
        output_tuple_name=output_tuple.__name__ if _is_namedtuple(ret) else "",
    )
    return PyInterface(tuple(inputs), tuple(outputs), model, output_tuple)


def _type_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    """``typing.get_type_hints`` that also reads flytekit's tuple-literal return annotation
    (``-> (int, str)``, also as a string under ``from __future__ import annotations``) as
    ``tuple[int, str]``: several outputs ``o0``, ``o1``..."""
    raw = dict(getattr(fn, "__annotations__", None) or {})
    ret = raw.get("return")
    if isinstance(ret, str) and ret.lstrip().startswith("("):
        nsobj: Any = fn
        while hasattr(nsobj, "__wrapped__"):
            nsobj = nsobj.__wrapped__
        ret = eval(ret, dict(getattr(nsobj, "__globals__", {})))
    if isinstance(ret, tuple):
        raw["return"] = tuple.__class_getitem__(ret) if ret else type(None)
        holder = types.SimpleNamespace(__annotations__=raw)
        nsobj = fn
        while hasattr(nsobj, "__wrapped__"):
            nsobj = nsobj.__wrapped__
        globalns = dict(getattr(nsobj, "__globals__", {}))
        return typing.get_type_hints(holder, globalns=globalns, include_extras=True)
    return typing.get_type_hints(fn, include_extras=True)


def _codec(engine: Any, tp: Any, what: str, where: str) -> Codec:
    try:
        return engine.codec(tp)  # type: ignore[no-any-return]
    except CompileError:
        raise
    except Exception as e:
        raise CompileError(f"{what}: unsupported type {tp!r}: {e}", location=where) from e


def _default_literal(v: PyVar, what: str, where: str) -> Any:
    if v.codec.needs_context:
        return None  # defaults that need the blob store are converted when the task runs
    try:
        return v.codec.to_literal(v.default, None)
    except Exception as e:
        raise CompileError(
            f"{what}: default of input {v.name!r} does not fit its type "
            f"{v.codec.literal_type}: {e}",
            location=where,
        ) from e
