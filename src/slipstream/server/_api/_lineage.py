"""The lineage route: who made a blob or a node's data, from what, and who read it later."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from slipstream.errors import ValidationError
from slipstream.model import Lineage

from .._services import Services
from ._deps import principal, services
from ._io import doc, json_response

__all__ = ["router"]

router = APIRouter(tags=["lineage"])
Svc = Annotated[Services, Depends(services)]


@router.get("/lineage", **doc(response=Lineage))
def get_lineage(
    request: Request,
    svc: Svc,
    uri: str | None = Query(None, description="a blob URI (a File's, a DataFrame's...)"),
    execution: str | None = Query(None, description="project/domain/name of an execution"),
    node: str | None = Query(None, description="a node of that execution (n0, n2/n1, n3[4])"),
    depth: int = Query(1, description="how many blobs deep to follow (1 to 10)"),
) -> Response:
    """The lineage of ``uri``, or of ``node`` of ``execution``: the nodes that wrote each blob
    (execution, node, attempt, code version, cache entry) and those that read it. Steps in a
    project and domain the caller may not read are ``hidden``."""
    caller = principal(request)
    if (uri is None) == (execution is None):
        raise ValidationError("give either uri, or execution and node")
    if uri is not None:
        if node is not None:
            raise ValidationError("node goes with execution, not with uri")
        return json_response(svc.lineage.of_uri(uri, caller, depth))
    assert execution is not None
    parts = execution.split("/")
    if len(parts) != 3 or not all(parts):
        raise ValidationError(
            f"execution must be project/domain/name, got {execution[:200]!r}",
            details={"execution": execution[:200]},
        )
    if node is None:
        raise ValidationError("give the node of the execution (such as n0)")
    project, domain, name = parts
    return json_response(svc.lineage.of_node(project, domain, name, node, caller, depth))
