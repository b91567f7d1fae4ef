"""flytekitplugins-sqlalchemy's ``flytekitplugins.sqlalchemy.task`` names."""

from ._task import SQLAlchemyConfig, SQLAlchemyTask

__all__ = ["SQLAlchemyConfig", "SQLAlchemyTask"]
