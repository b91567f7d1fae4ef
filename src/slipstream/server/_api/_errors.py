"""One mapping from errors to HTTP: ``SlipstreamError.code`` -> status (the catalogue's, through
:func:`slipstream.errors.http_status`), JSON ``{error, message,
details}`` for every failure, and never a traceback or a 500 for a client's mistake."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from slipstream.errors import SlipstreamError, http_status

from ._io import json_response

__all__ = ["DATABASE_OUTAGES", "database_unavailable", "install_error_handlers"]

log = logging.getLogger("slipstream.server")

DATABASE_OUTAGES: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.DisconnectionError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
)
"""Errors of a database that is away (refusing connections, locked, full, too slow to answer):
a 503 to try again, not a 500."""
RETRY_AFTER_S = 5
_LOG_REFUSALS_EVERY_S = 30.0
_refusals_logged_at = -_LOG_REFUSALS_EVERY_S
_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}


def _error(status: int, code: str, message: str, details: Any = None) -> Response:
    return json_response({"error": code, "message": message, "details": details}, status)


async def _slipstream_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SlipstreamError)
    status = http_status(exc.code, exc.kind)
    if status >= 500:
        log.error("request failed: %s", exc, exc_info=exc)
    return _error(status, exc.code, exc.message, exc.details)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"loc": [str(p) for p in e.get("loc", ())], "message": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    text = "; ".join(f"{'.'.join(p['loc'])}: {p['message']}" for p in problems)
    return _error(400, "invalid_request", f"invalid request: {text}", problems)


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return _error(exc.status_code, code, str(exc.detail))


async def _data_error(_request: Request, exc: Exception) -> Response:
    # A value the database refuses (too long for its column, out of range): the client's
    # mistake, on PostgreSQL as on SQLite; never a 500 and a dropped connection.
    log.warning("the database refused a value: %s", exc)
    return _error(400, "invalid_request", "a value of the request does not fit the database")


def database_unavailable(exc: Exception) -> Response:
    """503 with ``Retry-After`` and a JSON error naming the database."""
    from .._loops import cause

    global _refusals_logged_at
    now = time.monotonic()
    if now - _refusals_logged_at >= _LOG_REFUSALS_EVERY_S:  # not a line per request
        _refusals_logged_at = now
        log.warning("requests refused, the database is unavailable: %s", cause(exc))
    response = _error(
        503,
        "database_unavailable",
        "the database is unavailable; try again shortly",
        {"component": "database", "cause": cause(exc)},
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


async def _database_error(_request: Request, exc: Exception) -> Response:
    return database_unavailable(exc)


async def _unexpected(_request: Request, exc: Exception) -> Response:
    log.error("unexpected error", exc_info=exc)
    return _error(500, "internal", "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception through the mapping above."""
    app.add_exception_handler(SlipstreamError, _slipstream_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(DataError, _data_error)
    for kind in DATABASE_OUTAGES:
        app.add_exception_handler(kind, _database_error)
    app.add_exception_handler(Exception, _unexpected)
