"""numpy arrays as ``.npy`` blobs (registered lazily; numpy is only imported to convert a value)."""

from __future__ import annotations

import io
import os
import sys
import typing
from typing import Any

from slipstream.errors import LiteralTypeError
from slipstream.model import Kind, LiteralType

from ._blobref import blob_uri, store_of, write_local_atomic
from ._contract import Codec, CodecSource, TypeContext, TypeTransformer, describe_value, require_ctx

__all__ = ["NdarrayTransformer"]


class _NdarrayCodec(Codec):
    __slots__ = ()

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        import numpy as np

        if not isinstance(value, np.ndarray):
            raise LiteralTypeError(
                f"expected numpy.ndarray, got {describe_value(value)} ({value!r:.60})"
            )
        if value.dtype.hasobject:
            raise LiteralTypeError(
                "numpy arrays of Python objects cannot be stored as .npy; declare another type"
            )
        ctx = require_ctx(ctx, "numpy.ndarray")
        uri = ctx.new_uri(".npy")
        local = ctx.store.local_path(uri)
        if local is not None:
            tmp = write_local_atomic(local)
            try:
                with open(tmp, "wb") as f:
                    np.save(f, value, allow_pickle=False)
                os.replace(tmp, local)
            finally:
                tmp.unlink(missing_ok=True)
        else:
            buf = io.BytesIO()
            np.save(buf, value, allow_pickle=False)
            ctx.store.put_bytes(uri, buf.getvalue())
        return {"uri": uri}

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        import numpy as np

        uri = blob_uri(literal, "ndarray")
        store = store_of(uri, ctx)
        local = store.local_path(uri)
        if local is not None:
            return np.load(local, allow_pickle=False)
        return np.load(io.BytesIO(store.get_bytes(uri)), allow_pickle=False)

    @property
    def needs_context(self) -> bool:
        return True


class NdarrayTransformer(TypeTransformer):
    """``numpy.ndarray`` and ``numpy.typing.NDArray[...]``."""

    name = "ndarray"

    def codec(self, python_type: Any, engine: CodecSource) -> Codec | None:
        np = sys.modules.get("numpy")
        if np is None:
            return None
        base = typing.get_origin(python_type) or python_type
        if base is not np.ndarray:
            return None
        return _NdarrayCodec(python_type, LiteralType(Kind.NDARRAY, name="numpy.ndarray"))
