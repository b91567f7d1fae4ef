"""Checking a literal (a JSON tree) against its literal type, without the Python types behind it.

The server receives inputs and signal values as literals from clients that may not share its code;
before anything is stored it must know that each literal has the shape its literal type fixes (the
table in ``_literal_types``). :func:`literal_problem` answers with a readable reason, or ``None``.
It checks shapes, not content: a blob URI is not opened. It is the one validator of every way
in: the CLI, ``Remote`` and the console check what they send with it, and the server checks every
launch with it again, so that a value the engine cannot carry (an integer past 64 bits, a struct
missing a field it has no default for) is refused with one message before anything is stored.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from typing import Any

from ._literal_types import Kind, LiteralType, type_str

__all__ = ["literal_problem"]

_NON_FINITE = frozenset({"nan", "inf", "-inf"})
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_INT64_RANGE = "is outside the 64-bit integer range (-2**63 to 2**63-1)"
MAX_DEPTH = 100
"""How deeply a literal may nest: deeper trees are refused before they reach a recursive codec."""
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def literal_problem(value: Any, t: LiteralType, where: str = "") -> str | None:
    """Why ``value`` is not a literal of type ``t`` (``None`` when it is).

    ``where`` prefixes the reason with the position inside a nested value (``[2]``, ``.name``).
    """
    return _problem(value, t, where, 0)


def _bad(where: str, t: LiteralType, value: Any, why: str = "") -> str:
    at = f"at {where}: " if where else ""
    reason = f" ({why})" if why else ""
    return f"{at}expected {type_str(t)}, got {_show(value)}{reason}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _too_deep(where: str) -> str:
    return f"at {where}: nested deeper than {MAX_DEPTH} levels"


def _int_problem(value: int, where: str) -> str | None:
    """Integers travel as 64-bit integers: a larger one would fail in the engine's encoder."""
    if _INT64_MIN <= value <= _INT64_MAX:
        return None
    at = f"at {where}: " if where else ""
    return f"{at}{_show(value)} {_INT64_RANGE}"


def _json_problem(value: Any, where: str, depth: int = 0) -> str | None:
    """Any JSON tree (``any``, a blob reference's extra keys): every integer fits 64 bits."""
    if depth > MAX_DEPTH:
        return _too_deep(where)
    if _is_int(value):
        return _int_problem(value, where)
    if isinstance(value, list):
        for i, item in enumerate(value):
            problem = _json_problem(item, f"{where}[{i}]", depth + 1)
            if problem:
                return problem
    elif isinstance(value, dict):
        for key, item in value.items():
            problem = _json_problem(item, f"{where}[{key!r}]", depth + 1)
            if problem:
                return problem
    return None


def _problem(value: Any, t: LiteralType, where: str, depth: int) -> str | None:
    if depth > MAX_DEPTH:
        return _too_deep(where)
    k = t.kind
    if k is Kind.ANY:
        return _json_problem(value, where, depth)
    if k is Kind.NONE:
        return None if value is None else _bad(where, t, value)
    if k is Kind.INT or k is Kind.DURATION:
        return _int_problem(value, where) if _is_int(value) else _bad(where, t, value)
    if k is Kind.FLOAT:
        if _is_int(value):
            return _int_problem(value, where)
        ok = isinstance(value, float) or value in _NON_FINITE
        return None if ok else _bad(where, t, value)
    if k is Kind.BOOL:
        return None if isinstance(value, bool) else _bad(where, t, value)
    if k is Kind.STR:
        return None if isinstance(value, str) else _bad(where, t, value)
    if k is Kind.BYTES:
        if not isinstance(value, str):
            return _bad(where, t, value, "bytes are a base64 string")
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return _bad(where, t, value, "not valid base64")
        return None
    if k is Kind.DATETIME:
        if not isinstance(value, str):
            return _bad(where, t, value, "an ISO-8601 string")
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return _bad(where, t, value, "not an ISO-8601 datetime")
        if parsed.tzinfo is None:
            return _bad(where, t, value, "a datetime literal carries a UTC offset")
        return None
    if k is Kind.DATE:
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            return _bad(where, t, value, "YYYY-MM-DD")
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return _bad(where, t, value, "not a calendar date")
        return None
    if k is Kind.ENUM:
        if isinstance(value, str) and value in t.values:
            return None
        return _bad(where, t, value, f"one of {', '.join(t.values)}")
    if k is Kind.LIST:
        if not isinstance(value, list):
            return _bad(where, t, value, "a JSON array")
        for i, item in enumerate(value):
            problem = _problem(item, t.args[0], f"{where}[{i}]", depth + 1)
            if problem:
                return problem
        return None
    if k is Kind.DICT:
        if not isinstance(value, dict):
            return _bad(where, t, value, "a JSON object")
        for key, item in value.items():
            problem = _problem(item, t.args[1], f"{where}[{key!r}]", depth + 1)
            if problem:
                return problem
        return None
    if k is Kind.UNION:
        return _union_problem(value, t, where, depth)
    if k is Kind.STRUCT:
        if not isinstance(value, dict):
            return _bad(where, t, value, "a JSON object of its fields")
        fields = {f.name: f.type for f in t.fields}
        unknown = [name for name in value if name not in fields]
        if fields and unknown:
            known = ", ".join(fields)
            return _bad(where, t, value, f"unknown field {unknown[0]!r}; its fields: {known}")
        missing = [f.name for f in t.fields if not f.has_default and f.name not in value]
        if missing:
            return _bad(where, t, value, f"missing required field {missing[0]!r}")
        for name, item in value.items():
            problem = _problem(item, fields[name], f"{where}.{name}", depth + 1) if fields else None
            if problem:
                return problem
        return _json_problem(value, where, depth) if not fields else None
    # file, dir, dataset, ndarray, pickle: a reference into a blob store
    if not isinstance(value, dict) or not isinstance(value.get("uri"), str) or not value["uri"]:
        return _bad(where, t, value, 'a blob reference {"uri": ...}')
    return _json_problem(value, where, depth)


def _union_problem(value: Any, t: LiteralType, where: str, depth: int) -> str | None:
    tags = {variant.tag: variant for variant in t.args}
    if not isinstance(value, dict) or set(value) != {"$u", "v"}:
        return _bad(where, t, value, 'a union literal {"$u": tag, "v": value}')
    variant = tags.get(value["$u"])
    if variant is None:
        return _bad(where, t, value, f"unknown variant {value['$u']!r}; one of {', '.join(tags)}")
    return _problem(value["v"], variant, where, depth + 1)
