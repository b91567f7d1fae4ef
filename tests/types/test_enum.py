from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import pytest

from slipstream.errors import LiteralTypeError
from slipstream.model import Kind, LiteralType
from slipstream.types import TypeEngine

RoundTrip = Callable[..., tuple[Any, Any]]


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


def test_enum_literal_type(engine: TypeEngine) -> None:
    lt = engine.literal_type(Color)
    assert lt == LiteralType(Kind.ENUM, values=("red", "green"), name=f"{__name__}.Color")


def test_enum_round_trip(roundtrip: RoundTrip) -> None:
    assert roundtrip(Color.GREEN, Color) == ("green", Color.GREEN)
    assert roundtrip(Level.HIGH, Level) == ("2", Level.HIGH)
    assert roundtrip("red", Color) == ("red", Color.RED)  # the value itself, as from the CLI


def test_enum_errors(engine: TypeEngine) -> None:
    with pytest.raises(
        LiteralTypeError, match=r"expected .*Color \(one of \['red', 'green'\]\), got str"
    ):
        engine.to_literal("blue", Color)
    with pytest.raises(LiteralTypeError, match=r"got .*Level"):
        engine.to_literal(Level.LOW, Color)
    with pytest.raises(LiteralTypeError, match="'blue' is not a value"):
        engine.to_python("blue", Color)
