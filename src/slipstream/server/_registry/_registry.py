"""Registration of immutable, versioned tasks, workflows and launch plans; lookups and lists.

An entity is identified by resource type, project, domain, name and version. Its ``digest`` hashes
its spec (canonical JSON) and its code bundle: registering the same identifier with the same
digest is a no-op, with another digest a :class:`ConflictError` carrying a readable diff. A batch
is registered in one transaction: all of it or none of it.
"""

from __future__ import annotations

import builtins
import hashlib
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, TypeVar, Union

import msgspec
from sqlalchemy import insert, select, tuple_
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from slipstream.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from slipstream.model import (
    CompiledWorkflow,
    Identifier,
    LaunchPlanSpec,
    Page,
    Registered,
    RegisterRequest,
    RegisterResult,
    ResourceSpec,
    ResourceType,
    Role,
    TaskTemplate,
)

from .._auth import Principal
from .._database import (
    LATEST,
    Database,
    EntityRow,
    PageRequest,
    check_digest,
    check_domain,
    check_name,
    check_project,
    check_version,
    paginate,
)
from .._projects import ProjectService, SettingsService, check_spec, exceeding
from ._bundles import BundleStore
from ._diff import diff, render
from ._listing import entity_names, entity_versions
from ._references import check_reference, is_reference
from ._source_diff import bundle_sources, changed_functions, code_refs, render_functions
from ._walls import check_walls, subworkflows, walk

__all__ = [
    "Entry",
    "RegisteredEntity",
    "Registry",
    "Spec",
    "decode_spec",
    "to_registered",
]

T = TypeVar("T")
Spec = Union[TaskTemplate, CompiledWorkflow, LaunchPlanSpec]
_SPEC_TYPES: dict[ResourceType, type[Any]] = {
    ResourceType.TASK: TaskTemplate,
    ResourceType.WORKFLOW: CompiledWorkflow,
    ResourceType.LAUNCH_PLAN: LaunchPlanSpec,
}
RegisteredEntity = Registered[msgspec.Raw]
"""An entity as the API returns it: the stored spec JSON passed through undecoded."""
_canonical = msgspec.json.Encoder(order="sorted")
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_QUALNAME = re.compile(
    r"(?:[A-Za-z_][A-Za-z0-9_]*|<locals>|<lambda>)(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|<locals>|<lambda>))*"
)
_RETRIES = 12
# SQLSTATEs of PostgreSQL that mean "run the transaction again": serialization failure, deadlock.
_RETRY_STATES = {"40001", "40P01"}


@dataclass(frozen=True)
class Entry:
    """One entity to register: its identifier, spec and code bundle digest."""

    id: Identifier
    spec: Spec
    bundle: str

    @property
    def digest(self) -> str:
        """The content digest: spec and bundle."""
        h = hashlib.sha256(_canonical.encode(self.spec))
        h.update(b"\0" + self.bundle.encode())
        return h.hexdigest()

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        i = self.id
        return (i.resource_type.value, i.project, i.domain, i.name, i.version)


def spec_id(spec: Spec) -> Identifier:
    """The identifier a spec carries."""
    return spec.workflow.id if isinstance(spec, CompiledWorkflow) else spec.id


def entries_of(request: RegisterRequest) -> list[Entry]:
    """The entities of a request."""
    entries = [Entry(t.id, t, request.bundle) for t in request.tasks]
    entries.extend(Entry(wf.workflow.id, wf, request.bundle) for wf in request.workflows)
    entries.extend(Entry(lp.id, lp, "") for lp in request.launch_plans)
    return entries


def with_closures(entries: list[Entry]) -> list[Entry]:
    """``entries`` plus the tasks of every workflow's closure (registered with its bundle)."""
    out = list(entries)
    for entry in entries:
        if isinstance(entry.spec, CompiledWorkflow):
            out.extend(
                Entry(t.id, t, entry.bundle)
                for t in entry.spec.tasks.values()
                if not is_reference(t)  # checked against the entity it names, not registered
            )
    return out


