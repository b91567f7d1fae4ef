"""``File``: a file that a task reads or writes, passed between tasks through the blob store.

A task returns ``File(path=...)`` (or a plain path) and the file is uploaded into the attempt's
output prefix; a ``File`` that already references a blob (one the task received, or
``File("s3://...")``) is passed by reference, without a copy. A task that receives a ``File`` gets a
local path: for a local store it is the blob's own path (treat it as read-only); for a remote store
the blob is downloaded the first time the path is used (``os.fspath``, ``open``, ``download``).

``File["csv"]`` declares a format, like flytekit's ``FlyteFile[TypeVar("csv")]``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any, ClassVar

from slipstream.storage import BlobStore, is_local_url, store_for_uri

__all__ = ["BlobPath", "File", "LazyBlob", "scratch_dir"]


def scratch_dir() -> str:
    """A fresh local directory for a file or directory a task is about to write and return."""
    import tempfile

    return tempfile.mkdtemp(prefix="slipstream-new-")


class LazyBlob:
    """A remote blob (or blob directory) and the local path it is downloaded to on first use."""

    __slots__ = ("done", "is_dir", "local", "store", "uri")

    def __init__(self, store: BlobStore, uri: str, local: Path | None, is_dir: bool) -> None:
        self.store = store
        self.uri = uri
        self.local = local
        self.is_dir = is_dir
        self.done = False

    def local_path(self) -> Path:
        """Where the blob is (or will be) on this machine."""
        import tempfile

        if self.local is None:
            name = self.uri.rstrip("/").rsplit("/", 1)[-1] or "blob"
            self.local = Path(tempfile.mkdtemp(prefix="slipstream-")) / name
        return self.local

    def fetch(self) -> Path:
        """Download the blob if that has not happened yet; its local path."""
        path = self.local_path()
        if not self.done:
            if self.is_dir:
                self.store.get_dir(self.uri, path)
            else:
                self.store.get_file(self.uri, path)
            self.done = True
        return path


class BlobPath(os.PathLike[str]):
    """What :class:`File` and :class:`~slipstream.types.Directory` share: a local path and/or the
    blob URI behind it."""

    format: ClassVar[str] = ""
    _formats: ClassVar[dict[str, type[BlobPath]]] = {}

    def __init__(self, path: str | os.PathLike[str], remote_path: str | None = None) -> None:
        """``path``: a local path, or the URI of an existing blob (passed by reference).
        ``remote_path``: where to upload a local file instead of a fresh URI."""
        p = path if isinstance(path, str) else os.fspath(path)
        self._remote_source: str | None = None
        self._local: str | None = None
        self._lazy: LazyBlob | None = None
        self._hash: str | None = None
        self.remote_path = remote_path
        if is_local_url(p):
            self._local = p[len("file://") :] if p.startswith("file://") else p
        else:
            self._remote_source = p  # the store is only opened if the contents are needed

    @classmethod
    def _is_dir(cls) -> bool:
        return False

    @classmethod
    def _from_blob(
        cls, uri: str, local: Path | None, lazy: LazyBlob | None, hash_: str | None
    ) -> Any:
        """A value read from a blob literal: local (the blob's own path) or lazily downloaded."""
        obj = cls.__new__(cls)
        obj._remote_source = uri
        obj._local = str(local) if local is not None else None
        obj._lazy = lazy
        obj._hash = hash_
        obj.remote_path = None
        return obj

    def __class_getitem__(cls, fmt: Any) -> Any:
        """``File["csv"]``: a File class with a format (a string or a ``TypeVar``)."""
        name = fmt if isinstance(fmt, str) else getattr(fmt, "__name__", None)
        if not isinstance(name, str) or not name:
            raise TypeError(f"{cls.__name__}[...] takes a format name such as 'csv', got {fmt!r}")
        key = f"{cls.__qualname__}[{name}]"
        sub = BlobPath._formats.get(key)
        if sub is None:
            sub = type(key, (cls,), {"format": name, "__module__": cls.__module__})
            sub.__qualname__ = key
            BlobPath._formats[key] = sub
        return sub

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """Lets pydantic models hold files and directories: a value of the class or a path;
        serialized to JSON as its path (the type engine still moves the blob)."""
        from ._pydantic_schema import blob_path_schema

        return blob_path_schema(cls)

    @property
    def path(self) -> str:
        """The local path (it may not be downloaded yet), or the URI of a remote-only reference."""
        if self._local is not None:
            return self._local
        if self._lazy is not None and self._lazy.local is not None:
            return str(self._lazy.local)
        return self._remote_source or ""

    @property
    def remote_source(self) -> str | None:
        """The blob URI this value was read from or references, if any."""
        return self._remote_source

    def _blob(self) -> LazyBlob | None:
        """The remote blob behind a value with no local copy yet (None for local values)."""
        if self._lazy is None and self._local is None and self._remote_source is not None:
            src = self._remote_source
            self._lazy = LazyBlob(store_for_uri(src), src, None, is_dir=self._is_dir())
        return self._lazy

    def download(self) -> str:
        """Make the contents available locally; the local path."""
        blob = self._blob()
        if blob is not None:
            return str(blob.fetch())
        return self.path

    def __fspath__(self) -> str:
        return self.download()

    def open(self, mode: str = "rb", **kwargs: Any) -> IO[Any]:
        """Open the (downloaded) local file."""
        if any(c in mode for c in "wax+") and self._blob() is None:
            return open(self.path, mode, **kwargs)
        return open(self.download(), mode, **kwargs)

    def __str__(self) -> str:
        return self.path

    def __repr__(self) -> str:
        src = f", remote_source={self._remote_source!r}" if self._remote_source else ""
        return f"{type(self).__name__}(path={self.path!r}{src})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BlobPath):
            return NotImplemented
        return (self.path, self._remote_source) == (other.path, other._remote_source)

    def __hash__(self) -> int:
        return hash((self.path, self._remote_source))


class File(BlobPath):
    """A file passed between tasks. ``open(f)``, ``os.fspath(f)`` and ``f.open()`` all work."""

    @classmethod
    def new_remote_file(cls, name: str | None = None, alt: str | None = None) -> Any:
        """A new, empty file to write (``f.open("w")``) and return from a task: it is uploaded
        into the attempt's outputs under ``name`` (a fresh name without one). flytekit's
        ``FlyteFile.new_remote_file``; ``alt`` (another bucket) has no meaning here."""
        return cls(os.path.join(scratch_dir(), name or "file"))

    @classmethod
    def new(cls, filename: str | os.PathLike[str]) -> Any:
        """A new local file named ``filename`` in a fresh scratch directory (flytekit's
        ``FlyteFile.new``)."""
        return cls(os.path.join(scratch_dir(), os.fspath(filename)))

    @classmethod
    def from_source(cls, source: str | os.PathLike[str]) -> Any:
        """A file that references ``source`` (a local path or a blob URI), read on first use."""
        return cls(source)
