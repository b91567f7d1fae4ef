"""A readable diff of two JSON trees: what changed, by path, for registration conflicts."""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["Change", "diff", "render"]

_MISSING = "<absent>"


class Change(msgspec.Struct, frozen=True):
    """One difference: ``path`` such as ``workflow.nodes[1].inputs[0]``, and both values."""

    path: str
    old: Any
    new: Any


def diff(old: Any, new: Any, path: str = "") -> list[Change]:
    """Every leaf where ``old`` and ``new`` differ, walking dicts by key and lists by index."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[Change] = []
        for key in sorted(set(old) | set(new), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in old:
                changes.append(Change(sub, _MISSING, new[key]))
            elif key not in new:
                changes.append(Change(sub, old[key], _MISSING))
            else:
                changes.extend(diff(old[key], new[key], sub))
        return changes
    if isinstance(old, list) and isinstance(new, list):
        changes = []
        for i in range(max(len(old), len(new))):
            sub = f"{path}[{i}]"
            if i >= len(old):
                changes.append(Change(sub, _MISSING, new[i]))
            elif i >= len(new):
                changes.append(Change(sub, old[i], _MISSING))
            else:
                changes.extend(diff(old[i], new[i], sub))
        return changes
    return [] if old == new else [Change(path or "<root>", old, new)]


def render(changes: list[Change], *, limit: int = 20, width: int = 70) -> str:
    """Changes as lines ``path: old -> new`` (values shortened), at most ``limit`` lines."""
    lines = [
        f"  {c.path}: {_short(c.old, width)} -> {_short(c.new, width)}" for c in changes[:limit]
    ]
    if len(changes) > limit:
        lines.append(f"  ... and {len(changes) - limit} more")
    return "\n".join(lines)


def _short(value: Any, width: int) -> str:
    text = value if value == _MISSING else msgspec.json.encode(value).decode()
    return text if len(text) <= width else text[: width - 3] + "..."
