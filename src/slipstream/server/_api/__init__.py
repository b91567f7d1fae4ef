"""The REST API (FastAPI): routes, error mapping, OpenAPI."""

from ._app import API_PREFIX, create_app
from ._errors import STATUS_BY_CODE

__all__ = ["API_PREFIX", "STATUS_BY_CODE", "create_app"]
