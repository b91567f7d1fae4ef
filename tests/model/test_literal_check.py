"""The one validator of literals (``literal_problem``): what the CLI, ``Remote``, the console and
the server all check a value with before anything runs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

import pytest

from slipstream.model import Field, Kind, LiteralType, literal_problem
from slipstream.types import default_engine

INT = LiteralType(Kind.INT)
RANGE = "is outside the 64-bit integer range (-2**63 to 2**63-1)"


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


@dataclasses.dataclass
class Point:
    x: int
    y: int
    label: str = ""


def literal_type(tp: object) -> LiteralType:
    return default_engine().literal_type(tp)


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 2**64, 10**40])
def test_integers_past_64_bits_are_refused(value: int) -> None:
    assert literal_problem(value, INT) == f"{value} {RANGE}"
    assert literal_problem(2**63 - 1, INT) is None
    assert literal_problem(-(2**63), INT) is None


def test_integers_past_64_bits_are_refused_anywhere_inside() -> None:
    assert literal_problem([1, 2**64], literal_type(list[int])) == f"at [1]: {2**64} {RANGE}"
    problem = literal_problem({"a": {"b": 2**64}}, literal_type(dict[str, dict[str, int]]))
    assert problem == f"at ['a']['b']: {2**64} {RANGE}"
    assert literal_problem({"x": 1, "y": 2**64}, literal_type(Point)) == f"at .y: {2**64} {RANGE}"
    # floats, durations and untyped JSON too: the engine's encoder stops at 64 bits
    assert literal_problem(2**64, LiteralType(Kind.FLOAT)) == f"{2**64} {RANGE}"
    assert literal_problem(2**64, LiteralType(Kind.DURATION)) == f"{2**64} {RANGE}"
    assert literal_problem({"k": [2**64]}, LiteralType(Kind.ANY)) == f"at ['k'][0]: {2**64} {RANGE}"
    blob = {"uri": "s3://b/k", "size": 2**64}
    assert literal_problem(blob, LiteralType(Kind.FILE)) == f"at ['size']: {2**64} {RANGE}"


def test_a_struct_needs_its_fields_without_defaults_and_no_others() -> None:
    t = literal_type(Point)
    assert {f.name: f.has_default for f in t.fields} == {"x": False, "y": False, "label": True}
    assert literal_problem({"x": 1, "y": 2}, t) is None
    assert "missing required field 'y'" in (literal_problem({"x": 1}, t) or "")
    assert "unknown field 'z'" in (literal_problem({"x": 1, "y": 2, "z": 3}, t) or "")
    assert "expected int" in (literal_problem({"x": 1, "y": "2"}, t) or "")
    # a field without a default is sent as before (the flag is left out of the wire form)
    assert Field("x", INT) == Field("x", INT, has_default=False)


def test_datetimes_enums_and_unions() -> None:
    when = literal_type(dt.datetime)
    assert literal_problem("2024-05-01T12:00:00+00:00", when) is None
    assert "UTC offset" in (literal_problem("2024-05-01T12:00:00", when) or "")
    assert "not an ISO-8601 datetime" in (literal_problem("yesterday", when) or "")
    color = literal_type(Color)
    assert literal_problem("red", color) is None
    assert "one of red, green" in (literal_problem("blue", color) or "")
    maybe = literal_type(int | None)
    assert literal_problem({"$u": "int", "v": 3}, maybe) is None
    assert RANGE in (literal_problem({"$u": "int", "v": 2**64}, maybe) or "")
    assert "unknown variant" in (literal_problem({"$u": "str", "v": "x"}, maybe) or "")


def test_the_cli_and_the_validator_say_the_same() -> None:
    from slipstream.types import BadValue, parse_text

    with pytest.raises(BadValue) as caught:
        parse_text(str(2**64), INT)
    assert str(caught.value) == literal_problem(2**64, INT) == f"{2**64} {RANGE}"
    with pytest.raises(BadValue, match="missing required field 'y'"):
        parse_text('{"x": 1}', literal_type(Point))
    assert parse_text('{"x": 1, "y": 2}', literal_type(Point)) == {"x": 1, "y": 2}


def test_trees_nested_past_the_limit_are_refused_not_recursed_into() -> None:
    deep: object = 1
    for _ in range(150):
        deep = [deep]
    assert "nested deeper than 100 levels" in (literal_problem(deep, LiteralType(Kind.ANY)) or "")
    nested = LiteralType(Kind.INT)
    for _ in range(150):
        nested = LiteralType(Kind.LIST, args=(nested,))
    assert "nested deeper than 100 levels" in (literal_problem(deep, nested) or "")
    shallow: object = 1
    for _ in range(50):
        shallow = {"k": shallow}
    assert literal_problem(shallow, LiteralType(Kind.ANY)) is None
