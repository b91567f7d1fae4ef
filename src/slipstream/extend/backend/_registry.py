"""Which connector runs a task type: one registry, filled by registration and lazily by name.

A connector registers itself (``ConnectorRegistry.register(MyConnector())``) when its module is
imported. The engine imports a module only when a task of a type it does not know yet arrives:
the connectors slipstream ships, then the ``slipstream.connectors`` entry points (a name per task
type, ``module:attribute`` of a connector or its class), then the modules named in
``SLIPSTREAM_CONNECTORS`` (comma-separated), which an operator sets for connectors of their own.
"""

from __future__ import annotations

import importlib
import os
import threading
from typing import Any

from slipstream._plugins import entry_point
from slipstream.errors import ConfigError

from ._base import ConnectorBase

__all__ = ["ConnectorRegistry"]

_BUILTIN = {
    "ray_job": "slipstream.extend.backend._ray_job",
    "timer": "slipstream.extend.backend._timer",
}
"""The connectors slipstream ships, by task type: the module that registers each."""


class _Registry:
    def __init__(self) -> None:
        self._connectors: dict[tuple[str, int], ConnectorBase] = {}
        self._lock = threading.Lock()
        self._loaded_env = ""

    def register(self, connector: ConnectorBase, override: bool = False) -> None:
        key = (connector.task_type_name, connector.task_type_version)
        with self._lock:
            known = self._connectors.get(key)
            if known is not None and not override and type(known) is not type(connector):
                raise ConfigError(
                    f"task type {key[0]!r} already has connector {known!r}; "
                    "register with override=True to replace it"
                )
            self._connectors[key] = connector

    def find(self, task_type: str, version: int = 0) -> ConnectorBase | None:
        found = self._connectors.get((task_type, version))
        if found is None:
            self._load(task_type)
            found = self._connectors.get((task_type, version))
        return found

    def _load(self, task_type: str) -> None:
        module = _BUILTIN.get(task_type)
        if module is not None:
            importlib.import_module(module)
            return
        obj: Any = entry_point("slipstream.connectors", task_type)
        if obj is not None:
            self.register(obj() if isinstance(obj, type) else obj)
            return
        wanted = os.environ.get("SLIPSTREAM_CONNECTORS", "")
        if wanted and wanted != self._loaded_env:
            self._loaded_env = wanted
            for name in filter(None, (m.strip() for m in wanted.split(","))):
                importlib.import_module(name)

    def all(self) -> list[ConnectorBase]:
        return list(self._connectors.values())


_DEFAULT = _Registry()


class ConnectorRegistry:
    """The connectors of this process, by task type (flytekit's ``ConnectorRegistry``)."""

    @staticmethod
    def register(connector: ConnectorBase, override: bool = False) -> None:
        """Make ``connector`` run tasks of its ``task_type_name``; registering a second connector
        of another class for the same type is an error unless ``override``."""
        _DEFAULT.register(connector, override)

    @staticmethod
    def get_connector(task_type_name: str, task_type_version: int = 0) -> ConnectorBase:
        """The connector of a task type; :class:`ConfigError` naming the type when none is."""
        found = _DEFAULT.find(task_type_name, task_type_version)
        if found is None:
            raise ConfigError(
                f"no connector runs task type {task_type_name!r} (version {task_type_version}); "
                "install its plugin or name its module in SLIPSTREAM_CONNECTORS"
            )
        return found

    @staticmethod
    def find(task_type_name: str, task_type_version: int = 0) -> ConnectorBase | None:
        """The connector of a task type, or None: what the engine asks of every task type it
        does not run in workers itself."""
        return _DEFAULT.find(task_type_name, task_type_version)

    @staticmethod
    def list_connectors() -> list[ConnectorBase]:
        """Every connector registered so far."""
        return _DEFAULT.all()
