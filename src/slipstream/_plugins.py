"""Plugins by name: the one loader of slipstream's entry points (imports nothing of slipstream).

A plugin is named where it is used (a runner by ``--runner``, a connector by its task type) and
found through an entry point of its group (``slipstream.runners``, ``slipstream.connectors``)
that some installed package declares. slipstream declares its own the same way. Only slipstream's
own metadata is read for the names it declares (one distribution, not every installed one's);
other names are looked up among every installed package. What was loaded is kept.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["entry_point", "entry_point_names"]

_loaded: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


def _own(group: str) -> list[Any]:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        return [ep for ep in distribution("slipstream").entry_points if ep.group == group]
    except PackageNotFoundError:  # running from a source tree that was never installed
        return []


def entry_point(group: str, name: str) -> Any | None:
    """What the entry point ``name`` of ``group`` names, loaded; None when no installed package
    declares one."""
    key = (group, name)
    found = _loaded.get(key)
    if found is not None:
        return found
    from importlib.metadata import entry_points

    with _lock:
        point = next((ep for ep in _own(group) if ep.name == name), None)
        if point is None:
            point = next(iter(entry_points(group=group, name=name)), None)
        if point is None:
            return None
        _loaded[key] = point.load()
        return _loaded[key]


def entry_point_names(group: str) -> set[str]:
    """Every name of ``group`` that an installed package declares (for error messages)."""
    from importlib.metadata import entry_points

    return {ep.name for ep in (*_own(group), *entry_points(group=group))}
