from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest

from slipstream.errors import LiteralTypeError, TypeTransformerError
from slipstream.model import Kind, LiteralType
from slipstream.storage import hash_bytes
from slipstream.types import PickleWarning, TypeContext, builtin_engine

RoundTrip = Callable[..., tuple[Any, Any]]


class Opaque:
    def __init__(self, v: int) -> None:
        self.v = v


class Opaque2(Opaque):
    pass


def test_pickle_fallback_warns_once_and_round_trips(local_ctx: TypeContext) -> None:
    ctx = local_ctx
    engine = builtin_engine()
    with pytest.warns(PickleWarning, match=r"test_pickle\.Opaque\b"):
        lt = engine.literal_type(Opaque)
    assert lt == LiteralType(Kind.PICKLE, name=f"{__name__}.Opaque")
    engine.literal_type(Opaque)  # cached: no second warning (warnings are errors here)
    lit = engine.to_literal(Opaque(7), Opaque, ctx)
    assert set(lit) == {"uri", "hash"}
    assert lit["hash"] == hash_bytes(ctx.store.get_bytes(lit["uri"]))
    assert engine.to_python(lit, Opaque, ctx).v == 7
    with pytest.raises(LiteralTypeError, match=r"expected .*Opaque, got int"):
        engine.to_literal(3, Opaque, ctx)
    with pytest.raises(TypeTransformerError, match="needs a TypeContext"):
        engine.to_literal(Opaque(1), Opaque, None)


def test_pickle_in_memory_store(ctx: TypeContext) -> None:
    engine = builtin_engine()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PickleWarning)
        codec = engine.codec(Opaque)
    assert codec.to_python(codec.to_literal(Opaque(5), ctx), ctx).v == 5


def test_warning_is_once_per_type_per_process() -> None:
    with pytest.warns(PickleWarning):
        builtin_engine().codec(Opaque2)
    builtin_engine().codec(Opaque2)  # a second engine does not warn again
