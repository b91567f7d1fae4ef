"""Who the caller is and what they may do: users, grants, hashed API tokens, the audit log.

A token reads ``ss_<id>_<secret>``. The server stores the id and the SHA-256 of the secret, never
the secret; a presented token is looked up by id and its hash compared in constant time. A short
cache keeps authentication off the database on the hot path; every change made through this
service empties it, so revocation and new grants hold at once on this server (other servers on
the same database see them within :data:`CACHE_SECONDS`).

On first start the server makes the user ``admin`` with the admin role on every project and
writes its token to ``admin-token`` in the server's home (mode 0600), where a client on the same
home finds it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from slipstream.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from slipstream.model import (
    ALL_PROJECTS,
    Grant,
    GrantRequest,
    NewToken,
    Role,
    TokenCreate,
    TokenInfo,
    User,
)

from .._database import AuditRow, Database, GrantRow, TokenRow, UserRow, check_domain, check_project

__all__ = [
    "ADMIN_USER",
    "ANONYMOUS",
    "CACHE_SECONDS",
    "TOKEN_FILE",
    "TOKEN_SCOPES",
    "AuthService",
    "Principal",
    "check_user",
]

ADMIN_USER = "admin"
TOKEN_FILE = "admin-token"
CACHE_SECONDS = 5.0
TOKEN_SCOPES = ("", "metrics")
"""What a token may reach: "" its user's grants; ``metrics`` only ``GET /metrics``."""
_USER = re.compile(r"[a-z0-9][a-z0-9_.@-]{0,63}")
_TOKEN = re.compile(r"ss_([0-9a-f]{16})_([A-Za-z0-9_-]{20,128})")
_MAX_EXPIRY = 10 * 365 * 24 * 3600.0


def check_user(name: str) -> str:
    """A user name: lowercase letters, digits, ``_ . @ -``; at most 64 characters."""
    if not isinstance(name, str) or not _USER.fullmatch(name):
        raise ValidationError(
            f"invalid user name {name!r}: use lowercase letters, digits, '_', '.', '@' and '-' "
            "(at most 64, starting with a letter or digit)",
            details={"field": "user", "value": name},
        )
    return name


@dataclass(frozen=True)
class Principal:
    """An authenticated caller and the grants they hold."""

    name: str
    grants: tuple[Grant, ...]
    token_id: str = ""
    expires_at: float | None = None
    scope: str = ""
    """The token's scope: ``metrics`` reaches ``GET /metrics`` and nothing else."""

    def role_on(self, project: str, domain: str) -> Role | None:
        """The highest role held on ``project``/``domain`` (``domain=""``: the whole project)."""
        best: Role | None = None
        for g in self.grants:
            if g.project not in (project, ALL_PROJECTS):
                continue
            if g.domain and g.domain != domain:
                continue
            if best is None or g.role.rank > best.rank:
                best = g.role
        return best

    def allows(self, role: Role, project: str, domain: str) -> bool:
        """Whether ``role`` (or a higher one) is held on ``project``/``domain``."""
        held = self.role_on(project, domain)
        return held is not None and held.rank >= role.rank

    def allows_somewhere(self, role: Role) -> bool:
        """Whether ``role`` or a higher one is held on some project."""
        return any(g.role.rank >= role.rank for g in self.grants)

    def visible_projects(self) -> frozenset[str] | None:
        """The projects where some role is held (None: every project, a grant on ``*``): what
        project lists show this caller."""
        names = frozenset(g.project for g in self.grants)
        return None if ALL_PROJECTS in names else names

    @property
    def is_admin(self) -> bool:
        """Admin on every project: may manage users and everyone's tokens."""
        return self.allows(Role.ADMIN, ALL_PROJECTS, "")


