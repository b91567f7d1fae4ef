"""Tokens made by tokens, on a real server (SQLite and PostgreSQL): a token cannot outlive or
outrank the token that makes it, each records its maker, and revoking a token revokes every
token it made, directly or through others. Refusals change nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from live_server import LiveServer, unique

from slipstream.errors import PermissionDeniedError
from slipstream.model import Grant, Role, TokenCreate
from slipstream.server import Database
from slipstream.server._auth import ANONYMOUS, AuthService, Principal


def _client(server: LiveServer, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


@pytest.fixture
def user(api: httpx.Client) -> Iterator[tuple[str, str]]:
    """A user with launcher on a fresh project and a token of theirs that expires in an hour."""
    project = unique("tc")
    assert api.post("/projects", json={"name": project}).status_code == 201
    name = unique("tc")
    assert api.post("/users", json={"name": name}).status_code == 201
    grant = {"role": "launcher", "project": project}
    assert api.post(f"/users/{name}/grants", json=grant).status_code == 200
    made = api.post("/tokens", json={"user": name, "expires_in": 3600})
    assert made.status_code == 201, made.text
    yield name, made.json()["token"]


def _ids(c: httpx.Client) -> dict[str, dict[str, object]]:
    r = c.get("/tokens")
    assert r.status_code == 200, r.text
    return {t["id"]: t for t in r.json()}


def test_an_expiring_token_cannot_make_one_that_outlives_it(
    server: LiveServer, user: tuple[str, str]
) -> None:
    _name, token = user
    with _client(server, token) as c:
        before = _ids(c)
        for body in ({}, {"expires_in": 7200}):
            r = c.post("/tokens", json=body)
            assert r.status_code == 403, r.text
            assert "outlive" in r.json()["message"]
        assert _ids(c) == before
        r = c.post("/tokens", json={"expires_in": 600})
        assert r.status_code == 201, r.text
        child = r.json()["info"]
        parent_id = token.split("_")[1]
        assert child["parent"] == parent_id
        assert child["expires_at"] <= time.time() + 601


def test_a_token_cannot_outrank_its_maker(
    server: LiveServer, api: httpx.Client, user: tuple[str, str]
) -> None:
    """Every role the new token's user holds must be held by the maker: over the API a user
    cannot make a token for an admin; in the service, a maker whose grants fall short of the
    user's (its roles were narrowed since) is refused. Nothing is made either way."""
    name, token = user
    other = unique("tc")
    assert api.post("/users", json={"name": other}).status_code == 201
    grant = {"role": "admin", "project": "*"}
    assert api.post(f"/users/{other}/grants", json=grant).status_code == 200
    with _client(server, token) as c:
        assert c.post("/tokens", json={"user": other, "expires_in": 60}).status_code == 403
    assert api.get("/tokens", params={"user": other}).json() == []

    db = Database(server.db_url)
    try:
        auth = AuthService(db, ("development", "staging", "production"))
        before = auth.tokens(ANONYMOUS, name)
        narrowed = Principal(name, (Grant(Role.VIEWER, "*"),), token.split("_")[1], None)
        with pytest.raises(PermissionDeniedError, match="outrank"):
            auth.create_token(TokenCreate(), narrowed)
        assert auth.tokens(ANONYMOUS, name) == before
    finally:
        db.engine.dispose()


def test_revoking_a_token_revokes_what_it_made(
    server: LiveServer, api: httpx.Client, user: tuple[str, str]
) -> None:
    name, token = user
    with _client(server, token) as c:
        child = c.post("/tokens", json={"expires_in": 1800}).json()["token"]
    with _client(server, child) as c:
        grandchild = c.post("/tokens", json={"expires_in": 900}).json()["token"]
    with _client(server, grandchild) as c:
        assert c.get("/whoami").status_code == 200
    sibling = api.post("/tokens", json={"user": name, "expires_in": 60}).json()["token"]
    with _client(server, token) as c:
        own_id = token.split("_")[1]
        assert c.delete(f"/tokens/{own_id}").status_code == 200
    deadline = time.monotonic() + 10  # until every server process has seen the revocation
    for gone in (token, child, grandchild):
        with _client(server, gone) as c:
            r = c.get("/whoami")
            while r.status_code != 401 and time.monotonic() < deadline:
                time.sleep(0.02)
                r = c.get("/whoami")
            assert r.status_code == 401, r.text
            assert "revoked" in r.json()["message"]
    with _client(server, sibling) as c:
        assert c.get("/whoami").status_code == 200
    listed = {t["id"]: t for t in api.get("/tokens", params={"user": name}).json()}
    for gone in (child, grandchild):
        assert listed[gone.split("_")[1]]["revoked_at"] is not None


def test_a_login_link_is_used_once_and_made_by_its_token(
    server: LiveServer, user: tuple[str, str]
) -> None:
    """On each database: the link's session is a token made by the token that asked for it,
    expiring no later; the link logs in once."""
    _name, token = user
    with _client(server, token) as c:
        made = c.post("/login-links")
        assert made.status_code == 201, made.text
        link = made.json()
        assert link["expires_at"] <= time.time() + 301
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        first = browser.get(link["path"], follow_redirects=False)
        assert first.status_code == 303
        session = browser.cookies["slipstream_session"]
        assert browser.get(link["path"], follow_redirects=False).status_code == 401
    with _client(server, session) as c:
        assert c.get("/whoami").status_code == 200
        mine = _ids(c)[session.split("_")[1]]
        assert mine["parent"] == token.split("_")[1]
        assert mine["expires_at"] <= time.time() + 3600
