"""The console's actions (POST) and its files: log in and out, launch from the form, abort,
relaunch, recover, signal a gate, activate and deactivate a schedule; the vendored static files
and the blobs of an execution's values.

Each action is the API request it stands for, checked by the same rule (:func:`._session.access`)
on its own target and done by the same service; each first passes :func:`._session.posted` (the
exact origin, a bounded body, the CSRF token), which keeps other pages, other ports of the same
host included, from posting here. After an action the browser goes to the page that shows its result (for htmx
requests, through ``HX-Redirect``).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from slipstream.errors import AuthenticationError, NotFoundError, SlipstreamError, ValidationError
from slipstream.model import (
    AbortRequest,
    ExecutionCreate,
    Identifier,
    RelaunchRequest,
    ResourceType,
    SignalSend,
)

from .._auth import SESSION_COOKIE, LoginLinks, Principal
from ._forms import fields_of, parse_form, parse_labels
from ._pages import launch_target, render_launch
from ._security import CSRF_FIELD, SecureRoute
from ._session import LOGIN_FORM_BYTES, access, posted, safe_next, set_session
from ._views import error_page, render, services_of

__all__ = ["router"]

router = APIRouter(include_in_schema=False, route_class=SecureRoute)
_STATIC = Path(__file__).parent / "static"
_STATIC_FILES = {"htmx.min.js", "dagre.min.js", "console.js", "console.css", "favicon.svg"}


def _go(request: Request, url: str) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


# -- session ----------------------------------------------------------------------------------


@router.get("/console/login")
async def login_page(request: Request) -> Response:
    """The login form (a token in the URL logs no one in: a link to share is made by
    ``slipstream auth login-link``, once)."""
    svc = services_of(request)
    nxt = safe_next(request.query_params.get("next"))
    if not svc.config.auth:
        return RedirectResponse(nxt, status_code=303)
    error = ""
    if "token" in request.query_params:
        error = (
            "a token in a link does not log in: make a one-time link with "
            "`slipstream auth login-link`, or paste the token here"
        )
    return render(request, "login.html", next=nxt, error=error)


@router.post("/console/login")
async def login(request: Request) -> Response:
    """Check the token posted (a small form from the login page) and keep it as the session."""
    form = await posted(request, LOGIN_FORM_BYTES)
    if isinstance(form, Response):
        return form
    token, nxt = form.get("token", "").strip(), safe_next(form.get("next"))
    svc = services_of(request)
    try:
        await run_in_threadpool(svc.auth.authenticate, token)
    except AuthenticationError as e:
        return render(request, "login.html", 401, next=nxt, error=e.message)
    return _logged_in(request, token, nxt)


@router.get("/console/login/link")
async def login_link(request: Request) -> Response:
    """A one-time login link: its code is used up and the browser gets a session of its own."""
    svc = services_of(request)
    if not svc.config.auth:
        return RedirectResponse("/console/projects", status_code=303)
    code = request.query_params.get("code", "")
    try:
        token = await run_in_threadpool(LoginLinks(svc.auth).redeem, code)
    except AuthenticationError as e:
        return render(request, "login.html", 401, next="/console/projects", error=e.message)
    return _logged_in(request, token, "/console/projects")


def _logged_in(request: Request, token: str, nxt: str) -> Response:
    response = RedirectResponse(nxt, status_code=303)
    set_session(response, token, secure=request.url.scheme == "https")
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/console/logout")
async def logout(request: Request) -> Response:
    """Forget the session (and revoke it, when a login link made it)."""
    form = await posted(request)
    if isinstance(form, Response):
        return form
    principal = request.scope.get("state", {}).get("principal")
    if isinstance(principal, Principal):
        await run_in_threadpool(LoginLinks(services_of(request).auth).end, principal)
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


# -- launching --------------------------------------------------------------------------------


@router.post("/console/projects/{project}/{domain}/launch_plans/{name}/launch")
async def launch(request: Request, project: str, domain: str, name: str) -> Response:
    """Parse the form field by field; launch only when every field is right. The caller needs
    the launcher role on this launch plan's own project and domain."""
    form = await posted(request)
    if isinstance(form, Response):
        return form
    target = {"target": {"project": project, "domain": domain}}
    who = access(request, "POST", "/executions", target)
    if isinstance(who, Response):
        return who
    svc = services_of(request)
    form.pop(CSRF_FIELD, None)
    version = form.pop("__version", "") or "latest"
    labels_text = form.pop("__labels", "")
    cluster = form.pop("__cluster", "")
    source = form.pop("__from", "")
    try:
        lp, interface = await run_in_threadpool(launch_target, svc, project, domain, name, version)
        values, errors = parse_form(fields_of(interface, lp), form)
        labels, bad_labels = parse_labels(labels_text)
        if bad_labels:
            errors["__labels"] = bad_labels
        if not errors:
            request_body = ExecutionCreate(
                target=Identifier(ResourceType.LAUNCH_PLAN, name, project, domain, lp.id.version),
                inputs=values,
                labels=labels,
                cluster=cluster,
            )
            record = await run_in_threadpool(svc.launches.create, request_body, who)
            return _go(request, f"/console/executions/{project}/{domain}/{record.id.name}")
    except SlipstreamError as e:
        # the server's own check refused a value: its message goes next to the field it names
        details = e.details if isinstance(e.details, dict) else {}
        field = details.get("input") or ("__labels" if e.message.startswith("labels:") else "")
        if details.get("field") == "cluster" or "resource" in details:  # routing refused it
            field = "__cluster"
        if not field:
            return error_page(request, e)
        errors = {str(field): e.message}
        lp, interface = await run_in_threadpool(launch_target, svc, project, domain, name, version)
    return await run_in_threadpool(
        render_launch,
        request,
        lp,
        interface,
        errors,
        form,
        labels=labels_text,
        source=source,
        cluster=cluster,
        status=422,
    )


