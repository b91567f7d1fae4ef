"""The one parser of typed text: Python types for CLI inputs, literal types for signal values and
gate answers."""

from __future__ import annotations

import datetime as dt

import pytest

from slipstream.model import Field, Kind, LiteralType
from slipstream.types import BadValue, parse_text, parse_value

INT = LiteralType(Kind.INT)
FLOAT = LiteralType(Kind.FLOAT)
STR = LiteralType(Kind.STR)


def test_parse_value_of_python_types() -> None:
    assert parse_value("42", int) == 42
    assert parse_value("no", bool) is False
    assert parse_value("1h30m", dt.timedelta) == dt.timedelta(minutes=90)
    assert parse_value("[1, 2]", list[float]) == [1.0, 2.0]
    with pytest.raises(BadValue, match="expected int"):
        parse_value("forty", int)


@pytest.mark.parametrize(
    ("text", "t", "literal"),
    [
        ("42", INT, 42),
        ("2.5", FLOAT, 2.5),
        ("hello world", STR, "hello world"),
        ("yes", LiteralType(Kind.BOOL), True),
        ("90", LiteralType(Kind.DURATION), 90_000_000),
        ("2024-05-01", LiteralType(Kind.DATE), "2024-05-01"),
        ('{"a": 1}', LiteralType(Kind.DICT, args=(STR, INT)), {"a": 1}),
        (
            "none",
            LiteralType(Kind.UNION, args=(INT, LiteralType(Kind.NONE))),
            {"$u": "none", "v": None},
        ),
        ("7", LiteralType(Kind.UNION, args=(INT, LiteralType(Kind.NONE))), {"$u": "int", "v": 7}),
        ("red", LiteralType(Kind.ENUM, values=("red", "green"), name="m.Color"), "red"),
        ('{"x": 1}', LiteralType(Kind.STRUCT, fields=(Field("x", INT),), name="m.P"), {"x": 1}),
    ],
)
def test_parse_text_gives_the_literal(text: str, t: LiteralType, literal: object) -> None:
    assert parse_text(text, t) == literal


@pytest.mark.parametrize(
    ("text", "t", "words"),
    [
        ("seven", INT, "int"),
        ("maybe", LiteralType(Kind.BOOL), "bool"),
        ("[1, 'a']", LiteralType(Kind.LIST, args=(INT,)), "JSON"),
        ("blue", LiteralType(Kind.ENUM, values=("red", "green"), name="m.Color"), "red, green"),
    ],
)
def test_parse_text_says_what_was_expected(text: str, t: LiteralType, words: str) -> None:
    with pytest.raises(BadValue, match=words):
        parse_text(text, t)
