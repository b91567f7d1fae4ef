"""``HashMethod``: the user's own content hash for a value, so the cache keys on it.

``Annotated[pd.DataFrame, HashMethod(fn)]`` (flytekit's spelling): ``fn(value)`` is computed when
the value is converted to a literal and stored as the blob's ``hash``, so a downstream cached task
keys on it instead of hashing the Parquet bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._contract import Codec, TypeContext

__all__ = ["HashMethod", "HashingCodec"]


class HashMethod:
    """Wraps a function that returns a stable hash (any value with a ``str``) of a value."""

    def __init__(self, function: Callable[[Any], Any]) -> None:
        self.function = function

    def calculate(self, value: Any) -> str:
        """The hash of ``value``."""
        return str(self.function(value))


class HashingCodec(Codec):
    """A codec that adds the user's hash to the literals another codec makes."""

    __slots__ = ("_inner", "_method")

    def __init__(self, inner: Codec, method: HashMethod) -> None:
        super().__init__(inner.python_type, inner.literal_type)
        self._inner = inner
        self._method = method

    @property
    def needs_context(self) -> bool:
        return self._inner.needs_context

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        literal = self._inner.to_literal(value, ctx)
        if isinstance(literal, dict) and "uri" in literal:
            literal["hash"] = "user:" + self._method.calculate(value)
        return literal

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        return self._inner.to_python(literal, ctx)
