"""``Directory``: a directory tree passed between tasks, uploaded and downloaded as a whole.

Same rules as :class:`~slipstream.types.File`: a local directory is uploaded into the attempt's
output prefix, one that references a blob prefix is passed by reference, and a received directory is
the blob directory itself for local stores or downloaded on first use for remote ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ._file import BlobPath, File, scratch_dir

__all__ = ["Directory"]


class Directory(BlobPath):
    """A directory passed between tasks; ``os.listdir(d)`` works through ``os.fspath``."""

    @classmethod
    def _is_dir(cls) -> bool:
        return True

    @classmethod
    def new_remote(cls, stem: str | None = None, alt: str | None = None) -> Any:
        """A new, empty directory to fill (``new_file``, ``new_dir``) and return from a task: it is
        uploaded into the attempt's outputs under ``stem``. flytekit's
        ``FlyteDirectory.new_remote``; ``alt`` (another bucket) has no meaning here."""
        return cls.new(stem or "directory")

    @classmethod
    def new(cls, dirname: str | os.PathLike[str]) -> Any:
        """A new local directory named ``dirname`` in a fresh scratch directory."""
        path = os.path.join(scratch_dir(), os.fspath(dirname))
        os.makedirs(path, exist_ok=True)
        return cls(path)

    @classmethod
    def from_source(cls, source: str | os.PathLike[str]) -> Any:
        """A directory that references ``source`` (a local path or a blob URI)."""
        return cls(source)

    def new_file(self, name: str | None = None) -> File:
        """A file to write inside this (local) directory; it travels with the directory."""
        import uuid

        path = os.path.join(self._writable(), name or uuid.uuid4().hex)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return File(path)

    def new_dir(self, name: str | None = None) -> Directory:
        """A subdirectory of this (local) directory, created empty."""
        import uuid

        path = os.path.join(self._writable(), name or uuid.uuid4().hex)
        os.makedirs(path, exist_ok=True)
        return type(self)(path)

    def _writable(self) -> str:
        if self._blob() is not None:
            raise ValueError(f"{self!r} references a stored directory; it cannot be written")
        os.makedirs(self.path, exist_ok=True)
        return self.path

    def crawl(self, maxdepth: int | None = None, topdown: bool = True) -> Iterator[tuple[str, str]]:
        """``(base, relative path)`` of every file under the (downloaded) directory, as flytekit's
        ``FlyteDirectory.crawl`` yields them: ``os.path.join(base, rel)`` is the file."""
        base = self.download()
        for root, dirs, files in os.walk(base, topdown=topdown):
            rel_root = os.path.relpath(root, base)
            depth = 0 if rel_root == "." else rel_root.count(os.sep) + 1
            if maxdepth is not None:
                if depth >= maxdepth:
                    continue
                if depth + 1 >= maxdepth:
                    dirs[:] = []  # no deeper (only effective top-down)
            for f in sorted(files):
                yield base, os.path.normpath(os.path.join(rel_root, f))

    @staticmethod
    def listdir(directory: Directory) -> list[File | Directory]:
        """The entries directly inside ``directory``: ``File`` and ``Directory`` values."""
        base = directory.download()
        out: list[File | Directory] = []
        for name in sorted(os.listdir(base)):
            p = os.path.join(base, name)
            out.append(Directory(p) if os.path.isdir(p) else File(p))
        return out

    def listing(self) -> list[File]:
        """Every file under the directory (recursively, sorted), as ``File`` values.

        For a remote directory the files reference their blobs and download one by one on use.
        """
        from ._file import LazyBlob

        lazy = self._blob()
        if lazy is not None and not lazy.done:
            base = lazy.local_path()
            out = []
            for rel in lazy.store.walk_files(lazy.uri):
                uri = lazy.store.join_uri(lazy.uri, rel)
                out.append(
                    File._from_blob(uri, None, LazyBlob(lazy.store, uri, base / rel, False), None)
                )
            return out
        root = Path(self.download())
        files = sorted(p for p in root.rglob("*") if p.is_file())
        src = self._remote_source
        return [
            File._from_blob(f"{src.rstrip('/')}/{p.relative_to(root).as_posix()}", p, None, None)
            if src
            else File(p)
            for p in files
        ]

    def open(self, mode: str = "rb", **kwargs: Any) -> IO[Any]:
        """Directories cannot be opened; use ``listing()`` or ``os.fspath``."""
        raise IsADirectoryError(f"{self!r} is a directory")

    def __fspath__(self) -> str:
        return self.download()

    def __truediv__(self, name: str) -> str:
        """The local path of ``name`` inside the (downloaded) directory."""
        return os.path.join(self.download(), name)
