"""Evaluating branch conditions over literals."""

from __future__ import annotations

import operator
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
    return _OPS[cond.op](left, right)
