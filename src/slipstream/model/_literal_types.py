"""Literal types: the language-neutral description of the values that flow between tasks.

A literal type is what the SDK compiles a Python annotation into and what the engine, the server and
the console reason about; Python types never cross a process boundary. Values themselves ("literals")
are plain JSON trees whose shape is fixed by their literal type (see ``docs/architecture.md``):

========== ============================================================================
kind       literal (JSON value)
========== ============================================================================
none       ``null``
int/float  number; str: string; bool: ``true``/``false``
bytes      base64 string
datetime   ISO-8601 string, always with a UTC offset; date: ``YYYY-MM-DD``
duration   integer microseconds
enum       the member's value as a string
list       array of item literals (``args[0]`` is the item type)
dict       object; keys are strings (``args[0]`` key type, ``args[1]`` value type)
union      ``{"$u": tag, "v": literal}``: the variant is tagged exactly
struct     object of field literals (dataclasses, pydantic models; ``fields``)
file/dir   ``{"uri": ..., "hash": ...}``
dataset    ``{"uri": ..., "format": "parquet", "hash": ...}``; ``columns`` is the schema
ndarray    ``{"uri": ..., "hash": ...}`` (``.npy``)
pickle     ``{"uri": ..., "hash": ...}`` (cloudpickle; ``name`` is the Python type)
========== ============================================================================
"""

from __future__ import annotations

import enum

import msgspec

__all__ = ["Field", "Kind", "LiteralType", "is_assignable", "type_str"]


class Kind(enum.StrEnum):
    """The kinds of literal types."""

    NONE = "none"
    INT = "int"
    FLOAT = "float"
    STR = "str"
    BOOL = "bool"
    BYTES = "bytes"
    DATETIME = "datetime"
    DATE = "date"
    DURATION = "duration"
    ENUM = "enum"
    LIST = "list"
    DICT = "dict"
    UNION = "union"
    STRUCT = "struct"
    FILE = "file"
    DIR = "dir"
    DATASET = "dataset"
    NDARRAY = "ndarray"
    PICKLE = "pickle"
    ANY = "any"


class Field(msgspec.Struct, frozen=True, omit_defaults=True):
    """A named, typed member of a struct or a column of a dataset."""

    name: str
    type: LiteralType
    has_default: bool = False
    """struct: whether a literal may leave the field out (its class gives a default)."""


class LiteralType(msgspec.Struct, frozen=True, omit_defaults=True):
    """The type of a literal. Only the fields that matter for ``kind`` are set."""

    kind: Kind
    args: tuple[LiteralType, ...] = ()
    """list: (item,); dict: (key, value); union: the variants."""
    fields: tuple[Field, ...] = ()
    """struct: the fields in declaration order; dataset: the declared columns."""
    values: tuple[str, ...] = ()
    """enum: the allowed values."""
    name: str = ""
    """The Python type behind a struct, enum, pickle or ndarray, as ``module.QualName``."""
    format: str = ""
    """file: an optional format such as ``csv``; dataset: the storage format (``parquet``)."""

    @property
    def tag(self) -> str:
        """The tag that identifies this type as a union variant."""
        return type_str(self)

    def __str__(self) -> str:
        return type_str(self)


_SCALAR_KINDS = frozenset(
    {
        Kind.NONE,
        Kind.INT,
        Kind.FLOAT,
        Kind.STR,
        Kind.BOOL,
        Kind.BYTES,
        Kind.DATETIME,
        Kind.DATE,
        Kind.DURATION,
        Kind.ANY,
    }
)


def type_str(t: LiteralType) -> str:
    """A short, readable and stable rendering of a literal type (also the union tag)."""
    k = t.kind
    if k in _SCALAR_KINDS:
        return k.value
    if k is Kind.LIST:
        return f"list[{type_str(t.args[0])}]"
    if k is Kind.DICT:
        return f"dict[{type_str(t.args[0])}, {type_str(t.args[1])}]"
    if k is Kind.UNION:
        return " | ".join(type_str(a) for a in t.args)
    if k is Kind.FILE or k is Kind.DIR:
        return f"{k.value}[{t.format}]" if t.format else k.value
    if k is Kind.DATASET:
        if t.fields:
            cols = ", ".join(f"{f.name}: {type_str(f.type)}" for f in t.fields)
            return f"dataset[{cols}]"
        return "dataset"
    return f"{k.value}:{t.name}" if t.name else k.value


def is_assignable(src: LiteralType, dst: LiteralType) -> bool:
    """Whether a value of type ``src`` may be bound to an input of type ``dst``.

    Strict like flytekit: a bool is not an int and an int is not a float. A type fits a union that
    has a variant it fits; a union fits a union whose variants cover its own. A dataset fits another
    when it has every column the consumer declares, with the same types.
    """
    if src == dst:
        return True
    if dst.kind is Kind.ANY or src.kind is Kind.ANY:
        return True
    if dst.kind is Kind.UNION:
        if src.kind is Kind.UNION:
            return all(any(is_assignable(s, d) for d in dst.args) for s in src.args)
        return any(is_assignable(src, d) for d in dst.args)
    if src.kind is not dst.kind:
        return False
    k = src.kind
    if k is Kind.LIST:
        return is_assignable(src.args[0], dst.args[0])
    if k is Kind.DICT:
        return src.args[0] == dst.args[0] and is_assignable(src.args[1], dst.args[1])
    if k is Kind.DATASET:
        if not dst.fields or not src.fields:
            return True
        have = {f.name: f.type for f in src.fields}
        return all(f.name in have and is_assignable(have[f.name], f.type) for f in dst.fields)
    if k is Kind.FILE or k is Kind.DIR:
        return not src.format or not dst.format or src.format == dst.format
    if k is Kind.STRUCT or k is Kind.ENUM or k is Kind.PICKLE or k is Kind.NDARRAY:
        return src.name == dst.name
    return False
