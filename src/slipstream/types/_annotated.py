"""``Annotated[T, ...]`` is T, unless T is a table type or the metadata a column schema (both the
dataset transformer's)."""

from __future__ import annotations

import typing
from typing import Any

from ._batch import BatchSize, batched_codec
from ._contract import Codec, CodecSource, TypeTransformer
from ._hash_method import HashingCodec, HashMethod

__all__ = ["AnnotatedTransformer"]


class AnnotatedTransformer(TypeTransformer):
    """Strips ``Annotated`` metadata it does not understand."""

    name = "annotated"

    def codec(self, python_type: Any, engine: CodecSource) -> Codec | None:
        if typing.get_origin(python_type) is not typing.Annotated:
            return None
        meta = python_type.__metadata__
        hashing = next((m for m in meta if isinstance(m, HashMethod)), None)
        if hashing is not None:
            rest = tuple(m for m in meta if m is not hashing)
            inner_type = (
                typing.Annotated[(python_type.__origin__, *rest)]
                if rest
                else python_type.__origin__
            )
            return HashingCodec(engine.codec(inner_type), hashing)
        batch = next((m for m in meta if isinstance(m, BatchSize)), None)
        if batch is not None:
            return batched_codec(python_type, batch, engine)
        if any(isinstance(m, dict) for m in meta):
            return None  # a column schema: the dataset transformer's
        from ._dataframe import is_dataset_type  # deferred: tables are rare, keep imports light

        if is_dataset_type(python_type.__origin__):
            return None  # a table with a format: the dataset transformer's
        return engine.codec(python_type.__origin__)
