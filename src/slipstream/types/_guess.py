"""From a literal type back to a Python type, for clients that do not have the user's code."""

from __future__ import annotations

import datetime as dt
import enum
import typing
from typing import Any

from slipstream.model import Kind, LiteralType

from ._columns import kwtypes
from ._directory import Directory
from ._file import File
from ._structured import StructuredDataset

__all__ = ["guess_python_type"]

_SIMPLE: dict[Kind, Any] = {
    Kind.NONE: type(None),
    Kind.INT: int,
    Kind.FLOAT: float,
    Kind.STR: str,
    Kind.BOOL: bool,
    Kind.BYTES: bytes,
    Kind.DATETIME: dt.datetime,
    Kind.DATE: dt.date,
    Kind.DURATION: dt.timedelta,
    Kind.ANY: Any,
    Kind.PICKLE: Any,
    Kind.STRUCT: dict,
}


def guess_python_type(literal_type: LiteralType) -> Any:
    """A Python type whose codec reads (and writes) literals of ``literal_type``.

    Structs become ``dict`` (their literal as is), pickles ``Any`` (the blob reference), enums a new
    ``Enum`` of the same values and name, files and directories ``File``/``Directory``, datasets
    ``StructuredDataset`` (with the declared columns), arrays ``numpy.ndarray``.
    """
    k = literal_type.kind
    simple = _SIMPLE.get(k)
    if simple is not None:
        return simple
    if k is Kind.LIST:
        return list[guess_python_type(literal_type.args[0])]  # type: ignore[misc]
    if k is Kind.DICT:
        key, value = (guess_python_type(a) for a in literal_type.args)
        return dict[key, value]  # type: ignore[valid-type]
    if k is Kind.UNION:
        return typing.Union[tuple(guess_python_type(a) for a in literal_type.args)]
    if k is Kind.ENUM:
        module, _, qual = literal_type.name.rpartition(".")
        make: Any = enum.Enum
        cls: Any = make(qual or "Enum", {f"v{i}": v for i, v in enumerate(literal_type.values)})
        cls.__module__ = module or __name__
        cls.__qualname__ = qual or "Enum"
        return cls
    if k is Kind.FILE or k is Kind.DIR:
        base: Any = File if k is Kind.FILE else Directory
        return base[literal_type.format] if literal_type.format else base
    if k is Kind.DATASET:
        if not literal_type.fields:
            return StructuredDataset
        cols = kwtypes(**{f.name: guess_python_type(f.type) for f in literal_type.fields})
        return typing.Annotated[StructuredDataset, cols]
    if k is Kind.NDARRAY:
        import numpy as np

        return np.ndarray
    return Any
