"""The server's web application: the API (:mod:`._api`) with the console (:mod:`._console`)
mounted beside it. Only this composition root imports both; neither imports the other (both ask
:func:`._auth.allowed` what a caller may do)."""

from __future__ import annotations

from fastapi import FastAPI

from ._api import create_api
from ._console import router as console_router
from ._services import Services

__all__ = ["create_app"]


def create_app(services: Services) -> FastAPI:
    """The API and the console over ``services`` (whose database must already be migrated)."""
    app = create_api(services)
    app.include_router(console_router)
    return app
