"""Cursor (keyset) pagination: pages cost the same at row 100 and at row 100,000.

A cursor is opaque to clients: base64 of the sort it was made for and the last row's sort key.
Rows are ordered by ``(sort column, id)`` so that ties break the same way every time. The console
pages by a row id it puts in its links (:func:`keyset`), the same way underneath.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import msgspec
from sqlalchemy import ColumnElement, Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from slipstream.errors import ValidationError

__all__ = ["MAX_LIMIT", "PageRequest", "keyset", "paginate"]

MAX_LIMIT = 500
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class PageRequest:
    """Which page: at most ``limit`` rows after ``cursor``, by ``sort_by`` in ``order``."""

    limit: int = 100
    cursor: str | None = None
    sort_by: str = "created_at"
    order: Literal["asc", "desc"] = "desc"

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValidationError(
                f"limit must be between 1 and {MAX_LIMIT}, got {self.limit}",
                details={"field": "limit", "value": self.limit},
            )
        if self.order not in ("asc", "desc"):
            raise ValidationError(
                f"order must be 'asc' or 'desc', got {self.order!r}",
                details={"field": "order", "value": self.order},
            )


class _Cursor(msgspec.Struct, frozen=True, array_like=True):
    sort_by: str
    order: str
    key: tuple[str | float | int, str | int]


def _encode(cursor: _Cursor) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(cursor)).decode().rstrip("=")


def _decode(text: str, page: PageRequest) -> _Cursor:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        cursor = msgspec.json.decode(raw, type=_Cursor)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise ValidationError(
            "invalid cursor: pass back the next_cursor of a previous page unchanged",
            details={"field": "cursor"},
        ) from None
    if cursor.sort_by != page.sort_by or cursor.order != page.order:
        raise ValidationError(
            "the cursor was made for another sort; keep sort_by and order across pages",
            details={"field": "cursor"},
        )
    return cursor


def paginate(
    session: Session,
    stmt: Select[Any],
    *,
    page: PageRequest,
    id_column: InstrumentedAttribute[Any],
    sort_columns: Mapping[str, InstrumentedAttribute[Any] | None],
    key_of: Callable[[R], tuple[Any, Any]],
    to_item: Callable[[R], T],
) -> tuple[Sequence[T], str | None]:
    """Run ``stmt`` for one page; returns the items and the next cursor (None on the last page).

    ``id_column`` is a unique column that breaks ties (an auto-increment id: creation order).
    ``sort_columns`` maps each allowed ``sort_by`` to its column; None means "by ``id_column``".
    ``key_of`` gives a row's ``(sort value, id)``.
    """
    if page.sort_by not in sort_columns:
        raise ValidationError(
            f"cannot sort by {page.sort_by!r}: choose one of {', '.join(sort_columns)}",
            details={"field": "sort_by", "value": page.sort_by},
        )
    column = sort_columns[page.sort_by]
    desc = page.order == "desc"
    if page.cursor:
        key = _decode(page.cursor, page).key
        _check_key(key[1], id_column)
        after: ColumnElement[bool]
        if column is None:
            after = id_column < key[1] if desc else id_column > key[1]
        else:
            _check_key(key[0], column)
            pair, value = tuple_(column, id_column), tuple_(key[0], key[1])
            after = pair < value if desc else pair > value
        stmt = stmt.where(after)
    order = [] if column is None else [column.desc() if desc else column.asc()]
    order.append(id_column.desc() if desc else id_column.asc())
    rows = session.execute(stmt.order_by(*order).limit(page.limit + 1)).all()
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    items = [to_item(r[0] if len(r) == 1 else r) for r in rows]  # type: ignore[arg-type]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        k = key_of(last[0] if len(last) == 1 else last)  # type: ignore[arg-type]
        next_cursor = _encode(_Cursor(page.sort_by, page.order, (k[0], k[1])))
    return items, next_cursor


def _check_key(value: Any, column: InstrumentedAttribute[Any]) -> None:
    """A cursor's key must have its column's type (and fit a BIGINT): else the database errs."""
    expected = column.type.python_type
    ok = isinstance(value, expected) and not isinstance(value, bool)
    if ok and isinstance(value, int) and not -(2**63) <= value < 2**63:
        ok = False
    if not ok:
        raise ValidationError("invalid cursor", details={"field": "cursor"})


def keyset(
    session: Session,
    stmt: Select[*tuple[Any, ...]],
    id_column: InstrumentedAttribute[int],
    limit: int,
    *,
    start: int | None = None,
    descending: bool = False,
) -> tuple[list[Any], int | None]:
    """At most ``limit`` rows of ``stmt`` (whose first column is ``id_column``) in the order of
    their ids, after ``start`` (before it, ``descending``); and the id to start the next page
    from (None: this is the last page)."""
    if start is not None:
        stmt = stmt.where(id_column < start if descending else id_column > start)
    order = id_column.desc() if descending else id_column.asc()
    rows = list(session.execute(stmt.order_by(order).limit(limit + 1)).all())
    page = rows[:limit]
    more: int | None = page[-1][0] if len(rows) > limit else None
    return page, more
