"""A SQL task's ``query_template`` turned into a query with bound parameters.

flytekit's SQL tasks paste ``{{ .inputs.name }}`` into the query as text, so an input such as
``1; DROP TABLE t`` becomes SQL. Here each placeholder becomes a bind parameter of the driver
(``:name``), and the value travels next to the query, never inside it: a value is only ever a
value. A placeholder written inside quotes on its own (``'{{ .inputs.day }}'``, the way
templates quote text for pasting) is the same parameter, quotes dropped; a list input is one
parameter per item (``IN ({{ .inputs.ids }})``). What a parameter cannot be is part of a longer string or a table or column name: such a template is refused when the
task is defined, with the reason.

The template is read once, at definition, by a small scanner that knows SQL's string literals,
quoted identifiers and comments, so a placeholder is judged by where it stands.
"""

from __future__ import annotations

import datetime
import enum
import re
from dataclasses import dataclass
from typing import Any

from slipstream.errors import CompileError

__all__ = ["BoundTemplate", "parse_template"]

_PLACEHOLDER = re.compile(r"\{\{\s*\.(\w+)(?:\.(\w+))?\s*\}\}")
_SQLALCHEMY_BIND = re.compile(r"(?<![:\w\\]):(?=\w)")
"""Where SQLAlchemy's ``text()`` would read a bind parameter (``:name`` after a non-word)."""


@dataclass(frozen=True)
class _Param:
    """A place in the query where input ``name`` is bound."""

    name: str


@dataclass(frozen=True)
class BoundTemplate:
    """A parsed template: SQL text and the parameters between it."""

    parts: tuple[str | _Param, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The inputs the query binds, in order of first use."""
        return tuple(dict.fromkeys(p.name for p in self.parts if isinstance(p, _Param)))

    def render(self, style: str, kwargs: dict[str, Any]) -> str:
        """The query with ``:name`` parameters: ``"sqlite3"`` for the standard library's driver,
        ``"sqlalchemy"`` for ``text()``, where a colon of the SQL itself that ``text()`` would
        read as a parameter is escaped. A list input is one parameter per item (``IN
        ({{ .inputs.ids }})``), ``NULL`` when it is empty, so that it matches nothing."""
        out = []
        for p in self.parts:
            if isinstance(p, _Param):
                value = kwargs.get(p.name)
                if isinstance(value, list | tuple):
                    keys = [f":{p.name}__{i}" for i in range(len(value))]
                    out.append(", ".join(keys) or "NULL")
                else:
                    out.append(f":{p.name}")
            elif style == "sqlalchemy":
                out.append(_SQLALCHEMY_BIND.sub(r"\\:", p))
            else:
                out.append(p)
        return "".join(out)

    def values(self, kwargs: dict[str, Any], *, text_dates: bool = False) -> dict[str, Any]:
        """The parameter values from the task's inputs (an Enum by its value; dates as ISO text
        where the driver has no date type; a list's items one by one)."""
        out: dict[str, Any] = {}
        for n in self.names:
            value = kwargs[n]
            if isinstance(value, list | tuple):
                out.update((f"{n}__{i}", _db_value(v, text_dates)) for i, v in enumerate(value))
            else:
                out[n] = _db_value(value, text_dates)
        return out


def _db_value(value: Any, text_dates: bool) -> Any:
    if isinstance(value, enum.Enum):
        value = value.value
    if text_dates and isinstance(value, datetime.datetime):
        return value.isoformat(" ")
    if text_dates and isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return value


def _closing(text: str, start: int, quote: str) -> int:
    """Index just past the quoted run that opens at ``start`` (a doubled quote stays inside)."""
    i = start + 1
    while i < len(text):
        if text[i] == quote:
            if text.startswith(quote * 2, i):
                i += 2
                continue
            return i + 1
        i += 1
    return len(text)


def parse_template(template: str, inputs: set[str], what: str, where: str) -> BoundTemplate:
    """Read ``template``; ``inputs`` are the task's input names (every placeholder must name
    one). Raises :class:`CompileError` at ``where`` for a placeholder that cannot be bound."""

    def refuse(reason: str) -> CompileError:
        return CompileError(f"{what}: {reason}", location=where)

    def param(m: re.Match[str]) -> _Param:
        scope, name = m.group(1), m.group(2)
        if scope.lower() != "inputs" or name is None:
            raise refuse(
                f"{m.group(0)} is not a placeholder this task fills; write {{{{ .inputs.NAME }}}}"
            )
        if name not in inputs:
            known = ", ".join(sorted(inputs)) or "(none)"
            raise refuse(f"{m.group(0)} names no input of the task; its inputs: {known}")
        return _Param(name)

    parts: list[str | _Param] = []
    text: list[str] = []
    i = 0
    while i < len(template):
        c = template[i]
        if template.startswith("{{", i) and (m := _PLACEHOLDER.match(template, i)):
            parts.extend(["".join(text), param(m)])
            text = []
            i = m.end()
            continue
        if template.startswith("--", i) or template.startswith("/*", i):
            end = template.find("\n" if c == "-" else "*/", i)
            end = len(template) if end < 0 else end + (1 if c == "-" else 2)
            # a placeholder in a comment is no parameter: only its name stays
            text.append(_PLACEHOLDER.sub(lambda m: m.group(0)[2:-2].strip(), template[i:end]))
            i = end
            continue
        if c in "'\"`":
            end = _closing(template, i, c)
            body = template[i + 1 : end - 1]
            whole = _PLACEHOLDER.fullmatch(body)
            if whole and c != "`":
                parts.extend(["".join(text), param(whole)])
                text = []
            elif _PLACEHOLDER.search(body):
                kind = "a table or column name" if c != "'" else "part of a longer string"
                raise refuse(
                    f"the placeholder in {template[i:end]} would be {kind}: inputs are bound "
                    "as query parameters, which stand for whole values only (build the string "
                    "in SQL, e.g. '%' || {{ .inputs.x }} || '%', or pass the whole value)"
                )
            else:
                text.append(template[i:end])
            i = end
            continue
        text.append(c)
        i += 1
    parts.append("".join(text))
    return BoundTemplate(tuple(p for p in parts if p != ""))
