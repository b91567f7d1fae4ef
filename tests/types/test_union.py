from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any, Optional, Union

import pytest

from slipstream.errors import LiteralTypeError, TypeTransformerError
from slipstream.model import Kind, LiteralType
from slipstream.types import TypeEngine

RoundTrip = Callable[..., tuple[Any, Any]]


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0


def test_optional(engine: TypeEngine, roundtrip: RoundTrip) -> None:
    assert engine.literal_type(Optional[int]) == LiteralType(  # noqa: UP045
        Kind.UNION, args=(LiteralType(Kind.INT), LiteralType(Kind.NONE))
    )
    assert roundtrip(None, Optional[int]) == ({"$u": "none", "v": None}, None)  # noqa: UP045
    assert roundtrip(3, int | None) == ({"$u": "int", "v": 3}, 3)


def test_exact_type_wins(roundtrip: RoundTrip) -> None:
    assert roundtrip(True, Union[int, bool]) == ({"$u": "bool", "v": True}, True)
    assert roundtrip(1, Union[int, bool]) == ({"$u": "int", "v": 1}, 1)
    assert roundtrip(True, bool | int)[0] == {"$u": "bool", "v": True}
    assert roundtrip("1", Union[int, str]) == ({"$u": "str", "v": "1"}, "1")
    assert roundtrip(1, int | str) == ({"$u": "int", "v": 1}, 1)
    assert roundtrip(1.5, float | int)[0] == {"$u": "float", "v": 1.5}
    assert roundtrip([1], list[int] | dict[str, int])[0] == {"$u": "list[int]", "v": [1]}


def test_variants_tried_in_order(roundtrip: RoundTrip) -> None:
    lit, back = roundtrip({"x": 1}, Optional[Point])  # noqa: UP045
    assert lit == {"$u": f"struct:{__name__}.Point", "v": {"x": 1, "y": 0}}
    assert back == Point(1)
    when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert roundtrip(when, dt.date | dt.datetime)[1] == when


def test_union_errors(engine: TypeEngine) -> None:
    with pytest.raises(LiteralTypeError, match=r"expected int \| str, got float"):
        engine.to_literal(1.5, int | str)
    with pytest.raises(LiteralTypeError, match=r"expected float \| int, got bool"):
        engine.to_literal(True, int | float)
    with pytest.raises(LiteralTypeError, match="tag"):
        engine.to_python({"$u": "bool", "v": True}, int | str)
    with pytest.raises(LiteralTypeError, match="union literal"):
        engine.to_python(3, int | str)


def test_variant_order_is_canonical(engine: TypeEngine) -> None:
    # Python treats int | str and str | int as equal: the literal type must not depend on which
    # one was seen first
    assert engine.literal_type(str | int) == engine.literal_type(int | str)
    assert [a.tag for a in engine.literal_type(None | str | int).args] == ["int", "str", "none"]


def test_nested_union_in_list(roundtrip: RoundTrip) -> None:
    lit, back = roundtrip([1, None, 2], list[int | None])
    assert lit == [{"$u": "int", "v": 1}, {"$u": "none", "v": None}, {"$u": "int", "v": 2}]
    assert back == [1, None, 2]


def test_ambiguous_variants_are_rejected(engine: TypeEngine) -> None:
    with pytest.raises(TypeTransformerError, match="same literal type"):
        engine.codec(Union[list[int], tuple[int, ...]])
