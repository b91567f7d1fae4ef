"""Which role each API request needs, and where: one table of (methods, path) -> rule.

Paths are matched below ``/api/v1`` by regular expressions whose ``project`` and ``domain`` groups
name the scope. Routes that carry their scope in the body (registration, promotion, creating an
execution) say how to find it there. A request no rule names falls to the safe default: reads
need the viewer role somewhere, writes need admin on every project. ``tests/server/test_auth.py``
walks the app's routes and fails for a route that only the default covers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from slipstream.model import ALL_PROJECTS, Role

__all__ = ["DEFAULT_READ", "DEFAULT_WRITE", "READS", "RULES", "Need", "Rule", "Scope", "match_rule"]

READS = frozenset({"GET", "HEAD"})


class Scope(Enum):
    """Where a rule's role must be held."""

    PATH = "path"
    """On the project/domain the path names."""
    BODY = "body"
    """On each project/domain the body names (the rule's ``body`` function finds them)."""
    ANY = "any"
    """On some project: the resource belongs to none (code bundles) or the route filters."""
    GLOBAL = "global"
    """On every project (a grant on ``*``): users, creating projects."""
    CALLER = "caller"
    """Only a valid token; the service checks what the caller may touch (their own tokens)."""


@dataclass(frozen=True)
class Need:
    """One role that must be held on ``project`` (``None``: on any project) and ``domain``."""

    role: Role
    project: str | None
    domain: str = ""


@dataclass(frozen=True)
class Rule:
    """What a request needs: a role in a scope; ``raw_body`` routes take bytes, not JSON, up to
    the server's ``max_{raw_body}_bytes`` (``bundle`` or ``upload``), or (``json``) JSON that the
    route decodes strictly itself, which the guard bounds but does not parse (a data plane's
    records, one request per engine turn)."""

    role: Role
    scope: Scope
    body: Callable[[Any, frozenset[str]], list[Need]] | None = None
    raw_body: Literal["", "bundle", "upload", "json"] = ""
    name: str = ""

    def needs(self, params: dict[str, str], body: Any, protected: frozenset[str]) -> list[Need]:
        """The roles this request needs, given the path's groups and the decoded JSON body."""
        if self.scope is Scope.PATH:
            return [Need(self.role, params.get("project", ""), params.get("domain", ""))]
        if self.scope is Scope.GLOBAL:
            return [Need(self.role, ALL_PROJECTS)]
        if self.scope is Scope.BODY and self.body is not None:
            found = self.body(body, protected)
            if found:
                return found
        if self.scope is Scope.CALLER:
            return []
        return [Need(self.role, None)]


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _ids(body: Any) -> Iterator[Any]:
    if not isinstance(body, dict):
        return
    for key, inner in (("tasks", None), ("workflows", "workflow"), ("launch_plans", None)):
        items = body.get(key)
        if not isinstance(items, list):
            continue
        for item in items:
            if isinstance(item, dict) and inner is not None:
                item = item.get(inner)
            if isinstance(item, dict):
                yield item.get("id")


def _registration(body: Any, _protected: frozenset[str]) -> list[Need]:
    needs: set[tuple[str, str]] = set()
    for ident in _ids(body):
        if isinstance(ident, dict):
            project, domain = _str(ident.get("project")), _str(ident.get("domain"))
            if project is not None:
                needs.add((project, domain or ""))
    return [Need(Role.EDITOR, p, d) for p, d in sorted(needs)]


def _promotion(body: Any, protected: frozenset[str]) -> list[Need]:
    if not isinstance(body, dict):
        return []
    project, target = _str(body.get("project")), _str(body.get("to_domain"))
    if project is None or target is None:
        return []
    role = Role.ADMIN if target in protected else Role.EDITOR
    return [Need(role, project, target)]


def _target(body: Any, _protected: frozenset[str]) -> list[Need]:
    if not isinstance(body, dict):
        return []
    target = body.get("target")
    where: dict[str, Any] = target if isinstance(target, dict) else body
    project = _str(where.get("project"))
    if project is None:
        return []
    return [Need(Role.LAUNCHER, project, _str(where.get("domain")) or "")]


def _collection(body: Any, _protected: frozenset[str]) -> list[Need]:
    project = _str(body.get("project")) if isinstance(body, dict) else None
    if not project:  # every project
        return [Need(Role.ADMIN, ALL_PROJECTS)]
    return [Need(Role.ADMIN, project, _str(body.get("domain")) or "")]


_P = r"(?P<project>[^/]+)"
_D = r"(?P<domain>[^/]+)"
_ENTITIES = r"(?:tasks|workflows|launch_plans)"

