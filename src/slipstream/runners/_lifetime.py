"""Worker processes end when the process that owns the pool dies, however it dies.

On Linux a worker asks the kernel for ``SIGKILL`` when its parent goes (``prctl(PR_SET_PDEATHSIG)``,
through ctypes), then checks that its parent is still the process that started it (the parent may
have died before the request was made). The kernel's signal follows the *thread* that started the
worker, so when the pool was made outside the main thread, or where ``prctl`` is missing, a daemon
thread instead checks the parent's pid every 0.2 s. Both work for the fork and spawn start methods.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

__all__ = ["die_with_parent"]

_PR_SET_PDEATHSIG = 1
_POLL_S = 0.2


def _pdeathsig() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent(parent_pid: int, kernel: bool = True) -> None:
    """End this process when ``parent_pid`` dies; exit at once if it already has.

    ``kernel``: the parent thread that started us lives as long as its process (the main thread),
    so the kernel's parent-death signal can be used.
    """
    armed = kernel and _pdeathsig()
    if os.getppid() != parent_pid:
        os._exit(1)
    if armed:
        return

    def watch() -> None:
        while True:
            time.sleep(_POLL_S)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="slipstream-parent-watch", daemon=True).start()
