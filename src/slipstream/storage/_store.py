"""Blob stores: where every byte of task data lives.

A :class:`BlobStore` is rooted at a URL and reads and writes blobs by URI. Two implementations share
the interface: :class:`LocalBlobStore` works on local paths with ``os`` and ``shutil`` (no fsspec
import: it costs ~100 ms and local runs are the common case); :class:`FsspecBlobStore` serves every
other fsspec URL (``s3://``, ``gs://``, ``az://``, ``memory://``...). URIs of local stores are
``file:///abs/path``. Writes never leave a half-written blob behind: local writes go to a temporary
file that is renamed into place; object stores make each put atomic themselves.
"""

from __future__ import annotations

import abc
import contextlib
import errno
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

from slipstream.errors import NotFoundError, SlipstreamError, StorageError, StoreFullError

__all__ = [
    "BlobStore",
    "FsspecBlobStore",
    "LocalBlobStore",
    "is_local_url",
    "open_store",
    "store_for_uri",
]

_FILE = "file://"
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
"""Errors that say the store has no room: another try would write the same bytes for nothing."""


def is_local_url(url: str) -> bool:
    """Whether ``url`` names the local filesystem (``file://`` or a plain path)."""
    return url.startswith(_FILE) or "://" not in url


def _local_path_of(url: str) -> Path:
    raw = url[len(_FILE) :] if url.startswith(_FILE) else url
    return Path(raw).expanduser().absolute()


def _file_uri(path: Path) -> str:
    return _FILE + path.as_posix()


@contextlib.contextmanager
def _translate(uri: str, action: str) -> Iterator[None]:
    """Turn the errors of a storage backend into slipstream's, naming the URI."""
    try:
        yield
    except SlipstreamError:
        raise
    except FileNotFoundError:
        raise NotFoundError(f"blob not found: {uri}") from None
    except OSError as e:
        if e.errno in _FULL:
            raise StoreFullError(f"cannot {action} {uri}: the store is full ({e})") from e
        raise StorageError(f"cannot {action} {uri}: {type(e).__name__}: {e}") from e
    except Exception as e:
        raise StorageError(f"cannot {action} {uri}: {type(e).__name__}: {e}") from e


