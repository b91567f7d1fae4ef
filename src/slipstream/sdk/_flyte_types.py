"""flytekit's extension contract for types: a ``TypeTransformer[T]`` subclass with
``get_literal_type``, ``to_literal`` and ``to_python_value``, registered with
``TypeEngine.register(...)``, and the literal classes those methods build (``Literal``, ``Scalar``,
``Blob``, ``BlobMetadata``, ``BlobType``, ``Primitive``, ``LiteralType``, ``SimpleType``).

slipstream's own contract is :class:`slipstream.types.TypeTransformer` (a transformer makes a
codec per type). A flytekit-style transformer is wrapped in one: its literal type becomes the
matching slipstream literal type (a blob is a file or a directory, a simple type a scalar), and
its literals become slipstream's JSON literals (a blob is ``{"uri": ...}``). Its
``ctx.file_access`` writes into the attempt's outputs, so a custom type travels between tasks
like a ``File`` or ``Directory`` does.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from slipstream.errors import LiteralTypeError, TypeTransformerError
from slipstream.model import Kind
from slipstream.model import LiteralType as ModelLiteralType
from slipstream.types import BoundFileAccess, Codec, CodecSource, TypeContext, default_engine
from slipstream.types import TypeTransformer as Contract

from ._flyte_context import FlyteContext

__all__ = [
    "Blob",
    "BlobMetadata",
    "BlobType",
    "FlyteLiteralType",
    "FlyteTypeEngine",
    "FlyteTypeTransformer",
    "Literal",
    "LiteralType",
    "Primitive",
    "Scalar",
    "SimpleType",
    "TypeEngine",
    "TypeTransformer",
]

T = TypeVar("T")


class SimpleType(enum.IntEnum):
    """flytekit's scalar literal types."""

    NONE = 0
    INTEGER = 1
    FLOAT = 2
    STRING = 3
    BOOLEAN = 4
    DATETIME = 5
    DURATION = 6
    BINARY = 7
    ERROR = 8
    STRUCT = 9


class _Dimensionality(enum.IntEnum):
    SINGLE = 0
    MULTIPART = 1


@dataclass(frozen=True)
class BlobType:
    """A blob's format and whether it is one file (``SINGLE``) or a directory (``MULTIPART``)."""

    format: str = ""
    dimensionality: int = _Dimensionality.SINGLE

    BlobDimensionality = _Dimensionality


@dataclass(frozen=True)
class LiteralType:
    """The literal type a transformer declares: a ``simple`` type or a ``blob``."""

    simple: SimpleType | None = None
    blob: BlobType | None = None
    metadata: Any = None


@dataclass(frozen=True)
class BlobMetadata:
    """What a blob literal says about its blob."""

    type: BlobType


@dataclass(frozen=True)
class Blob:
    """A blob literal: where the data is."""

    uri: str
    metadata: BlobMetadata


@dataclass(frozen=True)
class Primitive:
    """A scalar value; set the one field that fits."""

    integer: int | None = None
    float_value: float | None = None
    string_value: str | None = None
    boolean: bool | None = None
    datetime: dt.datetime | None = None
    duration: dt.timedelta | None = None

    @property
    def value(self) -> Any:
        """The one value that is set."""
        for v in (
            self.integer,
            self.float_value,
            self.string_value,
            self.boolean,
            self.datetime,
            self.duration,
        ):
            if v is not None:
                return v
        return None


@dataclass(frozen=True)
class Scalar:
    """A scalar literal: a primitive or a blob."""

    primitive: Primitive | None = None
    blob: Blob | None = None

    @property
    def value(self) -> Any:
        """The primitive's value or the blob."""
        return self.primitive.value if self.primitive is not None else self.blob


@dataclass(frozen=True)
class Literal:
    """A value as a transformer produces it."""

    scalar: Scalar | None = None


_SIMPLE_KINDS = {
    SimpleType.NONE: Kind.NONE,
    SimpleType.INTEGER: Kind.INT,
    SimpleType.FLOAT: Kind.FLOAT,
    SimpleType.STRING: Kind.STR,
    SimpleType.BOOLEAN: Kind.BOOL,
}


