"""The engine host: runs executions stored in the database (leases, state store, catalog, signals).

It imports the engine and the runners, never the API; the API reaches it only through the rows it
writes and reads.
"""

from ._catalog import DbCatalog
from ._children import DbChildExecutions
from ._dispatch import Dispatch, Lane
from ._engine_host import EngineHost, HostSettings
from ._flush import flush
from ._leases import abort_requested, claim, release, renew
from ._offload import load_inputs, load_outputs, load_spec
from ._signals import DbSignals
from ._store import DbStateStore

__all__ = [
    "DbCatalog",
    "DbChildExecutions",
    "DbSignals",
    "DbStateStore",
    "Dispatch",
    "EngineHost",
    "HostSettings",
    "Lane",
    "abort_requested",
    "claim",
    "flush",
    "load_inputs",
    "load_outputs",
    "load_spec",
    "release",
    "renew",
]
