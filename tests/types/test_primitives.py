from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from slipstream.errors import LiteralTypeError
from slipstream.model import Kind
from slipstream.types import TypeEngine

RoundTrip = Callable[..., tuple[Any, Any]]


@pytest.mark.parametrize(
    ("value", "tp", "kind"),
    [(1, int, Kind.INT), (1.5, float, Kind.FLOAT), ("s", str, Kind.STR), (True, bool, Kind.BOOL)],
)
def test_round_trip(
    roundtrip: RoundTrip, engine: TypeEngine, value: object, tp: type, kind: Kind
) -> None:
    assert engine.literal_type(tp).kind is kind
    lit, back = roundtrip(value, tp)
    assert lit == value and back == value and type(back) is tp


def test_none(roundtrip: RoundTrip, engine: TypeEngine) -> None:
    assert roundtrip(None, None) == (None, None)
    assert engine.literal_type(type(None)).kind is Kind.NONE
    with pytest.raises(LiteralTypeError, match="expected None, got int"):
        engine.to_literal(1, None)


def test_bool_is_not_int_and_int_is_not_float(engine: TypeEngine) -> None:
    with pytest.raises(LiteralTypeError, match=r"expected int, got bool.*a bool is not an int"):
        engine.to_literal(True, int)
    with pytest.raises(LiteralTypeError, match=r"expected float, got int.*an int is not a float"):
        engine.to_literal(1, float)
    with pytest.raises(LiteralTypeError, match="expected str, got int"):
        engine.to_literal(1, str)


def test_float_edge_cases(roundtrip: RoundTrip, engine: TypeEngine) -> None:
    assert roundtrip(float("inf"), float)[1] == float("inf")
    assert roundtrip(float("-inf"), float)[1] == float("-inf")
    assert math.isnan(roundtrip(float("nan"), float)[1])
    assert engine.to_python(2, float) == 2.0  # a JSON client may write 2 for 2.0
