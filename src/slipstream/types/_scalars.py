"""Transformers for the scalars JSON lacks: datetime, date, timedelta, bytes; and ``typing.Any``.

A naive datetime is taken as UTC; an aware one keeps its UTC offset (the literal is an ISO-8601
string with that offset, as flytekit users expect ``12:00+02:00`` to come back as written). A timedelta is integer microseconds,
bytes are base64. ``Any`` takes JSON values only: anything else would not survive the trip.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from slipstream.errors import LiteralTypeError
from slipstream.model import Kind, LiteralType

from ._contract import Codec, CodecSource, TypeContext, TypeTransformer, describe_value

__all__ = ["ScalarTransformer", "check_json", "is_json"]

_UTC = dt.UTC


def _mismatch(expected: str, value: Any) -> LiteralTypeError:
    return LiteralTypeError(f"expected {expected}, got {describe_value(value)} ({value!r:.60})")


class _DatetimeCodec(Codec):
    __slots__ = ()

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        if not isinstance(value, dt.datetime):
            raise _mismatch("datetime", value)
        if value.tzinfo is None or value.utcoffset() is None:
            return value.replace(tzinfo=_UTC).isoformat()
        return value.isoformat()

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        if type(literal) is not str:
            raise _mismatch("an ISO-8601 datetime string", literal)
        try:
            value = dt.datetime.fromisoformat(literal)
        except ValueError:
            raise _mismatch("an ISO-8601 datetime string", literal) from None
        return value if value.tzinfo is not None else value.replace(tzinfo=_UTC)


class _DateCodec(Codec):
    __slots__ = ()

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        if type(value) is not dt.date:
            raise _mismatch("date", value)
        return value.isoformat()

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        if type(literal) is not str:
            raise _mismatch("a YYYY-MM-DD date string", literal)
        try:
            return dt.date.fromisoformat(literal)
        except ValueError:
            raise _mismatch("a YYYY-MM-DD date string", literal) from None


class _DurationCodec(Codec):
    __slots__ = ()

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        if not isinstance(value, dt.timedelta):
            raise _mismatch("timedelta", value)
        return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        if type(literal) is not int:
            raise _mismatch("integer microseconds", literal)
        return dt.timedelta(microseconds=literal)


class _BytesCodec(Codec):
    __slots__ = ()

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        import base64

        if type(value) is not bytes and not isinstance(value, bytes | bytearray):
            raise _mismatch("bytes", value)
        return base64.b64encode(value).decode("ascii")

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        import base64
        import binascii

        if type(literal) is not str:
            raise _mismatch("a base64 string", literal)
        try:
            return base64.b64decode(literal, validate=True)
        except binascii.Error:
            raise _mismatch("a base64 string", literal) from None


def is_json(value: Any) -> bool:
    """Whether ``value`` is a JSON tree (str-keyed dicts, lists, str, int, finite float, bool, None)
    that encodes and decodes back to an equal value."""
    t = type(value)
    if t is str or t is int or t is bool or value is None:
        return True
    if t is float:
        return math.isfinite(value)
    if t is list:
        return all(is_json(v) for v in value)
    if t is dict:
        return all(type(k) is str and is_json(v) for k, v in value.items())
    return False


def check_json(value: Any, where: str = "value") -> None:
    """Raise :class:`LiteralTypeError` naming the first part of ``value`` that is not JSON."""
    t = type(value)
    if t is list:
        for i, v in enumerate(value):
            check_json(v, f"{where}[{i}]")
    elif t is dict:
        for k, v in value.items():
            if type(k) is not str:
                raise LiteralTypeError(
                    f"a value declared Any must be JSON: {where} has a {describe_value(k)} key "
                    f"{k!r:.40} (keys must be str)"
                )
            check_json(v, f"{where}[{k!r}]")
    elif not is_json(value):
        raise LiteralTypeError(
            f"a value declared Any must be JSON (dict, list, str, int, float, bool, None): "
            f"{where} is a {describe_value(value)} ({value!r:.60}); declare its type instead"
        )


class _AnyCodec(Codec):
    __slots__ = ()

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        if not is_json(value):
            check_json(value)
        return value

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        return literal


_CODECS: dict[Any, tuple[type[Codec], Kind]] = {
    dt.datetime: (_DatetimeCodec, Kind.DATETIME),
    dt.date: (_DateCodec, Kind.DATE),
    dt.timedelta: (_DurationCodec, Kind.DURATION),
    bytes: (_BytesCodec, Kind.BYTES),
    Any: (_AnyCodec, Kind.ANY),
}


class ScalarTransformer(TypeTransformer):
    """datetime, date, timedelta, bytes, typing.Any."""

    name = "scalar"

    def codec(self, python_type: Any, engine: CodecSource) -> Codec | None:
        try:
            entry = _CODECS.get(python_type)
        except TypeError:
            return None
        if entry is None:
            return None
        cls, kind = entry
        return cls(python_type, LiteralType(kind))
