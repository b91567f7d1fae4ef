"""One server per home: an exclusive lock on ``{home}/server.lock`` held while serving."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from slipstream.errors import AlreadyRunningError

__all__ = ["HomeLock"]


class HomeLock:
    """Held for the life of a server; a second server on the same home fails clearly.

    The operating system releases the lock when the process dies, so a crash leaves no stale lock.
    """

    def __init__(self, home: Path) -> None:
        self.path = home / "server.lock"
        self._fd: int | None = None

    def __enter__(self) -> HomeLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise AlreadyRunningError(
                f"another slipstream server (pid {holder}) is running on {self.path.parent}; "
                "stop it first, or give this one another home (--home or SLIPSTREAM_HOME)",
                details={"home": str(self.path.parent), "pid": holder},
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
