"""The engine host: runs executions stored in the database (leases, state store, catalog, signals).

It imports the engine and the runners, never the API; the API reaches it only through the rows it
writes and reads.
"""

from ._api_plane import ApiPlane, PlaneUnavailable
from ._catalog import DbCatalog
from ._children import DbChildExecutions
from ._db_plane import DbPlane
from ._dispatch import Dispatch, Lane
from ._engine_host import EngineHost, HostSettings
from ._flush import flush
from ._leases import abort_requested, claim, release, renew
from ._offload import load_inputs, load_outputs, load_spec
from ._plane import ControlPlane
from ._plane_service import PlaneService
from ._signals import DbSignals
from ._store import DbStateStore

__all__ = [
    "ApiPlane",
    "ControlPlane",
    "DbCatalog",
    "DbPlane",
    "DbChildExecutions",
    "DbSignals",
    "DbStateStore",
    "Dispatch",
    "EngineHost",
    "HostSettings",
    "Lane",
    "PlaneService",
    "PlaneUnavailable",
    "abort_requested",
    "claim",
    "flush",
    "load_inputs",
    "load_outputs",
    "load_spec",
    "release",
    "renew",
]
