"""The engine: runs compiled workflows over a state store, a catalog and a runner."""

from ._attempts import interrupted
from ._bindings import coerce, resolve, select
from ._catalog import LocalCatalog, MemoryCatalog, cache_key, cache_version_of
from ._closures import task_closure
from ._error_info import error_info, user_traceback
from ._exceptions import pack_exception, unpack_exception
from ._executor import Executor, Listener
from ._interfaces import (
    AttemptRequest,
    AttemptResult,
    Catalog,
    ChildExecutions,
    Runner,
    StateStore,
)
from ._memory_store import MemoryStateStore
from ._replay import Replay
from ._retry import Budget, RetryPolicy
from ._signals import PENDING, REJECTED, NoSignals, SignalSource, TerminalSignals

__all__ = [
    "AttemptRequest",
    "AttemptResult",
    "Budget",
    "Catalog",
    "ChildExecutions",
    "Executor",
    "Listener",
    "LocalCatalog",
    "MemoryCatalog",
    "MemoryStateStore",
    "NoSignals",
    "PENDING",
    "REJECTED",
    "Replay",
    "RetryPolicy",
    "Runner",
    "SignalSource",
    "StateStore",
    "TerminalSignals",
    "cache_key",
    "cache_version_of",
    "coerce",
    "error_info",
    "interrupted",
    "pack_exception",
    "resolve",
    "select",
    "task_closure",
    "unpack_exception",
    "user_traceback",
]
