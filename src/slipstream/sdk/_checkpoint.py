"""Checkpoints: bytes or files an attempt saves so that its retry can resume.

flytekit's local runs cannot resume from a checkpoint; slipstream's can, because every attempt of a
node (local or remote) gets the previous attempt's checkpoint as its source.
"""

from __future__ import annotations

import abc
import io
from pathlib import Path
from typing import IO

__all__ = ["Checkpoint", "SyncCheckpoint"]

_BLOB = "_checkpoint.bin"


class Checkpoint(abc.ABC):
    """What ``current_context().checkpoint`` offers a task."""

    @abc.abstractmethod
    def prev_exists(self) -> bool:
        """Whether a previous attempt wrote a checkpoint."""

    @abc.abstractmethod
    def read(self) -> bytes | None:
        """The bytes the previous attempt wrote, or None."""

    @abc.abstractmethod
    def write(self, data: bytes) -> None:
        """Save ``data`` for the next attempt (replaces what this attempt wrote before)."""

    @abc.abstractmethod
    def restore(self, path: str | Path | None = None) -> Path | None:
        """Download the previous checkpoint into ``path`` (a directory); None when there is none."""

    @abc.abstractmethod
    def save(self, cp: str | Path | IO[bytes]) -> None:
        """Save a file, a directory or a readable stream as this attempt's checkpoint."""


class SyncCheckpoint(Checkpoint):
    """A checkpoint in the blob store: ``checkpoint_dest`` is written, ``checkpoint_src`` read."""

    def __init__(self, checkpoint_dest: str, checkpoint_src: str | None = None) -> None:
        self._dest = checkpoint_dest.rstrip("/")
        self._src = checkpoint_src.rstrip("/") if checkpoint_src else None

    @property
    def checkpoint_dest(self) -> str:
        """Where this attempt's checkpoint goes."""
        return self._dest

    @property
    def checkpoint_src(self) -> str | None:
        """Where the previous attempt's checkpoint is."""
        return self._src

    def _store(self, uri: str):  # type: ignore[no-untyped-def]
        from slipstream.storage import store_for_uri

        return store_for_uri(uri)

    def prev_exists(self) -> bool:
        if not self._src:
            return False
        store = self._store(self._src)
        return bool(store.exists(self._src)) and bool(store.ls(self._src))

    def read(self) -> bytes | None:
        if not self._src:
            return None
        uri = f"{self._src}/{_BLOB}"
        store = self._store(uri)
        if not store.exists(uri):
            return None
        data: bytes = store.get_bytes(uri)
        return data

    def write(self, data: bytes) -> None:
        uri = f"{self._dest}/{_BLOB}"
        self._store(uri).put_bytes(uri, bytes(data))

    def restore(self, path: str | Path | None = None) -> Path | None:
        import tempfile

        if not self.prev_exists():
            return None
        assert self._src is not None
        target = Path(path) if path is not None else Path(tempfile.mkdtemp(prefix="ckpt-"))
        target.mkdir(parents=True, exist_ok=True)
        self._store(self._src).get_dir(self._src, target)
        return target

    def save(self, cp: str | Path | IO[bytes]) -> None:
        store = self._store(self._dest)
        if isinstance(cp, (str, Path)):
            p = Path(cp)
            if p.is_dir():
                store.put_dir(p, self._dest)
            else:
                store.put_file(p, f"{self._dest}/{p.name}")
            return
        data = cp.read()
        if isinstance(data, str):  # a text stream: keep its bytes
            data = data.encode()
        self.write(data if isinstance(data, bytes) else io.BytesIO(data).getvalue())
