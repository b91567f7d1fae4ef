"""DataFrames (pandas, polars, pyarrow), StructuredDataset and custom table types as blobs
(registered lazily).

Literal: ``{"uri": ..., "format": "parquet"}``. The declared format comes from the annotation
(``Annotated[StructuredDataset, CSV]``), else from ``StructuredDataset(file_format=...)``, else the
type's default (Parquet). Columns come from a ``kwtypes(...)`` schema, a plain dict or a dataclass
in the annotation; a struct column may be narrowed to some of its fields. Native frames in
Parquet or CSV go through :mod:`._frame_io`; other types and formats through the encoders and
decoders registered on :class:`~._sd_handlers.DatasetHandlers`, looked up only when some are
registered, so the DataFrame hand-off path pays one truth test for them.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from slipstream.errors import LiteralTypeError
from slipstream.model import Field, Kind, LiteralType

from ._blobref import blob_uri, store_of
from ._contract import (
    Codec,
    CodecSource,
    TypeContext,
    TypeTransformer,
    describe_value,
    require_ctx,
    type_name,
)
from ._dataset_read import dataset_type, read_dataset
from ._frame_io import NATIVE_FORMATS, PANDAS, SD, check_columns, column_names, write_frame
from ._sd_handlers import DatasetHandlers, HandlerContext, default_handlers, protocol_of
from ._structured import StructuredDataset
from ._structured import table_kind as frame_kind

__all__ = ["DataFrameTransformer", "is_dataset_type"]

CUSTOM = "custom"


def is_dataset_type(tp: Any, handlers: DatasetHandlers | None = None) -> bool:
    """Whether ``tp`` is a table type: a native frame, ``StructuredDataset`` or a type made a
    dataset by registering a handler for it."""
    return frame_kind(tp) is not None or (handlers or default_handlers()).claims(tp)


class _FrameCodec(Codec):
    __slots__ = ("_base", "_fields", "_format", "_handlers", "_kind", "_names")

    def __init__(
        self,
        python_type: Any,
        base: type,
        kind: str,
        lt: LiteralType,
        fmt: str,
        handlers: DatasetHandlers,
    ) -> None:
        super().__init__(python_type, lt)
        self._base = base
        self._kind = kind
        self._format = fmt
        self._handlers = handlers
        self._fields = lt.fields
        self._names = tuple(f.name for f in lt.fields)

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        fmt = self._format
        wrapped = isinstance(value, StructuredDataset)
        sd = value
        target_uri = None
        if wrapped:
            if value.dataframe is None:
                assert value.uri is not None
                return {"uri": value.uri, "format": value.file_format or "parquet"}
            fmt = fmt or value.file_format
            target_uri = value.uri
            value = value.dataframe
        kind = frame_kind(type(value))
        if self._handlers.encoders or kind is None:
            encoder = self._handlers.encoder(type(value), self._protocol(ctx), fmt)
            if encoder is not None:
                if not wrapped:
                    sd = StructuredDataset(dataframe=value)
                tctx = require_ctx(ctx, "dataset")
                sdt = dataset_type(self._fields, fmt or encoder.supported_format)
                lit = encoder.encode(HandlerContext(tctx), sd, sdt)
                return {"uri": lit.uri, "format": lit.format or sdt.format or "parquet"}
        if (
            kind is None
            or kind == SD
            or (self._kind not in (SD, kind) and not wrapped)
            or self._kind == CUSTOM
        ):
            raise LiteralTypeError(
                f"expected {self._describe()}, got {describe_value(value)} ({value!r:.60})"
                + ("" if kind is not None else "; no StructuredDatasetEncoder handles it")
            )
        fmt = fmt or "parquet"
        if fmt not in NATIVE_FORMATS:
            raise LiteralTypeError(
                f"no StructuredDatasetEncoder writes {describe_value(value)} as {fmt!r} "
                f"(built in: {', '.join(NATIVE_FORMATS)})"
            )
        check_columns(column_names(value, kind), self._names, "the DataFrame")
        uri = write_frame(value, kind, fmt, require_ctx(ctx, "DataFrame"), target_uri)
        return {"uri": uri, "format": fmt}

    @staticmethod
    def _protocol(ctx: TypeContext | None) -> str:
        return protocol_of(ctx.output_prefix) if ctx is not None else "file"

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        uri = blob_uri(literal, "dataset")
        fmt = literal.get("format") or "parquet"
        store = store_of(uri, ctx)
        if self._kind == SD:
            sd = self._base(uri=uri, file_format=fmt)
            sd._bind(store, self._fields, self._handlers)
            return sd
        return read_dataset(self._base, store, uri, fmt, self._fields, self._handlers)

    @property
    def needs_context(self) -> bool:
        return True

    def _describe(self) -> str:
        return {
            PANDAS: "a pandas.DataFrame",
            "polars": "a polars.DataFrame",
            "arrow": "a pyarrow.Table",
            SD: "a StructuredDataset or a DataFrame",
        }.get(self._kind, type_name(self._base))


def _schema_of(meta: Any) -> dict[str, Any] | None:
    """The column schema in an annotation's metadata: a dict (``kwtypes``) or a dataclass."""
    if isinstance(meta, dict):
        return meta
    if isinstance(meta, type) and dataclasses.is_dataclass(meta):
        return typing.get_type_hints(meta)
    return None


def _column_type(tp: Any, engine: CodecSource) -> LiteralType:
    """A column's literal type; a nested dict is a struct of those fields."""
    if isinstance(tp, dict):
        fields = tuple(Field(str(n), _column_type(t, engine)) for n, t in tp.items())
        return LiteralType(Kind.STRUCT, fields=fields)
    return engine.literal_type(tp)


class DataFrameTransformer(TypeTransformer):
    """pandas/polars DataFrames, pyarrow Tables, StructuredDataset and types with registered
    dataset handlers, optionally ``Annotated`` with a column schema and a format."""

    name = "dataframe"

    def __init__(self, handlers: DatasetHandlers | None = None) -> None:
        self._handlers = handlers or default_handlers()

    def codec(self, python_type: Any, engine: CodecSource) -> Codec | None:
        base: Any = python_type
        meta: tuple[Any, ...] = ()
        if typing.get_origin(python_type) is typing.Annotated:
            base, meta = python_type.__origin__, python_type.__metadata__
        kind = frame_kind(base)
        if kind is None:
            if not self._handlers.claims(base):
                return None
            kind = CUSTOM
        columns = next((s for s in map(_schema_of, meta) if s is not None), None)
        fmt = next((m for m in meta if isinstance(m, str)), "")
        fields = tuple(Field(str(n), _column_type(t, engine)) for n, t in (columns or {}).items())
        default = self._handlers.default_formats.get(base, "") if kind == CUSTOM else "parquet"
        lt = LiteralType(Kind.DATASET, fields=fields, format=fmt or default)
        return _FrameCodec(python_type, base, kind, lt, fmt, self._handlers)
