"""Text matched with SQL ``LIKE``: the one escaping of its wildcards."""

from __future__ import annotations

__all__ = ["LIKE_ESCAPE", "escape_like"]

LIKE_ESCAPE = "\\"
"""The escape character the patterns of :func:`escape_like` need (``like(..., escape=...)``)."""


def escape_like(text: str) -> str:
    """``text`` escaped for a LIKE pattern (with ``escape=LIKE_ESCAPE``): it matches itself only."""
    return text.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
