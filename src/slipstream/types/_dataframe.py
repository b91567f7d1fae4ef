"""DataFrames (pandas, polars, pyarrow) and StructuredDataset as Parquet blobs (registered lazily).

Literal: ``{"uri": ..., "format": "parquet"}``. The frame libraries are only imported to convert a
value, and a frame type is only recognised when its library is already imported (a user annotating
``pd.DataFrame`` imported pandas), so building codecs never imports them either. For local stores
Parquet is written straight to its final path (through a temporary sibling) and read from it in
place: no copies and no hashing on the hot path.
"""

from __future__ import annotations

import os
import sys
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slipstream.errors import LiteralTypeError
from slipstream.model import Field, Kind, LiteralType

from ._blobref import blob_uri, store_of, write_local_atomic
from ._contract import Codec, TypeContext, TypeTransformer, describe_value, require_ctx
from ._structured import StructuredDataset

if TYPE_CHECKING:
    from slipstream.storage import BlobStore

    from ._registry import TypeEngine

__all__ = ["DataFrameTransformer", "convert_frame", "read_parquet", "resolve_frame_type"]

PANDAS, POLARS, ARROW, SD = "pandas", "polars", "arrow", "sd"


def _frame_kind(tp: Any) -> str | None:
    """Which frame family a class is, without importing any frame library."""
    if not isinstance(tp, type):
        return None
    if issubclass(tp, StructuredDataset):
        return SD
    pd = sys.modules.get("pandas")
    if pd is not None and issubclass(tp, pd.DataFrame):
        return PANDAS
    pl = sys.modules.get("polars")
    if pl is not None and issubclass(tp, pl.DataFrame):
        return POLARS
    pa = sys.modules.get("pyarrow")
    if pa is not None and issubclass(tp, pa.Table):
        return ARROW
    return None


def resolve_frame_type(tp: Any) -> str:
    """The family ``StructuredDataset.open`` asked for (pandas when nothing was asked)."""
    if tp is None:
        return PANDAS
    kind = _frame_kind(tp)
    if kind is None or kind == SD:
        raise LiteralTypeError(f"cannot open a dataset as {tp!r}: use pandas, polars or pyarrow")
    return kind


def _value_kind(value: Any) -> str | None:
    return _frame_kind(type(value))


def _column_names(value: Any, kind: str) -> list[str]:
    if kind == PANDAS:
        return [str(c) for c in value.columns]
    if kind == POLARS:
        return list(value.columns)
    return list(value.column_names)


def _check_columns(have: list[str], declared: tuple[str, ...], where: str) -> None:
    if declared:
        present = set(have)
        missing = [c for c in declared if c not in present]
        if missing:
            raise LiteralTypeError(
                f"{where} is missing the declared column(s) {', '.join(map(repr, missing))} "
                f"(it has {', '.join(map(repr, have))})"
            )


def _write(value: Any, kind: str, path: Path | str | Any) -> None:
    if kind == POLARS:
        value.write_parquet(path)
        return
    import pyarrow.parquet as pq

    table = value
    if kind == PANDAS:
        import pyarrow as pa

        table = pa.Table.from_pandas(value)
    pq.write_table(table, path, use_dictionary=_dictionary_columns(table))


def _dictionary_columns(table: Any) -> Any:
    """Dictionary-encode every column but floating-point ones.

    Floats almost never repeat, so trying a dictionary for them costs about a third of the write
    time for nothing; strings, categories and integers keep it. Nested schemas keep the default.
    """
    import pyarrow as pa

    types = pa.types
    if any(types.is_nested(f.type) for f in table.schema):
        return True
    return [f.name for f in table.schema if not types.is_floating(f.type)]


def write_parquet(value: Any, kind: str, ctx: TypeContext) -> str:
    """Write a frame as a new Parquet blob under the context's prefix; its URI."""
    uri = ctx.new_uri(".parquet")
    local = ctx.store.local_path(uri)
    if local is not None:
        tmp = write_local_atomic(local)
        try:
            _write(value, kind, str(tmp))
            os.replace(tmp, local)
        finally:
            tmp.unlink(missing_ok=True)
    else:
        tmp = ctx.new_local_path(".parquet")
        try:
            _write(value, kind, str(tmp))
            ctx.store.put_file(tmp, uri)
        finally:
            tmp.unlink(missing_ok=True)
    return uri


