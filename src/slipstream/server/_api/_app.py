"""The API's FastAPI application: routes under ``/api/v1``, ``/healthz``, ``/readyz`` and
``/metrics``, the guard and the OpenAPI document. The composition root (``server/_app.py``) mounts
the console beside it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

from .._metrics import RequestMetrics
from .._services import Services
from . import (
    _auth,
    _clusters,
    _data,
    _entities,
    _executions,
    _health,
    _metrics,
    _plane,
    _projects,
    _schedules,
    _secrets,
)
from ._errors import install_error_handlers
from ._gc import router as _gc_router
from ._guard import Guard
from ._io import schema_components
from ._lineage import router as _lineage_router

__all__ = ["API_PREFIX", "create_api"]

API_PREFIX = "/api/v1"


def create_api(services: Services) -> FastAPI:
    """The API over ``services`` (whose database must already be migrated)."""
    app = FastAPI(
        title="slipstream",
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        redirect_slashes=False,
    )
    app.state.services = services
    app.state.loops = {}  # this process's background loops by name (the server fills it in)
    install_error_handlers(app)
    api = APIRouter(prefix=API_PREFIX)
    for module in (
        _projects,
        _entities,
        _executions,
        _data,
        _auth,
        _schedules,
        _secrets,
        _clusters,
        _plane,
    ):
        api.include_router(module.router)
    api.include_router(_lineage_router)
    api.include_router(_gc_router)
    app.include_router(api)
    app.include_router(_health.router)
    app.include_router(_metrics.router)
    app.add_middleware(Guard, services=services)
    # outermost, so that requests the guard refuses count too
    app.add_middleware(RequestMetrics, metrics=services.metrics, prefixes=(API_PREFIX,))

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {}).update(
                schema_components()
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
