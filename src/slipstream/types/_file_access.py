"""flytekit's ``ctx.file_access``: moving data between local paths and blob URIs.

It lives with the type engine because custom types (flytekit-style transformers, structured
dataset encoders and decoders) write and read their blobs through it; the SDK's
``FlyteContext`` hands the same object to user code.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

from ._contract import TypeContext

__all__ = ["BoundFileAccess", "FileAccessProvider"]


def _is_local(path: str) -> bool:
    from slipstream.storage import is_local_url

    return is_local_url(path)


def _strip_file(path: str) -> str:
    return path[len("file://") :] if path.startswith("file://") else path


class FileAccessProvider:
    """Moving data between local paths and blob URIs (flytekit's ``ctx.file_access``).

    A "remote" path is a fresh location in a scratch area of this machine when the task's store
    is local, or a URI of the task's store otherwise; either is what a ``File``, ``Directory`` or a
    custom type's literal may carry between tasks.
    """

    def __init__(self, raw_output_prefix: str = "") -> None:
        self.raw_output_prefix = raw_output_prefix
        self.local_sandbox_dir = tempfile.gettempdir()

    # -- fresh locations -----------------------------------------------------------------------

    def get_random_local_path(self, file_path_or_file_name: str | None = None) -> str:
        """A fresh local file path (its parent exists), ending with the given name if any."""
        d = tempfile.mkdtemp(prefix="slipstream-local-")
        return os.path.join(d, os.path.basename(file_path_or_file_name or uuid.uuid4().hex))

    def get_random_local_directory(self) -> str:
        """A fresh, empty local directory."""
        return tempfile.mkdtemp(prefix="slipstream-local-")

    def _remote_base(self) -> str:
        prefix = self.raw_output_prefix
        if prefix and not _is_local(prefix):
            return prefix.rstrip("/")
        return tempfile.mkdtemp(prefix="slipstream-remote-")

    def get_random_remote_path(self, file_path_or_file_name: str | None = None) -> str:
        """A fresh location to upload one file to."""
        name = os.path.basename(file_path_or_file_name or "") or uuid.uuid4().hex
        return f"{self._remote_base()}/{uuid.uuid4().hex[:12]}/{name}"

    def get_random_remote_directory(self) -> str:
        """A fresh location to upload a directory to."""
        return f"{self._remote_base()}/{uuid.uuid4().hex[:12]}"

    # -- moving data ---------------------------------------------------------------------------

    def exists(self, path: str) -> bool:
        """Whether a local path or a blob URI exists."""
        if _is_local(path):
            return os.path.exists(_strip_file(path))
        from slipstream.storage import store_for_uri

        store = store_for_uri(path)
        return store.exists(path) or store.is_dir(path)

    def is_remote(self, path: str) -> bool:
        """Whether ``path`` is a blob URI rather than a local path."""
        return not _is_local(path)

    def put_data(self, local_path: str, remote_path: str, is_multipart: bool = False) -> str:
        """Copy a local file (or directory, ``is_multipart``) to ``remote_path``; the location."""
        src = _strip_file(os.fspath(local_path))
        if _is_local(remote_path):
            dest = Path(_strip_file(remote_path))
            if is_multipart or os.path.isdir(src):
                shutil.copytree(src, dest, dirs_exist_ok=True)
            else:
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest)
            return remote_path
        from slipstream.storage import store_for_uri

        store = store_for_uri(remote_path)
        if is_multipart or os.path.isdir(src):
            store.put_dir(src, remote_path)
        else:
            store.put_file(src, remote_path)
        return remote_path

    def get_data(self, remote_path: str, local_path: str, is_multipart: bool = False) -> None:
        """Copy ``remote_path`` (a file, or a directory with ``is_multipart``) to a local path."""
        dest = _strip_file(os.fspath(local_path))
        if _is_local(remote_path):
            src = _strip_file(remote_path)
            if os.path.isdir(src):
                shutil.copytree(src, dest, dirs_exist_ok=True)
            elif is_multipart:  # a one-file blob asked for as a directory: the file inside it
                os.makedirs(dest, exist_ok=True)
                shutil.copyfile(src, os.path.join(dest, os.path.basename(src)))
            else:
                Path(dest).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest)
            return
        from slipstream.storage import store_for_uri

        store = store_for_uri(remote_path)
        if store.is_dir(remote_path):
            store.get_dir(remote_path, dest)
        elif is_multipart:
            os.makedirs(dest, exist_ok=True)
            store.get_file(
                remote_path, os.path.join(dest, remote_path.rstrip("/").rsplit("/", 1)[-1])
            )
        else:
            store.get_file(remote_path, dest)

    def upload_directory(self, local_path: str, remote_path: str) -> str:
        """Copy a local directory to ``remote_path``."""
        return self.put_data(local_path, remote_path, is_multipart=True)

    def download_directory(self, remote_path: str, local_path: str) -> None:
        """Copy the directory at ``remote_path`` to a local directory."""
        self.get_data(remote_path, local_path, is_multipart=True)

    def upload(self, file_path: str, to_path: str) -> str:
        """Copy a local file to ``to_path``."""
        return self.put_data(file_path, to_path)

    def download(self, remote_path: str, local_path: str) -> None:
        """Copy the file at ``remote_path`` to a local path."""
        self.get_data(remote_path, local_path)


class BoundFileAccess(FileAccessProvider):
    """``ctx.file_access`` during one conversion: fresh "remote" locations are in the attempt's
    outputs, in the store the attempt writes to."""

    def __init__(self, tctx: TypeContext | None) -> None:
        super().__init__("")
        self._tctx = tctx

    def get_random_remote_path(self, file_path_or_file_name: str | None = None) -> str:
        if self._tctx is None:
            return super().get_random_remote_path(file_path_or_file_name)
        name = os.path.basename(file_path_or_file_name or "") or "blob"
        return f"{self._tctx.new_uri()}/{name}"

    def get_random_remote_directory(self) -> str:
        if self._tctx is None:
            return super().get_random_remote_directory()
        return self._tctx.new_uri()

    def get_random_local_path(self, file_path_or_file_name: str | None = None) -> str:
        if self._tctx is None:
            return super().get_random_local_path(file_path_or_file_name)
        return str(self._tctx.new_local_path(os.path.basename(file_path_or_file_name or "")))

    def get_random_local_directory(self) -> str:
        if self._tctx is None:
            return super().get_random_local_directory()
        path = self._tctx.new_local_path()
        path.mkdir(parents=True, exist_ok=True)
        return str(path)