class Registry:
    """Registers entities and reads them back as ``Registered`` JSON (the spec passed through)."""

    def __init__(
        self,
        db: Database,
        projects: ProjectService,
        settings: SettingsService,
        bundles: BundleStore,
        protected: tuple[str, ...] = (),
    ) -> None:
        self.db = db
        self.protected = protected
        """Domains only promotion registers into."""
        self.projects = projects
        self.settings = settings
        self.bundles = bundles

    # -- registration -------------------------------------------------------------------------

    def register(self, request: RegisterRequest, caller: Principal | None = None) -> RegisterResult:
        """Register a batch atomically for ``caller`` (None: the server itself); see the module
        docstring and :meth:`register_entries` for what the caller must hold."""
        entries = entries_of(request)
        if not entries:
            raise ValidationError("nothing to register: the request has no entities")
        if request.bundle and not self.bundles.exists(request.bundle):
            raise NotFoundError(
                f"code bundle {request.bundle} was not uploaded; upload it before registering",
                details={"bundle": request.bundle},
            )
        written = [e.id for e in with_closures(entries)]
        written += [sub.id for e in entries for sub in subworkflows(e.spec)]
        protected = sorted({i.domain for i in written} & set(self.protected))
        if protected:
            raise PermissionDeniedError(
                f"domain {protected[0]!r} is protected: entities get there only by promotion "
                f"(`slipstream promote ... --to {protected[0]}`), not by registration",
                details={"domain": protected[0]},
            )
        return self.retrying(lambda session: self.register_entries(session, entries, caller))

    def retrying(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a transaction, again when a concurrent one made it fail in a way a
        retry resolves: the same new identifiers inserted at once, a deadlock, a serialization
        failure, SQLite's lock. The retry sees the winner's rows (identical ones are no-ops)."""
        for attempt in range(_RETRIES):
            try:
                with self.db.session() as session:
                    return work(session)
            except DBAPIError as e:
                if attempt == _RETRIES - 1 or not _retryable(e):
                    raise
            time.sleep(random.uniform(0, 0.005 * 2 ** min(attempt, 6)))
        raise AssertionError("unreachable")  # pragma: no cover

    def register_entries(
        self, session: Session, entries: list[Entry], caller: Principal | None = None
    ) -> RegisterResult:
        """Validate and insert ``entries`` (and workflows' task closures) in the caller's
        transaction.

        Every identifier inside them is checked against ``caller``'s roles (:mod:`._walls`)
        before anything is read or compared, so a conflict diff only ever shows entities of a
        project/domain the caller edits.
        """
        stubs = [e for e in entries if is_reference(e.spec)]
        if stubs:
            raise ValidationError(
                f"task {stubs[0].id}: a reference stub is not registered itself; register the "
                "workflows that use it",
                details={"id": msgspec.to_builtins(stubs[0].id)},
            )
        unique = self._dedupe(with_closures(entries))
        check_walls([(e.id, e.spec) for e in unique], caller)
        for project in sorted({e.id.project for e in unique}):
            self.projects.require(session, project, active=True)
        self._check_references(session, unique)
        self._check_resources(session, unique)
        existing = self._existing_digests(session, unique)
        conflicts: list[tuple[Entry, int]] = []
        new: list[Entry] = []
        unchanged: list[Identifier] = []
        for entry in unique:
            found = existing.get(entry.key)
            if found is None:
                new.append(entry)
            elif found[1] == entry.digest:
                unchanged.append(entry.id)
            else:
                conflicts.append((entry, found[0]))
        if conflicts:
            raise self._conflict(session, conflicts)
        if new:
            new.sort(key=lambda e: e.key)  # one order for every transaction: fewer deadlocks
            now = time.time()
            session.execute(
                insert(EntityRow),
                [
                    {
                        "resource_type": e.id.resource_type.value,
                        "project": e.id.project,
                        "domain": e.id.domain,
                        "name": e.id.name,
                        "version": e.id.version,
                        "digest": e.digest,
                        "bundle": e.bundle,
                        "spec": msgspec.json.encode(e.spec).decode(),
                        "created_at": now,
                    }
                    for e in new
                ],
            )
        return RegisterResult(created=tuple(e.id for e in new), unchanged=tuple(unchanged))

    def _dedupe(self, entries: list[Entry]) -> list[Entry]:
        seen: dict[tuple[str, ...], Entry] = {}
        for entry in entries:
            self._check_id(entry.id, _kind_of(entry.spec), what=f"{entry.id.resource_type}")
            if isinstance(entry.spec, TaskTemplate):
                self._check_loader(entry.spec)
            other = seen.get(entry.key)
            if other is None:
                seen[entry.key] = entry
            elif other.digest != entry.digest:
                changes = diff(_builtins(other), _builtins(entry))
                raise ConflictError(
                    f"{entry.id.resource_type} {entry.id} appears twice in the request with "
                    f"different content:\n{render(changes)}",
                    details={"id": msgspec.to_builtins(entry.id), "changes": _changes(changes)},
                )
        return list(seen.values())

    def _check_id(self, id: Identifier, kind: ResourceType, *, what: str) -> None:
        if id.resource_type != kind:
            raise ValidationError(
                f"{what} {id}: resource_type is {id.resource_type.value!r}, expected {kind.value!r}"
            )
        missing = [f for f in ("project", "domain", "version") if not getattr(id, f)]
        if missing:
            raise ValidationError(
                f"{what} {id.name!r} has no {', '.join(missing)}: registered identifiers carry "
                "project, domain, name and version",
                details={"id": msgspec.to_builtins(id), "missing": missing},
            )
        check_project(id.project)
        check_domain(id.domain, self.projects.domains)
        check_name(id.name)
        check_version(id.version)

    def _check_loader(self, spec: TaskTemplate) -> None:
        """The loader names a module, a function in it and a file under the code root."""
        loader = spec.loader
        where = f"task {spec.id.name}"
        if len(loader.module) > 512 or not _MODULE.fullmatch(loader.module):
            raise ValidationError(
                f"{where}: loader.module {loader.module!r} is not a dotted module name",
                details={"field": "loader.module", "value": loader.module},
            )
        if len(loader.qualname) > 512 or not _QUALNAME.fullmatch(loader.qualname):
            raise ValidationError(
                f"{where}: loader.qualname {loader.qualname!r} is not a qualified Python name",
                details={"field": "loader.qualname", "value": loader.qualname},
            )
        file = loader.file
        parts = file.replace("\\", "/").split("/")
        if file and (
            len(file) > 1024
            or file.startswith(("/", "~"))
            or "\\" in file
            or ":" in parts[0]
            or any(p in ("", ".", "..") for p in parts)
            or any(ord(c) < 32 for c in file)
        ):
            raise ValidationError(
                f"{where}: loader.file {file!r} must be a relative path inside the code root "
                "(no '..', no absolute path)",
                details={"field": "loader.file", "value": file},
            )

    def _check_references(self, session: Session, entries: list[Entry]) -> None:
        batch = {e.key for e in entries}
        specs = {e.key: e.spec for e in entries}

        def fetch(kind: ResourceType, project: str, domain: str, name: str, version: str) -> Any:
            found = specs.get((kind.value, project, domain, name, version)) if version else None
            if found is not None:
                return found
            return decode_spec(
                self.get_row(session, kind, project, domain, name, version or LATEST)
            )

        for entry in entries:
            spec = entry.spec
            if isinstance(spec, CompiledWorkflow):
                for t in spec.tasks.values():
                    if is_reference(t):
                        check_reference(t, f"workflow {spec.workflow.id}", fetch)
                for sub in spec.subworkflows.values():
                    self._check_id(sub.id, ResourceType.WORKFLOW, what="subworkflow")
                for node in walk(spec):
                    lp = getattr(node.kind, "launch_plan", None)
                    if isinstance(lp, Identifier):
                        self._check_id(lp, ResourceType.LAUNCH_PLAN, what="launch plan reference")
            elif isinstance(spec, LaunchPlanSpec):
                wf = spec.workflow
                self._check_id(wf, ResourceType.WORKFLOW, what="launch plan's workflow")
                if (wf.project, wf.domain) != (spec.id.project, spec.id.domain):
                    raise ValidationError(
                        f"launch plan {spec.id} refers to workflow {wf} in another project or "
                        "domain"
                    )
                key = (wf.resource_type.value, wf.project, wf.domain, wf.name, wf.version)
                if key not in batch and self._find(session, wf) is None:
                    raise NotFoundError(
                        f"launch plan {spec.id} refers to workflow {wf}, which is not registered",
                        details={"workflow": msgspec.to_builtins(wf)},
                    )

    def _check_resources(self, session: Session, entries: list[Entry]) -> None:
        problems: list[str] = []
        ceilings: dict[tuple[str, str], ResourceSpec | None] = {}
        for entry in entries:
            scope = (entry.id.project, entry.id.domain)
            if scope not in ceilings:
                ceilings[scope] = self.settings.max_resources(session, *scope)
            for where, spec in _resource_requests(entry):
                check_spec(spec, where)
                ceiling = ceilings[scope]
                if ceiling is None:
                    continue
                for field, asked, cap in exceeding(spec, ceiling):
                    problems.append(f"{where}: {field}={asked} is above the maximum {cap}")
        if problems:
            raise ValidationError(
                "resource requests above the maximum of the project/domain:\n  "
                + "\n  ".join(problems),
                details={"exceeding": problems},
            )

    def _existing_digests(
        self, session: Session, entries: list[Entry]
    ) -> dict[tuple[str, ...], tuple[int, str]]:
        groups: dict[tuple[str, str, str], list[tuple[str, str]]] = defaultdict(list)
        for e in entries:
            groups[e.key[:3]].append((e.id.name, e.id.version))
        found: dict[tuple[str, ...], tuple[int, str]] = {}
        for (rt, project, domain), pairs in groups.items():
            for chunk in _chunks(pairs, 200):
                rows = session.execute(
                    select(EntityRow.id, EntityRow.name, EntityRow.version, EntityRow.digest).where(
                        EntityRow.resource_type == rt,
                        EntityRow.project == project,
                        EntityRow.domain == domain,
                        tuple_(EntityRow.name, EntityRow.version).in_(chunk),
                    )
                )
                for row_id, name, version, digest in rows:
                    found[(rt, project, domain, name, version)] = (row_id, digest)
        return found

    def _conflict(self, session: Session, conflicts: list[tuple[Entry, int]]) -> ConflictError:
        parts: list[str] = []
        details: list[dict[str, Any]] = []
        for entry, row_id in conflicts:
            row = session.get_one(EntityRow, row_id)
            old = {"spec": msgspec.json.decode(row.spec), "bundle": row.bundle}
            changes = diff(old, _builtins(entry))
            parts.append(f"{entry.id.resource_type} {entry.id} changed:\n{render(changes)}")
            functions = self._changed_functions(row.bundle, entry.bundle, old["spec"], entry.spec)
            if functions:
                parts.append(render_functions(functions))
            details.append(
                {
                    "id": msgspec.to_builtins(entry.id),
                    "changes": _changes(changes),
                    "functions": msgspec.to_builtins(functions),
                }
            )
        return ConflictError(
            "registered entities are immutable; register a new version instead.\n"
            + "\n".join(parts),
            details={"conflicts": details},
        )

    def _changed_functions(
        self, old_bundle: str, new_bundle: str, old_spec: Any, new_spec: Spec
    ) -> list[Any]:
        """The functions of the entity whose source differs between the two bundles (none when
        a bundle cannot be read: the conflict is reported without them)."""
        if not old_bundle or not new_bundle or old_bundle == new_bundle:
            return []
        refs = code_refs(old_spec) + code_refs(msgspec.to_builtins(new_spec))
        limit = self.bundles.max_unpacked_bytes
        try:
            with self.bundles.open(old_bundle) as f:
                old = bundle_sources(f, limit)
            with self.bundles.open(new_bundle) as f:
                new = bundle_sources(f, limit)
        except Exception:
            return []
        return changed_functions(old, new, list(dict.fromkeys(refs)))

    # -- reads --------------------------------------------------------------------------------

    def open_bundle(self, digest: str, caller: Principal | None) -> IO[bytes]:
        """Bundle ``digest`` as a stream, for a caller who may read an entity that uses it in
        some project/domain (an admin of every project: any bundle). Others get the same
        :class:`NotFoundError` as for a bundle that does not exist: a digest says nothing."""
        if not self.may_read_bundle(digest, caller):
            raise NotFoundError(
                f"code bundle {digest} does not exist or no entity you may read uses it",
                details={"bundle": digest},
            )
        return self.bundles.open(digest)

    def may_read_bundle(self, digest: str, caller: Principal | None) -> bool:
        """Whether bundle ``digest`` exists and ``caller`` may read an entity that uses it (or
        is the server, or an admin of every project)."""
        check_digest(digest)
        if caller is None or caller.is_admin:
            return self.bundles.exists(digest)
        with self.db.session() as session:
            scopes = session.execute(
                select(EntityRow.project, EntityRow.domain)
                .where(EntityRow.bundle == digest)
                .distinct()
            ).all()
        return any(caller.allows(Role.VIEWER, p, d) for p, d in scopes)

    def get(
        self, resource_type: ResourceType, project: str, domain: str, name: str, version: str
    ) -> RegisteredEntity:
        """One entity; ``version="latest"`` gives the newest registered version."""
        with self.db.session() as session:
            row = self.get_row(session, resource_type, project, domain, name, version)
            return to_registered(row)

    def get_row(
        self,
        session: Session,
        resource_type: ResourceType,
        project: str,
        domain: str,
        name: str,
        version: str,
    ) -> EntityRow:
        """The row of one entity, or :class:`NotFoundError`."""
        check_project(project)
        check_domain(domain, self.projects.domains)
        check_name(name)
        if version != LATEST:
            check_version(version)
        stmt = select(EntityRow).where(
            EntityRow.resource_type == resource_type.value,
            EntityRow.project == project,
            EntityRow.domain == domain,
            EntityRow.name == name,
        )
        if version == LATEST:
            stmt = stmt.order_by(EntityRow.id.desc()).limit(1)
        else:
            stmt = stmt.where(EntityRow.version == version)
        row = session.scalars(stmt).first()
        if row is None:
            at = "" if version == LATEST else f"@{version}"
            raise NotFoundError(
                f"{resource_type.value} {project}/{domain}/{name}{at} is not registered",
                details={"project": project, "domain": domain, "name": name, "version": version},
            )
        return row

    def list(
        self,
        resource_type: ResourceType,
        project: str,
        domain: str,
        page: PageRequest,
        *,
        name: str | None = None,
        version: str | None = None,
    ) -> Page[RegisteredEntity]:
        """Entities of one type in a project/domain, newest first by default."""
        check_project(project)
        check_domain(domain, self.projects.domains)
        stmt = select(EntityRow).where(
            EntityRow.resource_type == resource_type.value,
            EntityRow.project == project,
            EntityRow.domain == domain,
        )
        if name is not None:
            stmt = stmt.where(EntityRow.name == check_name(name))
        if version is not None:
            stmt = stmt.where(EntityRow.version == check_version(version))
        with self.db.session() as session:
            self.projects.require(session, project)
            items, cursor = paginate(
                session,
                stmt,
                page=page,
                id_column=EntityRow.id,
                sort_columns={"created_at": None, "name": EntityRow.name},
                key_of=lambda r: (r.name if page.sort_by == "name" else r.id, r.id),
                to_item=to_listed,
            )
        return Page(items=tuple(items), next_cursor=cursor)

    def names(self, project: str, domain: str) -> builtins.list[dict[str, Any]]:
        """Each task, workflow and launch plan name of a project/domain (``type``, ``name``),
        with its number of ``versions``, its newest ``version`` and when (``created_at``)."""
        return entity_names(self.db, project, domain)

    def versions(
        self, resource_type: str, project: str, domain: str, name: str, limit: int = 50
    ) -> builtins.list[dict[str, Any]]:
        """The newest versions of one entity: ``version``, ``created_at``, the code ``bundle``
        and who registered it (``registered_by``, from the audit log)."""
        return entity_versions(self.db, resource_type, project, domain, name, limit)

    def _find(self, session: Session, id: Identifier) -> int | None:
        return session.scalars(
            select(EntityRow.id).where(
                EntityRow.resource_type == id.resource_type.value,
                EntityRow.project == id.project,
                EntityRow.domain == id.domain,
                EntityRow.name == id.name,
                EntityRow.version == id.version,
            )
        ).first()


def _retryable(e: DBAPIError) -> bool:
    if isinstance(e, IntegrityError):  # a concurrent registration inserted the same id first
        return True
    state = getattr(e.orig, "sqlstate", None) or getattr(e.orig, "pgcode", None)
    if state in _RETRY_STATES:
        return True
    return isinstance(e, OperationalError) and "database is locked" in str(e.orig)


def to_registered(row: EntityRow) -> RegisteredEntity:
    """A row as the API returns it; the stored spec JSON is passed through undecoded."""
    return RegisteredEntity(
        id=Identifier(
            ResourceType(row.resource_type), row.name, row.project, row.domain, row.version
        ),
        spec=msgspec.Raw(row.spec.encode()),
        digest=row.digest,
        bundle=row.bundle,
        created_at=row.created_at,
    )


class _WorkflowHead(msgspec.Struct):
    workflow: msgspec.Raw


_head = msgspec.json.Decoder(_WorkflowHead)


def to_listed(row: EntityRow) -> RegisteredEntity:
    """A row as a list page shows it: a workflow without its closure (the task templates and
    subworkflows it uses, which can be large and are the same for every version); fetch one
    entity to get it whole."""
    item = to_registered(row)
    if row.resource_type != ResourceType.WORKFLOW.value:
        return item
    head = _head.decode(row.spec)
    return msgspec.structs.replace(
        item, spec=msgspec.Raw(b'{"workflow":' + bytes(head.workflow) + b"}")
    )


def decode_spec(row: EntityRow) -> Spec:
    """The stored spec as its model struct."""
    spec: Spec = msgspec.json.decode(row.spec, type=_SPEC_TYPES[ResourceType(row.resource_type)])
    return spec


def _kind_of(spec: Spec) -> ResourceType:
    if isinstance(spec, TaskTemplate):
        return ResourceType.TASK
    if isinstance(spec, CompiledWorkflow):
        return ResourceType.WORKFLOW
    return ResourceType.LAUNCH_PLAN


def _builtins(entry: Entry) -> dict[str, Any]:
    """The entry as the JSON tree it is stored as (tuples become lists, defaults omitted)."""
    return {"spec": msgspec.json.decode(msgspec.json.encode(entry.spec)), "bundle": entry.bundle}


def _changes(changes: Iterable[Any]) -> list[dict[str, Any]]:
    return [{"path": c.path, "old": c.old, "new": c.new} for c in changes]


def _resource_requests(entry: Entry) -> Iterator[tuple[str, ResourceSpec]]:
    spec = entry.spec
    if isinstance(spec, TaskTemplate):
        yield f"task {spec.id.name} requests", spec.requests
        yield f"task {spec.id.name} limits", spec.limits
    elif isinstance(spec, CompiledWorkflow):
        for node in walk(spec):
            where = f"workflow {spec.workflow.id.name} node {node.id}"
            if node.overrides.requests is not None:
                yield f"{where} requests", node.overrides.requests
            if node.overrides.limits is not None:
                yield f"{where} limits", node.overrides.limits


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
