from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from slipstream.errors import LiteralTypeError
from slipstream.model import Kind
from slipstream.types import TypeEngine

RoundTrip = Callable[..., tuple[Any, Any]]

UTC = dt.UTC


def test_datetime_naive_is_utc(roundtrip: RoundTrip, engine: TypeEngine) -> None:
    assert engine.literal_type(dt.datetime).kind is Kind.DATETIME
    lit, back = roundtrip(dt.datetime(2024, 5, 1, 12, 30, 0, 123), dt.datetime)
    assert lit == "2024-05-01T12:30:00.000123+00:00"
    assert back == dt.datetime(2024, 5, 1, 12, 30, 0, 123, tzinfo=UTC)


def test_datetime_keeps_its_utc_offset(roundtrip: RoundTrip) -> None:
    tz = dt.timezone(dt.timedelta(hours=2))
    lit, back = roundtrip(dt.datetime(2024, 5, 1, 12, tzinfo=tz), dt.datetime)
    assert lit == "2024-05-01T12:00:00+02:00"
    assert back == dt.datetime(2024, 5, 1, 12, tzinfo=tz)
    assert back.utcoffset() == dt.timedelta(hours=2)


def test_date_duration_bytes(roundtrip: RoundTrip, engine: TypeEngine) -> None:
    assert roundtrip(dt.date(2024, 2, 29), dt.date) == ("2024-02-29", dt.date(2024, 2, 29))
    d = dt.timedelta(days=-1, seconds=5, microseconds=7)
    lit, back = roundtrip(d, dt.timedelta)
    assert lit == -86_400_000_000 + 5_000_007 and back == d
    assert roundtrip(b"\x00\xffab", bytes) == ("AP9hYg==", b"\x00\xffab")
    assert engine.literal_type(dt.timedelta).kind is Kind.DURATION
    assert engine.literal_type(bytes).kind is Kind.BYTES


@pytest.mark.parametrize(
    ("value", "tp", "expected"),
    [
        ("2024-01-01", dt.datetime, "expected datetime, got str"),
        (dt.datetime(2024, 1, 1), dt.date, "expected date, got datetime.datetime"),
        (5, dt.timedelta, "expected timedelta, got int"),
        ("abc", bytes, "expected bytes, got str"),
    ],
)
def test_wrong_types(engine: TypeEngine, value: object, tp: type, expected: str) -> None:
    with pytest.raises(LiteralTypeError, match=expected):
        engine.to_literal(value, tp)


def test_bad_literals(engine: TypeEngine) -> None:
    with pytest.raises(LiteralTypeError, match="ISO-8601"):
        engine.to_python("yesterday", dt.datetime)
    with pytest.raises(LiteralTypeError, match="base64"):
        engine.to_python("***", bytes)


def test_any_takes_json_only(roundtrip: RoundTrip, engine: TypeEngine) -> None:
    assert engine.literal_type(Any).kind is Kind.ANY
    value = {"a": [1, 2.5, None, True, "x", {"b": []}]}
    assert roundtrip(value, Any) == (value, value)
    with pytest.raises(LiteralTypeError, match=r"value\['a'\]\[0\] is a set"):
        engine.to_literal({"a": [{1}]}, Any)
    with pytest.raises(LiteralTypeError, match="int key"):
        engine.to_literal({1: 2}, Any)
    with pytest.raises(LiteralTypeError, match="must be JSON"):
        engine.to_literal(float("nan"), Any)
