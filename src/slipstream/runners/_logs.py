"""Capturing an attempt's stdout and stderr into the blob store.

Layout: one file per attempt, ``{log_dir}/output.log``, holding both streams interleaved in the
order they were written, as a terminal would have shown them (no stream markers). While the attempt
runs, file descriptors 1 and 2 of the process both point at that file (opened for appending), so
the output of child processes and C extensions is kept, not only ``print``; ``sys.stdout`` and
``sys.stderr`` are line-buffered views of those descriptors for the same time, so Python output
appears line by line.

For ``file://`` stores the descriptors point at the final file itself, which can be followed live
while the attempt runs; for other stores they point at a local temporary file that is uploaded when
the attempt ends. Afterwards the process's own descriptors and streams are put back as they were.

``spool`` (map items: many short attempts) points the descriptors at one scratch file per process,
emptied for each attempt, and keeps the log only when the attempt wrote something: most items print
nothing, and creating a folder and a file for each would cost more than running it. Such a log
appears when its attempt ends.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from typing import Any, TextIO

__all__ = ["LOG_NAME", "OutputCapture"]

from slipstream.model import LOG_FILE as LOG_NAME

_libc: Any = None


def _flush_c_stdio() -> None:
    """Flush the C library's ``stdout`` buffers (text a C extension ``printf``-ed)."""
    global _libc
    with contextlib.suppress(Exception):
        if _libc is None:
            import ctypes

            _libc = ctypes.CDLL(None)  # loaded once per process: dlopen costs more than the rest
        _libc.fflush(None)


def _flush(stream: Any) -> None:
    with contextlib.suppress(Exception):
        if stream is not None:
            stream.flush()


class OutputCapture:
    """Points fds 1 and 2 at the attempt's log while in the ``with`` block.

    ``uri`` is the log's URI once entered; it stays empty when the log could not be stored (the
    attempt runs anyway: a missing log never fails a task).
    """

    def __init__(self, log_dir: str, store_url: str, spool: bool = False) -> None:
        self.log_dir = log_dir
        self.store_url = store_url
        self.spool = spool
        self.uri = ""
        self._tmp: str | None = None
        self._spool_fd: int | None = None
        self._saved: tuple[int, int] | None = None
        self._streams: tuple[TextIO | Any, TextIO | Any] | None = None

    def __enter__(self) -> OutputCapture:
        from slipstream.storage import open_store, store_for_uri

        uri = open_store(self.store_url).join_uri(self.log_dir, LOG_NAME)
        try:
            store = open_store(self.store_url)
            if not store.owns(uri):
                store = store_for_uri(uri)
            local = store.local_path(uri)
            if self.spool:
                fd = os.dup(_spool_file())
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)
                self._spool_fd = os.dup(fd)
                path = ""
            elif local is not None:
                local.parent.mkdir(parents=True, exist_ok=True)
                path = str(local)
            else:
                fd, path = tempfile.mkstemp(prefix="slipstream-log-", suffix=".log")
                os.close(fd)
                self._tmp = path
            if path:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except Exception as e:  # a log that cannot be kept never fails the task
            print(f"slipstream: cannot keep the attempt's output in {uri}: {e}", file=sys.stderr)
            return self
        _flush(sys.stdout)
        _flush(sys.stderr)
        _flush_c_stdio()
        self._saved = (os.dup(1), os.dup(2))
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        self._streams = (sys.stdout, sys.stderr)
        sys.stdout = self._text(1, sys.__stdout__)
        sys.stderr = self._text(2, sys.__stderr__)
        self.uri = uri
        return self

    @staticmethod
    def _text(fd: int, like: Any) -> TextIO:
        encoding = getattr(like, "encoding", None) or "utf-8"
        raw = io.FileIO(fd, "w", closefd=False)
        return io.TextIOWrapper(
            raw,
            encoding=encoding,
            errors="backslashreplace",
            line_buffering=True,
            write_through=True,
        )

    def __exit__(self, *exc: object) -> None:
        if self._saved is None:
            return
        _flush(sys.stdout)
        _flush(sys.stderr)
        _flush_c_stdio()
        assert self._streams is not None
        sys.stdout, sys.stderr = self._streams
        out, err = self._saved
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.close(out)
        os.close(err)
        self._saved = None
        if self._spool_fd is not None:
            self._keep_spool(self._spool_fd)
        elif self._tmp is not None:
            self._upload(self._tmp)

    def _keep_spool(self, fd: int) -> None:
        """Store what the attempt wrote to the spool, if anything."""
        try:
            size = os.fstat(fd).st_size
            if size == 0:
                self.uri = ""
                return
            os.lseek(fd, 0, os.SEEK_SET)
            data = b""
            while len(data) < size:
                chunk = os.read(fd, size - len(data))
                if not chunk:
                    break
                data += chunk
            from slipstream.storage import open_store, store_for_uri

            store = open_store(self.store_url)
            (store if store.owns(self.uri) else store_for_uri(self.uri)).put_bytes(self.uri, data)
        except Exception as e:
            print(
                f"slipstream: cannot store the attempt's output at {self.uri}: {e}", file=sys.stderr
            )
            self.uri = ""
        finally:
            os.close(fd)

    def _upload(self, path: str) -> None:
        from slipstream.storage import open_store, store_for_uri

        try:
            store = open_store(self.store_url)
            (store if store.owns(self.uri) else store_for_uri(self.uri)).put_file(path, self.uri)
        except Exception as e:
            print(
                f"slipstream: cannot store the attempt's output at {self.uri}: {e}", file=sys.stderr
            )
            self.uri = ""
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)


_spool: int | None = None


def _spool_file() -> int:
    """This process's scratch file for spooled logs (unlinked: it goes with the process)."""
    global _spool
    if _spool is None:
        fd, path = tempfile.mkstemp(prefix="slipstream-spool-", suffix=".log")
        os.unlink(path)
        _spool = fd
    return _spool
