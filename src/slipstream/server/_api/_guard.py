"""The API's edge: every request passes here before any route sees it.

In order: the Host and Origin must be the server's own (a web page in a local browser cannot
drive the API, DNS rebinding included); the path and query hold no NUL; the bearer token names a
user (401 otherwise; ``/healthz`` and ``/readyz`` need none); JSON bodies are
``application/json`` (415), no larger than the limit while they stream in (413), free of duplicate keys and NUL; the rule of
:mod:`.._auth._rules` for the method and path is held by the user's grants (403 naming the role needed).
Successful writes are recorded in the audit log with the caller, before the answer is sent.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import Response

from slipstream.errors import (
    AuthenticationError,
    PermissionDeniedError,
    SlipstreamError,
    TooLargeError,
    UnsupportedMediaTypeError,
    ValidationError,
    http_status,
)

from .._auth import (
    ANONYMOUS,
    READS,
    SESSION_COOKIE,
    TOKEN_FILE,
    Principal,
    Rule,
    match_rule,
    refusal,
)
from .._config import ServerConfig, is_loopback
from .._services import Services
from ._errors import DATABASE_OUTAGES, database_unavailable
from ._io import json_response

__all__ = ["Guard"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
_PREFIX = "/api/v1"
_UNBOUND = {"0.0.0.0", "::", ""}
_PLANE = re.compile(rf"{_PREFIX}/clusters/[^/]+/plane/.+")


def _check_scope(principal: Principal, path: str) -> None:
    """A token of a scope (``metrics``) reaches that scope's route alone; a cluster's token
    (scope ``cluster:NAME``) only its cluster's data plane routes."""
    if principal.scope.startswith("cluster:"):
        cluster = principal.scope.partition(":")[2]
        if not path.startswith(f"{_PREFIX}/clusters/{cluster}/plane/"):
            raise PermissionDeniedError(
                f"this token is cluster {cluster!r}'s: it reaches only that cluster's data "
                f"plane routes ({_PREFIX}/clusters/{cluster}/plane/...)",
                details={"scope": principal.scope},
            )
        return
    if principal.scope and path != f"/{principal.scope}":
        raise PermissionDeniedError(
            f"this token may only read /{principal.scope} (it was made with --{principal.scope})",
            details={"scope": principal.scope},
        )


class _Duplicate(ValueError):
    pass


class _Nul(ValueError):
    pass


