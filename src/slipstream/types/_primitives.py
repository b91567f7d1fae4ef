"""Transformers for the JSON-native scalars: int, float, str, bool and None. Strict, like
flytekit."""

from __future__ import annotations

from typing import Any

from slipstream.errors import LiteralTypeError
from slipstream.model import Kind, LiteralType

from ._contract import Codec, CodecSource, TypeContext, TypeTransformer, describe_value

__all__ = ["PrimitiveTransformer"]


class _ExactCodec(Codec):
    """Accepts exactly one Python class (``bool`` is not an ``int``; ``int`` is not a ``float``)."""

    __slots__ = ()

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        if type(value) is self.python_type:
            return value
        raise LiteralTypeError(_mismatch(value, self.python_type))

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        if type(literal) is self.python_type:
            return literal
        raise LiteralTypeError(_mismatch(literal, self.python_type))


_NON_FINITE = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}


class _FloatCodec(Codec):
    """A float, strictly; NaN and infinities travel as the strings ``"nan"``, ``"inf"``, ``"-inf"``
    because JSON has no number for them. An integral JSON number reads back as a float."""

    __slots__ = ()

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        if type(value) is float:
            if value - value == 0.0:  # finite
                return value
            return "nan" if value != value else ("inf" if value > 0 else "-inf")
        raise LiteralTypeError(_mismatch(value, float))

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        t = type(literal)
        if t is float:
            return literal
        if t is int:
            return float(literal)
        if t is str and literal in _NON_FINITE:
            return _NON_FINITE[literal]
        raise LiteralTypeError(_mismatch(literal, float))


class _NoneCodec(Codec):
    __slots__ = ()

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        if value is None:
            return None
        raise LiteralTypeError(f"expected None, got {describe_value(value)}")

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        if literal is None:
            return None
        raise LiteralTypeError(f"expected None, got {describe_value(literal)}")


def _mismatch(value: Any, expected: type) -> str:
    got = describe_value(value)
    msg = f"expected {expected.__name__}, got {got} ({value!r:.60})"
    if expected is int and type(value) is bool:
        msg += ": a bool is not an int"
    elif expected is float and type(value) is int:
        msg += ": an int is not a float (write 1.0, or declare int)"
    return msg


_KINDS = {int: Kind.INT, float: Kind.FLOAT, str: Kind.STR, bool: Kind.BOOL}


class PrimitiveTransformer(TypeTransformer):
    """int, float, str, bool, None."""

    name = "primitive"

    def codec(self, python_type: Any, engine: CodecSource) -> Codec | None:
        if python_type is None or python_type is type(None):
            return _NoneCodec(type(None), LiteralType(Kind.NONE))
        kind = _KINDS.get(python_type)
        if kind is None:
            return None
        if kind is Kind.FLOAT:
            return _FloatCodec(float, LiteralType(kind))
        return _ExactCodec(python_type, LiteralType(kind))
