"""Bindings: where a node input (or a workflow output) gets its value from."""

from __future__ import annotations

from typing import Any, Union

import msgspec

from ._literal_types import LiteralType

__all__ = ["Binding", "BindingData", "Const", "DictOf", "ListOf", "Ref", "WORKFLOW_INPUTS"]

WORKFLOW_INPUTS = "$in"
"""The node id that stands for the inputs of the enclosing workflow."""


class Const(msgspec.Struct, frozen=True, tag="const"):
    """A literal fixed at compile time."""

    value: Any


class Ref(msgspec.Struct, frozen=True, tag="ref", omit_defaults=True):
    """An output of another node (or ``$in`` for a workflow input), optionally a part of it.

    ``path`` selects into the value: field names of structs, keys of dicts, indexes of lists.
    ``src_type`` is set when the producer's type differs from the consumer's (e.g. ``int`` into
    ``int | None``) so that the engine can coerce the literal (wrap a union variant).
    """

    node: str
    output: str
    path: tuple[str | int, ...] = ()
    src_type: LiteralType | None = None


class ListOf(msgspec.Struct, frozen=True, tag="list"):
    """A list literal built from bindings (promises inside a list literal)."""

    items: tuple[BindingData, ...]


class DictOf(msgspec.Struct, frozen=True, tag="dict"):
    """A dict literal built from bindings (promises inside a dict literal)."""

    items: dict[str, BindingData]


BindingData = Union[Const, Ref, ListOf, DictOf]


class Binding(msgspec.Struct, frozen=True):
    """Binds the input ``name`` of a node (or a workflow output) to ``data``."""

    name: str
    data: BindingData
