"""Routes for data uploads: the local files and DataFrames a client gives as execution inputs go
to the server's blob store through here (Flyte's ``CreateUploadLocation``, without signed URLs:
the bytes come through the API, which holds the store's credentials)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from slipstream.errors import TooLargeError
from slipstream.model import UploadedBlob, UploadLocation

from .._services import Services
from ._deps import services
from ._io import doc, json_response

__all__ = ["router"]

router = APIRouter(tags=["data"])
Svc = Annotated[Services, Depends(services)]


@router.post("/data/{project}/{domain}/uploads", **doc(response=UploadLocation, status_code=201))
async def create_upload(project: str, domain: str, svc: Svc) -> Response:
    """A fresh upload location in the server's blob store for this project/domain: its ``id``
    and its ``prefix`` (the URI under which the uploaded blobs will be)."""
    location = await run_in_threadpool(svc.uploads.create, project, domain)
    return json_response(location, 201)


@router.put(
    "/data/{project}/{domain}/uploads/{upload_id}/{path:path}",
    **doc(raw_body="application/octet-stream", response=UploadedBlob, status_code=201),
)
async def put_upload(
    project: str, domain: str, upload_id: str, path: str, request: Request, svc: Svc
) -> Response:
    """Store the body's bytes at ``{prefix}/{path}`` of the upload location ``upload_id``.

    The body streams to disk; past the server's limit the upload is refused (413) at once. A
    blob already uploaded at that path is never overwritten (409)."""
    declared = request.headers.get("content-length")
    limit = svc.uploads.max_bytes
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLargeError(f"uploaded blob larger than {limit} bytes")
    blob = await svc.uploads.receive(project, domain, upload_id, path, request.stream())
    return json_response(blob, 201)
