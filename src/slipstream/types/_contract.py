"""The type engine's contract: transformers make codecs, codecs convert values.

A :class:`TypeTransformer` handles one family of Python types. Asked for a type it does not handle,
it answers ``None`` ("not mine") and the registry asks the next one. For a type it handles it
returns a :class:`Codec` bound to that exact type: the codec knows the literal type and converts
values both ways. Codecs are built once per Python type and cached by the registry, so that
converting a value on the hot path is one method call with no lookups.
"""

from __future__ import annotations

import abc
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from slipstream.model import LiteralType

if TYPE_CHECKING:
    from slipstream.storage import BlobStore

__all__ = [
    "Codec",
    "CodecSource",
    "TypeContext",
    "TypeTransformer",
    "describe_value",
    "require_ctx",
    "type_name",
]


@dataclass
class TypeContext:
    """Where values that do not fit inline are written and read during one attempt.

    ``output_prefix`` is the blob store URI under which this attempt writes new blobs (files,
    DataFrames, pickles); ``local_dir`` is a scratch directory where remote blobs are downloaded.
    """

    store: BlobStore
    output_prefix: str
    local_dir: Path
    _counter: int = field(default=0, repr=False)

    def new_uri(self, suffix: str = "") -> str:
        """A fresh URI under the output prefix (never overwrites anything)."""
        self._counter += 1
        return f"{self.output_prefix.rstrip('/')}/{self._counter}-{uuid.uuid4().hex[:12]}{suffix}"

    def new_local_path(self, suffix: str = "") -> Path:
        """A fresh local path in the scratch directory."""
        self.local_dir.mkdir(parents=True, exist_ok=True)
        return self.local_dir / f"{uuid.uuid4().hex[:12]}{suffix}"


class Codec(abc.ABC):
    """Converts values of one Python type to literals and back.

    ``to_literal`` raises :class:`~slipstream.errors.LiteralTypeError` for a value of the wrong type
    (with the message that says what was expected); ``to_python`` may assume the literal was
    produced for :attr:`literal_type`.
    """

    __slots__ = ("literal_type", "python_type")

    def __init__(self, python_type: Any, literal_type: LiteralType) -> None:
        self.python_type = python_type
        self.literal_type = literal_type

    @abc.abstractmethod
    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        """Convert a Python value to its literal (a JSON tree)."""

    @abc.abstractmethod
    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        """Convert a literal back to a Python value of :attr:`python_type`."""

    @property
    def needs_context(self) -> bool:
        """Whether conversion touches the blob store (files, DataFrames, pickles...)."""
        return False


class CodecSource(Protocol):
    """What a transformer may ask of the engine it is registered on (a :class:`TypeEngine`): the
    codecs of the types inside its own (list items, dict values, fields, union variants)."""

    def codec(self, python_type: Any) -> Codec:
        """The codec for ``python_type``."""
        ...

    def literal_type(self, python_type: Any) -> LiteralType:
        """The literal type of ``python_type``."""
        ...


class TypeTransformer(abc.ABC):
    """Makes codecs for one family of Python types. Register instances on a :class:`TypeEngine`."""

    name: str = ""

    @abc.abstractmethod
    def codec(self, python_type: Any, engine: CodecSource) -> Codec | None:
        """A codec for ``python_type``, or ``None`` when this transformer does not handle it.

        ``engine`` builds codecs for inner types (list items, dict values, fields).
        """


def require_ctx(ctx: TypeContext | None, what: str) -> TypeContext:
    """``ctx``, or a clear error saying that converting ``what`` needs a blob store."""
    if ctx is None:
        from slipstream.errors import TypeTransformerError

        raise TypeTransformerError(
            f"converting a {what} value needs a TypeContext (a blob store to read or write); "
            "got None"
        )
    return ctx


def type_name(tp: Any) -> str:
    """``module.QualName`` of a class (``name`` of struct, enum and pickle literal types)."""
    module = getattr(tp, "__module__", None)
    qual = getattr(tp, "__qualname__", None)
    if isinstance(tp, type) and module and qual:
        return qual if module == "builtins" else f"{module}.{qual}"
    return repr(tp)


def describe_value(value: Any) -> str:
    """The type of a value as a user would name it, for error messages."""
    t = type(value)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def fspath(value: Any) -> str:
    """``os.fspath`` that also takes plain strings."""
    return value if isinstance(value, str) else os.fspath(value)
