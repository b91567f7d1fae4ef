from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from typing import Any, NamedTuple, Optional

import pytest

from slipstream.errors import LiteralTypeError, TypeTransformerError
from slipstream.model import Field, Kind, LiteralType
from slipstream.types import TypeEngine

RoundTrip = Callable[..., tuple[Any, Any]]


class Kind2(enum.Enum):
    A = "a"


@dataclasses.dataclass
class Inner:
    x: int
    label: Optional[str] = None  # noqa: UP045


@dataclasses.dataclass
class Outer:
    name: str
    items: list[Inner]
    scores: dict[str, float] = dataclasses.field(default_factory=dict)
    kind: Kind2 = Kind2.A
    best: Inner | None = None


class Pair(NamedTuple):
    a: int
    b: str = "x"


def test_literal_type(engine: TypeEngine) -> None:
    lt = engine.literal_type(Inner)
    assert lt.kind is Kind.STRUCT and lt.name == f"{__name__}.Inner"
    assert lt.fields == (
        Field("x", LiteralType(Kind.INT)),
        Field(
            "label",
            LiteralType(Kind.UNION, args=(LiteralType(Kind.STR), LiteralType(Kind.NONE))),
            has_default=True,
        ),
    )
    assert [f.name for f in engine.literal_type(Outer).fields] == [
        "name",
        "items",
        "scores",
        "kind",
        "best",
    ]


def test_nested_round_trip(roundtrip: RoundTrip) -> None:
    value = Outer("o", [Inner(1), Inner(2, "two")], {"a": 0.5}, best=Inner(3))
    lit, back = roundtrip(value, Outer)
    assert back == value
    assert lit["items"][1] == {"x": 2, "label": {"$u": "str", "v": "two"}}
    assert lit["kind"] == "a"


def test_dict_is_validated_field_by_field(engine: TypeEngine, roundtrip: RoundTrip) -> None:
    lit, back = roundtrip({"name": "o", "items": [{"x": 1}]}, Outer)
    assert back == Outer("o", [Inner(1)])
    assert lit == engine.to_literal(Outer("o", [Inner(1)]), Outer)  # same literal either way
    with pytest.raises(LiteralTypeError, match="missing required field 'items'"):
        engine.to_literal({"name": "o"}, Outer)
    with pytest.raises(LiteralTypeError, match="unknown field 'nme'"):
        engine.to_literal({"nme": "o", "items": []}, Outer)
    with pytest.raises(LiteralTypeError, match=r"field .*Outer.name: expected str, got int"):
        engine.to_literal({"name": 1, "items": []}, Outer)
    with pytest.raises(LiteralTypeError, match=r"field .*Outer.items: item 0: field .*Inner.x"):
        engine.to_literal({"name": "o", "items": [{"x": "1"}]}, Outer)


def test_wrong_instance_and_bad_literal(engine: TypeEngine) -> None:
    with pytest.raises(
        LiteralTypeError, match=r"expected .*Inner \(or a dict of its fields\), got .*Pair"
    ):
        engine.to_literal(Pair(1), Inner)
    with pytest.raises(LiteralTypeError, match=r"field .*Inner.x: expected int, got bool"):
        engine.to_literal(Inner(True), Inner)
    with pytest.raises(LiteralTypeError, match="missing required field 'x'"):
        engine.to_python({}, Inner)


def test_namedtuple_value(engine: TypeEngine, roundtrip: RoundTrip) -> None:
    assert engine.literal_type(Pair).kind is Kind.STRUCT
    assert roundtrip(Pair(1), Pair) == ({"a": 1, "b": "x"}, Pair(1, "x"))
    assert roundtrip({"a": 2}, Pair)[1] == Pair(2, "x")
    assert roundtrip([Pair(1, "y")], list[Pair])[1] == [Pair(1, "y")]


@dataclasses.dataclass
class Node:
    value: int
    children: list[Node]


def test_recursive_dataclass_is_a_clear_error(engine: TypeEngine) -> None:
    with pytest.raises(TypeTransformerError, match="recursive"):
        engine.codec(Node)


def test_string_annotations_resolve(engine: TypeEngine) -> None:
    # this module uses `from __future__ import annotations`: every annotation is a string
    assert engine.literal_type(Outer).fields[4].type.kind is Kind.UNION
