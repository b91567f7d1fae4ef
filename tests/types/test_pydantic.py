from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel, Field

from slipstream.errors import LiteralTypeError
from slipstream.model import Kind
from slipstream.types import TypeEngine

RoundTrip = Callable[..., tuple[Any, Any]]


class Address(BaseModel):
    city: str
    zip_code: str | None = None


class Person(BaseModel):
    name: str
    age: int = Field(ge=0)
    tags: list[str] = Field(default_factory=list)
    address: Address
    nick: str = Field(default="", alias="nickname")


def test_literal_type(engine: TypeEngine) -> None:
    lt = engine.literal_type(Person)
    assert lt.kind is Kind.STRUCT and lt.name == f"{__name__}.Person"
    assert [f.name for f in lt.fields] == ["name", "age", "tags", "address", "nick"]
    assert lt.fields[1].type.kind is Kind.INT
    assert lt.fields[3].type.name == f"{__name__}.Address"


def test_round_trip(roundtrip: RoundTrip) -> None:
    p = Person(name="a", age=3, address=Address(city="x"), nickname="n")
    lit, back = roundtrip(p, Person)
    assert back == p
    assert lit["address"] == {"city": "x", "zip_code": {"$u": "none", "v": None}}


def test_dict_validation(engine: TypeEngine, roundtrip: RoundTrip) -> None:
    _, back = roundtrip({"name": "a", "age": 1, "address": {"city": "c"}}, Person)
    assert back == Person(name="a", age=1, address=Address(city="c"))
    with pytest.raises(LiteralTypeError, match="missing required field 'address'"):
        engine.to_literal({"name": "a", "age": 1}, Person)
    with pytest.raises(LiteralTypeError, match="unknown field 'email'"):
        engine.to_literal({"name": "a", "age": 1, "address": {"city": "c"}, "email": "e"}, Person)
    with pytest.raises(LiteralTypeError, match=r"field .*Person.age: expected int, got str"):
        engine.to_literal({"name": "a", "age": "1", "address": {"city": "c"}}, Person)
    with pytest.raises(LiteralTypeError, match=r"field .*Address.city: expected str, got int"):
        engine.to_literal({"name": "a", "age": 1, "address": {"city": 1}}, Person)


def test_model_validators_still_run(engine: TypeEngine) -> None:
    lit = engine.to_literal({"name": "a", "age": -1, "address": {"city": "c"}}, Person)
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        engine.to_python(lit, Person)