RULES: list[tuple[frozenset[str], re.Pattern[str], Rule]] = [
    (READS, re.compile(p), Rule(Role.VIEWER, Scope.CALLER, name=n))
    for p, n in (
        (r"/openapi\.json", "the API document"),
        (r"/docs(?:/.*)?", "the API docs"),
        (r"/domains", "the domains"),
        (r"/whoami", "who the caller is"),
        (r"/metrics", "the server's metrics"),
        (r"/clusters", "the compute clusters"),
    )
]
RULES += [
    (
        frozenset({"GET", "POST"}),
        re.compile(r"/clusters/[^/]+/plane/.+"),
        Rule(
            Role.VIEWER,
            Scope.CALLER,
            raw_body="json",
            name="a data plane's requests (cluster tokens only)",
        ),
    )
]
RULES += [
    (frozenset(m), re.compile(p), r)
    for m, p, r in (
        (READS, r"/projects", Rule(Role.VIEWER, Scope.ANY, name="listing projects")),
        (
            READS,
            rf"/projects/{_P}(?:/domains/{_D})?(?:/.*)?",
            Rule(Role.VIEWER, Scope.PATH, name="reading a project"),
        ),
        (
            READS,
            rf"/{_ENTITIES}/{_P}/{_D}(?:/.*)?",
            Rule(Role.VIEWER, Scope.PATH, name="reading registered entities"),
        ),
        (
            READS,
            rf"/executions/{_P}/{_D}(?:/.*)?",
            Rule(Role.VIEWER, Scope.PATH, name="reading executions"),
        ),
        (
            READS,
            rf"/(?:schedules|notifications)/{_P}/{_D}(?:/.*)?",
            Rule(Role.VIEWER, Scope.PATH, name="reading schedules and notifications"),
        ),
        (
            {"POST"},
            rf"/schedules/{_P}/{_D}/[^/]+/(?:activate|deactivate|backfill)",
            Rule(
                Role.EDITOR, Scope.PATH, name="activating, deactivating and backfilling schedules"
            ),
        ),
        (READS, r"/bundles/[^/]+", Rule(Role.VIEWER, Scope.ANY, name="reading code bundles")),
        (
            READS,
            r"/lineage",
            Rule(Role.VIEWER, Scope.ANY, name="reading lineage (each step as the caller may)"),
        ),
        (
            {"PUT"},
            r"/bundles/[^/]+",
            Rule(Role.EDITOR, Scope.ANY, raw_body="bundle", name="uploading code bundles"),
        ),
        (
            {"POST"},
            rf"/data/{_P}/{_D}/uploads",
            Rule(Role.LAUNCHER, Scope.PATH, name="making upload locations for input data"),
        ),
        (
            {"PUT"},
            rf"(?s)/data/{_P}/{_D}/uploads/.+",
            Rule(Role.LAUNCHER, Scope.PATH, raw_body="upload", name="uploading input data"),
        ),
        (
            {"POST"},
            r"/registrations",
            Rule(Role.EDITOR, Scope.BODY, _registration, name="registering"),
        ),
        (
            {"POST"},
            r"/promotions",
            Rule(Role.EDITOR, Scope.BODY, _promotion, name="promoting"),
        ),
        ({"POST"}, r"/projects", Rule(Role.ADMIN, Scope.GLOBAL, name="creating projects")),
        (
            READS,
            rf"/secrets/{_P}/{_D}",
            Rule(Role.EDITOR, Scope.PATH, name="listing the names of secrets"),
        ),
        (
            {"PUT", "DELETE"},
            rf"/secrets/{_P}/{_D}/[^/]+/[^/]+",
            Rule(Role.ADMIN, Scope.PATH, name="setting and deleting secrets"),
        ),
        (
            {"POST"},
            rf"/projects/{_P}/archive",
            Rule(Role.ADMIN, Scope.PATH, name="archiving a project"),
        ),
        (
            {"PUT"},
            rf"/projects/{_P}(?:/domains/{_D})?/settings",
            Rule(Role.EDITOR, Scope.PATH, name="setting settings"),
        ),
        (
            {"POST"},
            r"/executions",
            Rule(Role.LAUNCHER, Scope.BODY, _target, name="launching executions"),
        ),
        (
            {"POST"},
            rf"/executions/{_P}/{_D}/.+",
            Rule(
                Role.LAUNCHER,
                Scope.PATH,
                name="acting on executions (abort, relaunch, recover, signal)",
            ),
        ),
        (
            {"POST"},
            r"/gc",
            Rule(Role.ADMIN, Scope.BODY, _collection, name="collecting what retention lets go"),
        ),
        (READS, r"/users(?:/.*)?", Rule(Role.ADMIN, Scope.GLOBAL, name="reading users")),
        ({"POST"}, r"/users", Rule(Role.ADMIN, Scope.GLOBAL, name="creating users")),
        (
            {"POST", "DELETE"},
            r"/users/[^/]+/grants",
            Rule(Role.ADMIN, Scope.GLOBAL, name="granting and revoking roles"),
        ),
        (
            READS | {"POST"},
            r"/tokens",
            Rule(Role.VIEWER, Scope.CALLER, name="listing and making tokens"),
        ),
        (
            {"POST"},
            r"/login-links",
            Rule(Role.VIEWER, Scope.CALLER, name="making console login links"),
        ),
        (
            {"DELETE"},
            r"/tokens/[^/]+",
            Rule(Role.VIEWER, Scope.CALLER, name="revoking tokens"),
        ),
    )
]

DEFAULT_READ = Rule(Role.VIEWER, Scope.ANY, name="reading")
DEFAULT_WRITE = Rule(Role.ADMIN, Scope.GLOBAL, name="this action")


def match_rule(method: str, path: str) -> tuple[Rule, dict[str, str], bool]:
    """The rule of a request to ``path`` (below the API prefix), the path's project/domain, and
    whether a rule of the table matched (False: the default applied)."""
    for methods, pattern, rule in RULES:
        if method in methods:
            m = pattern.fullmatch(path)
            if m is not None:
                return rule, {k: v for k, v in m.groupdict().items() if v is not None}, True
    return (DEFAULT_READ if method in READS else DEFAULT_WRITE), {}, False
