"""One collection: sweep the blobs of executions collected a grace period ago, drop expired cache
entries, then collect the executions the retention policies let go.

Every step is safe to kill at any point and to run again:

- An execution's rows (node executions, attempts, events, signals, notifications: every table
  keyed by ``executions.id``; the audit log stays) go in one transaction that also records its
  data folder in ``collected_prefixes``. Killed before the commit, nothing happened.
- A recorded folder is swept only ``grace_s`` after that commit, so that a run that read one of
  its URIs just before (a launch, a cache hit not flushed yet) has recorded it by then. The sweep
  reads what the database still points at (:mod:`._references`), deletes each blob nothing points
  at, and forgets the folder once it is empty; blobs still pointed at stay, and so does the row,
  so a later collection looks again. Killed midway, the row is still there.
- When rows that pointed into a recorded folder go (a collected execution, an expired cache
  entry), that folder's grace starts again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import ColumnElement, Table, delete, false, func, or_, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from slipstream.errors import NotFoundError, PermissionDeniedError, ValidationError
from slipstream.model import GcReport, GcRequest, Role
from slipstream.storage import DataLayout, open_store

from .._auth import Principal
from .._database import (
    Base,
    CacheEntryRow,
    CollectedPrefixRow,
    Database,
    ExecutionRow,
    NodeExecutionRow,
    ProjectRow,
)
from .._loops import cause, is_transient
from .._projects import ProjectService
from ._policy import Doomed, choose, policy_for
from ._references import References, covered, uris_in

__all__ = ["Collector"]

log = logging.getLogger("slipstream.retention")

_BATCH = 50
_LISTED = 500
_SKEW_S = 3600.0
"""Rows may carry another host's clock: a scan starts this much before it strictly must."""
_executions: Table = ExecutionRow.__table__  # type: ignore[assignment]
_prefixes: Table = CollectedPrefixRow.__table__  # type: ignore[assignment]
_entries: Table = CacheEntryRow.__table__  # type: ignore[assignment]


