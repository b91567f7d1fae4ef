"""Lineage across executions: the index of the blobs each node wrote and read (filled when the
engine host flushes records) and the service that answers "who made this, from what, and who
read it later", showing only what the caller may read."""

from ._index import index_rows, uri_key, write_index
from ._service import LineageService

__all__ = ["LineageService", "index_rows", "uri_key", "write_index"]
