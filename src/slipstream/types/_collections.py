"""Lists, dicts and homogeneous tuples, with their item codecs composed when the codec is built.

``list[T]``/``List[T]``/``tuple[T, ...]`` are lists of T; so is ``Iterator[T]`` (flytekit's
generator tasks: the items are collected when the task returns, and read back as an iterator). ``dict[K, V]`` is an object with string
keys; str, int, float, bool and Enum keys are written as strings and read back per the key type.
Bare ``list``/``dict`` are JSON (kind any) when the value is JSON, else a pickle, marked in the
literal as ``{"$pickle": {"uri", "hash"}}``.
"""

from __future__ import annotations

import collections.abc
import enum
import typing
from collections.abc import Callable, Iterable
from typing import Any

from slipstream.errors import LiteralTypeError
from slipstream.model import Kind, LiteralType

from ._contract import Codec, CodecSource, TypeContext, TypeTransformer, describe_value
from ._pickle import pickle_from_literal, pickle_to_literal
from ._scalars import is_json

__all__ = ["CollectionTransformer", "PICKLE_MARKER"]

PICKLE_MARKER = "$pickle"
_ITERATORS = (collections.abc.Iterator, collections.abc.Generator)


def _err(where: str, e: LiteralTypeError) -> LiteralTypeError:
    return LiteralTypeError(f"{where}: {e}")


class _ListCodec(Codec):
    __slots__ = ("_item", "_iter", "_tuple")

    def __init__(
        self, python_type: Any, item: Codec, as_tuple: bool, as_iter: bool = False
    ) -> None:
        super().__init__(python_type, LiteralType(Kind.LIST, args=(item.literal_type,)))
        self._item = item
        self._tuple = as_tuple
        self._iter = as_iter

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        t = type(value)
        if self._iter and isinstance(value, Iterable) and not isinstance(value, str | bytes | dict):
            value = list(value)
        elif t is not list and t is not tuple and not isinstance(value, list | tuple):
            raise LiteralTypeError(
                f"expected {self.literal_type}, got {describe_value(value)} ({value!r:.60})"
            )
        enc = self._item.to_literal
        try:
            return [enc(v, ctx) for v in value]
        except LiteralTypeError:
            for i, v in enumerate(value):
                try:
                    enc(v, ctx)
                except LiteralTypeError as e:
                    raise _err(f"item {i}", e) from None
            raise

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        if type(literal) is not list:
            raise LiteralTypeError(f"expected a list literal, got {describe_value(literal)}")
        dec = self._item.to_python
        if self._item.literal_type.kind is Kind.PICKLE:
            from ._batch import expand_batches  # a list written with BatchSize(n)

            out = expand_batches(literal, ctx, self._item)
        else:
            out = [dec(v, ctx) for v in literal]
        if self._iter:
            return iter(out)
        return tuple(out) if self._tuple else out

    @property
    def needs_context(self) -> bool:
        return self._item.needs_context


def _key_codec(key_type: Any) -> tuple[Callable[[Any], str], Callable[[str], Any]] | None:
    """(to string, from string) for a dict key type, checking the key's type strictly."""

    def strict(tp: type, fmt: Callable[[Any], str]) -> Callable[[Any], str]:
        def enc(k: Any) -> str:
            if type(k) is not tp:
                raise LiteralTypeError(
                    f"expected {tp.__name__} keys, got a {describe_value(k)} key {k!r:.40}"
                )
            return fmt(k)

        return enc

    def parse(tp: Callable[[str], Any], name: str) -> Callable[[str], Any]:
        def dec(s: str) -> Any:
            try:
                return tp(s)
            except (ValueError, KeyError):
                raise LiteralTypeError(f"dict key {s!r:.40} is not a {name}") from None

        return dec

    if key_type is str:
        return strict(str, str), parse(str, "str")
    if key_type is int:
        return strict(int, str), parse(int, "int")
    if key_type is float:
        return strict(float, repr), parse(float, "float")
    if key_type is bool:
        bools = {"true": True, "false": False}
        return strict(bool, lambda b: "true" if b else "false"), parse(bools.__getitem__, "bool")
    if isinstance(key_type, type) and issubclass(key_type, enum.Enum):
        by_value = {str(m.value): m for m in key_type}
        return strict(key_type, lambda m: str(m.value)), parse(
            by_value.__getitem__, key_type.__name__
        )
    return None


