"""Data uploads: the local files and DataFrames a client gives an execution as inputs, written
to the server's blob store through the API (the client cannot write there itself).

A client asks for an upload location (a fresh prefix ``uploads/{project}/{domain}/{id}`` in the
store) and sends each blob's bytes under it. As for code bundles, the bytes stream into a file of
the server's ``uploads`` folder, counted as they come (past the limit the upload stops at once),
and the blob store gets the file once it is whole; that file is removed when the upload ends in
any way, and one left by a killed server is removed at its next start (``BundleStore.sweep``).
Uploaded blobs are never overwritten: a second upload to the same path is a conflict.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from slipstream.errors import ConflictError, StorageError
from slipstream.model import UploadedBlob, UploadLocation
from slipstream.storage import DataLayout, open_store

from .._database import Database, check_blob_path, check_domain, check_upload_id
from .._projects import ProjectService
from .._registry import spool

__all__ = ["UploadService"]


class UploadService:
    """Hands out upload locations and stores the blobs sent to them."""

    def __init__(
        self,
        db: Database,
        projects: ProjectService,
        store_url: str,
        uploads: Path,
        max_bytes: int,
    ) -> None:
        self.db = db
        self.projects = projects
        self.store = open_store(store_url)
        self.layout = DataLayout(self.store)
        self.uploads = uploads
        self.max_bytes = max_bytes

    def _check_scope(self, project: str, domain: str) -> None:
        check_domain(domain, self.projects.domains)
        with self.db.session() as session:
            self.projects.require(session, project, active=True)

    def create(self, project: str, domain: str) -> UploadLocation:
        """A fresh upload location in ``project``/``domain`` (which must exist and be active)."""
        self._check_scope(project, domain)
        upload_id = uuid.uuid4().hex
        return UploadLocation(upload_id, self.layout.upload_prefix(project, domain, upload_id))

    def uri(self, project: str, domain: str, upload_id: str, path: str) -> str:
        """The URI of the blob at ``path`` under the upload location ``upload_id``."""
        prefix = self.layout.upload_prefix(project, domain, check_upload_id(upload_id))
        return self.store.join_uri(prefix, check_blob_path(path))

    def check(self, project: str, domain: str, upload_id: str, path: str) -> str:
        """Validate an upload before its body is read; returns the blob's URI."""
        uri = self.uri(project, domain, upload_id, path)
        self._check_scope(project, domain)
        return uri

    async def receive(
        self, project: str, domain: str, upload_id: str, path: str, chunks: AsyncIterator[bytes]
    ) -> UploadedBlob:
        """Store the blob streamed in ``chunks`` at ``path`` under the upload location. Refused
        past the limit while it streams (nothing is kept), and when the blob exists already."""
        from starlette.concurrency import run_in_threadpool

        uri = await run_in_threadpool(self.check, project, domain, upload_id, path)
        async with spool(chunks, self.uploads, self.max_bytes, "uploaded blob") as (tmp, size):
            await run_in_threadpool(self._store_file, tmp, uri)
        return UploadedBlob(uri, size)

    def _store_file(self, tmp: Path, uri: str) -> None:
        try:
            if self.store.exists(uri):
                raise ConflictError(
                    f"{uri} was uploaded already (uploaded blobs are never overwritten)",
                    details={"uri": uri},
                )
            self.store.put_file(tmp, uri)
        except (OSError, StorageError) as e:
            raise StorageError(f"could not write the uploaded blob {uri}: {e}") from e
