"""flytekitplugins-sqlalchemy's ``flytekitplugins.sqlalchemy`` names under slipstream: a query on
any database SQLAlchemy reaches as a task (``SQLAlchemyTask`` with ``SQLAlchemyConfig``). The
drivers come with the ``sql`` extra (PostgreSQL, MySQL/MariaDB, DuckDB; SQLite is built in)."""

from ._task import SQLAlchemyConfig, SQLAlchemyTask

__all__ = ["SQLAlchemyConfig", "SQLAlchemyTask"]
