"""Who is using the console, and whether they may do what they ask.

The console's session is an API token kept in an HttpOnly, SameSite=Strict cookie scoped to
``/console``: the login page takes the token (or ``/console/login?token=...`` once, for a link
printed by a terminal) and sets the cookie. The API's edge (:class:`.._api._guard.Guard`) reads
the cookie on console paths and puts the caller in the request; each page and action then asks
:func:`.._api._guard.allowed` for the API request it stands for, so that the console grants
exactly what the API grants. With ``--no-auth`` there is no login.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, quote

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from slipstream.errors import TooLargeError, ValidationError

from .._api._guard import SESSION_COOKIE, allowed
from .._auth import Principal
from ._views import error_page, services_of

__all__ = ["SESSION_COOKIE", "access", "form_of", "set_session"]

MAX_FORM_BYTES = 1 << 20
SESSION_S = 12 * 3600


def access(request: Request, method: str, api_path: str) -> Principal | Response:
    """The caller, if they may send ``method`` to ``api_path``; else what to answer: the login
    page (no session) or a page saying which role is needed."""
    principal: Principal | None = request.scope.get("state", {}).get("principal")
    if principal is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if method != "GET":
            target = request.headers.get("hx-current-url") or "/console"
        return RedirectResponse(f"/console/login?next={quote(target, safe='')}", status_code=303)
    svc = services_of(request)
    denied = allowed(principal, method, api_path, frozenset(svc.config.protected_domains))
    if denied is not None:
        return error_page(request, denied)
    return principal


async def form_of(request: Request) -> dict[str, str]:
    """The fields of a URL-encoded form body (the last value of a repeated field)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise TooLargeError(f"the form is larger than {MAX_FORM_BYTES} bytes")
    try:
        return dict(parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=False))
    except UnicodeDecodeError:
        raise ValidationError("the form is not UTF-8 text") from None


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
