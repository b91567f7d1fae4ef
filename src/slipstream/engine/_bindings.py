"""Resolving bindings to literals (of the type the bound input or output declares), selecting into
values and coercing into union types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slipstream.model import (
    Binding,
    Const,
    DictOf,
    Kind,
    ListOf,
    LiteralType,
    Ref,
    WorkflowSpec,
)

__all__ = ["coerce", "input_type", "output_type", "resolve", "select"]


def select(value: Any, path: tuple[str | int, ...]) -> Any:
    """The part of a literal that ``path`` names (struct fields, dict keys, list items)."""
    for p in path:
        if isinstance(value, dict) and "$u" in value and "v" in value:
            value = value["v"]  # a union: select into its variant
        value = value[p]
    return value


def coerce(value: Any, src: LiteralType, dst: LiteralType) -> Any:
    """Reshape a literal of type ``src`` into one of type ``dst`` (which it is assignable to).

    Only unions change shape: a plain value bound to a union input gets its variant's tag.
    """
    if src == dst or dst.kind is Kind.ANY:
        return value
    if dst.kind is Kind.UNION:
        if src.kind is Kind.UNION:
            return value
        from slipstream.model import is_assignable

        for variant in dst.args:
            if is_assignable(src, variant):
                return {"$u": variant.tag, "v": coerce(value, src, variant)}
        return value
    if dst.kind is Kind.LIST and src.kind is Kind.LIST and value is not None:
        return [coerce(v, src.args[0], dst.args[0]) for v in value]
    if dst.kind is Kind.DICT and src.kind is Kind.DICT and value is not None:
        return {k: coerce(v, src.args[1], dst.args[1]) for k, v in value.items()}
    return value


def resolve(data: Any, lookup: Callable[[str, str], Any], dst: LiteralType | None = None) -> Any:
    """The literal a binding stands for; ``lookup(node, output)`` reads upstream outputs."""
    t = type(data)
    if t is Ref:
        v = lookup(data.node, data.output)
        if data.path:
            v = select(v, data.path)
        if data.src_type is not None and dst is not None:
            v = coerce(v, data.src_type, dst)
        return v
    if t is Const:
        return data.value
    if t is ListOf:
        item = dst.args[0] if dst is not None and dst.kind is Kind.LIST else None
        return [resolve(d, lookup, item) for d in data.items]
    if t is DictOf:
        val = dst.args[1] if dst is not None and dst.kind is Kind.DICT else None
        return {k: resolve(d, lookup, val) for k, d in data.items.items()}
    raise TypeError(f"unknown binding {data!r}")


def input_type(node: Any, b: Binding) -> Any:
    """The type ``node`` declares for its input bound by ``b``, for :func:`resolve` (None when the
    binding is a reference with no source type: nothing to coerce)."""
    if type(b.data) is Ref and b.data.src_type is None:
        return None
    v = node.interface.input(b.name)
    return v.type if v is not None else None


def output_type(spec: WorkflowSpec, b: Binding) -> Any:
    """The type ``spec`` declares for its output bound by ``b``, as :func:`input_type` does."""
    if type(b.data) is Ref and b.data.src_type is None:
        return None
    v = spec.interface.output(b.name)
    return v.type if v is not None else None