ANONYMOUS = Principal("anonymous", (Grant(Role.ADMIN, ALL_PROJECTS),))
"""The caller of a server started with ``--no-auth``."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class AuthService:
    """Users, grants and tokens in the database; authentication of bearer tokens."""

    def __init__(self, db: Database, domains: tuple[str, ...]) -> None:
        self.db = db
        self.domains = domains
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    # -- authentication -----------------------------------------------------------------------

    def cached(self, token: str) -> Principal | None:
        """The principal of a token authenticated in the last seconds, if still valid."""
        hit = self._cache.get(token)
        if hit is None:
            return None
        now = time.time()
        principal = hit[1]
        if hit[0] <= now or (principal.expires_at is not None and principal.expires_at <= now):
            return None
        return principal

    def authenticate(self, token: str) -> Principal:
        """The principal of a token, or :class:`AuthenticationError`."""
        hit = self.cached(token)
        if hit is not None:
            return hit
        now = time.time()
        match = _TOKEN.fullmatch(token)
        if match is None:
            raise AuthenticationError("the token is malformed: expected ss_<id>_<secret>")
        token_id, secret = match.groups()
        with self.db.session() as session:
            row = session.get(TokenRow, token_id)
            if row is None or not hmac.compare_digest(row.secret_hash, _hash(secret)):
                raise AuthenticationError("the token is not known to this server")
            if row.revoked_at is not None:
                raise AuthenticationError(f"token {token_id} was revoked")
            if row.expires_at is not None and row.expires_at <= now:
                raise AuthenticationError(f"token {token_id} expired")
            principal = Principal(
                row.user, self._grants(session, row.user), token_id, row.expires_at, row.scope
            )
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[token] = (now + CACHE_SECONDS, principal)
        return principal

    def _changed(self) -> None:
        with self._lock:
            self._cache.clear()

    def bootstrap(self, home: Path) -> str:
        """Make sure the admin user exists and ``home/admin-token`` holds a valid token of it;
        returns the token. A token file that this database does not accept is replaced."""
        path = home / TOKEN_FILE
        if path.is_file():
            token = path.read_text().strip()
            try:
                principal = self.authenticate(token)
            except AuthenticationError:
                pass
            else:
                if principal.is_admin:
                    _secure(path)
                    return token
        with self.db.session() as session:
            if session.get(UserRow, ADMIN_USER) is None:
                session.add(UserRow(name=ADMIN_USER, created_by="server", created_at=time.time()))
                session.flush()
            self._put_grant(session, ADMIN_USER, Role.ADMIN, ALL_PROJECTS, "", "server")
            token, _ = self._new_token(session, ADMIN_USER, "made on first start", None, "server")
        _write_secret(path, token)
        self._changed()
        return token

    # -- users and grants ---------------------------------------------------------------------

    def create_user(self, name: str, by: str) -> User:
        """A new user without grants."""
        check_user(name)
        try:
            with self.db.session() as session:
                if session.get(UserRow, name) is not None:
                    raise ConflictError(f"user {name!r} already exists", details={"user": name})
                row = UserRow(name=name, created_by=by, created_at=time.time())
                session.add(row)
        except IntegrityError:
            raise ConflictError(f"user {name!r} already exists", details={"user": name}) from None
        return User(name=name, created_by=by, created_at=row.created_at)

    def users(self) -> list[User]:
        """Every user with their grants, by name."""
        with self.db.session() as session:
            rows = session.scalars(select(UserRow).order_by(UserRow.name)).all()
            return [self._user(session, row) for row in rows]

    def user(self, name: str) -> User:
        """One user with their grants."""
        check_user(name)
        with self.db.session() as session:
            return self._user(session, self._require_user(session, name))

    def grant(self, name: str, request: GrantRequest, by: str) -> User:
        """Give ``name`` a role on a project/domain (replacing the role they had there)."""
        check_user(name)
        project, domain = self._check_scope(request.project, request.domain)
        with self.db.session() as session:
            self._require_user(session, name)
            self._put_grant(session, name, request.role, project, domain, by)
        self._changed()
        return self.user(name)

    def revoke(self, name: str, project: str, domain: str, by: str) -> User:
        """Take away ``name``'s role on a project/domain."""
        check_user(name)
        project, domain = self._check_scope(project, domain)
        with self.db.session() as session:
            self._require_user(session, name)
            row = session.scalars(
                select(GrantRow).where(
                    GrantRow.user == name, GrantRow.project == project, GrantRow.domain == domain
                )
            ).first()
            if row is None:
                where = project + (f"/{domain}" if domain else "")
                raise NotFoundError(f"user {name!r} has no grant on {where}")
            session.delete(row)
        self._changed()
        return self.user(name)

    # -- tokens -------------------------------------------------------------------------------

    def create_token(self, request: TokenCreate, caller: Principal) -> NewToken:
        """A new token for the caller, or (admins only) for another user."""
        user = request.user or caller.name
        check_user(user)
        if user != caller.name and not caller.is_admin:
            raise PermissionDeniedError(
                "only an admin (role admin on project '*') may create tokens for other users"
            )
        cluster = ""
        if request.scope.startswith("cluster:"):
            from .._clusters import check_cluster

            cluster = check_cluster(request.scope.partition(":")[2])
            if not caller.is_admin:
                raise PermissionDeniedError(
                    "only an admin (role admin on project '*') may create a cluster's token"
                )
        elif request.scope not in TOKEN_SCOPES:
            raise ValidationError(
                f"scope must be one of {', '.join(map(repr, TOKEN_SCOPES))} or 'cluster:NAME', "
                f"got {request.scope!r}"
            )
        if caller.scope and request.scope != caller.scope:
            raise PermissionDeniedError("a token of a scope may only make tokens of its scope")
        if len(request.description) > 255 or "\x00" in request.description:
            raise ValidationError("description must have at most 255 characters and no NUL")
        expires = request.expires_in
        if expires is not None and not 0 < expires <= _MAX_EXPIRY:
            raise ValidationError(
                f"expires_in must be between 0 and {_MAX_EXPIRY:.0f} seconds, got {expires}"
            )
        now = time.time()
        expires_at = None if expires is None else now + expires
        _check_outlives(caller, expires_at, now)
        with self.db.session() as session:
            self._require_user(session, user)
            self._check_outranks(session, caller, user)
            if cluster:
                from .._clusters import ensure

                ensure(session, cluster)
            token, row = self._new_token(
                session,
                user,
                request.description,
                expires_at,
                caller.name,
                caller.token_id,
                request.scope,
            )
            return NewToken(token=token, info=_info(row))

    def tokens(self, caller: Principal, user: str | None = None) -> list[TokenInfo]:
        """Tokens of ``user`` (default: the caller; admins may name anyone, or ``*``)."""
        user = user or caller.name
        if user != caller.name and not caller.is_admin:
            raise PermissionDeniedError("only an admin may list the tokens of other users")
        stmt = select(TokenRow).order_by(TokenRow.created_at, TokenRow.id)
        if user != ALL_PROJECTS:
            stmt = stmt.where(TokenRow.user == check_user(user))
        with self.db.session() as session:
            return [_info(row) for row in session.scalars(stmt)]

    def revoke_token(self, token_id: str, caller: Principal) -> TokenInfo:
        """Revoke a token of the caller's (admins: anyone's); revoking twice is a no-op."""
        if not re.fullmatch(r"[0-9a-f]{16}", token_id):
            raise ValidationError(f"invalid token id {token_id!r}: expected 16 hex characters")
        with self.db.session() as session:
            row = session.get(TokenRow, token_id)
            if row is None or (row.user != caller.name and not caller.is_admin):
                raise NotFoundError(f"token {token_id} does not exist")
            now = time.time()
            if row.revoked_at is None:
                row.revoked_at = now
            _revoke_descendants(session, row.id, now)
            info = _info(row)
        self._changed()
        return info

    # -- audit --------------------------------------------------------------------------------

    def record(self, caller: str, method: str, path: str, status: int) -> None:
        """Append a write to the audit log."""
        with self.db.session() as session:
            session.add(
                AuditRow(
                    caller=caller[:64], method=method, path=path, status=status, at=time.time()
                )
            )

    # -- helpers ------------------------------------------------------------------------------

    def _check_scope(self, project: str, domain: str) -> tuple[str, str]:
        if project != ALL_PROJECTS:
            check_project(project)
        if domain:
            check_domain(domain, self.domains)
        return project, domain

    def _require_user(self, session: Session, name: str) -> UserRow:
        row = session.get(UserRow, name)
        if row is None:
            raise NotFoundError(
                f"user {name!r} does not exist (create it with `slipstream auth create-user "
                f"{name}`)",
                details={"user": name},
            )
        return row

    def _grants(self, session: Session, name: str) -> tuple[Grant, ...]:
        rows = session.scalars(
            select(GrantRow)
            .where(GrantRow.user == name)
            .order_by(GrantRow.project, GrantRow.domain)
        )
        return tuple(Grant(Role(r.role), r.project, r.domain) for r in rows)

    def _user(self, session: Session, row: UserRow) -> User:
        return User(
            name=row.name,
            grants=self._grants(session, row.name),
            created_by=row.created_by,
            created_at=row.created_at,
        )

    def _put_grant(
        self, session: Session, name: str, role: Role, project: str, domain: str, by: str
    ) -> None:
        row = session.scalars(
            select(GrantRow).where(
                GrantRow.user == name, GrantRow.project == project, GrantRow.domain == domain
            )
        ).first()
        if row is None:
            session.add(
                GrantRow(
                    user=name,
                    project=project,
                    domain=domain,
                    role=role.value,
                    created_by=by,
                    created_at=time.time(),
                )
            )
        else:
            row.role = role.value
            row.created_by = by

    def _check_outranks(self, session: Session, caller: Principal, user: str) -> None:
        """A token may not hold a role its maker does not: every grant of ``user`` must be held
        by the caller too."""
        for g in self._grants(session, user):
            if not caller.allows(g.role, g.project, g.domain):
                where = g.project + (f"/{g.domain}" if g.domain else "")
                raise PermissionDeniedError(
                    f"a token cannot outrank the token that makes it: user {user!r} holds "
                    f"{g.role.value} on {where}, which {caller.name!r} does not",
                    details={"user": user, "role": g.role.value, "project": g.project},
                )

    def new_child_token(
        self, session: Session, parent: TokenRow, description: str, expires_at: float
    ) -> str:
        """A token of ``parent``'s user made by ``parent`` (a console session): it expires no
        later than ``parent`` and is revoked with it."""
        if parent.expires_at is not None:
            expires_at = min(expires_at, parent.expires_at)
        token, _ = self._new_token(
            session, parent.user, description, expires_at, parent.user, parent.id, parent.scope
        )
        return token

    def _new_token(
        self,
        session: Session,
        user: str,
        description: str,
        expires_at: float | None,
        by: str,
        parent: str = "",
        scope: str = "",
    ) -> tuple[str, TokenRow]:
        if parent:
            made_by = session.get(TokenRow, parent)
            if made_by is None or made_by.revoked_at is not None:
                raise AuthenticationError(f"token {parent} was revoked")
        token_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        row = TokenRow(
            id=token_id,
            user=user,
            secret_hash=_hash(secret),
            description=description,
            created_by=by,
            created_at=time.time(),
            expires_at=expires_at,
            revoked_at=None,
            parent=parent or None,
            scope=scope,
        )
        session.add(row)
        session.flush()
        return f"ss_{token_id}_{secret}", row


