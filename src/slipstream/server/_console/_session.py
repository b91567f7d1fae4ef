"""Who is using the console, and whether they may do what they ask.

The console's session is an API token kept in an HttpOnly, SameSite=Strict cookie scoped to
``/console``. A browser gets one from a one-time login link (``slipstream auth login-link``: the
session is a token of its own, made by the token that asked for the link) or by posting a token
to the login form; a token in a URL logs no one in. The API's edge
(its guard) reads the cookie on console paths and puts the caller in the
request; each page and action then asks :func:`.._auth.allowed` for the API request it
stands for, on its own target, so that the console grants exactly what the API grants. Every
state-changing request passes :func:`posted` first: its exact origin, a bounded body, its CSRF
token (:mod:`._security`). With ``--no-auth`` there is no login.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, quote

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from slipstream.errors import SlipstreamError, TooLargeError, ValidationError

from .._auth import SESSION_COOKIE, Principal, allowed
from ._security import check_csrf, check_origin
from ._views import error_page, services_of

__all__ = ["SESSION_COOKIE", "access", "form_of", "posted", "set_session"]

MAX_FORM_BYTES = 1 << 20
LOGIN_FORM_BYTES = 16 * 1024
SESSION_S = 12 * 3600


def access(request: Request, method: str, api_path: str, body: Any = None) -> Principal | Response:
    """The caller, if they may send ``method`` to ``api_path`` (with ``body``, for the rules
    that find their target in it); else what to answer: the login page (no session) or a page
    saying which role is needed."""
    principal: Principal | None = request.scope.get("state", {}).get("principal")
    if principal is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if method != "GET":
            target = request.headers.get("hx-current-url") or "/console"
        return RedirectResponse(f"/console/login?next={quote(target, safe='')}", status_code=303)
    svc = services_of(request)
    denied = allowed(
        principal, method, api_path, frozenset(svc.config.protected_domains), body=body
    )
    if denied is not None:
        return error_page(request, denied)
    return principal


async def form_of(request: Request, limit: int = MAX_FORM_BYTES) -> dict[str, str]:
    """The fields of a URL-encoded form body (the last value of a repeated field), refused
    (413) past ``limit`` bytes, declared or while it streams in: never buffered beyond it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLargeError(f"the form is larger than {limit} bytes")
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise TooLargeError(f"the form is larger than {limit} bytes")
        chunks.append(chunk)
    try:
        return dict(
            parse_qsl(b"".join(chunks).decode(), keep_blank_values=True, strict_parsing=False)
        )
    except UnicodeDecodeError:
        raise ValidationError("the form is not UTF-8 text") from None


async def posted(request: Request, limit: int = MAX_FORM_BYTES) -> dict[str, str] | Response:
    """The form of a state-changing request that came from the console's own page: its body at
    most ``limit`` bytes (counted first, so that no check reads more), its origin the server's
    (scheme, host and port), its CSRF token this browser's. Else the page that says why (413,
    403), and nothing is done."""
    try:
        form = await form_of(request, limit)
    except SlipstreamError as e:
        response = error_page(request, e)
        response.headers["Connection"] = "close"
        return response
    refused = check_origin(request) or check_csrf(request, form)
    if refused is not None:
        return error_page(request, refused)
    return form


def set_session(response: Response, token: str, secure: bool) -> None:
    """Keep ``token`` as the console's session."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_S,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=secure,
    )


def safe_next(value: Any) -> str:
    """Where to go after logging in: a console path only (never another site)."""
    text = str(value or "")
    if text.startswith("/console") and not text.startswith("//"):
        return text
    return "/console"
