"""Routes for users, their grants and API tokens (who may call them is in ``_rules.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from slipstream.model import (
    GrantRequest,
    LoginLink,
    NewToken,
    TokenCreate,
    TokenInfo,
    User,
    UserCreate,
)

from .._auth import ANONYMOUS, LINK_SECONDS, LoginLinks, Principal
from .._services import Services
from ._deps import principal, services
from ._io import doc, json_response, read_body

__all__ = ["router"]

router = APIRouter(tags=["access"])
Svc = Annotated[Services, Depends(services)]
Caller = Annotated[Principal, Depends(principal)]


@router.get("/whoami", **doc(response=User))
def whoami(svc: Svc, me: Caller) -> Response:
    """The caller and their grants."""
    if me is ANONYMOUS:
        return json_response(User(name=me.name, grants=me.grants))
    return json_response(svc.auth.user(me.name))


@router.post("/users", **doc(body=UserCreate, response=User, status_code=201))
async def create_user(request: Request, svc: Svc, me: Caller) -> Response:
    """Create a user (without roles: grant them next)."""
    body = await read_body(request, UserCreate)
    return json_response(await run_in_threadpool(svc.auth.create_user, body.name, me.name), 201)


@router.get("/users", **doc(response=list[User]))
def list_users(svc: Svc) -> Response:
    """Every user and their grants."""
    return json_response(svc.auth.users())


@router.get("/users/{name}", **doc(response=User))
def get_user(name: str, svc: Svc) -> Response:
    """One user and their grants."""
    return json_response(svc.auth.user(name))


@router.post("/users/{name}/grants", **doc(body=GrantRequest, response=User))
async def grant(name: str, request: Request, svc: Svc, me: Caller) -> Response:
    """Give a user a role on a project (``*``: all) and optionally one domain of it."""
    body = await read_body(request, GrantRequest)
    return json_response(await run_in_threadpool(svc.auth.grant, name, body, me.name))


@router.delete("/users/{name}/grants", **doc(response=User))
def revoke(
    name: str,
    svc: Svc,
    me: Caller,
    project: str = Query(..., description="the grant's project, or *"),
    domain: str = Query("", description="the grant's domain; empty for the whole project"),
) -> Response:
    """Take away a user's role on a project/domain."""
    return json_response(svc.auth.revoke(name, project, domain, me.name))


@router.post("/tokens", **doc(body=TokenCreate, response=NewToken, status_code=201))
async def create_token(request: Request, svc: Svc, me: Caller) -> Response:
    """A new token for the caller (admins: for any user). The secret is in this answer only."""
    body = await read_body(request, TokenCreate)
    return json_response(await run_in_threadpool(svc.auth.create_token, body, me), 201)


@router.get("/tokens", **doc(response=list[TokenInfo]))
def list_tokens(
    svc: Svc,
    me: Caller,
    user: str | None = Query(None, description="whose tokens (admins only; * for everyone's)"),
) -> Response:
    """The caller's tokens (never their secrets)."""
    return json_response(svc.auth.tokens(me, user))


@router.delete("/tokens/{token_id}", **doc(response=TokenInfo))
def revoke_token(token_id: str, svc: Svc, me: Caller) -> Response:
    """Revoke one of the caller's tokens (admins: anyone's)."""
    return json_response(svc.auth.revoke_token(token_id, me))


@router.post("/login-links", **doc(response=LoginLink, status_code=201))
def create_login_link(svc: Svc, me: Caller) -> Response:
    """A one-time link that logs a browser into the console as the caller (within minutes,
    once); the browser's session is a token made by the caller's token."""
    if not svc.config.auth:
        import time

        return json_response(LoginLink(path="/console", expires_at=time.time() + LINK_SECONDS), 201)
    return json_response(LoginLinks(svc.auth).create(me), 201)
