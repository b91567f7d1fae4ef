"""Request bodies streamed to a file of the server's ``uploads`` folder before they are stored:
counted as they come (past the limit the upload stops at once) and removed when the upload ends in
any way; a file left by a killed server starts with :data:`SPOOL_PREFIX` and is swept at the next
start (``BundleStore.sweep``)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from slipstream.errors import TooLargeError

__all__ = ["SPOOL_PREFIX", "spool"]

SPOOL_PREFIX = ".upload-"
"""The name prefix of the files bodies stream into (what a start sweeps away)."""


@asynccontextmanager
async def spool(
    chunks: AsyncIterator[bytes],
    folder: Path,
    max_bytes: int,
    what: str,
    on_chunk: Callable[[bytes], object] | None = None,
) -> AsyncIterator[tuple[Path, int]]:
    """Write ``chunks`` to a fresh file in ``folder``; yields its path and size, removes it after.
    :class:`TooLargeError` ("``what`` larger than ...") once more than ``max_bytes`` came."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=SPOOL_PREFIX, dir=folder)
    path = Path(name)
    try:
        size = 0
        with os.fdopen(fd, "wb") as f:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise TooLargeError(f"{what} larger than {max_bytes} bytes")
                if on_chunk is not None:
                    on_chunk(chunk)
                f.write(chunk)
        yield path, size
    finally:
        path.unlink(missing_ok=True)
