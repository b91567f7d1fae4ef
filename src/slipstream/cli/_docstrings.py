"""Reading a function's docstring into a summary and per-parameter docs, for ``--help``.

``docstring_parser`` reads the three common styles: Google (``Args:`` sections with
``name (type): text`` entries), Sphinx (``:param [type] name: text``) and NumPy (a ``Parameters``
header underlined with dashes). The style that finds the most in a docstring wins, as the
library's own automatic choice does; the Google reader here also knows the section names
flytekit's docstrings and ours use (``Inputs:``, ``Outputs:``, ``Notes:``...). Whatever no reader
understands stays in the summary.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docstring_parser import Docstring as Parsed

__all__ = ["Docstring", "parse_docstring"]


@functools.cache
def _readers() -> tuple[Callable[[str], Parsed], ...]:
    """The readers of each style (the library loads on the first docstring read, not with the
    command line)."""
    from docstring_parser import epydoc, numpydoc, rest
    from docstring_parser.google import DEFAULT_SECTIONS, GoogleParser, Section, SectionType

    google = GoogleParser(
        [
            *DEFAULT_SECTIONS,
            Section("Keyword Args", "param", SectionType.MULTIPLE),
            Section("Keyword Arguments", "param", SectionType.MULTIPLE),
            Section("Inputs", "param", SectionType.MULTIPLE),
            Section("Outputs", "returns", SectionType.MULTIPLE),
            *(
                Section(title, "notes", SectionType.SINGULAR)
                for title in ("Note", "Notes", "See Also", "Warning", "Warnings")
            ),
        ]
    )
    return (google.parse, rest.parse, numpydoc.parse, epydoc.parse)


@dataclass(frozen=True)
class Docstring:
    """What ``--help`` shows: the description without its parameter sections, and each
    parameter's text by name."""

    summary: str
    params: dict[str, str] = field(default_factory=dict)


def _read(doc: str) -> Parsed | None:
    """The reading that found the most sections (None: no reader could read ``doc``)."""
    from docstring_parser import ParseError

    found: list[Parsed] = []
    for read in _readers():
        try:
            found.append(read(doc))
        except ParseError:
            continue
    return max(found, key=lambda d: len(d.meta), default=None)


def _one_line(text: str | None) -> str:
    return " ".join(line.strip() for line in (text or "").splitlines() if line.strip())


def parse_docstring(doc: str | None) -> Docstring:
    """Split ``doc`` (already dedented, as ``inspect.getdoc`` returns it) into summary and params."""
    if not doc:
        return Docstring("")
    parsed = _read(doc.expandtabs())
    if parsed is None:
        return Docstring(doc.strip())
    short, long = parsed.short_description or "", parsed.long_description or ""
    gap = "\n\n" if parsed.blank_after_short_description else "\n"
    summary = f"{short}{gap}{long}" if short and long else short or long
    return Docstring(summary.strip(), {p.arg_name: _one_line(p.description) for p in parsed.params})
