from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from slipstream.errors import LiteralTypeError
from slipstream.model import Kind
from slipstream.types import TypeContext, TypeEngine

RoundTrip = Callable[..., tuple[Any, Any]]


def test_ndarray_round_trip(engine: TypeEngine, roundtrip: RoundTrip, ctx: TypeContext) -> None:
    assert engine.literal_type(np.ndarray).kind is Kind.NDARRAY
    assert engine.literal_type(npt.NDArray[np.float64]).kind is Kind.NDARRAY
    arr = np.arange(12, dtype=np.int32).reshape(3, 4)
    lit, back = roundtrip(arr, np.ndarray, ctx)
    assert lit["uri"].endswith(".npy")
    np.testing.assert_array_equal(back, arr)
    assert back.dtype == np.int32


def test_ndarray_errors(engine: TypeEngine, ctx: TypeContext) -> None:
    with pytest.raises(LiteralTypeError, match=r"expected numpy.ndarray, got list"):
        engine.to_literal([1, 2], np.ndarray, ctx)
    with pytest.raises(LiteralTypeError, match="objects"):
        engine.to_literal(np.array([object()]), np.ndarray, ctx)
