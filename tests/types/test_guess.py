from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from typing import Annotated, Any, Optional

import pytest

from slipstream.types import (
    Directory,
    File,
    StructuredDataset,
    TypeEngine,
    guess_python_type,
    kwtypes,
)


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int


@pytest.mark.parametrize(
    "tp",
    [
        int,
        float,
        str,
        bool,
        type(None),
        bytes,
        dt.datetime,
        dt.date,
        dt.timedelta,
        Any,
        list[int],
        dict[int, list[str]],
        Optional[str],  # noqa: UP045
        Color,
        File,
        File["csv"],
        Directory,
        StructuredDataset,
        Annotated[StructuredDataset, kwtypes(a=int)],
    ],
)
def test_guess_round_trips_literal_types(engine: TypeEngine, tp: Any) -> None:
    lt = engine.literal_type(tp)
    assert engine.literal_type(guess_python_type(lt)) == lt


def test_guess_struct_and_values(engine: TypeEngine) -> None:
    guessed = guess_python_type(engine.literal_type(Point))
    assert guessed is dict
    lit = engine.to_literal(Point(1), Point)
    assert engine.to_python(lit, guessed) == {"x": 1}
    g = guess_python_type(engine.literal_type(Color))
    assert engine.to_python("red", g).value == "red"
