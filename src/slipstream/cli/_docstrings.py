"""Reading a function's docstring into a summary and per-parameter docs, for ``--help``.

Understands the three common styles: Google (``Args:`` / ``Arguments:`` / ``Parameters:``
sections with ``name (type): text`` entries), Sphinx (``:param [type] name: text``) and NumPy
(a ``Parameters`` header underlined with dashes, then ``name : type`` lines and indented text).
Anything it does not recognise stays in the summary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Docstring", "parse_docstring"]

_GOOGLE_ARGS = re.compile(r"^(Args|Arguments|Parameters|Params|Keyword Args|Inputs):\s*$")
_GOOGLE_OTHER = re.compile(
    r"^(Returns?|Yields?|Raises|Examples?|Notes?|Attributes|See Also|Outputs|Warnings?):\s*$"
)
_GOOGLE_ENTRY = re.compile(r"^\*{0,2}(\w+)\s*(\([^)]*\))?\s*:\s*(.*)$")
_SPHINX_PARAM = re.compile(r"^:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")
_SPHINX_ANY = re.compile(r"^:\w+")
_NUMPY_ENTRY = re.compile(r"^(\w+)\s*(?::.*)?$")
_NUMPY_HEADERS = frozenset(
    {"Parameters", "Returns", "Yields", "Raises", "Notes", "Examples", "See Also", "Attributes"}
)


@dataclass(frozen=True)
class Docstring:
    """What ``--help`` shows: the description without its parameter sections, and each
    parameter's text by name."""

    summary: str
    params: dict[str, str] = field(default_factory=dict)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def parse_docstring(doc: str | None) -> Docstring:
    """Split ``doc`` (already dedented, as ``inspect.getdoc`` returns it) into summary and params."""
    if not doc:
        return Docstring("")
    lines = doc.expandtabs().splitlines()
    summary: list[str] = []
    params: dict[str, list[str]] = {}
    i = 0
    in_summary = True
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        # NumPy: "Parameters" followed by a line of dashes.
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if stripped in _NUMPY_HEADERS and nxt and set(nxt) == {"-"}:
            in_summary = False
            i += 2
            if stripped == "Parameters":
                i = _numpy_params(lines, i, params)
            continue
        if _GOOGLE_ARGS.match(stripped):
            in_summary = False
            i = _google_params(lines, i + 1, _indent(line), params)
            continue
        if _GOOGLE_OTHER.match(stripped):
            in_summary = False
            i = _skip_block(lines, i + 1, _indent(line))
            continue
        m = _SPHINX_PARAM.match(stripped)
        if m:
            in_summary = False
            text = [m.group(2)]
            i += 1
            while i < len(lines) and lines[i].strip() and not _SPHINX_ANY.match(lines[i].strip()):
                text.append(lines[i].strip())
                i += 1
            params[m.group(1)] = text
            continue
        if _SPHINX_ANY.match(stripped):
            in_summary = False
            i += 1
            continue
        if in_summary:
            summary.append(line)
        i += 1
    return Docstring(
        "\n".join(summary).strip(),
        {k: " ".join(t for t in v if t).strip() for k, v in params.items()},
    )


def _google_params(lines: list[str], i: int, base: int, out: dict[str, list[str]]) -> int:
    entry_indent: int | None = None
    current: list[str] | None = None
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        ind = _indent(line)
        if ind <= base:
            break
        if entry_indent is None:
            entry_indent = ind
        m = _GOOGLE_ENTRY.match(line.strip()) if ind == entry_indent else None
        if m:
            current = [m.group(3)]
            out[m.group(1)] = current
        elif current is not None:
            current.append(line.strip())
        i += 1
    return i


def _numpy_params(lines: list[str], i: int, out: dict[str, list[str]]) -> int:
    current: list[str] | None = None
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if stripped in _NUMPY_HEADERS and nxt and set(nxt) == {"-"}:
            break
        if stripped and _indent(line) == 0:
            m = _NUMPY_ENTRY.match(stripped)
            if m:
                current = []
                out[m.group(1)] = current
        elif stripped and current is not None:
            current.append(stripped)
        i += 1
    return i


def _skip_block(lines: list[str], i: int, base: int) -> int:
    while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > base):
        i += 1
    return i
