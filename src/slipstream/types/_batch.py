"""``Annotated[list[T], BatchSize(n)]``: a list of pickled items stored n items per blob.

flytekit's spelling for long lists of values that only pickle: one blob per batch instead of one
per item. The literal type is the plain list's (``list[pickle:T]``), so a batched list binds to any
``list[T]`` input; each element literal of a batched list carries ``"batch": <count>`` and
expands back to that many items wherever it is read.
"""

from __future__ import annotations

import typing
from typing import Any

from slipstream.errors import LiteralTypeError
from slipstream.model import Kind, LiteralType

from ._contract import Codec, CodecSource, TypeContext, describe_value, type_name
from ._pickle import pickle_from_literal, pickle_to_literal

__all__ = ["BatchSize", "batched_codec", "expand_batches"]

BATCH_KEY = "batch"


class BatchSize:
    """How many list items go in one pickle blob: ``Annotated[list[T], BatchSize(100)]``."""

    __slots__ = ("val",)

    def __init__(self, val: int) -> None:
        if not isinstance(val, int) or isinstance(val, bool) or val < 1:
            raise ValueError(f"BatchSize takes a positive int, got {val!r}")
        self.val = val

    def __repr__(self) -> str:
        return f"BatchSize({self.val})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BatchSize) and other.val == self.val

    def __hash__(self) -> int:
        return hash(("BatchSize", self.val))


class _BatchedListCodec(Codec):
    __slots__ = ("_item", "_size")

    def __init__(self, python_type: Any, item: Codec, size: int) -> None:
        super().__init__(python_type, LiteralType(Kind.LIST, args=(item.literal_type,)))
        self._item = item
        self._size = size

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        if not isinstance(value, list | tuple):
            raise LiteralTypeError(
                f"expected {self.literal_type}, got {describe_value(value)} ({value!r:.60})"
            )
        item_type = self._item.python_type
        for i, v in enumerate(value):
            if isinstance(item_type, type) and not isinstance(v, item_type):
                raise LiteralTypeError(
                    f"item {i}: expected {type_name(item_type)}, got {describe_value(v)}"
                )
        out = []
        for start in range(0, len(value), self._size):
            chunk = list(value[start : start + self._size])
            lit = pickle_to_literal(chunk, ctx, f"batch of {type_name(item_type)}")
            lit[BATCH_KEY] = len(chunk)
            out.append(lit)
        return out

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        if type(literal) is not list:
            raise LiteralTypeError(f"expected a list literal, got {describe_value(literal)}")
        return expand_batches(literal, ctx, self._item)

    @property
    def needs_context(self) -> bool:
        return True


def expand_batches(literal: list[Any], ctx: TypeContext | None, item: Codec) -> list[Any]:
    """The items of a list of pickle literals, batched or one per blob."""
    out: list[Any] = []
    for lit in literal:
        if type(lit) is dict and BATCH_KEY in lit:
            out.extend(pickle_from_literal(lit, ctx))
        else:
            out.append(item.to_python(lit, ctx))
    return out


def batched_codec(python_type: Any, size: BatchSize, engine: CodecSource) -> Codec:
    """The codec of ``Annotated[list[T], BatchSize(n)]`` (``T`` must be a pickled type)."""
    inner = typing.get_args(python_type)[0]
    if typing.get_origin(inner) is not list or not typing.get_args(inner):
        raise LiteralTypeError(f"BatchSize applies to list[T], got {inner!r}")
    item = engine.codec(typing.get_args(inner)[0])
    if item.literal_type.kind is not Kind.PICKLE:
        raise LiteralTypeError(
            f"BatchSize applies to lists of pickled values; {item.literal_type} items are "
            "stored as they are"
        )
    return _BatchedListCodec(python_type, item, size.val)
