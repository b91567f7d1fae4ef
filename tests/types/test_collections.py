from __future__ import annotations

import enum
import typing
from collections.abc import Callable
from typing import Any

import pytest

from slipstream.errors import LiteralTypeError
from slipstream.model import Kind, LiteralType
from slipstream.types import PickleWarning, TypeContext, TypeEngine

RoundTrip = Callable[..., tuple[Any, Any]]


class Mode(enum.Enum):
    A = "a"
    B = "b"


def test_list_types(engine: TypeEngine, roundtrip: RoundTrip) -> None:
    lt = LiteralType(Kind.LIST, args=(LiteralType(Kind.INT),))
    assert engine.literal_type(list[int]) == lt
    assert engine.literal_type(typing.List[int]) == lt  # noqa: UP006
    assert engine.literal_type(tuple[int, ...]) == lt
    assert roundtrip([1, 2, 3], list[int]) == ([1, 2, 3], [1, 2, 3])
    assert roundtrip((1, 2), tuple[int, ...]) == ([1, 2], (1, 2))
    assert roundtrip([[1.0], []], list[list[float]]) == ([[1.0], []], [[1.0], []])


def test_list_errors_name_the_item(engine: TypeEngine) -> None:
    with pytest.raises(LiteralTypeError, match=r"item 2: expected int, got bool"):
        engine.to_literal([1, 2, True], list[int])
    with pytest.raises(LiteralTypeError, match=r"expected list\[int\], got str"):
        engine.to_literal("123", list[int])


def test_dict_keys_by_type(engine: TypeEngine, roundtrip: RoundTrip) -> None:
    assert engine.literal_type(dict[str, int]) == LiteralType(
        Kind.DICT, args=(LiteralType(Kind.STR), LiteralType(Kind.INT))
    )
    assert roundtrip({"a": 1}, typing.Dict[str, int]) == ({"a": 1}, {"a": 1})  # noqa: UP006
    assert roundtrip({1: "x", -2: "y"}, dict[int, str]) == (
        {"1": "x", "-2": "y"},
        {1: "x", -2: "y"},
    )
    assert roundtrip({0.5: 1}, dict[float, int]) == ({"0.5": 1}, {0.5: 1})
    assert roundtrip({True: 1, False: 0}, dict[bool, int])[1] == {True: 1, False: 0}
    assert roundtrip({Mode.A: [1]}, dict[Mode, list[int]]) == ({"a": [1]}, {Mode.A: [1]})


def test_dict_errors(engine: TypeEngine) -> None:
    with pytest.raises(LiteralTypeError, match=r"expected int keys, got a bool key"):
        engine.to_literal({True: "x"}, dict[int, str])
    with pytest.raises(LiteralTypeError, match=r"key 'a': expected int, got str"):
        engine.to_literal({"a": "x"}, dict[str, int])
    with pytest.raises(LiteralTypeError, match=r"dict key 'x' is not a int"):
        engine.to_python({"x": "1"}, dict[int, str])


def test_bare_list_and_dict_are_json_or_pickle(
    engine: TypeEngine, roundtrip: RoundTrip, local_ctx: TypeContext
) -> None:
    assert engine.literal_type(list).kind is Kind.ANY
    assert engine.literal_type(dict).kind is Kind.ANY
    assert roundtrip([1, "a", None], list, local_ctx) == ([1, "a", None], [1, "a", None])
    assert roundtrip({"a": {"b": 1}}, dict, local_ctx)[1] == {"a": {"b": 1}}
    lit, back = roundtrip([{1, 2}], list, local_ctx)
    assert set(lit) == {"$pickle"} and back == [{1, 2}]
    lit, back = roundtrip({1: 2}, dict, local_ctx)
    assert "$pickle" in lit and back == {1: 2}
    with pytest.raises(LiteralTypeError, match="expected list, got dict"):
        engine.to_literal({}, list, local_ctx)


def test_heterogeneous_tuple_falls_back_to_pickle(engine: TypeEngine) -> None:
    with pytest.warns(PickleWarning, match=r"tuple\[int, str\]"):
        assert engine.literal_type(tuple[int, str]).kind is Kind.PICKLE
