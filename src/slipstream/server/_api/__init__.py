"""The REST API (FastAPI): routes, error mapping, OpenAPI."""

from ._app import API_PREFIX, create_api

__all__ = ["API_PREFIX", "create_api"]
