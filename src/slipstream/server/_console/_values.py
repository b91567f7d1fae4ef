"""Values for people: one literal rendered as HTML by its literal type.

Records (structs, and lists of them) become tables, an empty optional says *none*, a union shows
its variant's value (never the ``{"$u": tag, "v": ...}`` wrapper), files, directories, arrays and
pickles are links, a DataFrame is a link and a preview of its first rows. A value whose type is
not known (a node's inputs and outputs, which the record keeps without their types) is rendered by
its shape, the same way. Only blobs below the execution's own project and domain are linked or
read (:func:`owned_prefixes`); every other URI is shown as text. Everything is bounded: at most
:data:`MAX_ROWS` rows or items per level and :data:`MAX_DEPTH` levels of nesting.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from slipstream.model import Kind, LiteralType

__all__ = ["MAX_DEPTH", "MAX_ROWS", "owned_prefixes", "render_value"]

MAX_ROWS = 50
MAX_DEPTH = 4
_PREVIEW_ROWS = 10
_TEXT = 2000
_BLOB_KINDS = (Kind.FILE, Kind.DIR, Kind.NDARRAY)
_TEXT_KINDS = (Kind.STR, Kind.DATETIME, Kind.DATE, Kind.ENUM, Kind.BYTES)
_NONE = Markup('<span class="muted none">none</span>')


def owned_prefixes(store_url: str, project: str, domain: str) -> tuple[str, ...]:
    """The blob prefixes of one project and domain: its executions' data and its uploads. A
    page links to and previews only values below these (the caller may read them); any other
    URI a value holds is shown as text, never read."""
    root = store_url.rstrip("/")
    return (f"{root}/{project}/{domain}/", f"{root}/uploads/{project}/{domain}/")


def _owned(uri: str, owned: tuple[str, ...]) -> bool:
    return ".." not in uri.split("/") and any(uri.startswith(p) for p in owned)


def _json(value: Any, limit: int = _TEXT) -> str:
    text = json.dumps(value, indent=1, default=str)
    return text if len(text) <= limit else text[:limit] + " …"


def _blob_link(uri: str, owned: tuple[str, ...]) -> Markup:
    if _owned(uri, owned):
        href = f"/console/blob?uri={quote(uri, safe='')}"
        return Markup('<a class="blob" href="{}">{}</a>').format(href, uri)
    if uri.startswith(("http://", "https://")):
        return Markup('<a class="blob" href="{}" rel="noreferrer">{}</a>').format(uri, uri)
    return Markup("<code>{}</code>").format(uri)


def _frame_preview(uri: str, owned: tuple[str, ...]) -> Markup:
    if not _owned(uri, owned):
        return Markup("")
    try:
        import fsspec
        import pyarrow.parquet as pq

        with fsspec.open(uri, "rb") as f:
            reader = pq.ParquetFile(f)
            rows = reader.metadata.num_rows
            batch = next(reader.iter_batches(batch_size=_PREVIEW_ROWS), None)
            table = batch.to_pylist() if batch is not None else []
            columns = reader.schema_arrow.names
    except Exception as e:  # a preview is a courtesy: say why there is none
        return Markup('<p class="muted">no preview: {}</p>').format(f"{type(e).__name__}: {e}")
    head = Markup("").join(Markup("<th>{}</th>").format(c) for c in columns)
    body = Markup("").join(
        Markup("<tr>{}</tr>").format(
            Markup("").join(Markup("<td>{}</td>").format(str(r.get(c))[:80]) for c in columns)
        )
        for r in table
    )
    return Markup(
        '<div class="scroll"><table class="frame"><thead><tr>{}</tr></thead><tbody>{}</tbody>'
        '</table></div><p class="muted">{} rows, {} columns; first {} shown</p>'
    ).format(head, body, rows, len(columns), len(table))


def _more(total: int) -> Markup:
    if total <= MAX_ROWS:
        return Markup("")
    return Markup('<p class="muted">first {} of {} shown</p>').format(MAX_ROWS, total)


def _records(rows: list[Any], columns: list[tuple[str, LiteralType | None]], ctx: _Ctx) -> Markup:
    """A table with a row per record and a column per field."""
    head = Markup("").join(Markup("<th>{}</th>").format(name) for name, _ in columns)
    body = Markup("").join(
        Markup("<tr>{}</tr>").format(
            Markup("").join(
                Markup("<td>{}</td>").format(
                    ctx.value(r.get(name), tp) if isinstance(r, dict) else ctx.value(r, None)
                )
                for name, tp in columns
            )
        )
        for r in rows[:MAX_ROWS]
    )
    return Markup(
        '<div class="scroll"><table class="records"><thead><tr>{}</tr></thead><tbody>{}</tbody>'
        "</table></div>{}"
    ).format(head, body, _more(len(rows)))


def _pairs(pairs: list[tuple[str, Any, LiteralType | None]], ctx: _Ctx) -> Markup:
    """A table of name and value, one row each (a struct's fields, a dict's entries)."""
    body = Markup("").join(
        Markup("<tr><th>{}</th><td>{}</td></tr>").format(k, ctx.value(v, tp))
        for k, v, tp in pairs[:MAX_ROWS]
    )
    return Markup('<table class="record">{}</table>{}').format(body, _more(len(pairs)))


def _items(items: list[Any], tp: LiteralType | None, ctx: _Ctx) -> Markup:
    if not items:
        return Markup('<span class="muted">[] (empty)</span>')
    if (tp is not None and tp.kind in (Kind.INT, Kind.FLOAT, Kind.BOOL)) or (
        tp is None and all(isinstance(i, int | float) for i in items)
    ):
        shown = ", ".join(json.dumps(i) for i in items[:MAX_ROWS])
        return Markup('<code class="list">[{}]</code>{}').format(
            shown + (", …" if len(items) > MAX_ROWS else ""), _more(len(items))
        )
    body = Markup("").join(Markup("<li>{}</li>").format(ctx.value(i, tp)) for i in items[:MAX_ROWS])
    return Markup('<ol class="items" start="0">{}</ol>{}').format(body, _more(len(items)))


def _is_record_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(r, dict) and "uri" not in r and "$u" not in r for r in value)
    )


class _Ctx:
    """The rendering of one value: its owned prefixes and how deep it is."""

    def __init__(self, owned: tuple[str, ...], depth: int) -> None:
        self.owned = owned
        self.depth = depth

    def value(self, literal: Any, tp: LiteralType | None) -> Markup:
        if self.depth >= MAX_DEPTH:
            return Markup("<pre>{}</pre>").format(_json(literal))
        inner = _Ctx(self.owned, self.depth + 1)
        if tp is None or tp.kind is Kind.ANY:
            return inner.shape(literal)
        return inner.typed(literal, tp)

    def typed(self, literal: Any, tp: LiteralType) -> Markup:
        kind = tp.kind
        if literal is None or kind is Kind.NONE:
            return _NONE
        if kind is Kind.UNION:
            if isinstance(literal, dict) and "$u" in literal and "v" in literal:
                variant = next((a for a in tp.args if a.tag == literal["$u"]), None)
                return self.value(literal["v"], variant)
            return self.shape(literal)
        if kind in _BLOB_KINDS and isinstance(literal, dict) and "uri" in literal:
            return _blob_link(str(literal["uri"]), self.owned)
        if kind is Kind.DATASET and isinstance(literal, dict) and "uri" in literal:
            uri = str(literal["uri"])
            return _blob_link(uri, self.owned) + _frame_preview(uri, self.owned)
        if kind is Kind.PICKLE and isinstance(literal, dict):
            return self.shape(literal if "$pickle" in literal else {"$pickle": literal})
        if kind in (Kind.BOOL, Kind.INT, Kind.FLOAT):
            return Markup("<code>{}</code>").format(json.dumps(literal))
        if kind is Kind.DURATION and isinstance(literal, int):
            return Markup("<code>{} s</code>").format(literal / 1_000_000)
        if kind in _TEXT_KINDS and isinstance(literal, str):
            return Markup('<span class="str">{}</span>').format(literal[:_TEXT])
        if kind is Kind.LIST and isinstance(literal, list):
            item = tp.args[0] if tp.args else None
            if item is not None and item.kind is Kind.STRUCT and item.fields:
                return _records(literal, [(f.name, f.type) for f in item.fields], self)
            return _items(literal, item, self)
        if kind is Kind.STRUCT and isinstance(literal, dict) and tp.fields:
            return _pairs([(f.name, literal.get(f.name), f.type) for f in tp.fields], self)
        if kind is Kind.DICT and isinstance(literal, dict):
            value_type = tp.args[1] if len(tp.args) > 1 else None
            return _pairs([(str(k), v, value_type) for k, v in literal.items()], self)
        return self.shape(literal)

    def shape(self, literal: Any) -> Markup:
        """A value of unknown type, rendered by what it looks like."""
        if literal is None:
            return _NONE
        if isinstance(literal, bool | int | float):
            return Markup("<code>{}</code>").format(json.dumps(literal))
        if isinstance(literal, str):
            return Markup('<span class="str">{}</span>').format(literal[:_TEXT])
        if isinstance(literal, list):
            if _is_record_list(literal):
                names: dict[str, None] = {}
                for r in literal[:MAX_ROWS]:
                    names.update(dict.fromkeys(r))
                return _records(literal, [(n, None) for n in list(names)[:MAX_ROWS]], self)
            return _items(literal, None, self)
        if isinstance(literal, dict):
            if set(literal) == {"$u", "v"}:
                return self.value(literal["v"], None)
            if "$pickle" in literal and isinstance(literal["$pickle"], dict):
                uri = str(literal["$pickle"].get("uri", ""))
                return Markup("<em>pickled value</em> ") + _blob_link(uri, self.owned)
            if "uri" in literal and isinstance(literal["uri"], str):
                uri = literal["uri"]
                link = _blob_link(uri, self.owned)
                if literal.get("format") == "parquet":
                    return link + _frame_preview(uri, self.owned)
                return link
            return _pairs([(str(k), v, None) for k, v in literal.items()], self)
        return Markup("<pre>{}</pre>").format(_json(literal))


def render_value(literal: Any, tp: LiteralType | None, owned: tuple[str, ...] = ()) -> Markup:
    """One input or output for people, by its type (by its shape when ``tp`` is None); blobs
    below ``owned`` (the prefixes of the execution's project and domain,
    :func:`owned_prefixes`) are linked and previewed."""
    return _Ctx(owned, 0).value(literal, tp)
