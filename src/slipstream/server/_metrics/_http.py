"""Counting every request by route template: an ASGI middleware outside the API's guard.

The route is the template the router matched (``/api/v1/executions/{project}/{domain}/{name}``),
never the raw path, so that the label set stays bounded however many executions there are. A
request that reached no route (refused by the guard, or an unknown path) counts as
``unmatched``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ._metrics import Metrics

__all__ = ["RequestMetrics"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetrics:
    """ASGI middleware: each HTTP request's route, method, status and latency to ``metrics``."""

    def __init__(self, app: ASGIApp, metrics: Metrics, prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.metrics = metrics
        self.prefixes = prefixes
        """Prefixes of included routers, put back in front of a template that lacks them
        (FastAPI may report an included route by its own path)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.metrics.enabled:
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sent(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sent)
        finally:
            route = getattr(scope.get("route"), "path", None)
            method = scope.get("method", "")
            self.metrics.request(
                self._template(route, scope.get("path", "")),
                method if method in _METHODS else "other",
                status,
                time.perf_counter() - start,
            )

    def _template(self, route: object, path: str) -> str:
        if not isinstance(route, str):
            return "unmatched"
        for prefix in self.prefixes:
            if path.startswith(prefix + "/") and not route.startswith(prefix + "/"):
                return prefix + route
        return route
