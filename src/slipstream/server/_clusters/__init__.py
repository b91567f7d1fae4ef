"""Clusters: the compute clusters of one control plane, their engine hosts' heartbeats, routing
executions to them at launch, and failover down each execution's route when a cluster's hosts
stop heartbeating.

Engine hosts report through :func:`record_heartbeat` (and :func:`forget_host` when they stop
cleanly); the server runs :func:`fail_over` in its own loop (:func:`start_failover`); the launch
service routes with :func:`place` and :func:`check_resources`; the API, the CLI and the console
list clusters with :func:`list_clusters`.
"""

from ._failover import MOVED_EVENT, fail_over, next_cluster, start_failover
from ._hosts import ensure, forget_host, known_clusters, live_clusters, record_heartbeat
from ._listing import capacity_of, list_clusters
from ._names import (
    DEFAULT_CLUSTER,
    MAX_ROUTE,
    check_cluster,
    check_route,
    join_route,
    parse_route,
)
from ._routing import Placement, check_resources, place

__all__ = [
    "DEFAULT_CLUSTER",
    "MAX_ROUTE",
    "MOVED_EVENT",
    "Placement",
    "capacity_of",
    "check_cluster",
    "check_resources",
    "check_route",
    "ensure",
    "fail_over",
    "forget_host",
    "join_route",
    "known_clusters",
    "list_clusters",
    "live_clusters",
    "next_cluster",
    "parse_route",
    "place",
    "record_heartbeat",
    "start_failover",
]
