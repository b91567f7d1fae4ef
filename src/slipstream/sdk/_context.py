"""``current_context()``: what a running task can ask about its execution, and the decks
(flytekit's ``Deck``: HTML reports) it adds to while it runs.

``Deck("summary", html)`` adds a named deck to the attempt; ``current_context().default_deck`` is
the deck named ``default``. A deck and the context that holds it make each other, so both live here.
"""

from __future__ import annotations

import contextvars
import html
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    import logging

from ._checkpoint import Checkpoint, SyncCheckpoint
from ._deck import to_html
from ._secrets import SecretsManager

__all__ = [
    "Deck",
    "ExecutionIdentifier",
    "ExecutionParameters",
    "current_context",
    "in_task",
    "task_context",
]


class ExecutionIdentifier(msgspec.Struct, frozen=True):
    """``project``, ``domain`` and ``name`` of the execution a task runs in."""

    project: str
    domain: str
    name: str


class ExecutionParameters:
    """The context of one attempt: ``execution_id``, ``attempt_number``, ``working_directory``,
    ``logging``, ``checkpoint``, ``secrets``, ``raw_output_prefix``, ``task_id`` and ``node_id``.

    The working directory is fresh for every attempt and made on first use.
    """

    def __init__(
        self,
        *,
        execution_id: ExecutionIdentifier,
        attempt_number: int = 0,
        node_id: str = "",
        task_id: str = "",
        checkpoint: Checkpoint | None = None,
        raw_output_prefix: str = "",
        working_dir_parent: str | None = None,
        checkpoint_dest: str = "",
        checkpoint_src: str = "",
    ) -> None:
        self.execution_id = execution_id
        self.attempt_number = attempt_number
        self.node_id = node_id
        self.task_id = task_id
        self._checkpoint = checkpoint
        self._checkpoint_dest = checkpoint_dest
        self._checkpoint_src = checkpoint_src
        self.raw_output_prefix = raw_output_prefix
        self._wd_parent = working_dir_parent
        self._wd: str | None = None
        self.secrets = SecretsManager()
        self.decks: list[Any] = []
        """The ``Deck`` reports the attempt made, in order."""

    @property
    def default_deck(self) -> Any:
        """The deck named ``default`` (made on first use): ``.append(html)``."""
        for d in self.decks:
            if d.name == "default":
                return d
        deck = Deck("default", auto_add_to_deck=False)
        self.decks.append(deck)
        return deck

    @property
    def spark_session(self) -> Any:
        """The SparkSession of a task with ``task_config=Spark(...)`` (slipstream.extras.spark)."""
        import sys

        spark, sql = sys.modules.get("pyspark"), sys.modules.get("pyspark.sql")
        if spark is None or sql is None or spark.SparkContext._active_spark_context is None:
            raise AttributeError(
                "spark_session: no SparkSession runs here; give the task task_config=Spark(...) "
                "from slipstream.extras.spark"
            )
        return sql.SparkSession.builder.getOrCreate()

    @property
    def working_directory(self) -> str:
        """A directory of this attempt's own (created on first use)."""
        import tempfile

        if self._wd is None:
            self._wd = tempfile.mkdtemp(prefix="attempt-", dir=self._wd_parent)
        return self._wd

    def cleanup(self) -> None:
        """Remove the attempt's working directory (once its outputs were saved) and run what
        was set to run when the attempt ends (:func:`at_attempt_end`)."""
        hooks: list[Callable[[], None]] = getattr(_attempt_end, "hooks", [])
        while hooks:
            hooks.pop()()
        if self._wd is not None:
            import shutil

            shutil.rmtree(self._wd, ignore_errors=True)
            self._wd = None

    @property
    def logging(self) -> logging.Logger:
        """The task's logger."""
        import logging

        return logging.getLogger(f"slipstream.task.{self.task_id or 'local'}")

    @property
    def checkpoint(self) -> Checkpoint:
        """Read the previous attempt's checkpoint and write this attempt's."""
        if self._checkpoint is None:
            if self._checkpoint_dest:
                self._checkpoint = SyncCheckpoint(
                    self._checkpoint_dest, self._checkpoint_src or None
                )
            else:
                d = Path(self.working_directory) / "checkpoint"
                self._checkpoint = SyncCheckpoint(d.as_uri())
        return self._checkpoint


class Deck:
    """A named HTML report of the running task: ``Deck("summary", "<b>ok</b>")``,
    ``deck.append(html)``. The decks of an attempt are ``current_context().decks``."""

    def __init__(self, name: str, html: str = "", *, auto_add_to_deck: bool = True) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a Deck needs a non-empty name, got {name!r}")
        self.name = name
        self.html = html if isinstance(html, str) else to_html(html)
        if auto_add_to_deck:
            current_context().decks.append(self)

    def append(self, html_part: Any) -> Deck:
        """Add HTML (or a DataFrame, figure or image, rendered) to the deck."""
        self.html += html_part if isinstance(html_part, str) else to_html(html_part)
        return self

    @staticmethod
    def escape(text: str) -> str:
        """Text made safe to put in a deck."""
        return html.escape(text)

    def __repr__(self) -> str:
        return f"Deck({self.name!r}, {len(self.html)} chars)"


_attempt_end = threading.local()  # an attempt is prepared, run and ended on one thread


def at_attempt_end(fn: Callable[[], None]) -> None:
    """Call ``fn`` once when the attempt being prepared on this thread ends (its outputs saved):
    a task config releases what it set up for the attempt (a Spark session) there."""
    hooks = getattr(_attempt_end, "hooks", None)
    if hooks is None:
        hooks = _attempt_end.hooks = []
    hooks.append(fn)


_default = ExecutionParameters(execution_id=ExecutionIdentifier("local", "development", "local"))
_current: contextvars.ContextVar[ExecutionParameters | None] = contextvars.ContextVar(
    "slipstream_task_context", default=None
)


def current_context() -> ExecutionParameters:
    """The context of the running task (a default one outside of any task)."""
    return _current.get() or _default


def in_task() -> bool:
    """Whether this code runs inside a task attempt."""
    return _current.get() is not None


class task_context:
    """Make ``params`` the current context for the duration of an attempt."""

    __slots__ = ("_params", "_token")

    def __init__(self, params: ExecutionParameters) -> None:
        self._params = params

    def __enter__(self) -> ExecutionParameters:
        self._token = _current.set(self._params)
        return self._params

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._token)
