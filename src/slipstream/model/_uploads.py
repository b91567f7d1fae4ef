"""The data uploads API's bodies: where a client may put the local files and DataFrames an
execution takes as inputs.

The client cannot write to the server's blob store itself (it may be a folder on the server's
disk, or an object store whose credentials only the server holds), so it asks for an upload
location (``POST /api/v1/data/{project}/{domain}/uploads``) and sends each blob's bytes under it
(``PUT .../uploads/{id}/{path}``). The literals it then sends name the URIs the server answered.
"""

from __future__ import annotations

import msgspec

__all__ = ["UploadLocation", "UploadedBlob"]


class UploadLocation(msgspec.Struct, frozen=True):
    """A fresh place in the server's blob store for one client's uploads: ``prefix`` is its URI
    (``{store}/uploads/{project}/{domain}/{id}``); ``PUT .../uploads/{id}/{path}`` writes
    ``{prefix}/{path}``."""

    id: str
    prefix: str


class UploadedBlob(msgspec.Struct, frozen=True):
    """What ``PUT .../uploads/{id}/{path}`` stored: the blob's URI and its size in bytes."""

    uri: str
    size: int