class TypeTransformer(Generic[T]):
    """Base class of a flytekit-style transformer for the Python type ``t``."""

    def __init__(self, name: str, t: type[T], enable_type_assertions: bool = True) -> None:
        self._name = name
        self._t = t
        self._type_assertions_enabled = enable_type_assertions

    @property
    def name(self) -> str:
        """The transformer's name."""
        return self._name

    @property
    def python_type(self) -> type[T]:
        """The Python type it handles."""
        return self._t

    def assert_type(self, t: type[T], v: T) -> None:
        """Fail when ``v`` is not a ``t``."""
        if not isinstance(v, t):
            raise LiteralTypeError(f"expected a {t.__name__}, got {type(v).__name__}")

    def get_literal_type(self, t: type[T]) -> LiteralType:
        """The literal type of ``t``."""
        raise NotImplementedError(f"{type(self).__name__} must define get_literal_type")

    def to_literal(
        self, ctx: FlyteContext, python_val: T, python_type: type[T], expected: LiteralType
    ) -> Literal:
        """A value to its literal."""
        raise NotImplementedError(f"{type(self).__name__} must define to_literal")

    def to_python_value(
        self, ctx: FlyteContext, lv: Literal, expected_python_type: type[T]
    ) -> T | None:
        """A literal back to a value."""
        raise NotImplementedError(f"{type(self).__name__} must define to_python_value")


def _context(tctx: TypeContext | None) -> FlyteContext:
    ctx = FlyteContext()
    ctx.file_access = BoundFileAccess(tctx)
    return ctx


class _AdaptedCodec(Codec):
    __slots__ = ("_blob", "_declared", "_transformer")

    def __init__(self, transformer: TypeTransformer[Any], python_type: Any) -> None:
        declared = transformer.get_literal_type(python_type)
        self._declared = declared
        self._transformer = transformer
        self._blob = declared.blob
        if declared.blob is not None:
            multipart = declared.blob.dimensionality == _Dimensionality.MULTIPART
            lt = ModelLiteralType(Kind.DIR if multipart else Kind.FILE, format=declared.blob.format)
        elif declared.simple in _SIMPLE_KINDS:
            lt = ModelLiteralType(_SIMPLE_KINDS[declared.simple])
        else:
            raise TypeTransformerError(
                f"transformer {transformer.name!r} declares {declared!r}; slipstream adapts "
                "flytekit transformers whose literal type is a blob or a simple scalar"
            )
        super().__init__(python_type, lt)

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        lv = self._transformer.to_literal(_context(ctx), value, self.python_type, self._declared)
        scalar = lv.scalar
        if scalar is None:
            raise LiteralTypeError(f"transformer {self._transformer.name!r} returned {lv!r}")
        if self._blob is not None:
            if scalar.blob is None:
                raise LiteralTypeError(
                    f"transformer {self._transformer.name!r} declared a blob but returned {lv!r}"
                )
            return {"uri": scalar.blob.uri}
        return scalar.value

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        if self._blob is not None:
            lv = Literal(scalar=Scalar(blob=Blob(literal["uri"], BlobMetadata(self._blob))))
        else:
            lv = Literal(scalar=Scalar(primitive=_primitive(literal)))
        return self._transformer.to_python_value(_context(ctx), lv, self.python_type)

    @property
    def needs_context(self) -> bool:
        return self._blob is not None


def _primitive(value: Any) -> Primitive:
    if isinstance(value, bool):
        return Primitive(boolean=value)
    if isinstance(value, int):
        return Primitive(integer=value)
    if isinstance(value, float):
        return Primitive(float_value=value)
    return Primitive(string_value=None if value is None else str(value))


class _Adapter(Contract):
    """A flytekit-style transformer as a slipstream one: it handles its type and subclasses."""

    def __init__(self, transformer: TypeTransformer[Any], types: tuple[type, ...]) -> None:
        self.name = transformer.name
        self._transformer = transformer
        self._types = types

    def codec(self, python_type: Any, engine: CodecSource) -> Codec | None:
        if isinstance(python_type, type) and issubclass(python_type, self._types):
            return _AdaptedCodec(self._transformer, python_type)
        return None


class TypeEngine:
    """flytekit's ``TypeEngine``: ``TypeEngine.register(MyTransformer())`` makes a custom type
    usable as a task input or output (in every process that imports the registering module)."""

    @classmethod
    def register(cls, transformer: Any, additional_types: list[type] | None = None) -> None:
        """Register a flytekit-style transformer (or a slipstream one) on the default engine."""
        engine = default_engine()
        if isinstance(transformer, Contract):
            engine.register(transformer)
            return
        if not isinstance(transformer, TypeTransformer):
            raise TypeError(f"TypeEngine.register takes a TypeTransformer, got {transformer!r}")
        types = (transformer.python_type, *(additional_types or ()))
        engine.register(_Adapter(transformer, types))

    @classmethod
    def to_literal_type(cls, python_type: Any) -> ModelLiteralType:
        """slipstream's literal type of a Python type."""
        return default_engine().literal_type(python_type)


FlyteLiteralType = LiteralType
FlyteTypeEngine = TypeEngine
FlyteTypeTransformer = TypeTransformer
