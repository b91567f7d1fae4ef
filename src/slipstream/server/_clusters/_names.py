"""Cluster names and routes: the ordered lists of clusters an execution may run on."""

from __future__ import annotations

import re
from collections.abc import Iterable

from slipstream.errors import ValidationError

__all__ = [
    "DEFAULT_CLUSTER",
    "MAX_ROUTE",
    "check_cluster",
    "check_route",
    "join_route",
    "parse_route",
]

DEFAULT_CLUSTER = "local"
"""The cluster of the engine host that ``slipstream server`` embeds; executions routed nowhere
else run there."""
MAX_ROUTE = 16
"""The most clusters one route names (the column holds 1024 characters)."""
_CLUSTER = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


def check_cluster(name: str, field: str = "cluster") -> str:
    """A cluster name: lowercase letters, digits, ``_`` and ``-``, at most 63 characters."""
    if not isinstance(name, str) or not _CLUSTER.fullmatch(name):
        raise ValidationError(
            f"invalid cluster name {name!r} in {field}: use lowercase letters, digits, '_' and "
            "'-', starting with a letter or digit (at most 63)",
            details={"field": field, "value": name},
        )
    return name


def check_route(names: Iterable[str], field: str = "execution_cluster") -> tuple[str, ...]:
    """An ordered list of cluster names: at least one, each named once."""
    route = tuple(names)
    if not route:
        raise ValidationError(
            f"{field} must name at least one cluster (leave it out for the default route)",
            details={"field": field},
        )
    if len(route) > MAX_ROUTE:
        raise ValidationError(
            f"{field} names {len(route)} clusters: at most {MAX_ROUTE}",
            details={"field": field},
        )
    for name in route:
        check_cluster(name, field)
    twice = sorted({n for n in route if route.count(n) > 1})
    if twice:
        raise ValidationError(
            f"{field} names {', '.join(twice)} more than once",
            details={"field": field, "value": list(route)},
        )
    return route


def join_route(route: Iterable[str]) -> str:
    """A route as stored in ``executions.route``."""
    return ",".join(route)


def parse_route(text: str, cluster: str) -> tuple[str, ...]:
    """A stored route (``""``: only the cluster the execution is on)."""
    return tuple(n for n in text.split(",") if n) or (cluster,)
