"""Spark DataFrames (``pyspark.sql.DataFrame``) as datasets: a directory of Parquet part files.

Registered lazily and recognised only when pyspark is already imported, so ``import slipstream``
never loads pyspark. Spark writes and reads the table itself (on a local store straight at the
blob's path, which a standalone cluster on the same host shares; else through a local copy), and
the blob is an ordinary Parquet dataset: a pandas, polars or arrow task reads it as well.
"""

from __future__ import annotations

import sys
import typing
from typing import Any

from slipstream.errors import LiteralTypeError
from slipstream.model import Kind, LiteralType

from ._blobref import blob_uri, store_of
from ._contract import Codec, CodecSource, TypeContext, TypeTransformer, describe_value, require_ctx

__all__ = ["SparkDataFrameTransformer", "spark_session"]


def _spark_frame_class() -> Any:
    sql = sys.modules.get("pyspark.sql")
    return getattr(sql, "DataFrame", None) if sql is not None else None


def spark_session() -> Any:
    """The SparkSession of this process (a local one when none was started)."""
    from pyspark.sql import SparkSession

    return SparkSession.builder.getOrCreate()


class _SparkFrameCodec(Codec):
    __slots__ = ()

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        cls = _spark_frame_class()
        if cls is None or not isinstance(value, cls):
            raise LiteralTypeError(
                f"expected a pyspark.sql.DataFrame, got {describe_value(value)} ({value!r:.60})"
            )
        tctx = require_ctx(ctx, "Spark DataFrame")
        uri = tctx.new_uri()
        local = tctx.store.local_path(uri) if tctx.store.owns(uri) else None
        if local is not None:
            value.write.parquet(str(local))
        else:
            tmp = tctx.new_local_path()
            value.write.parquet(str(tmp))
            store_of(uri, tctx).put_dir(tmp, uri)
        return {"uri": uri, "format": "parquet"}

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        uri = blob_uri(literal, "dataset")
        fmt = literal.get("format") or "parquet"
        if fmt != "parquet":
            raise LiteralTypeError(f"dataset {uri} is stored as {fmt!r}: Spark reads Parquet")
        store = store_of(uri, ctx)
        local = store.local_path(uri)
        if local is None:
            local = require_ctx(ctx, "Spark DataFrame").new_local_path()
            if store.is_dir(uri):
                store.get_dir(uri, local)
            else:
                local.mkdir(parents=True)
                store.get_file(uri, local / "part-0.parquet")
        return spark_session().read.parquet(str(local))

    @property
    def needs_context(self) -> bool:
        return True


class SparkDataFrameTransformer(TypeTransformer):
    """``pyspark.sql.DataFrame`` (or a subclass) as a Parquet dataset."""

    name = "spark"

    def codec(self, python_type: Any, engine: CodecSource) -> Codec | None:
        base = python_type
        if typing.get_origin(python_type) is typing.Annotated:
            base = python_type.__origin__
        cls = _spark_frame_class()
        if cls is None or not isinstance(base, type) or not issubclass(base, cls):
            return None
        return _SparkFrameCodec(python_type, LiteralType(Kind.DATASET, format="parquet"))
