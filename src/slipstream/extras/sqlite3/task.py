"""flytekit's ``flytekit.extras.sqlite3.task`` names: ``SQLite3Task``, ``SQLite3Config``."""

from ._task import SQLite3Config, SQLite3Task

__all__ = ["SQLite3Config", "SQLite3Task"]
