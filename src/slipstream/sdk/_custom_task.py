"""Tasks written as classes, the way flytekit plugins and extensions write them.

flytekit's ``flytekit.extend.PythonTask`` is a base class: a subclass passes a name, a task type
and an :class:`Interface` to ``__init__`` and overrides ``execute(**kwargs)``. Here that is
:class:`CustomTask`, a :class:`PythonTask` whose signature comes from the interface. Its options
arrive as a :class:`TaskMetadata` (retries, timeout, cache...). :class:`SQLTask` is flytekit's
generic SQL task: it has a query and an interface but no database to run on locally, so tests
replace it (``slipstream.testing.task_mock``).
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from slipstream.errors import CompileError

from ._synthetic import bare_single_output, caller_loader, signature_function
from ._task import TASKS, PythonTask

__all__ = ["CustomTask", "Interface", "SQLTask", "TaskMetadata"]


@dataclass(frozen=True)
class TaskMetadata:
    """How a task runs (flytekit's ``TaskMetadata``): what ``@task`` takes as keywords."""

    cache: bool = False
    cache_serialize: bool = False
    cache_version: str = ""
    cache_ignore_input_vars: tuple[str, ...] = ()
    interruptible: bool | None = None
    deprecated: str = ""
    retries: int = 0
    timeout: datetime.timedelta | int | None = None
    pod_template_name: str | None = None
    generates_deck: bool = False
    is_eager: bool = False

    def task_options(self) -> dict[str, Any]:
        """The ``PythonTask`` keywords these settings mean."""
        return {
            "cache": self.cache,
            "cache_serialize": self.cache_serialize,
            "cache_version": self.cache_version,
            "cache_ignore_input_vars": tuple(self.cache_ignore_input_vars),
            "interruptible": self.interruptible,
            "deprecated": self.deprecated,
            "retries": self.retries,
            "timeout": self.timeout,
        }


@dataclass(frozen=True)
class Interface:
    """A task's typed inputs and outputs by name (flytekit's ``Interface``)."""

    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)


def _user_frame() -> Any:
    """The frame that creates the task: the first one above the chain of ``__init__`` calls."""
    frame = sys._getframe(2)
    while frame.f_back is not None and frame.f_code.co_name == "__init__":
        frame = frame.f_back
    return frame


class CustomTask(PythonTask[..., Any]):
    """A task whose work is its class's ``execute(**kwargs)``; its interface is given.

    Define instances at module level (a worker finds one again by importing its module), with a
    ``name`` unique in that module.
    """

    def __init__(
        self,
        task_type: str = "python",
        name: str = "",
        task_config: Any = None,
        interface: Interface | None = None,
        environment: dict[str, str] | None = None,
        disable_deck: bool | None = None,
        enable_deck: bool | None = None,
        metadata: TaskMetadata | None = None,
        secret_requests: Iterable[Any] | None = None,
        docs: Any = None,
        **task_options: Any,
    ) -> None:
        frame = _user_frame()
        where = f"{frame.f_code.co_filename}:{frame.f_lineno}"
        if not name:
            raise CompileError(f"{type(self).__name__}: a task needs a name", location=where)
        iface = interface or Interface()
        loader = caller_loader(frame, name)
        fn = signature_function(
            loader.qualname, loader.module, dict(iface.inputs), list(iface.outputs.items())
        )
        options = dict((metadata or TaskMetadata()).task_options())
        options.update(task_options)
        self.task_config = task_config
        self.metadata = metadata or TaskMetadata()
        super().__init__(
            fn,
            name=name,
            check_returns=False,
            environment=environment,
            secret_requests=secret_requests,
            docs=docs,
            **options,
        )
        self.task_type = task_type
        TASKS.pop((self.loader.module, self.loader.qualname), None)
        self.loader = loader
        TASKS[(loader.module, loader.qualname)] = self
        self.location = where
        self.python_interface = bare_single_output(self.python_interface)

    def execute(self, **kwargs: Any) -> Any:
        """The task's work; subclasses override it."""
        raise NotImplementedError(f"{type(self).__name__} {self.name} does not define execute()")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name})"


class SQLTask(CustomTask):
    """A query with typed inputs and outputs (flytekit's ``SQLTask``). slipstream connects to no
    database on its own: running one locally fails, so tests mock it
    (``with task_mock(sql) as m: m.return_value = df``)."""

    def __init__(
        self,
        name: str,
        query_template: str,
        task_config: Any = None,
        task_type: str = "sql_task",
        inputs: dict[str, Any] | None = None,
        metadata: TaskMetadata | None = None,
        outputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.query_template = query_template
        super().__init__(
            task_type=task_type,
            name=name,
            task_config=task_config,
            interface=Interface(inputs=dict(inputs or {}), outputs=dict(outputs or {})),
            metadata=metadata,
            **kwargs,
        )

    def get_query(self, **kwargs: Any) -> str:
        """The query with ``{{ .Inputs.x }}`` (and ``{{ .inputs.x }}``) replaced by the inputs."""
        import re

        def value(m: re.Match[str]) -> str:
            return str(kwargs[m.group(1)])

        return re.sub(r"\{\{\s*\.[Ii]nputs\.(\w+)\s*\}\}", value, self.query_template)

    def execute(self, **kwargs: Any) -> Any:
        """No database here: an error that says how tests stand in for the query."""
        raise NotImplementedError(
            f"SQL task {self.name} runs on a database plugin, which slipstream does not have; in "
            "tests, mock it: `with slipstream.testing.task_mock(task) as m: m.return_value = ...`"
        )
