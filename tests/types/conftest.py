from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from slipstream.model import decode, encode
from slipstream.storage import open_store
from slipstream.types import TypeContext, TypeEngine, default_engine

RoundTrip = Callable[..., tuple[Any, Any]]


@pytest.fixture
def engine() -> TypeEngine:
    return default_engine()


def _local_ctx(tmp_path: Path) -> TypeContext:
    store = open_store(str(tmp_path / "store"))
    return TypeContext(store, store.join("proj/dev/e1/n0/0/outputs"), tmp_path / "scratch")


def _memory_ctx(tmp_path: Path) -> TypeContext:
    store = open_store(f"memory://types-{uuid.uuid4().hex}")
    return TypeContext(store, store.join("proj/dev/e1/n0/0/outputs"), tmp_path / "scratch")


@pytest.fixture
def local_ctx(tmp_path: Path) -> TypeContext:
    return _local_ctx(tmp_path)


@pytest.fixture(params=["local", "memory"])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> TypeContext:
    """A context on a local store and on a memory:// store."""
    return _local_ctx(tmp_path) if request.param == "local" else _memory_ctx(tmp_path)


@pytest.fixture
def roundtrip(engine: TypeEngine) -> RoundTrip:
    """to_literal, JSON encode/decode (as the engine does), to_python; returns (literal, value)."""

    def run(value: Any, tp: Any, ctx: TypeContext | None = None) -> tuple[Any, Any]:
        literal = engine.to_literal(value, tp, ctx)
        wire = decode(encode(literal), Any)
        assert wire == literal
        return literal, engine.to_python(wire, tp, ctx)

    return run
