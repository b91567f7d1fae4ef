"""flytekit's ``flytekit.extras.sqlite3`` module path: queries on a SQLite file as tasks
(``SQLite3Task`` with ``SQLite3Config``)."""

from ._task import SQLite3Config, SQLite3Task

__all__ = ["SQLite3Config", "SQLite3Task"]