class Collector:
    """Applies the retention policies of a server's projects and domains (see the module)."""

    def __init__(
        self,
        db: Database,
        projects: ProjectService,
        store_url: str,
        protected_domains: tuple[str, ...] = (),
        grace_s: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.clock = clock
        """What "now" is for a collection (the wall clock; tests move one by hand)."""
        self.projects = projects
        self.store = open_store(store_url)
        self.layout = DataLayout(self.store)
        self.protected = protected_domains
        self.grace_s = grace_s
        self._lock = threading.Lock()

    def collect(self, request: GcRequest, caller: Principal | None = None) -> GcReport:
        """Run one collection over ``request``'s scope (every project when it names none);
        ``caller`` (None: the server itself) must be an admin there."""
        scopes = self._scopes(request, caller)
        with self._lock:
            now = self.clock()
            swept = (0, 0, 0) if request.dry_run else self._sweep(scopes, now)
            entries = self._expire_cache(scopes, now, request.dry_run)
            doomed: list[Doomed] = []
            for project, domain in scopes:
                with self.db.session() as session:
                    policy = policy_for(session, project, domain, self.protected)
                    if policy is not None:
                        doomed += choose(session, project, domain, policy, now)
            if not request.dry_run:
                for i in range(0, len(doomed), _BATCH):
                    try:
                        self._mark(doomed[i : i + _BATCH], now)
                    except sa_exc.IntegrityError:  # another server's collector took some first
                        self._mark(doomed[i : i + _BATCH], now)
            with self.db.engine.connect() as conn:
                pending = conn.execute(
                    select(func.count()).select_from(_prefixes).where(_in_scopes(_prefixes, scopes))
                ).scalar_one()
        names = [f"{d.project}/{d.domain}/{d.name}" for d in doomed]
        if names and not request.dry_run:
            log.info("collected %d executions, %d cache entries", len(names), entries)
        return GcReport(
            dry_run=request.dry_run,
            executions=tuple(names[:_LISTED]),
            executions_total=len(names),
            cache_entries=entries,
            blobs_deleted=swept[0],
            blobs_kept=swept[1],
            prefixes_swept=swept[2],
            prefixes_pending=pending,
        )

    # -- scope ----------------------------------------------------------------------------------

    def _scopes(self, request: GcRequest, caller: Principal | None) -> list[tuple[str, str]]:
        if request.domain and not request.project:
            raise ValidationError("a domain needs its project", details={"field": "domain"})
        if request.domain and request.domain not in self.projects.domains:
            raise ValidationError(
                f"unknown domain {request.domain!r}: the domains are "
                f"{', '.join(self.projects.domains)}",
                details={"field": "domain", "value": request.domain},
            )
        if request.project:
            with self.db.session() as session:
                self.projects.require(session, request.project)
            if caller is not None and not caller.allows(
                Role.ADMIN, request.project, request.domain
            ):
                raise PermissionDeniedError(
                    f"collecting {request.project} needs the admin role there",
                    details={"role": Role.ADMIN.value},
                )
            projects = [request.project]
        else:
            if caller is not None and not caller.is_admin:
                raise PermissionDeniedError(
                    "collecting every project needs the admin role on every project",
                    details={"role": Role.ADMIN.value},
                )
            with self.db.session() as session:
                projects = list(session.scalars(select(ProjectRow.name).order_by(ProjectRow.name)))
        domains = [request.domain] if request.domain else list(self.projects.domains)
        return [(p, d) for p in projects for d in domains]

    # -- rows -----------------------------------------------------------------------------------

    def _mark(self, doomed: Sequence[Doomed], now: float) -> None:
        """Delete ``doomed``'s rows and record their data folders, in one transaction."""
        ids = [d.id for d in doomed]
        with self.db.engine.begin() as conn:
            texts = list(
                conn.scalars(select(_executions.c.record).where(_executions.c.id.in_(ids)))
            )
            texts += conn.scalars(
                select(NodeExecutionRow.record).where(NodeExecutionRow.execution_id.in_(ids))
            )
            for table in _keyed_by_execution():
                conn.execute(delete(table).where(table.c.execution_id.in_(ids)))
            conn.execute(delete(_executions).where(_executions.c.id.in_(ids)))
            folders = {self.layout.execution_prefix(d.project, d.domain, d.name): d for d in doomed}
            self._record(conn, folders, now)
            self._restart_grace(conn, texts, now)

    def _record(self, conn: Connection, folders: dict[str, Doomed], now: float) -> None:
        known = set(
            conn.scalars(select(_prefixes.c.prefix).where(_prefixes.c.prefix.in_(list(folders))))
        )
        rows = [
            {
                "prefix": prefix,
                "project": d.project,
                "domain": d.domain,
                "execution": d.name,
                "created_at": d.created_at,
                "collected_at": now,
            }
            for prefix, d in folders.items()
            if prefix not in known
        ]
        if rows:
            conn.execute(_prefixes.insert(), rows)
        if known:
            conn.execute(
                update(_prefixes)
                .where(_prefixes.c.prefix.in_(list(known)))
                .values(collected_at=now)
            )

    def _restart_grace(self, conn: Connection, texts: Iterable[str], now: float) -> None:
        """Rows naming ``texts``' URIs are going: the folders those URIs lie in wait again."""
        root = self.store.root.rstrip("/")
        above: set[str] = set()
        for text in texts:
            for uri in uris_in(text or "", root):
                parts = uri[len(root) :].split("/")
                above.update(root + "/".join(parts[:n]) for n in range(2, len(parts) + 1))
        found = sorted(above)
        for i in range(0, len(found), _LISTED):
            conn.execute(
                update(_prefixes)
                .where(_prefixes.c.prefix.in_(found[i : i + _LISTED]))
                .values(collected_at=now)
            )

    def _expire_cache(self, scopes: list[tuple[str, str]], now: float, dry_run: bool) -> int:
        """Drop cache entries expired more than the grace period ago (none hits them since)."""
        where = (_entries.c.expires_at < now - self.grace_s) & _in_scopes(_entries, scopes)
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                select(
                    _entries.c.key,
                    _entries.c.project,
                    _entries.c.domain,
                    _entries.c.outputs,
                    _entries.c.outputs_uri,
                    _entries.c.created_at,
                ).where(where)
            ).all()
        if dry_run or not rows:
            return len(rows)
        for i in range(0, len(rows), _LISTED):
            batch = rows[i : i + _LISTED]
            with self.db.engine.begin() as conn:
                conn.execute(delete(_entries).where(_entries.c.key.in_([r.key for r in batch])))
                offloaded = {
                    r.outputs_uri: Doomed(0, r.project, r.domain, "", r.created_at)
                    for r in batch
                    if r.outputs_uri
                }
                self._record(conn, offloaded, now)
                self._restart_grace(conn, [r.outputs for r in batch], now)
        return len(rows)

    # -- blobs ----------------------------------------------------------------------------------

    def _sweep(self, scopes: list[tuple[str, str]], now: float) -> tuple[int, int, int]:
        """Delete the blobs of folders past their grace that nothing points at; returns how
        many blobs went, how many stay (pointed at), and how many folders are done."""
        with self.db.engine.connect() as conn:
            due = conn.execute(
                select(_prefixes).where(
                    _prefixes.c.collected_at <= now - self.grace_s, _in_scopes(_prefixes, scopes)
                )
            ).all()
            if not due:
                return 0, 0, 0
            since = min(r.created_at for r in due) - self.grace_s - _SKEW_S
            refs = References(self.store).scan(conn, since)
            reused = {
                (r.project, r.domain, r.name)
                for r in conn.execute(
                    select(_executions.c.project, _executions.c.domain, _executions.c.name).where(
                        _executions.c.name.in_([r.execution for r in due if r.execution])
                    )
                )
            }
        deleted = kept = done = 0
        for row in due:
            if (row.project, row.domain, row.execution) in reused:
                left = 0  # a new execution took the name: its blobs are not ours to judge
            else:
                try:
                    went, left = self._sweep_one(row.prefix, refs.kept_under(row.prefix))
                except Exception as e:  # one folder the store refuses holds up no other
                    if is_transient(e):
                        raise
                    log.error("cannot sweep %s, left for later: %s", row.prefix, cause(e))
                    continue
                deleted += went
                kept += left
            if left == 0:
                with self.db.engine.begin() as conn:
                    conn.execute(
                        delete(_prefixes).where(
                            _prefixes.c.prefix == row.prefix,
                            _prefixes.c.collected_at == row.collected_at,
                        )
                    )
                done += 1
        return deleted, kept, done

    def _sweep_one(self, prefix: str, kept: list[str]) -> tuple[int, int]:
        if kept == [prefix]:
            return 0, 1
        try:
            if self.store.is_dir(prefix):
                rels = self.store.walk_files(prefix)
                blobs = [self.store.join_uri(prefix, rel) for rel in rels]
            else:
                blobs = [prefix] if self.store.exists(prefix) else []
        except NotFoundError:  # gone meanwhile (another collector)
            blobs = []
        went = left = 0
        for uri in blobs:
            if covered(uri, kept):
                left += 1
            else:
                self.store.delete(uri)
                went += 1
        if left == 0:
            self.store.delete(prefix)  # the empty folders
        return went, left


def _keyed_by_execution() -> list[Table]:
    """Every table with rows of an execution (a foreign key to ``executions.id``), so that a
    table added later goes with its execution too."""
    out = []
    for table in Base.metadata.sorted_tables:
        if table.name != "executions" and any(
            fk.column.table.name == "executions" for fk in table.foreign_keys
        ):
            out.append(table)
    return out


def _in_scopes(table: Table, scopes: list[tuple[str, str]]) -> ColumnElement[bool]:
    by_project: dict[str, list[str]] = {}
    for p, d in scopes:
        by_project.setdefault(p, []).append(d)
    return or_(
        false(),
        *((table.c.project == p) & table.c.domain.in_(ds) for p, ds in by_project.items()),
    )