class Guard:
    """ASGI middleware enforcing authentication, authorization and request hygiene."""

    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app = app
        self.services = services
        self.config: ServerConfig = services.config
        self.protected = frozenset(self.config.protected_domains)
        self.any_host = "*" in self.config.allowed_hosts
        bound = self.config.host.strip("[]").lower()
        self.any_ip = bound in _UNBOUND
        names = {"localhost", "127.0.0.1", "::1", bound, *self.config.allowed_hosts}
        if not is_loopback(bound):
            names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
        self.hosts = frozenset(n.lower() for n in names if n)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope["path"]
        try:
            headers = Headers(scope=scope)
            self._check_origin(headers)
            if path in ("/healthz", "/readyz"):
                await self.app(scope, receive, send)
                return
            if path == "/console" or path.startswith("/console/"):
                # the console authenticates by its session cookie and checks each page's and
                # action's role itself with :func:`allowed` (a missing session: its login page)
                self._check_nul(scope)
                found = await self._session(headers)
                scope.setdefault("state", {})["principal"] = found
                if method not in READS:
                    receive = _limited(receive, headers, self.config.max_json_bytes)
                    if found is not None:
                        send = self._audited(send, found, method, path)
                await self.app(scope, receive, send)
                return
            self._check_nul(scope)
            principal = await self._authenticate(headers)
            _check_scope(principal, path)
            api_path = path[len(_PREFIX) :] if path.startswith(_PREFIX + "/") else path
            rule, params, _ = match_rule(method, api_path)
            receive, body = await self._body(method, headers, rule, receive)
            self._authorize(principal, rule, params, body, read=method in READS)
        except SlipstreamError as e:
            await _error(e)(scope, receive, send)
            return
        except DATABASE_OUTAGES as e:  # authenticating needs the database
            await database_unavailable(e)(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        if method in READS or _PLANE.fullmatch(path):  # a data plane's turns are not audited
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, self._audited(send, principal, method, path))

    def _audited(self, send: Send, principal: Principal, method: str, path: str) -> Send:
        """``send`` that first records a successful write in the audit log."""
        record = self.services.auth.record

        async def audited(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                await run_in_threadpool(record, principal.name, method, path, message["status"])
            await send(message)

        return audited

    # -- checks -------------------------------------------------------------------------------

    def _allowed(self, host: str) -> bool:
        host = host.strip("[]").lower()
        if self.any_host or host in self.hosts:
            return True
        if self.any_ip:
            try:
                socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
            except OSError:
                return False
            return True
        return False

    def _check_origin(self, headers: Headers) -> None:
        host = headers.get("host")
        if host is not None:
            name = urlsplit(f"//{host}").hostname or ""
            if not self._allowed(name):
                raise PermissionDeniedError(
                    f"Host {host!r} is not this server's name; add it to the server's "
                    "allowed_hosts to accept it",
                    details={"host": host},
                )
        origin = headers.get("origin")
        if origin is not None:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not self._allowed(parts.hostname or ""):
                raise PermissionDeniedError(
                    f"requests from origin {origin!r} are refused: only the server's own "
                    "origin (or one in allowed_hosts) may call the API from a browser",
                    details={"origin": origin},
                )

    def _check_nul(self, scope: Scope) -> None:
        query = scope.get("query_string", b"")
        if "\x00" in scope["path"] or "\x00" in unquote(query.decode("latin-1")):
            raise ValidationError(
                "the request's path or query contains a NUL character, which no name may hold"
            )

    async def _authenticate(self, headers: Headers) -> Principal:
        if not self.config.auth:
            return ANONYMOUS
        value = headers.get("authorization")
        if not value:
            raise AuthenticationError(
                "this request needs a token: send `Authorization: Bearer <token>` (the "
                f"server's admin token is in {TOKEN_FILE} in its home; `slipstream auth token` "
                "prints it)"
            )
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("the Authorization header must be `Bearer <token>`")
        auth = self.services.auth
        token = token.strip()
        cached = auth.cached(token)
        if cached is not None:
            return cached
        return await run_in_threadpool(auth.authenticate, token)

    async def _session(self, headers: Headers) -> Principal | None:
        """The console's caller: the token of its session cookie (None: no valid session)."""
        if not self.config.auth:
            return ANONYMOUS
        token = _cookie(headers.get("cookie", ""), SESSION_COOKIE)
        if not token:
            return None
        auth = self.services.auth
        found = auth.cached(token)
        if found is None:
            try:
                found = await run_in_threadpool(auth.authenticate, token)
            except AuthenticationError:
                return None
        return None if found.scope else found  # a scraper's token opens no console

    async def _body(
        self, method: str, headers: Headers, rule: Rule, receive: Receive
    ) -> tuple[Receive, Any]:
        if method in READS:
            return receive, None
        declared = headers.get("content-length")
        if declared is not None and not declared.isdigit():
            raise ValidationError(f"Content-Length must be a number of bytes, got {declared!r}")
        size = int(declared) if declared is not None else None
        present = bool(size) or "transfer-encoding" in headers
        if rule.raw_body == "json":  # decoded strictly by the route: bounded, not parsed here
            media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if present and media != "application/json":
                raise UnsupportedMediaTypeError(
                    f"this endpoint takes application/json, not {media or 'no type'!r}",
                    details={"content_type": media},
                )
            return _limited(receive, headers, self.config.max_json_bytes), None
        if rule.raw_body:
            limit = (
                self.config.max_upload_bytes
                if rule.raw_body == "upload"
                else self.config.max_bundle_bytes
            )
            if size is not None and size > limit:
                raise TooLargeError(f"the request body is larger than {limit} bytes")
            return receive, None
        if not present:
            return receive, None
        media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media != "application/json":
            raise UnsupportedMediaTypeError(
                f"this endpoint takes application/json, not {media or 'a body without a type'!r}",
                details={"content_type": media},
            )
        limit = self.config.max_json_bytes
        if size is not None and size > limit:
            raise TooLargeError(f"the JSON body is larger than {limit} bytes")
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ValidationError("the client went away before the body was complete")
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > limit:
                raise TooLargeError(f"the JSON body is larger than {limit} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        data = b"".join(chunks)
        parsed = _parse(data)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": data, "more_body": False}
            return await receive()

        return replay, parsed

    def _authorize(
        self, principal: Principal, rule: Rule, params: dict[str, str], body: Any, *, read: bool
    ) -> None:
        denied = refusal(principal, rule, params, body, self.protected, read=read)
        if denied is not None:
            raise denied


def _limited(receive: Receive, headers: Headers, limit: int) -> Receive:
    """``receive`` that refuses a body past ``limit`` bytes (declared or while it streams): the
    console's forms, which no rule of the API reads, are bounded all the same."""
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLargeError(f"the request body is larger than {limit} bytes")
    total = 0

    async def bounded() -> Message:
        nonlocal total
        message = await receive()
        total += len(message.get("body", b""))
        if total > limit:
            raise TooLargeError(f"the request body is larger than {limit} bytes")
        return message

    return bounded


def _cookie(header: str, name: str) -> str:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value.strip()
    return ""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return out


def _has_nul(tree: Any) -> bool:
    stack = [tree]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            for key, inner in value.items():
                if "\x00" in key:
                    return True
                stack.append(inner)
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _parse(data: bytes) -> Any:
    """The JSON body decoded, refusing duplicate keys and NUL characters; None when it is not
    JSON at all (the route then says what is wrong with it)."""
    try:
        tree = json.loads(data, object_pairs_hook=_pairs)
    except _Duplicate as e:
        raise ValidationError(
            f"the JSON body has the key {e.args[0]!r} twice in one object",
            details={"duplicate_key": e.args[0]},
        ) from None
    except RecursionError:
        raise ValidationError("the JSON body is nested too deeply") from None
    except ValueError:
        return None
    if _has_nul(tree):
        raise ValidationError("the JSON body holds a NUL character, which no field may hold")
    return tree


def _error(exc: SlipstreamError) -> Response:
    status = http_status(exc.code, exc.kind)
    response = json_response(
        {"error": exc.code, "message": exc.message, "details": exc.details}, status
    )
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    if status == 413:
        response.headers["Connection"] = "close"
    return response
