"""Evaluating branch conditions over literals.

Most literals compare as they are (numbers, strings, booleans). A datetime literal is an ISO-8601
string with a UTC offset, and two of those do not order as strings when their offsets differ
(``10:00+02:00`` is before ``09:00+00:00``), so a comparison in which either side is a datetime
literal parses both sides first; dates compare as ``YYYY-MM-DD`` strings, which order correctly.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable
from typing import Any

from slipstream.model import Comparison, Condition, Conjunction

from ._bindings import resolve

__all__ = ["evaluate"]

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")


def _as_datetime(v: Any) -> dt.datetime | None:
    if type(v) is not str or not _DATETIME.match(v):
        return None
    try:
        return dt.datetime.fromisoformat(v)
    except ValueError:
        return None


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    """Both sides as values that compare correctly: aware datetimes when either is one."""
    dl, dr = _as_datetime(left), _as_datetime(right)
    if dl is None and dr is None:
        return left, right
    if dl is None or dr is None:
        other = right if dl is not None else left
        raise ValueError(f"cannot compare a datetime with {other!r}")
    return dl, dr


def _plain(v: Any) -> Any:
    while isinstance(v, dict) and "$u" in v and "v" in v and len(v) == 2:
        v = v["v"]
    return v


def evaluate(cond: Condition, lookup: Callable[[str, str], Any]) -> bool:
    """Whether ``cond`` holds, reading promises through ``lookup``."""
    if isinstance(cond, Conjunction):
        left = evaluate(cond.left, lookup)
        if cond.op == "and":
            return left and evaluate(cond.right, lookup)
        return left or evaluate(cond.right, lookup)
    assert isinstance(cond, Comparison)
    left = _plain(resolve(cond.left.data, lookup))
    if cond.op == "is_true":
        return left is True
    if cond.op == "is_false":
        return left is False
    if cond.op == "is_none":
        return left is None
    assert cond.right is not None
    right = _plain(resolve(cond.right.data, lookup))
    left, right = _comparable(left, right)
    return _OPS[cond.op](left, right)
