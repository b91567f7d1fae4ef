"""The cluster methods of :class:`~slipstream.remote.Remote`."""

from __future__ import annotations

from slipstream.model import Cluster

from ._http import Http

__all__ = ["RemoteClusters"]


class RemoteClusters:
    """Reading the compute clusters of the server (any authenticated user may)."""

    _http: Http

    def list_clusters(self) -> list[Cluster]:
        """Every cluster by name: its engine hosts, capacity, running attempts and queue depth."""
        return self._http.get("/clusters", dict[str, list[Cluster]])["items"]
