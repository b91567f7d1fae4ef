"""One-time console login links: what ``slipstream auth login-link`` asks for.

A link carries a random code; the server keeps only its SHA-256, the user and the token that
asked for it, and an expiry a few minutes away. Visiting the link uses the code up (an atomic
``UPDATE ... WHERE used_at IS NULL``, so two visits cannot both win) and gives the browser a
session token of its own, made by the token that asked for the link: it expires no later than
that token and is revoked with it (and when the browser logs out). A link that was used, has
expired or is unknown logs no one in.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time

from sqlalchemy import delete, update

from slipstream.errors import AuthenticationError
from slipstream.model import LoginLink

from .._database import LoginLinkRow, TokenRow
from ._service import AuthService, Principal

__all__ = ["LINK_PATH", "LINK_SECONDS", "SESSION_SECONDS", "LoginLinks"]

LINK_PATH = "/console/login/link"
LINK_SECONDS = 300.0
SESSION_SECONDS = 12 * 3600.0
SESSION_DESCRIPTION = "console session (login link)"
_CODE = re.compile(r"[A-Za-z0-9_-]{32,64}")
_INVALID = (
    "this login link is not valid (used, expired or unknown): make a new one with "
    "`slipstream auth login-link`"
)


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


class LoginLinks:
    """Making and redeeming one-time login links, on the auth service's database."""

    def __init__(self, auth: AuthService) -> None:
        self.auth = auth
        self.db = auth.db

    def create(self, caller: Principal) -> LoginLink:
        """A link that logs one browser in as ``caller``, once, within :data:`LINK_SECONDS`."""
        if not caller.token_id:
            raise AuthenticationError("a login link is made with a token")
        code = secrets.token_urlsafe(32)
        now = time.time()
        expires_at = now + LINK_SECONDS
        if caller.expires_at is not None:
            expires_at = min(expires_at, caller.expires_at)
        with self.db.session() as session:
            # links past their time are of no use to anyone: forget them as new ones are made
            session.execute(delete(LoginLinkRow).where(LoginLinkRow.expires_at < now - 3600))
            session.add(
                LoginLinkRow(
                    id=_hash(code),
                    user=caller.name,
                    token=caller.token_id,
                    created_at=now,
                    expires_at=expires_at,
                    used_at=None,
                )
            )
        return LoginLink(path=f"{LINK_PATH}?code={code}", expires_at=expires_at)

    def redeem(self, code: str) -> str:
        """Use the link's code up and return a new session token; :class:`AuthenticationError`
        for a code that was used, has expired or is unknown."""
        if not isinstance(code, str) or not _CODE.fullmatch(code):
            raise AuthenticationError(_INVALID)
        key = _hash(code)
        now = time.time()
        with self.db.session() as session:
            used = session.execute(
                update(LoginLinkRow)
                .where(
                    LoginLinkRow.id == key,
                    LoginLinkRow.used_at.is_(None),
                    LoginLinkRow.expires_at > now,
                )
                .values(used_at=now)
            )
            if getattr(used, "rowcount", 0) != 1:
                raise AuthenticationError(_INVALID)
            row = session.get(LoginLinkRow, key)
            parent = session.get(TokenRow, row.token) if row and row.token else None
            if (
                parent is None
                or parent.revoked_at is not None
                or (parent.expires_at is not None and parent.expires_at <= now)
            ):
                raise AuthenticationError(_INVALID)
            return self.auth.new_child_token(
                session, parent, SESSION_DESCRIPTION, now + SESSION_SECONDS
            )

    def end(self, principal: Principal) -> None:
        """Log a browser out: a session a login link made is revoked (a token pasted into the
        login form is the user's own, and stays)."""
        if not principal.token_id:
            return
        with self.db.session() as session:
            row = session.get(TokenRow, principal.token_id)
            made_by_link = row is not None and row.description == SESSION_DESCRIPTION
        if made_by_link:
            self.auth.revoke_token(principal.token_id, principal)
