"""The lineage method of :class:`~slipstream.remote.Remote`."""

from __future__ import annotations

from slipstream.errors import ValidationError
from slipstream.model import ExecutionId, ExecutionRecord, Lineage

from ._http import Http

__all__ = ["RemoteLineage"]


class RemoteLineage:
    """Where data came from and where it went: ``GET /api/v1/lineage``."""

    _http: Http

    def _scope(self, project: str | None, domain: str | None) -> tuple[str, str]:
        raise NotImplementedError  # provided by Remote

    def lineage(
        self,
        uri: str | None = None,
        *,
        execution: str | ExecutionId | ExecutionRecord | None = None,
        node: str | None = None,
        depth: int = 1,
        project: str | None = None,
        domain: str | None = None,
    ) -> Lineage:
        """The lineage of a blob ``uri``, or of ``node`` of ``execution`` (a name in the default
        project and domain, or an id): which execution, node and attempt wrote each blob (with
        the code version and cache entry) and which executions read it, ``depth`` blobs deep.
        Steps in projects the caller may not read come back ``hidden``."""
        if (uri is None) == (execution is None):
            raise ValidationError("give either a uri, or an execution and a node")
        if uri is not None:
            return self._http.get("/lineage", Lineage, uri=uri, depth=depth)
        if node is None:
            raise ValidationError("give the node of the execution (such as n0)")
        if isinstance(execution, ExecutionRecord):
            eid = execution.id
        elif isinstance(execution, ExecutionId):
            eid = execution
        else:
            p, d = self._scope(project, domain)
            eid = ExecutionId(p, d, str(execution))
        return self._http.get("/lineage", Lineage, execution=str(eid), node=node, depth=depth)
