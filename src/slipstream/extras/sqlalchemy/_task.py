"""``SQLAlchemyTask``: a query on any database SQLAlchemy reaches, as a task
(flytekitplugins-sqlalchemy's, same arguments).

``SQLAlchemyConfig.uri`` is a SQLAlchemy database URL (``postgresql+psycopg://user@host/db``,
``mysql+pymysql://...``, ``duckdb:///file.duckdb``, ``sqlite:///file.db``); ``connect_args``
go to the driver's ``connect``; ``secret_connect_args`` are driver arguments whose values are
secrets (``{"password": Secret(group="db", key="password")}``): the task requests them, so a
server grants them to its attempts, and reads them through ``current_context().secrets`` when it
runs. The statement runs in one transaction, committed when it succeeds; no connection is kept
after the attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slipstream.errors import CompileError
from slipstream.sdk import Secret

from .._sql_task import ClientSQLTask, Rows, hide_password, user_location
from .._sql_template import BoundTemplate

__all__ = ["SQLAlchemyConfig", "SQLAlchemyTask"]


@dataclass(frozen=True)
class SQLAlchemyConfig:
    """The database URL, driver arguments, and driver arguments taken from secrets."""

    uri: str
    connect_args: dict[str, Any] | None = None
    secret_connect_args: dict[str, Secret] | None = None

    def secret_connect_args_to_dicts(self) -> dict[str, dict[str, str | None]] | None:
        """The secret arguments as plain dicts (flytekit's serialised form)."""
        if self.secret_connect_args is None:
            return None
        return {
            k: {"group": s.group, "key": s.key, "group_version": s.group_version}
            for k, s in self.secret_connect_args.items()
        }


class SQLAlchemyTask(ClientSQLTask):
    """A query through SQLAlchemy; its rows are the output ``results`` (a DataFrame for the
    next task). ``{{ .inputs.name }}`` in the query is bound as a parameter."""

    _SQLALCHEMY_TASK_TYPE = "sqlalchemy"
    TASK_TYPE = _SQLALCHEMY_TASK_TYPE
    CONFIG_TYPE = SQLAlchemyConfig

    def __init__(
        self,
        name: str,
        query_template: str,
        task_config: SQLAlchemyConfig | None = None,
        inputs: dict[str, Any] | None = None,
        output_schema_type: type | None = None,
        container_image: Any = None,
        **kwargs: Any,
    ) -> None:
        secret_args = dict(getattr(task_config, "secret_connect_args", None) or {})
        for arg, secret in secret_args.items():
            if not isinstance(secret, Secret):
                raise CompileError(
                    f"SQLAlchemyTask {name}: secret_connect_args[{arg!r}] must be a "
                    f"Secret(group=..., key=...), got {secret!r}",
                    location=user_location(),
                )
        self._secret_args = list(secret_args)
        """Driver arguments whose values are the first secrets of the request list."""
        own = tuple(kwargs.pop("secret_requests", None) or ())
        super().__init__(
            name,
            query_template,
            inputs,
            task_config,
            output_schema_type,
            container_image,
            secret_requests=(*secret_args.values(), *own),
            **kwargs,
        )

    @property
    def config(self) -> SQLAlchemyConfig:
        """The task's ``SQLAlchemyConfig``."""
        cfg: SQLAlchemyConfig = self.task_config
        return cfg

    def service(self) -> str:
        """The database URL, its password hidden."""
        try:
            from sqlalchemy.engine import make_url

            return make_url(self.config.uri).render_as_string(hide_password=True)
        except Exception:
            return hide_password(self.config.uri)

    def settings(self) -> dict[str, Any]:
        """``uri`` (its password hidden), the names of ``connect_args`` (their values may be
        credentials) and ``secret_connect_args`` by group and key."""
        return {
            "uri": self.service(),
            "connect_args": sorted(self.config.connect_args or {}),
            "secret_connect_args": self.config.secret_connect_args_to_dicts(),
        }

    def secrets_to_hide(self) -> list[str]:
        """The URL's own password."""
        try:
            from sqlalchemy.engine import make_url

            password = make_url(self.config.uri).password
        except Exception:
            return []
        return [str(password)] if password else []

    def describe(self, error: BaseException) -> str:
        """A driver's error without SQLAlchemy's wrapping (which repeats the statement)."""
        orig = getattr(error, "orig", None)
        if isinstance(orig, BaseException):
            error = orig
        text = f"{type(error).__name__}: {error}".strip()
        if isinstance(error, ImportError):
            text += " (the driver of this URL is not installed: pip install 'slipstream[sql]')"
        return text

    def run_query(
        self, bound: BoundTemplate, kwargs: dict[str, Any], secrets: dict[str, str]
    ) -> Rows:
        """Connect (no pool), run the statement in a transaction, commit."""
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        args = dict(self.config.connect_args or {})
        for i, arg in enumerate(self._secret_args):  # they lead the request list
            args[arg] = secrets[str(i)]
        engine = create_engine(self.config.uri, connect_args=args, poolclass=NullPool)
        try:
            with engine.begin() as conn:
                result = conn.execute(
                    text(bound.render("sqlalchemy", kwargs)), bound.values(kwargs)
                )
                if not result.returns_rows:
                    return [], []
                return list(result.keys()), [tuple(r) for r in result.fetchall()]
        finally:
            engine.dispose()
