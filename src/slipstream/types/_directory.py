"""``Directory``: a directory tree passed between tasks, uploaded and downloaded as a whole.

Same rules as :class:`~slipstream.types.File`: a local directory is uploaded into the attempt's
output prefix, one that references a blob prefix is passed by reference, and a received directory is
the blob directory itself for local stores or downloaded on first use for remote ones.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

from ._file import BlobPath, File

__all__ = ["Directory"]


class Directory(BlobPath):
    """A directory passed between tasks; ``os.listdir(d)`` works through ``os.fspath``."""

    @classmethod
    def _is_dir(cls) -> bool:
        return True

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