def read_parquet(
    store: BlobStore | None, uri: str, columns: tuple[str, ...] | None, kind: str
) -> Any:
    """Read a Parquet blob (only ``columns`` when given) as a ``kind`` frame."""
    from slipstream.storage import store_for_uri

    store = store if store is not None and store.owns(uri) else store_for_uri(uri)
    local = store.local_path(uri)
    cols = list(columns) if columns else None
    try:
        if local is not None and kind == POLARS:
            import polars as pl

            return pl.read_parquet(local, columns=cols)
        import pyarrow.parquet as pq

        if local is not None:
            table = pq.read_table(local, columns=cols)
        else:
            with store.open(uri, "rb") as f:
                table = pq.read_table(f, columns=cols)
    except FileNotFoundError:
        from slipstream.errors import NotFoundError

        raise NotFoundError(f"dataset not found: {uri}") from None
    except Exception as e:
        if cols and type(e).__name__ in ("ArrowInvalid", "ColumnNotFoundError", "ArrowKeyError"):
            raise LiteralTypeError(
                f"dataset {uri} does not have every declared column {cols}: {e}"
            ) from None
        raise
    return convert_frame(table, kind)


def convert_frame(value: Any, kind: str) -> Any:
    """``value`` (a pandas, polars or arrow frame) as a ``kind`` frame."""
    have = _value_kind(value)
    if have == kind:
        return value
    if have is None or have == SD:
        raise LiteralTypeError(f"expected a DataFrame, got {describe_value(value)}")
    import pyarrow as pa

    if have == PANDAS:
        table = pa.Table.from_pandas(value)
    elif have == POLARS:
        table = value.to_arrow()
    else:
        table = value
    if kind == PANDAS:
        return table.to_pandas()
    if kind == POLARS:
        import polars as pl

        return pl.from_arrow(table)
    return table


class _FrameCodec(Codec):
    __slots__ = ("_columns", "_kind")

    def __init__(self, python_type: Any, kind: str, lt: LiteralType) -> None:
        super().__init__(python_type, lt)
        self._kind = kind
        self._columns = tuple(f.name for f in lt.fields)

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        wrapped = isinstance(value, StructuredDataset)
        if wrapped:
            if value.dataframe is None:
                assert value.uri is not None
                return {"uri": value.uri, "format": value.file_format}
            value = value.dataframe
        kind = _value_kind(value)
        if kind is None or kind == SD or (self._kind not in (SD, kind) and not wrapped):
            raise LiteralTypeError(
                f"expected {_describe(self._kind)}, got {describe_value(value)} ({value!r:.60})"
            )
        _check_columns(_column_names(value, kind), self._columns, "the DataFrame")
        uri = write_parquet(value, kind, require_ctx(ctx, "DataFrame"))
        return {"uri": uri, "format": "parquet"}

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        uri = blob_uri(literal, "dataset")
        store = store_of(uri, ctx)
        if self._kind == SD:
            sd = StructuredDataset(uri=uri, file_format=literal.get("format", "parquet"))
            sd._store = store
            sd._columns = self._columns or None
            return sd
        return read_parquet(store, uri, self._columns or None, self._kind)

    @property
    def needs_context(self) -> bool:
        return True


def _describe(kind: str) -> str:
    return {
        PANDAS: "a pandas.DataFrame",
        POLARS: "a polars.DataFrame",
        ARROW: "a pyarrow.Table",
        SD: "a StructuredDataset or a DataFrame",
    }[kind]


class DataFrameTransformer(TypeTransformer):
    """pandas/polars DataFrames, pyarrow Tables and StructuredDataset, optionally ``Annotated``
    with a ``kwtypes(...)`` column schema."""

    name = "dataframe"

    def codec(self, python_type: Any, engine: TypeEngine) -> Codec | None:
        base, columns = python_type, None
        if typing.get_origin(python_type) is typing.Annotated:
            base = python_type.__origin__
            columns = next((m for m in python_type.__metadata__ if isinstance(m, dict)), None)
        kind = _frame_kind(base)
        if kind is None:
            return None
        fields = tuple(Field(str(n), engine.literal_type(t)) for n, t in (columns or {}).items())
        lt = LiteralType(Kind.DATASET, fields=fields, format="parquet")
        return _FrameCodec(python_type, kind, lt)
