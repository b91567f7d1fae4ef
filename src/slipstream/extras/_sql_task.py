"""What the client-side SQL tasks (``SQLite3Task``, ``SQLAlchemyTask``) share: a
:class:`~slipstream.sdk.SQLTask` whose query runs in the attempt itself, with its inputs bound
as parameters, and whose rows come back as one DataFrame output named ``results``.

Every failure of the query, of opening the database or of reading a secret the task asks for
fails the attempt with one message that names the service (the database, its password hidden)
and the cause; secret values never appear in it.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from slipstream.errors import CompileError, TaskTimeoutError, UserTaskError
from slipstream.sdk import Secret, SQLTask

from ._sql_template import BoundTemplate, parse_template

__all__ = ["ClientSQLTask", "Rows", "hide_password", "user_location"]

Rows = tuple[list[str], list[tuple[Any, ...]]]
"""A result: its column names and its rows."""

_HIDDEN = "***"


def hide_password(url: str) -> str:
    """``url`` with the password of its user part replaced by ``***``."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        user, _, host = parts.netloc.rpartition("@")
        name = user.split(":", 1)[0]
        return urlunsplit(parts._replace(netloc=f"{name}:{_HIDDEN}@{host}"))
    except ValueError:
        return "(a URL that cannot be parsed)"


def user_location() -> str:
    """`file:line` of the code that creates the task (above the chain of `__init__` calls)."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_name == "__init__":
        frame = frame.f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


class ClientSQLTask(SQLTask):
    """A SQL task run by the worker: subclasses open the database and run one query."""

    TASK_TYPE: ClassVar[str] = "sql_task"
    CONFIG_TYPE: ClassVar[type] = object
    """The ``task_config`` class a subclass takes."""

    def __init__(
        self,
        name: str,
        query_template: str,
        inputs: dict[str, Any] | None = None,
        task_config: Any = None,
        output_schema_type: type | None = None,
        container_image: Any = None,
        *,
        secret_requests: Iterable[Secret] | None = (),
        **kwargs: Any,
    ) -> None:
        where = user_location()
        kind = type(self).__name__
        if not isinstance(task_config, self.CONFIG_TYPE):
            cfg = self.CONFIG_TYPE.__name__
            raise CompileError(
                f"{kind} {name}: task_config={cfg}(uri=...) says which database to query, "
                f"got {task_config!r}",
                location=where,
            )
        if not isinstance(query_template, str) or not query_template.strip():
            raise CompileError(
                f"{kind} {name}: query_template must be a non-empty string", location=where
            )
        if output_schema_type is None:
            from slipstream.types.schema import FlyteSchema

            output_schema_type = FlyteSchema
        if container_image is not None:
            kwargs["container_image"] = container_image
        in_types = dict(inputs or {})
        self.bound = parse_template(query_template, set(in_types), f"{kind} {name}", where)
        """The template read once: SQL text and the inputs it binds."""
        super().__init__(
            name=name,
            query_template=query_template,
            task_config=task_config,
            task_type=self.TASK_TYPE,
            inputs=in_types,
            outputs={"results": output_schema_type},
            secret_requests=tuple(secret_requests or ()),
            **kwargs,
        )
        self.custom = {"query_template": query_template, **self.settings()}
        if self.cache and not self._cache_version:
            text = repr((self.TASK_TYPE, query_template, self.service(), sorted(in_types)))
            self._cache_version = "src-" + hashlib.sha256(text.encode()).hexdigest()[:16]

    # -- what a subclass says ------------------------------------------------------------------

    def service(self) -> str:
        """The database, as messages name it (no password)."""
        raise NotImplementedError

    def settings(self) -> dict[str, Any]:
        """The config as the task template's ``custom`` shows it (flytekit's keys): names and
        locations only, never a password or a secret's value."""
        raise NotImplementedError

    def run_query(
        self, bound: BoundTemplate, kwargs: dict[str, Any], secrets: dict[str, str]
    ) -> Rows:
        """Open the database, run the query with its parameters, return the rows."""
        raise NotImplementedError

    def describe(self, error: BaseException) -> str:
        """The cause of a failure as one line (a driver's own error rather than its wrapper)."""
        return f"{type(error).__name__}: {error}"

    def secrets_to_hide(self) -> list[str]:
        """Values that must not show in a message besides the secrets (a URL's password)."""
        return []

    # -- running -------------------------------------------------------------------------------

    def _resolve_secrets(self) -> dict[str, str]:
        """Each requested secret by its place in the request list (``"0"``, ``"1"``...)."""
        from slipstream.sdk import current_context

        found = current_context().secrets
        return {str(i): str(found.get(s.group, s.key)) for i, s in enumerate(self.secret_requests)}

    def execute(self, **kwargs: Any) -> Any:
        """Run the query; its rows as a DataFrame (no rows and no columns for a statement that
        returns none, such as an ``INSERT``)."""
        secrets: dict[str, str] = {}
        try:
            secrets = self._resolve_secrets()
            columns, rows = self.run_query(self.bound, kwargs, secrets)
        except TaskTimeoutError:
            raise  # the attempt's own deadline, not the database's failure
        except Exception as e:
            message = f"{type(self).__name__} {self.name} on {self.service()}: {self.describe(e)}"
            for value in [*secrets.values(), *self.secrets_to_hide()]:
                if len(value) >= 3:
                    message = message.replace(value, _HIDDEN)
            raise UserTaskError(message, original=e) from None
        import pandas as pd

        return pd.DataFrame.from_records(rows, columns=columns, coerce_float=True)
