"""Dataclasses and ``typing.NamedTuple`` used as value types: structs of their fields."""

from __future__ import annotations

import dataclasses
import sys
import typing
from collections.abc import Callable
from typing import Any

from slipstream.errors import TypeTransformerError

from ._contract import Codec, CodecSource, TypeTransformer, type_name
from ._struct_codec import StructCodec, StructField

__all__ = ["DataclassTransformer", "NamedTupleTransformer", "is_namedtuple", "resolve_hints"]


def resolve_hints(cls: type) -> dict[str, Any]:
    """The resolved annotations of ``cls`` (string annotations evaluated), ``Annotated`` kept."""
    try:
        return typing.get_type_hints(
            cls, globalns=vars(sys.modules.get(cls.__module__, typing)), include_extras=True
        )
    except Exception as e:
        raise TypeTransformerError(
            f"cannot resolve the field types of {type_name(cls)}: {type(e).__name__}: {e}"
        ) from e


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


class DataclassTransformer(TypeTransformer):
    """Dataclasses (nested, with defaults, Optional fields, lists of dataclasses...)."""

    name = "dataclass"

    def codec(self, python_type: Any, engine: CodecSource) -> Codec | None:
        if not (isinstance(python_type, type) and dataclasses.is_dataclass(python_type)):
            return None
        hints = resolve_hints(python_type)
        fields = []
        for f in dataclasses.fields(python_type):
            if not f.init:
                continue
            default: Callable[[], Any] | None = None
            if f.default is not dataclasses.MISSING:
                default = _constant(f.default)
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory
            fields.append(StructField(f.name, engine.codec(hints[f.name]), default))
        return StructCodec(python_type, fields)


def is_namedtuple(tp: Any) -> bool:
    """Whether ``tp`` is a ``typing.NamedTuple`` class."""
    return (
        isinstance(tp, type)
        and issubclass(tp, tuple)
        and hasattr(tp, "_fields")
        and hasattr(tp, "__annotations__")
    )


class NamedTupleTransformer(TypeTransformer):
    """``typing.NamedTuple`` classes used as a value type (not as a task's outputs)."""

    name = "namedtuple"

    def codec(self, python_type: Any, engine: CodecSource) -> Codec | None:
        if not is_namedtuple(python_type):
            return None
        hints = resolve_hints(python_type)
        defaults: dict[str, Any] = getattr(python_type, "_field_defaults", {})
        fields = []
        for name in python_type._fields:
            if name not in hints:
                raise TypeTransformerError(f"{type_name(python_type)}.{name} has no annotation")
            default = _constant(defaults[name]) if name in defaults else None
            fields.append(StructField(name, engine.codec(hints[name]), default))
        return StructCodec(python_type, fields)
