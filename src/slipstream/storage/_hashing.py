"""Content hashes of blobs: what the cache keys on instead of the paths the blobs live at.

Every hash is a sha256 hex digest. A directory's hash covers its sorted relative paths (POSIX
separators) and each file's hash, so two directories with the same files hash alike wherever they
are.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from slipstream.errors import NotFoundError, StorageError

if TYPE_CHECKING:
    from ._store import BlobStore

__all__ = ["hash_bytes", "hash_dir", "hash_file", "hash_uri"]

_CHUNK = 1 << 20


def hash_bytes(data: bytes) -> str:
    """The sha256 hex digest of ``data``."""
    import hashlib

    return hashlib.sha256(data).hexdigest()


def hash_file(path: str | os.PathLike[str]) -> str:
    """The sha256 hex digest of a local file's contents, read in chunks."""
    try:
        with open(path, "rb") as f:
            import hashlib

            return hashlib.file_digest(f, "sha256").hexdigest()
    except FileNotFoundError:
        raise NotFoundError(f"file not found: {os.fspath(path)}") from None
    except OSError as e:
        raise StorageError(f"cannot hash {os.fspath(path)}: {e}") from e


def combine_dir_hash(entries: Iterable[tuple[str, str]]) -> str:
    """The directory hash over ``(relative_posix_path, file_hash)`` pairs (sorted here)."""
    import hashlib

    h = hashlib.sha256()
    for rel, digest in sorted(entries):
        h.update(rel.encode())
        h.update(b"\0")
        h.update(digest.encode())
        h.update(b"\n")
    return h.hexdigest()


def hash_dir(path: str | os.PathLike[str]) -> str:
    """The hash of a local directory tree (relative paths and file contents; empty dirs ignored)."""
    root = Path(path)
    if not root.is_dir():
        raise NotFoundError(f"directory not found: {root}")
    entries: list[tuple[str, str]] = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            full = Path(dirpath) / name
            entries.append((full.relative_to(root).as_posix(), hash_file(full)))
    return combine_dir_hash(entries)


def hash_uri(store: BlobStore, uri: str) -> str:
    """The hash of the blob or blob directory at ``uri`` (a file hashes like ``hash_file``)."""
    local = store.local_path(uri)
    if local is not None:
        if local.is_dir():
            return hash_dir(local)
        return hash_file(local)
    if store.is_dir(uri):
        entries = []
        for rel in store.walk_files(uri):
            entries.append((rel, _hash_stream(store, store.join_uri(uri, rel))))
        return combine_dir_hash(entries)
    return _hash_stream(store, uri)


def _hash_stream(store: BlobStore, uri: str) -> str:
    import hashlib

    h = hashlib.sha256()
    with store.open(uri, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()
