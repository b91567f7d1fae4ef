"""Where slipstream keeps its data on this machine when nothing else is configured."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_store_url", "slipstream_home"]


def slipstream_home() -> Path:
    """The home directory of slipstream: ``$SLIPSTREAM_HOME``, else ``~/.slipstream``.

    Read on every call (not cached) so that tests and tools can point it elsewhere.
    """
    env = os.environ.get("SLIPSTREAM_HOME")
    home = Path(env).expanduser() if env else Path.home() / ".slipstream"
    return home.absolute()


def default_store_url() -> str:
    """The blob store used when none is configured: ``file://{home}/data``."""
    return "file://" + (slipstream_home() / "data").as_posix()
