"""Rendering the console's templates: a page with the caller, the CSRF token its forms carry and
what the caller may do there; an error as a page or fragment."""

from __future__ import annotations

import time
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from slipstream.errors import SlipstreamError, http_status
from slipstream.model import Role

from .._auth import Principal
from .._services import Services
from ._render import environment
from ._security import csrf_token

__all__ = ["error_page", "render", "services_of"]

_env = environment()


def services_of(request: Request) -> Services:
    """The services of the running app."""
    svc: Services = request.app.state.services
    return svc


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A template rendered with the caller and the request."""
    svc = services_of(request)
    principal = request.scope.get("state", {}).get("principal")

    def may(role: str, project: str, domain: str) -> bool:
        """Whether the caller holds ``role`` on ``project``/``domain``: a page offers only the
        actions its viewer may take."""
        return isinstance(principal, Principal) and principal.allows(Role(role), project, domain)

    html = _env.get_template(template).render(
        request=request,
        user=getattr(principal, "name", ""),
        auth=svc.config.auth,
        now=time.time(),
        csrf=csrf_token(request),
        may=may,
        **context,
    )
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, error: SlipstreamError) -> HTMLResponse:
    """An error as a page (a fragment for htmx requests), with the API's status code."""
    status = http_status(error.code, error.kind)
    template = "error_fragment.html" if request.headers.get("hx-request") else "error.html"
    return render(request, template, status, error=error)