# -- acting on executions ---------------------------------------------------------------------


async def _act(request: Request, project: str, domain: str, name: str, action: str) -> Response:
    form = await posted(request)
    if isinstance(form, Response):
        return form
    who = access(request, "POST", f"/executions/{project}/{domain}/{name}/{action}")
    if isinstance(who, Response):
        return who
    svc = services_of(request)
    page = f"/console/executions/{project}/{domain}"
    try:
        if action == "abort":
            body = AbortRequest(cause=form.get("cause", "") or "aborted from the console")
            await run_in_threadpool(svc.control.abort, project, domain, name, body, who.name)
            return _go(request, f"{page}/{name}")
        if action in ("relaunch", "recover"):
            method = svc.launches.relaunch if action == "relaunch" else svc.launches.recover
            record = await run_in_threadpool(method, project, domain, name, RelaunchRequest(), who)
            return _go(request, f"{page}/{record.id.name}")
        signal = form.get("signal", "")
        gates = {
            s.name: s for s in await run_in_threadpool(svc.control.signals, project, domain, name)
        }
        if signal not in gates:
            raise NotFoundError(f"execution {name} has no gate named {signal!r}")
        from slipstream.types import BadValue, parse_text

        try:
            value = parse_text(form.get("value", ""), gates[signal].type)
        except (BadValue, ValueError) as e:
            raise ValidationError(f"signal {signal!r}: {e}") from None
        await run_in_threadpool(
            svc.control.signal,
            project,
            domain,
            name,
            SignalSend(name=signal, value=value),
            who.name,
            who,
        )
        return _go(request, f"{page}/{name}")
    except SlipstreamError as e:
        return error_page(request, e)


@router.post("/console/executions/{project}/{domain}/{name}/abort")
async def abort(request: Request, project: str, domain: str, name: str) -> Response:
    """Abort the execution."""
    return await _act(request, project, domain, name, "abort")


@router.post("/console/executions/{project}/{domain}/{name}/relaunch")
async def relaunch(request: Request, project: str, domain: str, name: str) -> Response:
    """A new execution with the same inputs."""
    return await _act(request, project, domain, name, "relaunch")


@router.post("/console/executions/{project}/{domain}/{name}/recover")
async def recover(request: Request, project: str, domain: str, name: str) -> Response:
    """A new execution reusing what succeeded."""
    return await _act(request, project, domain, name, "recover")


@router.post("/console/executions/{project}/{domain}/{name}/signals")
async def signal(request: Request, project: str, domain: str, name: str) -> Response:
    """Answer a gate."""
    return await _act(request, project, domain, name, "signals")


# -- schedules --------------------------------------------------------------------------------


@router.post("/console/projects/{project}/{domain}/launch_plans/{name}/{action}")
async def schedule(request: Request, project: str, domain: str, name: str, action: str) -> Response:
    """Activate a launch plan version's schedule, or deactivate the schedule."""
    if action not in ("activate", "deactivate"):
        return error_page(request, NotFoundError(f"no action {action!r}"))
    form = await posted(request)
    if isinstance(form, Response):
        return form
    who = access(request, "POST", f"/schedules/{project}/{domain}/{name}/{action}")
    if isinstance(who, Response):
        return who
    svc = services_of(request)
    try:
        if action == "activate":
            await run_in_threadpool(
                svc.schedules.activate, project, domain, name, form.get("version", ""), who.name
            )
        else:
            await run_in_threadpool(svc.schedules.deactivate, project, domain, name, who.name)
    except SlipstreamError as e:
        return error_page(request, e)
    return _go(request, f"/console/projects/{project}/{domain}/launch_plans/{name}")


# -- files ------------------------------------------------------------------------------------


@router.get("/console/static/{filename}")
def static(filename: str) -> Response:
    """The console's scripts and styles (vendored; nothing is fetched from elsewhere)."""
    if filename not in _STATIC_FILES:
        return Response("not found", status_code=404)
    media = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return Response(
        (_STATIC / filename).read_bytes(),
        media_type=media,
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/console/blob")
async def blob(request: Request) -> Response:
    """A file an execution wrote, from the blob store: only below the store's root, and only
    to a caller who may read the executions of its project and domain."""
    svc = services_of(request)
    uri = unquote(request.query_params.get("uri", ""))
    root = svc.config.store_url.rstrip("/") + "/"
    rest = uri[len(root) :] if uri.startswith(root) else ""
    parts = rest.split("/")
    if parts[0] == "uploads" and len(parts) > 3 and parts[1] not in svc.config.domains:
        parts = parts[1:]  # {root}/uploads/{project}/{domain}/...: a project's uploaded inputs
    if len(parts) < 3 or ".." in parts or parts[1] not in svc.config.domains:
        return error_page(request, NotFoundError("no such file in this server's blob store"))
    who = access(request, "GET", f"/executions/{parts[0]}/{parts[1]}")
    if isinstance(who, Response):
        return who

    def read() -> bytes:
        import fsspec

        with fsspec.open(uri, "rb") as f:
            data: bytes = f.read(64 * 1024 * 1024)
            return data

    try:
        data = await run_in_threadpool(read)
    except (FileNotFoundError, IsADirectoryError):
        return error_page(request, NotFoundError(f"{uri} is not a file in the blob store"))
    name = parts[-1] or "file"
    media = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if request.query_params.get("view") and media == "text/html":
        # a deck: shown in the browser, in a sandbox (no script of the page reaches the console)
        return Response(
            data,
            media_type=media,
            headers={
                "Content-Security-Policy": "sandbox allow-scripts",
                "X-Content-Type-Options": "nosniff",
            },
        )
    return Response(
        data,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