def _check_outlives(caller: Principal, expires_at: float | None, now: float) -> None:
    """A token may not outlive the token that makes it."""
    if caller.expires_at is None:
        return
    if expires_at is None or expires_at > caller.expires_at:
        left = max(0, int(caller.expires_at - now))
        raise PermissionDeniedError(
            "a token cannot outlive the token that makes it: the caller's token expires in "
            f"{left} seconds, so ask for expires_in of at most {left}",
            details={"max_expires_in": left},
        )


def _revoke_descendants(session: Session, token_id: str, now: float) -> None:
    """Revoke every token made, directly or through others, by ``token_id``."""
    frontier = [token_id]
    seen = {token_id}
    while frontier:
        batch, frontier = frontier[:500], frontier[500:]
        for child in session.scalars(select(TokenRow).where(TokenRow.parent.in_(batch))):
            if child.id in seen:
                continue
            seen.add(child.id)
            frontier.append(child.id)
            if child.revoked_at is None:
                child.revoked_at = now


def _info(row: TokenRow) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        user=row.user,
        description=row.description,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        created_by=row.created_by,
        parent=row.parent or "",
        scope=row.scope or "",
    )


def _secure(path: Path) -> None:
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)


def _write_secret(path: Path, secret: str) -> None:
    """Write ``secret`` readable by its owner only, replacing the file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secret + "\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
