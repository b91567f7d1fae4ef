"""Column schemas of tables: ``kwtypes(a=int, b=str)``, hashable so that annotations holding one
(``Annotated[StructuredDataset, kwtypes(...)]``) have their codecs cached."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

__all__ = ["Columns", "hashable_schema", "kwtypes"]


class Columns(OrderedDict[str, Any]):
    """A column schema (name -> Python type). Hashable, so annotations using it are cached."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(_freeze(self))


def _freeze(value: Any) -> Any:
    """A hashable form of a (nested) column schema."""
    if isinstance(value, dict):
        return tuple((k, _freeze(v)) for k, v in value.items())
    return value


def hashable_schema(python_type: Any) -> Any:
    """``Annotated[T, {...}]`` with its plain-dict column schemas made :class:`Columns`, so the
    annotation hashes (and its codec is cached); other types unchanged."""
    meta = getattr(python_type, "__metadata__", None)
    if meta is None or not any(type(m) is dict for m in meta):
        return python_type
    import typing

    fixed = tuple(Columns(m) if type(m) is dict else m for m in meta)
    return typing.Annotated[(python_type.__origin__, *fixed)]


def kwtypes(**kwargs: Any) -> Columns:
    """Column names and types, in order: ``kwtypes(a=int, b=str)``."""
    return Columns(kwargs)
