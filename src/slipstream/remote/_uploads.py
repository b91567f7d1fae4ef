"""Local data given as execution inputs, uploaded to the server's blob store through the API.

Files, directories, DataFrames, arrays and pickles are literals naming a blob (``{"uri": ...}``);
their codecs write the blob with a :class:`~slipstream.types.TypeContext`. A client cannot write
to the server's store itself (a folder on the server's disk, or an object store whose credentials
only the server holds), so :class:`UploadContext` gives the codecs an :class:`UploadStore` that
sends each blob to ``PUT /api/v1/data/{project}/{domain}/uploads/{id}/{path}``, under a location
the server handed out (Flyte's ``CreateUploadLocation``). The location is asked for only when a
codec writes its first blob: inputs that are plain values, or blobs already remote
(``File("s3://...")``), make no request.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote

import msgspec

from slipstream.errors import NotFoundError, StorageError
from slipstream.model import UploadedBlob, UploadLocation
from slipstream.storage import BlobStore
from slipstream.types import TypeContext

if TYPE_CHECKING:
    from types import TracebackType

    from ._http import Http

__all__ = ["UploadContext", "UploadStore"]


class UploadStore(BlobStore):
    """A write-only blob store over the API: ``put_*`` upload under the server's upload location
    (asked for on the first write); reading is refused (the blobs are the server's)."""

    def __init__(self, http: Http, project: str, domain: str) -> None:
        self._http = http
        self.project = project
        self.domain = domain
        self.location: UploadLocation | None = None
        self.root = ""

    def open_location(self) -> str:
        """The upload location's prefix, asked of the server the first time."""
        if self.location is None:
            path = f"/data/{self.project}/{self.domain}/uploads"
            response = self._http.request("POST", path)
            self.location = msgspec.json.decode(response.content, type=UploadLocation)
            self.root = self.location.prefix
        return self.root

    def owns(self, uri: str) -> bool:
        return bool(self.root) and super().owns(uri)

    def _upload_path(self, uri: str) -> str:
        if self.location is None or not super().owns(uri) or uri == self.root:
            raise StorageError(
                f"cannot upload to {uri}: blobs given as inputs go under the server's upload "
                f"location {self.root or '(none yet)'}"
            )
        relative = uri[len(self.root.rstrip("/")) + 1 :]
        return f"/data/{self.project}/{self.domain}/uploads/{self.location.id}/" + quote(
            relative, safe="/"
        )

    def _put(self, uri: str, content: bytes | IO[bytes]) -> UploadedBlob:
        path = self._upload_path(uri)
        response = self._http.request(
            "PUT",
            path,
            content=content,
            headers={"content-type": "application/octet-stream"},
        )
        return msgspec.json.decode(response.content, type=UploadedBlob)

    def put_bytes(self, uri: str, data: bytes) -> None:
        self._put(uri, data)

    def put_file(self, local_path: str | os.PathLike[str], uri: str) -> None:
        src = Path(local_path)
        if not src.is_file():
            raise NotFoundError(f"local file not found: {src} (to upload to {uri})")
        with src.open("rb") as f:
            self._put(uri, f)

    def put_dir(self, local_dir: str | os.PathLike[str], uri: str) -> None:
        root = Path(local_dir)
        if not root.is_dir():
            raise NotFoundError(f"local directory not found: {root} (to upload to {uri})")
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                path = Path(dirpath) / name
                rel = path.relative_to(root).as_posix()
                self.put_file(path, self.join_uri(uri, rel))

    def _read(self, uri: str) -> NoReturn:
        raise StorageError(
            f"cannot read {uri} here: the upload store only sends a client's input data to the "
            "server (read an execution's values with Remote.inputs and Remote.outputs)"
        )

    def get_bytes(self, uri: str) -> bytes:
        self._read(uri)

    def get_file(self, uri: str, local_path: str | os.PathLike[str]) -> None:
        self._read(uri)

    def get_dir(self, uri: str, local_dir: str | os.PathLike[str]) -> None:
        self._read(uri)

    def exists(self, uri: str) -> bool:
        self._read(uri)

    def is_dir(self, uri: str) -> bool:
        self._read(uri)

    def open(self, uri: str, mode: str = "rb") -> IO[Any]:
        self._read(uri)

    def local_path(self, uri: str) -> Path | None:
        return None

    def ls(self, uri: str) -> list[str]:
        self._read(uri)

    def walk_files(self, uri: str) -> list[str]:
        self._read(uri)

    def delete(self, uri: str) -> None:
        raise StorageError(f"cannot delete {uri}: uploaded blobs are the server's")


class UploadContext(TypeContext):
    """The :class:`~slipstream.types.TypeContext` for encoding one launch's inputs: new blobs go
    to the server's upload location (asked for on the first one), scratch files to a temporary
    folder removed on :meth:`close` (use it as a context manager)."""

    def __init__(self, http: Http, project: str, domain: str) -> None:
        self._scratch = Path(tempfile.gettempdir()) / f"slipstream-upload-{os.urandom(6).hex()}"
        super().__init__(UploadStore(http, project, domain), "", self._scratch)

    @property
    def uploads(self) -> UploadStore:
        """The store the blobs go to."""
        store = self.store
        assert isinstance(store, UploadStore)
        return store

    def new_uri(self, suffix: str = "") -> str:
        if not self.output_prefix:
            self.output_prefix = self.uploads.open_location()
        return super().new_uri(suffix)

    def close(self) -> None:
        """Remove the scratch folder (the uploaded blobs stay on the server)."""
        shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> UploadContext:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
