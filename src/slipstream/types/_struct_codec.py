"""The codec shared by every struct family (dataclasses, NamedTuples, pydantic models).

A struct literal is an object of field literals in declaration order. ``to_literal`` takes an
instance, or a dict (JSON from the CLI or the API) validated field by field: a missing required
field,
an unknown field or a field of the wrong type is a :class:`LiteralTypeError` naming the field. A
missing field with a default gets the default's literal, so both forms give the same literal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slipstream.errors import LiteralTypeError
from slipstream.model import Field, Kind, LiteralType

from ._contract import Codec, TypeContext, describe_value, type_name

__all__ = ["StructCodec", "StructField"]

_NO_DEFAULT: Any = object()


@dataclass(frozen=True)
class StructField:
    """One field of a struct: its codec and how to get its default (None when required)."""

    name: str
    codec: Codec
    default: Callable[[], Any] | None = None


class StructCodec(Codec):
    """Converts instances (read with ``getattr``) and dicts to struct literals, and back with
    ``build(**fields)``."""

    __slots__ = ("_build", "_cls", "_fields", "_names")

    def __init__(
        self,
        cls: type,
        fields: list[StructField],
        build: Callable[[dict[str, Any]], Any] | None = None,
    ) -> None:
        lt = LiteralType(
            Kind.STRUCT,
            fields=tuple(
                Field(f.name, f.codec.literal_type, has_default=f.default is not None)
                for f in fields
            ),
            name=type_name(cls),
        )
        super().__init__(cls, lt)
        self._cls = cls
        self._fields = [(f.name, f.codec.to_literal, f.codec.to_python, f) for f in fields]
        self._names = frozenset(f.name for f in fields)
        self._build: Callable[[dict[str, Any]], Any] = build or (lambda kw: cls(**kw))

    def _field_error(self, name: str, e: Exception) -> LiteralTypeError:
        return LiteralTypeError(f"field {self.literal_type.name}.{name}: {e}")

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        out: dict[str, Any] = {}
        if isinstance(value, self._cls):
            for name, enc, _, _ in self._fields:
                try:
                    out[name] = enc(getattr(value, name), ctx)
                except LiteralTypeError as e:
                    raise self._field_error(name, e) from None
            return out
        if type(value) is dict:
            return self._dict_to_literal(value, ctx)
        raise LiteralTypeError(
            f"expected {self.literal_type.name} (or a dict of its fields), "
            f"got {describe_value(value)} ({value!r:.60})"
        )

    def _dict_to_literal(self, value: dict[Any, Any], ctx: TypeContext | None) -> Any:
        unknown = [k for k in value if k not in self._names]
        if unknown:
            raise LiteralTypeError(
                f"unknown field {unknown[0]!r} for {self.literal_type.name} "
                f"(its fields: {', '.join(f[0] for f in self._fields)})"
            )
        out: dict[str, Any] = {}
        for name, enc, _, spec in self._fields:
            if name in value:
                v = value[name]
            elif spec.default is not None:
                v = spec.default()
            else:
                raise LiteralTypeError(
                    f"missing required field {name!r} for {self.literal_type.name}"
                )
            try:
                out[name] = enc(v, ctx)
            except LiteralTypeError as e:
                raise self._field_error(name, e) from None
        return out

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        if type(literal) is not dict:
            raise LiteralTypeError(
                f"expected a struct literal of {self.literal_type.name}, "
                f"got {describe_value(literal)}"
            )
        kwargs: dict[str, Any] = {}
        for name, _, dec, spec in self._fields:
            if name in literal:
                try:
                    kwargs[name] = dec(literal[name], ctx)
                except LiteralTypeError as e:
                    raise self._field_error(name, e) from None
            elif spec.default is None:
                raise LiteralTypeError(
                    f"missing required field {name!r} for {self.literal_type.name}"
                )
        return self._build(kwargs)

    @property
    def needs_context(self) -> bool:
        return any(f[3].codec.needs_context for f in self._fields)
