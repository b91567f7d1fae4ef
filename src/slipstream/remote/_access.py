"""``Remote.access``: users, their grants and API tokens, as the server's admin manages them."""

from __future__ import annotations

import msgspec

from slipstream.model import (
    GrantRequest,
    LoginLink,
    NewToken,
    Role,
    TokenCreate,
    TokenInfo,
    User,
    UserCreate,
)

from ._http import Http

__all__ = ["Access"]


class Access:
    """Access control through the API: who am I, users and grants (admins), tokens."""

    def __init__(self, http: Http) -> None:
        self._http = http

    def whoami(self) -> User:
        """The user the client's token belongs to, with their grants."""
        return self._http.get("/whoami", User)

    def create_user(self, name: str) -> User:
        """A new user without roles (admins only)."""
        return self._http.send("POST", "/users", UserCreate(name), User)

    def users(self) -> list[User]:
        """Every user and their grants (admins only)."""
        return self._http.get("/users", list[User])

    def user(self, name: str) -> User:
        """One user and their grants (admins only)."""
        return self._http.get(f"/users/{name}", User)

    def grant(self, name: str, role: Role | str, project: str, domain: str = "") -> User:
        """Give ``name`` a role on ``project`` (``*``: every project), optionally one domain."""
        body = GrantRequest(Role(role), project, domain)
        return self._http.send("POST", f"/users/{name}/grants", body, User)

    def revoke(self, name: str, project: str, domain: str = "") -> User:
        """Take away ``name``'s role on ``project``/``domain``."""
        params = {"project": project, "domain": domain}
        response = self._http.request("DELETE", f"/users/{name}/grants", params=params)
        return msgspec.json.decode(response.content, type=User)

    def create_token(
        self,
        user: str = "",
        *,
        description: str = "",
        expires_in: float | None = None,
        scope: str = "",
    ) -> NewToken:
        """A new token (for another user: admins only); its secret is shown only here.
        ``scope="metrics"`` makes a scraper's token: it may read ``GET /metrics`` and nothing
        else."""
        body = TokenCreate(user=user, description=description, expires_in=expires_in, scope=scope)
        return self._http.send("POST", "/tokens", body, NewToken)

    def tokens(self, user: str | None = None) -> list[TokenInfo]:
        """The caller's tokens, or (admins) ``user``'s (``*``: everyone's)."""
        return self._http.get("/tokens", list[TokenInfo], user=user)

    def revoke_token(self, token_id: str) -> TokenInfo:
        """Revoke a token by its id (the part after ``ss_``)."""
        response = self._http.request("DELETE", f"/tokens/{token_id}")
        return msgspec.json.decode(response.content, type=TokenInfo)

    def login_link(self) -> str:
        """A one-time link that logs a browser into the console as this client's user: it works
        once, within minutes, and the session it gives is revoked with this client's token."""
        link = msgspec.json.decode(
            self._http.request("POST", "/login-links").content, type=LoginLink
        )
        return self._http.endpoint + link.path