class BlobStore(abc.ABC):
    """A place for blobs, rooted at :attr:`root`; every method takes absolute URIs."""

    root: str

    def join(self, *parts: str) -> str:
        """The URI of ``parts`` under the root (``join("a", "b/c")`` -> ``{root}/a/b/c``)."""
        return self.join_uri(self.root, *parts)

    @staticmethod
    def join_uri(base: str, *parts: str) -> str:
        """``base`` with ``parts`` appended, one ``/`` between each."""
        out = base.rstrip("/")
        for p in parts:
            p = p.strip("/")
            if p:
                out = f"{out}/{p}"
        return out

    def owns(self, uri: str) -> bool:
        """Whether ``uri`` lies under this store's root."""
        return uri == self.root or uri.startswith(self.root.rstrip("/") + "/")

    @abc.abstractmethod
    def put_bytes(self, uri: str, data: bytes) -> None:
        """Write ``data`` as the blob at ``uri`` (atomically)."""

    @abc.abstractmethod
    def get_bytes(self, uri: str) -> bytes:
        """The contents of the blob at ``uri``."""

    @abc.abstractmethod
    def put_file(self, local_path: str | os.PathLike[str], uri: str) -> None:
        """Copy a local file to ``uri``."""

    @abc.abstractmethod
    def get_file(self, uri: str, local_path: str | os.PathLike[str]) -> None:
        """Copy the blob at ``uri`` to a local file (parent directories are created)."""

    @abc.abstractmethod
    def put_dir(self, local_dir: str | os.PathLike[str], uri: str) -> None:
        """Copy a local directory tree under ``uri``."""

    @abc.abstractmethod
    def get_dir(self, uri: str, local_dir: str | os.PathLike[str]) -> None:
        """Copy every blob under ``uri`` into ``local_dir``, keeping relative paths."""

    @abc.abstractmethod
    def exists(self, uri: str) -> bool:
        """Whether a blob or a blob directory exists at ``uri``."""

    @abc.abstractmethod
    def is_dir(self, uri: str) -> bool:
        """Whether ``uri`` is a directory (a prefix with blobs under it)."""

    @abc.abstractmethod
    def open(self, uri: str, mode: str = "rb") -> IO[Any]:
        """A file object on the blob; a write is only visible once the object is closed."""

    @abc.abstractmethod
    def local_path(self, uri: str) -> Path | None:
        """The real local path of ``uri`` for local stores (so readers avoid copies), else None."""

    @abc.abstractmethod
    def ls(self, uri: str) -> list[str]:
        """The URIs of the direct children of ``uri``, sorted."""

    @abc.abstractmethod
    def walk_files(self, uri: str) -> list[str]:
        """The relative POSIX paths of every blob under the directory ``uri``, sorted."""

    @abc.abstractmethod
    def delete(self, uri: str) -> None:
        """Delete the blob or the directory tree at ``uri``; deleting nothing is not an error."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.root!r})"


class LocalBlobStore(BlobStore):
    """A blob store on the local filesystem, with plain ``os``/``shutil`` calls."""

    def __init__(self, url: str) -> None:
        self.root_path = _local_path_of(url)
        self.root = _file_uri(self.root_path)

    def _path(self, uri: str) -> Path:
        if "://" in uri and not uri.startswith(_FILE):
            raise StorageError(f"not a local URI: {uri}")
        return _local_path_of(uri)

    def local_path(self, uri: str) -> Path | None:
        return self._path(uri)

    @staticmethod
    def _tmp_for(path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:12]}")

    def put_bytes(self, uri: str, data: bytes) -> None:
        path = self._path(uri)
        with _translate(uri, "write"):
            tmp = self._tmp_for(path)
            try:
                tmp.write_bytes(data)
                os.replace(tmp, path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise

    def get_bytes(self, uri: str) -> bytes:
        with _translate(uri, "read"):
            return self._path(uri).read_bytes()

    def put_file(self, local_path: str | os.PathLike[str], uri: str) -> None:
        import shutil

        path = self._path(uri)
        src = Path(local_path)
        if src.absolute() == path:
            return
        with _translate(uri, "write"):
            if not src.is_file():
                raise NotFoundError(f"local file not found: {src} (to write to {uri})")
            tmp = self._tmp_for(path)
            try:
                shutil.copyfile(src, tmp)
                os.replace(tmp, path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise

    def get_file(self, uri: str, local_path: str | os.PathLike[str]) -> None:
        import shutil

        src = self._path(uri)
        dst = Path(local_path).absolute()
        if src == dst:
            return
        with _translate(uri, "read"):
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)

    def put_dir(self, local_dir: str | os.PathLike[str], uri: str) -> None:
        import shutil

        src = Path(local_dir).absolute()
        dst = self._path(uri)
        if src == dst:
            return
        with _translate(uri, "write"):
            if not src.is_dir():
                raise NotFoundError(f"local directory not found: {src} (to write to {uri})")
            if not dst.exists():
                tmp = self._tmp_for(dst)
                try:
                    shutil.copytree(src, tmp)
                    os.rename(tmp, dst)
                    return
                except BaseException:
                    shutil.rmtree(tmp, ignore_errors=True)
                    if not dst.exists():
                        raise
            for rel in _walk_local(src):
                self.put_file(src / rel, _file_uri(dst / rel))

    def get_dir(self, uri: str, local_dir: str | os.PathLike[str]) -> None:
        import shutil

        src = self._path(uri)
        dst = Path(local_dir).absolute()
        if src == dst:
            return
        with _translate(uri, "read"):
            if not src.is_dir():
                raise NotFoundError(f"blob directory not found: {uri}")
            shutil.copytree(src, dst, dirs_exist_ok=True)

    def exists(self, uri: str) -> bool:
        return self._path(uri).exists()

    def is_dir(self, uri: str) -> bool:
        return self._path(uri).is_dir()

    def open(self, uri: str, mode: str = "rb") -> IO[Any]:
        path = self._path(uri)
        with _translate(uri, "open"):
            if any(c in mode for c in "wax"):
                if "a" in mode or "+" in mode:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    return open(path, mode)
                if "x" in mode and path.exists():
                    raise FileExistsError(f"blob exists: {uri}")
                tmp = self._tmp_for(path)
                f = open(tmp, mode.replace("x", "w"))  # noqa: SIM115 - closed by the caller
                return cast("IO[Any]", _AtomicFile(f, tmp, path))
            return open(path, mode)

    def ls(self, uri: str) -> list[str]:
        path = self._path(uri)
        with _translate(uri, "list"):
            base = uri.rstrip("/")
            return [f"{base}/{name}" for name in sorted(os.listdir(path))]

    def walk_files(self, uri: str) -> list[str]:
        path = self._path(uri)
        if not path.is_dir():
            raise NotFoundError(f"blob directory not found: {uri}")
        return _walk_local(path)

    def delete(self, uri: str) -> None:
        import shutil

        path = self._path(uri)
        with _translate(uri, "delete"):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)


def _walk_local(root: Path) -> list[str]:
    out: list[str] = []
    for dirpath, _dirs, files in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        out.extend((rel_dir / f).as_posix() for f in files)
    return sorted(out)


class _AtomicFile:
    """A file object writing to a temporary file that replaces the target on a clean close."""

    def __init__(self, f: IO[Any], tmp: Path, target: Path) -> None:
        self._f = f
        self._tmp = tmp
        self._target = target
        self._done = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._f)

    def close(self) -> None:
        if self._done:
            return
        self._done = True
        self._f.close()
        os.replace(self._tmp, self._target)

    def abort(self) -> None:
        """Close without publishing the blob."""
        if not self._done:
            self._done = True
            self._f.close()
            self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> _AtomicFile:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class FsspecBlobStore(BlobStore):
    """A blob store on any fsspec filesystem (object stores, ``memory://``...)."""

    def __init__(self, url: str, **storage_options: Any) -> None:
        import fsspec

        self.root = url.rstrip("/") if not url.endswith("://") else url
        with _translate(url, "open store"):
            self.fs, _ = fsspec.core.url_to_fs(url, **storage_options)

    def _p(self, uri: str) -> str:
        return str(self.fs._strip_protocol(uri))

    def local_path(self, uri: str) -> Path | None:
        return None

    def put_bytes(self, uri: str, data: bytes) -> None:
        with _translate(uri, "write"):
            self.fs.pipe_file(self._p(uri), data)

    def get_bytes(self, uri: str) -> bytes:
        with _translate(uri, "read"):
            return bytes(self.fs.cat_file(self._p(uri)))

    def put_file(self, local_path: str | os.PathLike[str], uri: str) -> None:
        with _translate(uri, "write"):
            if not os.path.isfile(local_path):
                raise NotFoundError(
                    f"local file not found: {os.fspath(local_path)} (to write to {uri})"
                )
            self.fs.put_file(os.fspath(local_path), self._p(uri))

    def get_file(self, uri: str, local_path: str | os.PathLike[str]) -> None:
        with _translate(uri, "read"):
            if not self.fs.isfile(self._p(uri)):
                raise NotFoundError(f"blob not found: {uri}")
            Path(local_path).parent.mkdir(parents=True, exist_ok=True)
            self.fs.get_file(self._p(uri), os.fspath(local_path))

    def put_dir(self, local_dir: str | os.PathLike[str], uri: str) -> None:
        src = Path(local_dir)
        if not src.is_dir():
            raise NotFoundError(f"local directory not found: {src} (to write to {uri})")
        for rel in _walk_local(src):
            self.put_file(src / rel, self.join_uri(uri, rel))

    def get_dir(self, uri: str, local_dir: str | os.PathLike[str]) -> None:
        dst = Path(local_dir)
        dst.mkdir(parents=True, exist_ok=True)
        for rel in self.walk_files(uri):
            self.get_file(self.join_uri(uri, rel), dst / rel)

    def exists(self, uri: str) -> bool:
        with _translate(uri, "check"):
            return bool(self.fs.exists(self._p(uri)))

    def is_dir(self, uri: str) -> bool:
        with _translate(uri, "check"):
            return bool(self.fs.isdir(self._p(uri)))

    def open(self, uri: str, mode: str = "rb") -> IO[Any]:
        with _translate(uri, "open"):
            return self.fs.open(self._p(uri), mode)  # type: ignore[no-any-return]

    def ls(self, uri: str) -> list[str]:
        with _translate(uri, "list"):
            names = self.fs.ls(self._p(uri), detail=False)
        base = uri.rstrip("/")
        return sorted(f"{base}/{str(n).rstrip('/').rsplit('/', 1)[-1]}" for n in names)

    def walk_files(self, uri: str) -> list[str]:
        path = self._p(uri).rstrip("/")
        with _translate(uri, "list"):
            if not self.fs.isdir(path):
                raise NotFoundError(f"blob directory not found: {uri}")
            found = self.fs.find(path)
        out = []
        for f in found:
            f = str(f)
            if f.startswith(path + "/"):
                out.append(f[len(path) + 1 :])
        return sorted(out)

    def delete(self, uri: str) -> None:
        path = self._p(uri)
        with _translate(uri, "delete"):
            if self.fs.exists(path):
                self.fs.rm(path, recursive=True)


_stores: dict[str, BlobStore] = {}
_stores_lock = threading.Lock()


_by_raw_url: dict[str, BlobStore] = {}
"""Stores by the URL exactly as asked for: skips normalising a URL seen before (hot path)."""


def open_store(url: str, **storage_options: Any) -> BlobStore:
    """The blob store for ``url`` (a plain path, ``file://``, or any fsspec URL), cached per URL.

    ``storage_options`` go to the fsspec filesystem (credentials, ``endpoint_url``...); a store
    opened with options is not cached.
    """
    if storage_options and not is_local_url(url):
        return FsspecBlobStore(url, **storage_options)
    hit = _by_raw_url.get(url)
    if hit is not None:
        return hit
    key = _file_uri(_local_path_of(url)) if is_local_url(url) else url.rstrip("/")
    store = _stores.get(key)
    if store is None:
        with _stores_lock:
            store = _stores.get(key)
            if store is None:
                store = LocalBlobStore(key) if is_local_url(url) else FsspecBlobStore(url)
                _stores[key] = store
    _by_raw_url[url] = store
    return store


def store_for_uri(uri: str) -> BlobStore:
    """A store able to read ``uri`` when no better one is known (the root of its scheme)."""
    if is_local_url(uri):
        return open_store("file:///")
    scheme, rest = uri.split("://", 1)
    bucket = rest.split("/", 1)[0]
    return open_store(f"{scheme}://{bucket}")
