"""``Optional[T]``, ``Union[...]`` and ``X | Y``: the literal names its variant exactly.

The literal is ``{"$u": tag, "v": literal}`` with ``tag`` the variant's ``LiteralType.tag``. A value
goes to the variant declared for its exact Python type first (``True`` to ``bool``, not ``int``;
``None`` to ``NoneType``); otherwise the variants are tried in order and the first that accepts it
wins. That order is canonical, not the declared one: variants sorted by tag, ``none`` last. Python
considers ``int | str`` and ``str | int`` equal (and caches them as one), so only a canonical order
gives the same literal type, and the same choice, in every process.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from slipstream.errors import LiteralTypeError, TypeTransformerError
from slipstream.model import Kind, LiteralType

from ._contract import Codec, CodecSource, TypeContext, TypeTransformer, describe_value

__all__ = ["UnionTransformer"]


def _exact_class(tp: Any) -> type | None:
    """The Python class whose instances belong exactly to a variant (``list[int]`` -> list)."""
    if tp is None:
        return type(None)
    if isinstance(tp, type):
        return tp
    origin = typing.get_origin(tp)
    if isinstance(origin, type):
        return origin
    return None


class _UnionCodec(Codec):
    __slots__ = ("_by_class", "_by_tag", "_variants")

    def __init__(self, python_type: Any, variants: list[tuple[Any, Codec]]) -> None:
        lts = tuple(c.literal_type for _, c in variants)
        super().__init__(python_type, LiteralType(Kind.UNION, args=lts))
        self._variants = [(c.literal_type.tag, c) for _, c in variants]
        self._by_tag = {tag: c for tag, c in self._variants}
        if len(self._by_tag) != len(variants):
            raise TypeTransformerError(
                f"{python_type!r}: two variants have the same literal type "
                f"({', '.join(t for t, _ in self._variants)})"
            )
        self._by_class: dict[type, tuple[str, Codec]] = {}
        for tp, codec in variants:
            cls = _exact_class(tp)
            if cls is not None and cls not in self._by_class:
                self._by_class[cls] = (codec.literal_type.tag, codec)

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        hit = self._by_class.get(type(value))
        if hit is not None:
            tag, codec = hit
            try:
                return {"$u": tag, "v": codec.to_literal(value, ctx)}
            except LiteralTypeError:
                pass
        errors = []
        for tag, codec in self._variants:
            try:
                return {"$u": tag, "v": codec.to_literal(value, ctx)}
            except LiteralTypeError as e:
                errors.append(f"{tag}: {e}")
        raise LiteralTypeError(
            f"expected {self.literal_type}, got {describe_value(value)} ({value!r:.60}); "
            + "; ".join(errors)
        )

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        try:
            codec = self._by_tag[literal["$u"]]
        except (KeyError, TypeError):
            raise LiteralTypeError(
                f'expected a union literal {{"$u": tag, "v": ...}} with a tag of '
                f"{self.literal_type}, got {literal!r:.80}"
            ) from None
        return codec.to_python(literal.get("v"), ctx)

    @property
    def needs_context(self) -> bool:
        return any(c.needs_context for _, c in self._variants)


class UnionTransformer(TypeTransformer):
    """typing.Union, typing.Optional and ``X | Y``."""

    name = "union"

    def codec(self, python_type: Any, engine: CodecSource) -> Codec | None:
        origin = typing.get_origin(python_type)
        if origin is not typing.Union and origin is not types.UnionType:
            return None
        variants = [(a, engine.codec(a)) for a in typing.get_args(python_type)]
        variants.sort(key=lambda v: (v[1].literal_type.kind is Kind.NONE, v[1].literal_type.tag))
        return _UnionCodec(python_type, variants)
