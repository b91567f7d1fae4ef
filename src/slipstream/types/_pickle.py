"""The fallback: any type no transformer handles is pickled (cloudpickle) into a blob.

A pickle only reads back with the same code and library versions and cannot be inspected by the
console or another language, so building a pickle codec warns once per type
(:class:`PickleWarning`): declaring a real type is almost always better.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

from slipstream.errors import LiteralTypeError, StorageError
from slipstream.model import Kind, LiteralType

from ._contract import (
    Codec,
    CodecSource,
    TypeContext,
    TypeTransformer,
    describe_value,
    require_ctx,
    type_name,
)

__all__ = ["PickleTransformer", "PickleWarning", "pickle_from_literal", "pickle_to_literal"]


class PickleWarning(UserWarning):
    """A type is stored as a pickle because no transformer handles it."""


_warned: set[str] = set()
_warned_lock = threading.Lock()


def pickle_to_literal(value: Any, ctx: TypeContext | None, what: str) -> dict[str, Any]:
    """Pickle ``value`` into a new blob; the literal ``{"uri", "hash"}``."""
    import cloudpickle

    from slipstream.storage import hash_bytes

    ctx = require_ctx(ctx, what)
    try:
        data = cloudpickle.dumps(value)
    except Exception as e:
        raise LiteralTypeError(f"cannot pickle a {describe_value(value)} ({what}): {e}") from e
    uri = ctx.new_uri(".pkl")
    ctx.store.put_bytes(uri, data)
    return {"uri": uri, "hash": hash_bytes(data)}


def pickle_from_literal(literal: Any, ctx: TypeContext | None) -> Any:
    """Read back a pickled value from its literal."""
    import cloudpickle

    from ._blobref import store_of

    if type(literal) is not dict or type(literal.get("uri")) is not str:
        raise LiteralTypeError(f'expected a pickle literal {{"uri": ...}}, got {literal!r:.80}')
    uri = literal["uri"]
    data = store_of(uri, ctx).get_bytes(uri)
    try:
        return cloudpickle.loads(data)
    except Exception as e:
        raise StorageError(f"cannot unpickle {uri}: {type(e).__name__}: {e}") from e


class _PickleCodec(Codec):
    __slots__ = ()

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        t = self.python_type
        if isinstance(t, type) and not isinstance(value, t):
            raise LiteralTypeError(
                f"expected {type_name(t)}, got {describe_value(value)} ({value!r:.60})"
            )
        return pickle_to_literal(value, ctx, type_name(t))

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        return pickle_from_literal(literal, ctx)

    @property
    def needs_context(self) -> bool:
        return True


class PickleTransformer(TypeTransformer):
    """Handles every type, as the engine's fallback; warns once per type."""

    name = "pickle"

    def codec(self, python_type: Any, engine: CodecSource) -> Codec | None:
        name = type_name(python_type)
        with _warned_lock:
            first = name not in _warned
            _warned.add(name)
        if first:
            warnings.warn(
                f"no transformer handles {name}: its values are stored as pickles, which only "
                "read back with the same code and cannot be shown in the console; declare a "
                "dataclass, a pydantic model or a supported type instead",
                PickleWarning,
                stacklevel=4,
            )
        return _PickleCodec(python_type, LiteralType(Kind.PICKLE, name=name))