class _DictCodec(Codec):
    __slots__ = ("_kdec", "_kenc", "_str_keys", "_value")

    def __init__(
        self,
        python_type: Any,
        key_lt: LiteralType,
        keys: tuple[Callable[[Any], str], Callable[[str], Any]],
        value: Codec,
        str_keys: bool,
    ) -> None:
        super().__init__(python_type, LiteralType(Kind.DICT, args=(key_lt, value.literal_type)))
        self._kenc, self._kdec = keys
        self._value = value
        self._str_keys = str_keys

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        if not isinstance(value, dict):
            raise LiteralTypeError(
                f"expected {self.literal_type}, got {describe_value(value)} ({value!r:.60})"
            )
        venc = self._value.to_literal
        kenc = self._kenc
        out = {}
        for k, v in value.items():
            key = kenc(k)
            try:
                out[key] = venc(v, ctx)
            except LiteralTypeError as e:
                raise _err(f"key {k!r:.40}", e) from None
        return out

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        if type(literal) is not dict:
            raise LiteralTypeError(f"expected a dict literal, got {describe_value(literal)}")
        vdec = self._value.to_python
        if self._str_keys:
            return {k: vdec(v, ctx) for k, v in literal.items()}
        kdec = self._kdec
        return {kdec(k): vdec(v, ctx) for k, v in literal.items()}

    @property
    def needs_context(self) -> bool:
        return self._value.needs_context


class _UntypedCodec(Codec):
    """Bare ``list``/``dict``: JSON when the value is JSON, else a pickle."""

    __slots__ = ()

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        if not isinstance(value, self.python_type):
            raise LiteralTypeError(
                f"expected {self.python_type.__name__}, got {describe_value(value)} ({value!r:.60})"
            )
        if is_json(value) and not (type(value) is dict and PICKLE_MARKER in value):
            return value
        return {PICKLE_MARKER: pickle_to_literal(value, ctx, self.python_type.__name__)}

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        if type(literal) is dict and PICKLE_MARKER in literal:
            return pickle_from_literal(literal[PICKLE_MARKER], ctx)
        return literal

    @property
    def needs_context(self) -> bool:
        return True


class CollectionTransformer(TypeTransformer):
    """list[T], dict[K, V], tuple[T, ...] and bare list/dict."""

    name = "collection"

    def codec(self, python_type: Any, engine: CodecSource) -> Codec | None:
        if python_type is list or python_type is dict:
            return _UntypedCodec(python_type, LiteralType(Kind.ANY))
        origin = typing.get_origin(python_type)
        if origin is None:
            return None
        args = typing.get_args(python_type)
        if origin is list:
            if not args:
                return _UntypedCodec(list, LiteralType(Kind.ANY))
            return _ListCodec(python_type, engine.codec(args[0]), as_tuple=False)
        if origin in _ITERATORS and args:
            return _ListCodec(python_type, engine.codec(args[0]), as_tuple=False, as_iter=True)
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return _ListCodec(python_type, engine.codec(args[0]), as_tuple=True)
            return None
        if origin is dict:
            if not args:
                return _UntypedCodec(dict, LiteralType(Kind.ANY))
            key_type, value_type = args
            keys = _key_codec(key_type)
            if keys is None:
                return None  # e.g. tuple keys: left to the pickle fallback
            return _DictCodec(
                python_type,
                engine.literal_type(key_type),
                keys,
                engine.codec(value_type),
                str_keys=key_type is str,
            )
        return None
