"""The registry of transformers: an explicit object, asked in order, with codecs cached per type."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable
from typing import Any

from slipstream.errors import TypeTransformerError
from slipstream.model import LiteralType

from ._columns import hashable_schema
from ._contract import Codec, TypeContext, TypeTransformer

__all__ = ["TypeEngine"]


class TypeEngine:
    """Python type <-> literal type and Python value <-> literal, through registered transformers.

    Transformers are asked newest first, so a user's transformer registered later wins over a
    built-in one for the same type. Lazy transformers (``register_lazy``) are only imported when no
    loaded transformer handles a type, which keeps ``import slipstream`` free of pandas & co.
    """

    def __init__(self, transformers: Iterable[TypeTransformer] = ()) -> None:
        self._transformers: list[TypeTransformer] = list(transformers)
        self._lazy: list[Callable[[], TypeTransformer]] = []
        self._fallback: TypeTransformer | None = None
        self._codecs: dict[Any, Codec] = {}
        self._lock = threading.RLock()
        self._building: set[Any] = set()

    def register(self, transformer: TypeTransformer) -> None:
        """Add a transformer; it is asked before every transformer registered earlier."""
        with self._lock:
            self._transformers.insert(0, transformer)
            self._codecs.clear()

    def register_lazy(self, factory: Callable[[], TypeTransformer]) -> None:
        """Add a transformer that is only built (and its heavy imports made) when needed."""
        with self._lock:
            self._lazy.append(factory)

    def clear_cache(self) -> None:
        """Forget the codecs built so far (after a change that alters how types convert)."""
        with self._lock:
            self._codecs.clear()

    def set_fallback(self, transformer: TypeTransformer) -> None:
        """The transformer asked last, for every type nobody else handles (pickle)."""
        self._fallback = transformer

    def codec(self, python_type: Any) -> Codec:
        """The codec for ``python_type``; raises :class:`TypeTransformerError` if none fits."""
        try:
            return self._codecs[python_type]
        except KeyError:
            pass
        except TypeError:  # Annotated[StructuredDataset, {"a": int}]: a plain-dict schema
            python_type = hashable_schema(python_type)
            with contextlib.suppress(KeyError, TypeError):
                return self._codecs[python_type]
        with self._lock:
            try:
                key_in_progress = python_type in self._building
            except TypeError:
                key_in_progress = False
            if key_in_progress:
                raise TypeTransformerError(f"recursive types are not supported: {python_type!r}")
            try:
                self._building.add(python_type)
                added = True
            except TypeError:
                added = False
            try:
                codec = self._find(python_type)
            finally:
                if added:
                    self._building.discard(python_type)
            with contextlib.suppress(TypeError):  # unhashable annotation: do not cache
                self._codecs[python_type] = codec
            return codec

    def _find(self, python_type: Any) -> Codec:
        for t in self._transformers:
            c = t.codec(python_type, self)
            if c is not None:
                return c
        while self._lazy:
            t = self._lazy.pop(0)()
            self._transformers.append(t)
            c = t.codec(python_type, self)
            if c is not None:
                return c
        if self._fallback is not None:
            c = self._fallback.codec(python_type, self)
            if c is not None:
                return c
        raise TypeTransformerError(f"no type transformer handles {python_type!r}")

    def literal_type(self, python_type: Any) -> LiteralType:
        """The literal type of a Python type."""
        return self.codec(python_type).literal_type

    def to_literal(self, value: Any, python_type: Any, ctx: TypeContext | None = None) -> Any:
        """Convert ``value`` declared as ``python_type`` to its literal."""
        return self.codec(python_type).to_literal(value, ctx)

    def to_python(self, literal: Any, python_type: Any, ctx: TypeContext | None = None) -> Any:
        """Convert a literal back to a value of ``python_type``."""
        return self.codec(python_type).to_python(literal, ctx)
