"""What the isolated pool's fork server imports, as the server, before any worker drops to the
worker user: the modules of slipstream a task's code and the task entrypoint reach, so that a
worker runs even where the worker user cannot read slipstream's installation (a checkout in a
private folder). Heavy third-party libraries stay out: slipstream's modules import them only
where a value needs them, and a task that needs one needs it readable by the worker user (see
docs/security.md)."""

from __future__ import annotations

import importlib
import pkgutil

__all__ = ["PACKAGES", "preload"]

PACKAGES = (
    "slipstream.model",
    "slipstream.types",
    "slipstream.storage",
    "slipstream.sdk",
    "slipstream.core",
    "slipstream.deck",
    "slipstream.runners",
)
_SKIP = ("slipstream.runners._ray", "slipstream.runners._envs")


def preload() -> list[str]:
    """Import every module of :data:`PACKAGES` (but Ray's and task environments'); the names of
    those that could not be imported (an optional dependency missing), which workers then import
    late as usual."""
    missed: list[str] = []
    for name in PACKAGES:
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            if info.name.startswith(_SKIP):
                continue
            try:
                importlib.import_module(info.name)
            except ImportError:
                missed.append(info.name)
    return missed


preload()
