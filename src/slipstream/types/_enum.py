"""Enums travel as their member's value, as a string; the literal type lists the allowed values."""

from __future__ import annotations

import enum
from typing import Any

from slipstream.errors import LiteralTypeError
from slipstream.model import Kind, LiteralType

from ._contract import Codec, CodecSource, TypeContext, TypeTransformer, describe_value, type_name

__all__ = ["EnumTransformer"]


class _EnumCodec(Codec):
    __slots__ = ("_by_value",)

    def __init__(self, python_type: type[enum.Enum]) -> None:
        self._by_value = {str(m.value): m for m in python_type}
        super().__init__(
            python_type,
            LiteralType(Kind.ENUM, values=tuple(self._by_value), name=type_name(python_type)),
        )

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        if type(value) is self.python_type:
            return str(value.value)
        if type(value) is str and value in self._by_value:  # the value itself, e.g. from the CLI
            return value
        raise LiteralTypeError(
            f"expected {self.literal_type.name} (one of {list(self._by_value)}), "
            f"got {describe_value(value)} ({value!r:.60})"
        )

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        try:
            return self._by_value[literal]
        except (KeyError, TypeError):
            raise LiteralTypeError(
                f"{literal!r:.60} is not a value of {self.literal_type.name} "
                f"(one of {list(self._by_value)})"
            ) from None


class EnumTransformer(TypeTransformer):
    """Subclasses of :class:`enum.Enum`."""

    name = "enum"

    def codec(self, python_type: Any, engine: CodecSource) -> Codec | None:
        if isinstance(python_type, type) and issubclass(python_type, enum.Enum):
            return _EnumCodec(python_type)
        return None
