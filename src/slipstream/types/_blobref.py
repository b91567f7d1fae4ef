"""Helpers shared by the codecs whose literals reference blobs (files, datasets, arrays,
pickles)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from slipstream.errors import LiteralTypeError
from slipstream.storage import BlobStore, store_for_uri

from ._contract import TypeContext

__all__ = ["blob_uri", "store_of", "write_local_atomic"]


def store_of(uri: str, ctx: TypeContext | None) -> BlobStore:
    """The store that holds ``uri``: the context's when it owns it, else one for its scheme."""
    if ctx is not None and ctx.store.owns(uri):
        return ctx.store
    return store_for_uri(uri)


def blob_uri(literal: Any, what: str) -> str:
    """The ``uri`` of a blob literal, checked."""
    if type(literal) is dict:
        uri = literal.get("uri")
        if type(uri) is str:
            return uri
    raise LiteralTypeError(f'expected a {what} literal {{"uri": ...}}, got {literal!r:.80}')


def write_local_atomic(path: Path) -> Path:
    """A temporary sibling of ``path`` to write to before ``os.replace`` publishes it."""
    import uuid

    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:12]}")
