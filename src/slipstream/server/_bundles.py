"""Code bundles in the blob store, addressed by the SHA-256 of their bytes: uploaded once."""

from __future__ import annotations

import hashlib
import time

from sqlalchemy.exc import IntegrityError

from slipstream.errors import NotFoundError, StorageError, ValidationError
from slipstream.storage import DataLayout, open_store

from ._db import Database
from ._names import check_digest
from ._tables import BundleRow

__all__ = ["MAX_BUNDLE_BYTES", "BundleStore"]

MAX_BUNDLE_BYTES = 512 * 1024 * 1024


class BundleStore:
    """Writes bundles where the data layout says (``bundles/{digest}.tar.gz``) and records them.

    The database row is written after the blob, so a recorded bundle is always readable.
    """

    def __init__(self, db: Database, store_url: str) -> None:
        self.db = db
        self.store = open_store(store_url)
        self.layout = DataLayout(self.store)

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
        actual = hashlib.sha256(data).hexdigest()
        if actual != digest:
            raise ValidationError(
                f"the uploaded bytes hash to {actual}, not {digest}",
                details={"field": "digest", "expected": digest, "actual": actual},
            )
        if self.exists(digest):
            return False
        try:
            self.store.put_bytes(self.uri(digest), data)
        except (OSError, StorageError) as e:
            raise StorageError(f"could not write code bundle {digest}: {e}") from e
        try:
            with self.db.session() as session:
                session.add(
                    BundleRow(
                        digest=digest, size=len(data), uri=self.uri(digest), created_at=time.time()
                    )
                )
        except IntegrityError:
            return False
        return True

    def get(self, digest: str) -> bytes:
        """The bundle's bytes."""
        if not self.exists(digest):
            raise NotFoundError(f"code bundle {digest} does not exist")
        try:
            return self.store.get_bytes(self.uri(digest))
        except OSError as e:
            raise StorageError(f"could not read code bundle {digest}: {e}") from e
