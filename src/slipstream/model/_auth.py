"""The wire model of access control: roles, users, grants and API tokens.

A user holds roles through grants, each on a project (``*`` for every project) and optionally one
domain of it. Tokens authenticate a user; the server keeps only their hash, so the secret is in
the answer to ``POST /api/v1/tokens`` and nowhere else.
"""

from __future__ import annotations

import enum

import msgspec

__all__ = [
    "ALL_PROJECTS",
    "Grant",
    "GrantRequest",
    "LoginLink",
    "NewToken",
    "Role",
    "TokenCreate",
    "TokenInfo",
    "User",
    "UserCreate",
]

ALL_PROJECTS = "*"
"""The project of a grant that holds in every project (the admin made on first start has one)."""


class Role(enum.StrEnum):
    """What a grant allows; each role allows everything the roles before it allow.

    viewer reads; launcher also executes, aborts, relaunches, recovers and signals; editor also
    registers, uploads code bundles and sets settings; admin also creates and archives projects,
    promotes into a protected domain, and manages users.
    """

    VIEWER = "viewer"
    LAUNCHER = "launcher"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """0 for viewer up to 3 for admin."""
        return _RANKS[self]


_RANKS = {Role.VIEWER: 0, Role.LAUNCHER: 1, Role.EDITOR: 2, Role.ADMIN: 3}


class UserCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The body of ``POST /api/v1/users``."""

    name: str


class Grant(msgspec.Struct, frozen=True, omit_defaults=True):
    """A role on a project (``*``: every project), on one domain or (``""``) all of them."""

    role: Role
    project: str
    domain: str = ""


class GrantRequest(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """The body of ``POST /api/v1/users/{name}/grants``: the grant replaces the user's role on
    that project/domain."""

    role: Role
    project: str
    domain: str = ""


class User(msgspec.Struct, frozen=True, omit_defaults=True):
    """A user and their grants."""

    name: str
    grants: tuple[Grant, ...] = ()
    created_by: str = ""
    created_at: float = 0.0


class TokenCreate(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """The body of ``POST /api/v1/tokens``: for the caller, or (admins) for ``user``.

    ``expires_in`` is in seconds; none means the token does not expire.
    """

    user: str = ""
    description: str = ""
    expires_in: float | None = None
    scope: str = ""
    """Empty: the token holds the user's grants; ``metrics``: it may only read ``GET /metrics``
    (a scraper's token)."""


class TokenInfo(msgspec.Struct, frozen=True, omit_defaults=True):
    """What the server shows of a token: never the secret."""

    id: str
    user: str
    description: str = ""
    created_at: float = 0.0
    expires_at: float | None = None
    revoked_at: float | None = None
    created_by: str = ""
    parent: str = ""
    """The id of the token that made this one (empty: the server made it); revoking that
    token revokes this one."""
    scope: str = ""
    """``metrics``: the token may only read ``GET /metrics``."""


class NewToken(msgspec.Struct, frozen=True, omit_defaults=True):
    """A token just made: ``token`` is the secret, shown this once."""

    token: str
    info: TokenInfo


class LoginLink(msgspec.Struct, frozen=True, omit_defaults=True):
    """A one-time console login link (``POST /api/v1/login-links``): ``path`` holds the code,
    shown this once; it logs one browser in, once, before ``expires_at``."""

    path: str
    expires_at: float
