"""The console's walls against other web pages: response headers, the exact origin of a POST and
its CSRF token.

Cookies are shared by every port of a host, and ``SameSite`` treats another port of the same host
as the same site, so neither keeps a page served from ``http://127.0.0.1:9000`` from posting to a
console on ``http://127.0.0.1:8000`` in a logged-in browser. Two checks do, on every state-changing
request: the request's origin (its ``Origin`` header, else its ``Referer``; neither: refused) must
be the server's own, scheme, host *and* port; and the form must carry the CSRF token of its
session: an HMAC of the session's token, which another page can neither read nor compute. Before
a session (the login form) and without authentication, the token is the HMAC, under a key of this
process, of a random value kept in a cookie of the console's.

Every console response also says ``Content-Security-Policy`` (scripts of the console's own only,
no framing, no plugins, no ``<base>``), ``X-Frame-Options: DENY``, ``X-Content-Type-Options:
nosniff`` and ``Referrer-Policy: same-origin``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request, Response
from fastapi.routing import APIRoute

from slipstream.errors import PermissionDeniedError

from .._auth import SESSION_COOKIE

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "HEADERS",
    "SecureRoute",
    "check_origin",
    "check_csrf",
    "csrf_token",
]

CSRF_FIELD = "csrf"
CSRF_COOKIE = "slipstream_csrf"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
_PROCESS_KEY = secrets.token_bytes(32)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_NEW_NONCE = "slipstream.csrf_nonce"


class SecureRoute(APIRoute):
    """A console route whose every answer carries :data:`HEADERS` (a header the route set
    itself, such as a deck's sandbox policy, is kept) and the CSRF cookie a page needs."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def secured(request: Request) -> Response:
            response = await handler(request)
            for name, value in HEADERS.items():
                response.headers.setdefault(name, value)
            nonce = request.scope.get(_NEW_NONCE)
            if nonce:
                response.set_cookie(
                    CSRF_COOKIE,
                    nonce,
                    path="/console",
                    httponly=True,
                    samesite="strict",
                    secure=request.url.scheme == "https",
                )
            return response

        return secured


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def check_origin(request: Request) -> PermissionDeniedError | None:
    """None when the request comes from the server's own origin (scheme, host and port, as the
    browser reached it); else the error saying why it is refused."""
    own = _origin(f"{request.url.scheme}://{request.headers.get('host', '')}")
    sent = request.headers.get("origin")
    source = "Origin"
    if sent is None or sent == "null":
        sent = request.headers.get("referer")
        source = "Referer"
    if not sent:
        return PermissionDeniedError(
            "the console takes forms only from its own pages: this request says neither its "
            "Origin nor its Referer",
        )
    if own is None or _origin(sent) != own:
        return PermissionDeniedError(
            f"the console takes forms only from its own pages: {source} {sent[:200]!r} is not "
            "this server's origin (scheme, host and port)",
            details={"origin": sent[:200]},
        )
    return None


def _session_cookie(request: Request) -> str:
    """The session cookie as the API's edge reads it: the first of that name (the browser sends
    the one of the most specific path first)."""
    for part in request.headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == SESSION_COOKIE:
            return value.strip()
    return ""


def _binding(request: Request, *, create: bool) -> tuple[bytes, bytes] | None:
    """The key and the value a CSRF token is made from: the session's token, else the nonce of
    the CSRF cookie (made when ``create`` and there is none)."""
    principal = request.scope.get("state", {}).get("principal")
    token_id = getattr(principal, "token_id", "")
    session = _session_cookie(request)
    if token_id and session.startswith(f"ss_{token_id}_"):
        # the very token the API's edge authenticated (a second cookie of the same name, set
        # by another page for a wider path, can neither log in nor key the token)
        return session.encode(), b"slipstream console csrf"
    nonce = request.scope.get(_NEW_NONCE) or request.cookies.get(CSRF_COOKIE, "")
    if len(nonce) < 32 or len(nonce) > 64:
        if not create:
            return None
        nonce = secrets.token_urlsafe(32)
        request.scope[_NEW_NONCE] = nonce
    return _PROCESS_KEY, nonce.encode()


def csrf_token(request: Request) -> str:
    """The CSRF token the console's forms carry for this browser."""
    found = _binding(request, create=True)
    assert found is not None
    key, value = found
    return hmac.new(key, value, hashlib.sha256).hexdigest()


def check_csrf(request: Request, form: dict[str, str]) -> PermissionDeniedError | None:
    """None when ``form`` carries this browser's CSRF token; else the error (compared in
    constant time)."""
    found = _binding(request, create=False)
    given = form.get(CSRF_FIELD, "")
    if found is not None and given:
        key, value = found
        expected = hmac.new(key, value, hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
            return None
    return PermissionDeniedError(
        "the form's CSRF token is missing or is not this session's: reload the page and send "
        "it again"
    )
