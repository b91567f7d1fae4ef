"""Code bundles in the blob store, addressed by the SHA-256 of their bytes: uploaded once.

An upload streams into a file of the server's ``uploads`` folder, hashed and counted as it comes
(past the limit it stops at once), and the blob store gets the file once it is whole. That file
is removed when the upload ends in any way; one left by a killed server is removed at the next
start (one server holds a home at a time).

A bundle is a gzipped tar, and a small gzip can inflate to gigabytes: what the gzip stream of an
upload inflates to is counted as it comes too (:class:`GzipMeter`, in bounded memory), and past
``max_unpacked_bytes`` the upload stops with a 413, so that no stored bundle unpacks to more.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy.exc import IntegrityError

from slipstream.errors import NotFoundError, StorageError, TooLargeError, ValidationError
from slipstream.storage import DataLayout, open_store

from .._database import BundleRow, Database, check_digest
from ._spool import SPOOL_PREFIX, spool

__all__ = ["MAX_BUNDLE_BYTES", "MAX_BUNDLE_UNPACKED_BYTES", "BundleStore", "GzipMeter"]

MAX_BUNDLE_BYTES = 512 * 1024 * 1024
MAX_BUNDLE_UNPACKED_BYTES = 1024 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_STEP = 1024 * 1024
"""The most one inflation step produces: what the meter holds in memory at a time."""


class GzipMeter:
    """Counts what a gzip stream inflates to while its bytes come, one bounded step at a time
    (the inflated bytes are dropped); :class:`TooLargeError` past ``limit``. Bytes that are not
    a gzip stream are not counted: nothing unpacks them as one."""

    def __init__(self, limit: int, what: str = "code bundle") -> None:
        self.limit = limit
        self.what = what
        self.size = 0
        self._head = b""
        self._gzip: bool | None = None
        self._inflater: Any = None

    def feed(self, chunk: bytes) -> None:
        """Count the inflated size of ``chunk`` (the next bytes of the stream)."""
        if self._gzip is None:
            self._head += chunk
            if len(self._head) < len(_GZIP_MAGIC):
                return
            self._gzip = self._head.startswith(_GZIP_MAGIC)
            chunk, self._head = self._head, b""
        if not self._gzip:
            return
        data = chunk
        while data:
            if self._inflater is None:
                self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                out = self._inflater.decompress(data, _STEP)
            except zlib.error:  # not gzip past here: nothing unpacks it
                self._gzip = False
                return
            self.size += len(out)
            if self.size > self.limit:
                raise TooLargeError(f"{self.what} unpacks to more than {self.limit} bytes")
            data = self._inflater.unconsumed_tail
            if self._inflater.eof:  # the next member of a multi-member gzip, if any
                data = self._inflater.unused_data
                self._inflater = None


class BundleStore:
    """Writes bundles where the data layout says (``bundles/{digest}.tar.gz``) and records them.

    The database row is written after the blob, so a recorded bundle is always readable.
    """

    def __init__(
        self,
        db: Database,
        store_url: str,
        uploads: Path | None = None,
        max_bytes: int = MAX_BUNDLE_BYTES,
        max_unpacked_bytes: int = MAX_BUNDLE_UNPACKED_BYTES,
    ) -> None:
        self.db = db
        self.store = open_store(store_url)
        self.layout = DataLayout(self.store)
        self.uploads = uploads
        self.max_bytes = max_bytes
        self.max_unpacked_bytes = max_unpacked_bytes

    def sweep(self) -> int:
        """Remove what killed uploads left (call it while holding the home); returns a count."""
        removed = 0
        dirs = [self.uploads]
        local = self.store.local_path(self.layout.bundle_uri("0" * 64))
        if local is not None:
            dirs.append(local.parent)
        for folder in dirs:
            if folder is None or not folder.is_dir():
                continue
            for path in folder.iterdir():
                if path.name.startswith(SPOOL_PREFIX) or (
                    path.name.startswith(".") and ".tmp-" in path.name
                ):
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed

    async def receive(self, digest: str, chunks: AsyncIterator[bytes]) -> bool:
        """Store a bundle streamed in ``chunks``; True if it was new. Refused past the limit
        while it streams (nothing is kept) and when the bytes do not hash to ``digest``."""
        from starlette.concurrency import run_in_threadpool

        check_digest(digest)
        folder = self.uploads or Path(tempfile.gettempdir())
        h = hashlib.sha256()
        meter = GzipMeter(self.max_unpacked_bytes)

        def take(chunk: bytes) -> None:
            h.update(chunk)
            meter.feed(chunk)

        async with spool(chunks, folder, self.max_bytes, "code bundle", take) as (path, size):
            self._check_hash(digest, h.hexdigest())
            return await run_in_threadpool(self._store_file, digest, path, size)

    def _check_hash(self, digest: str, actual: str) -> None:
        if actual != digest:
            raise ValidationError(
                f"the uploaded bytes hash to {actual}, not {digest}",
                details={"field": "digest", "expected": digest, "actual": actual},
            )

    def _store_file(self, digest: str, path: Path, size: int) -> bool:
        if self.exists(digest):
            return False
        try:
            self.store.put_file(path, self.uri(digest))
        except (OSError, StorageError) as e:
            raise StorageError(f"could not write code bundle {digest}: {e}") from e
        return self._record(digest, size)

    def uri(self, digest: str) -> str:
        """Where the bundle with this digest lives."""
        return self.layout.bundle_uri(check_digest(digest), ".tar.gz")

    def exists(self, digest: str) -> bool:
        """True when the bundle was uploaded."""
        check_digest(digest)
        with self.db.session() as session:
            return session.get(BundleRow, digest) is not None

    def put(self, digest: str, data: bytes) -> bool:
        """Store a bundle; True if it was new. The bytes must hash to ``digest``."""
        check_digest(digest)
        self._check_hash(digest, hashlib.sha256(data).hexdigest())
        meter = GzipMeter(self.max_unpacked_bytes)
        for i in range(0, len(data), _STEP):
            meter.feed(data[i : i + _STEP])
        if self.exists(digest):
            return False
        try:
            self.store.put_bytes(self.uri(digest), data)
        except (OSError, StorageError) as e:
            raise StorageError(f"could not write code bundle {digest}: {e}") from e
        return self._record(digest, len(data))

    def _record(self, digest: str, size: int) -> bool:
        try:
            with self.db.session() as session:
                session.add(
                    BundleRow(
                        digest=digest, size=size, uri=self.uri(digest), created_at=time.time()
                    )
                )
        except IntegrityError:
            return False
        return True

    def open(self, digest: str) -> IO[bytes]:
        """The bundle's bytes as a stream (to read it without holding it whole)."""
        if not self.exists(digest):
            raise NotFoundError(f"code bundle {digest} does not exist")
        try:
            f: IO[bytes] = self.store.open(self.uri(digest), "rb")
        except OSError as e:
            raise StorageError(f"could not read code bundle {digest}: {e}") from e
        return f

    def get(self, digest: str) -> bytes:
        """The bundle's bytes."""
        if not self.exists(digest):
            raise NotFoundError(f"code bundle {digest} does not exist")
        try:
            return self.store.get_bytes(self.uri(digest))
        except OSError as e:
            raise StorageError(f"could not read code bundle {digest}: {e}") from e
