"""The codecs of :class:`File` and :class:`Directory`: literal ``{"uri": ..., "hash": ...}``.

An uploaded file or directory goes to ``<fresh folder>/<its base name>`` in the blob store.

``hash`` is only set when it is known for free (a value read from a literal that had one); the
engine calls :func:`~slipstream.types.fill_hashes` before it keys its cache on inputs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from slipstream.errors import LiteralTypeError
from slipstream.model import Kind, LiteralType
from slipstream.storage import is_local_url

from ._blobref import blob_uri, store_of
from ._contract import Codec, CodecSource, TypeContext, TypeTransformer, describe_value, require_ctx
from ._directory import Directory
from ._file import BlobPath, File, LazyBlob

__all__ = ["PathTransformer"]


class _PathCodec(Codec):
    __slots__ = ("_is_dir", "_what")

    def __init__(self, python_type: type[BlobPath], is_dir: bool) -> None:
        kind = Kind.DIR if is_dir else Kind.FILE
        super().__init__(python_type, LiteralType(kind, format=python_type.format))
        self._is_dir = is_dir
        self._what = "Directory" if is_dir else "File"

    def to_literal(self, value: Any, ctx: TypeContext | None) -> Any:
        if isinstance(value, BlobPath):
            if isinstance(value, Directory) is not self._is_dir:
                raise LiteralTypeError(
                    f"expected a {self._what}, got {describe_value(value)} ({value!r:.60})"
                )
            src = value.remote_source
            if src is not None:
                lit: dict[str, Any] = {"uri": src}
                if value._hash is not None:
                    lit["hash"] = value._hash
                return lit
            path, dest = value.path, value.remote_path
        elif isinstance(value, str | os.PathLike):
            path, dest = os.fspath(value), None
            if not is_local_url(path):
                return {"uri": path}
            if path.startswith("file://"):
                path = path[len("file://") :]
        else:
            raise LiteralTypeError(
                f"expected a {self._what} (or a path), got {describe_value(value)} ({value!r:.60})"
            )
        return self._upload(Path(path).absolute(), dest, ctx)

    def _upload(self, path: Path, dest: str | None, ctx: TypeContext | None) -> Any:
        ctx = require_ctx(ctx, self._what)
        store = ctx.store
        if self._is_dir:
            if not path.is_dir():
                raise LiteralTypeError(f"Directory {path} does not exist or is not a directory")
        elif not path.is_file():
            raise LiteralTypeError(f"File {path} does not exist or is not a file")
        uri = "file://" + path.as_posix()
        if dest is None and store.local_path(uri) is not None and store.owns(uri):
            return {"uri": uri}  # already a blob of this store: by reference
        if dest is None:
            # a fresh folder per value with the user's base name inside it, so that the receiving
            # task's ``os.path.basename(f.path)`` is the name the producer wrote
            dest = f"{ctx.new_uri()}/{path.name or 'blob'}"
        target = store_of(dest, ctx)
        if self._is_dir:
            target.put_dir(path, dest)
        else:
            target.put_file(path, dest)
        return {"uri": dest}

    def to_python(self, literal: Any, ctx: TypeContext | None) -> Any:
        uri = blob_uri(literal, self._what)
        h = literal.get("hash")
        store = store_of(uri, ctx)
        local = store.local_path(uri)
        cls: Any = self.python_type
        if local is not None:
            return cls._from_blob(uri, local, None, h)
        name = uri.rstrip("/").rsplit("/", 1)[-1] or "blob"
        target = ctx.new_local_path() / name if ctx is not None else None
        return cls._from_blob(uri, None, LazyBlob(store, uri, target, self._is_dir), h)

    @property
    def needs_context(self) -> bool:
        return True


class PathTransformer(TypeTransformer):
    """:class:`File`, :class:`Directory` and their formatted variants (``File["csv"]``)."""

    name = "path"

    def codec(self, python_type: Any, engine: CodecSource) -> Codec | None:
        if not isinstance(python_type, type):
            return None
        if issubclass(python_type, Directory):
            return _PathCodec(python_type, is_dir=True)
        if issubclass(python_type, File):
            return _PathCodec(python_type, is_dir=False)
        return None
