"""The one dialect switch of the engine host: ``INSERT ... ON CONFLICT`` for SQLite and PostgreSQL.

Both databases accept the same upsert shape; only the construct that spells it differs.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from .._database import Base, Database

__all__ = ["insert_for", "table_of", "upsert"]


def table_of(row: type[Base]) -> Table:
    """The ``Table`` of a row class (typed as one, for Core statements)."""
    return cast(Table, row.__table__)


def insert_for(db: Database, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The dialect's ``INSERT`` (the one that knows ``ON CONFLICT``) into ``table``."""
    if db.dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert(db: Database, table: Table, keys: Sequence[str], update: Sequence[str]) -> Insert:
    """``INSERT`` into ``table``; on a conflict over ``keys``, overwrite the ``update`` columns.

    Built once per dialect and table (building it costs more than running it on the hot path).
    """
    return _upsert(db.dialect, table, tuple(keys), tuple(update))


@functools.lru_cache(maxsize=64)
def _upsert(dialect: str, table: Table, keys: tuple[str, ...], update: tuple[str, ...]) -> Insert:
    stmt = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: stmt.excluded[c] for c in update}
    )
