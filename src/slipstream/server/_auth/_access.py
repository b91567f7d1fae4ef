"""Whether a principal may send a request: the rule table (:mod:`._rules`) read against the
principal's grants. The API's guard asks here for every request and the console before each page
and action, so that the console grants exactly what the API grants."""

from __future__ import annotations

from typing import Any

from slipstream.errors import PermissionDeniedError

from ._rules import READS, Need, Rule, match_rule
from ._service import Principal

__all__ = ["SESSION_COOKIE", "allowed", "refusal"]

SESSION_COOKIE = "slipstream_session"
"""The console's session cookie (a token), which the guard reads on console paths."""


def allowed(
    principal: Principal,
    method: str,
    api_path: str,
    protected: frozenset[str] = frozenset(),
    body: Any = None,
) -> PermissionDeniedError | None:
    """Whether ``principal`` may send ``method`` to ``api_path`` (below ``/api/v1``), with the
    decoded ``body`` for rules that find their target in it, by the rule table: None, or the
    error naming the role needed. The console asks this before each page and action, so that
    it grants exactly what the API grants."""
    rule, params, _ = match_rule(method, api_path)
    return refusal(principal, rule, params, body, protected, read=method in READS)


def refusal(
    principal: Principal,
    rule: Rule,
    params: dict[str, str],
    body: Any,
    protected: frozenset[str],
    *,
    read: bool,
) -> PermissionDeniedError | None:
    """None when ``principal``'s grants hold every need of ``rule`` for this request, else the
    error naming the first role missing."""
    for need in rule.needs(params, body, protected):
        if not _holds(principal, need, read=read):
            return _denied(principal, rule, need)
    return None


def _holds(principal: Principal, need: Need, *, read: bool) -> bool:
    if need.project is None:
        return principal.allows_somewhere(need.role)
    if read and not need.domain:
        # reading a project needs the role on some domain of it at least
        return any(
            g.role.rank >= need.role.rank and g.project in (need.project, "*")
            for g in principal.grants
        )
    return principal.allows(need.role, need.project, need.domain)


def _denied(principal: Principal, rule: Rule, need: Need) -> PermissionDeniedError:
    if need.project is None:
        where = "some project"
    elif need.project == "*":
        where = "every project ('*')"
    else:
        where = f"project {need.project!r}" + (f", domain {need.domain!r}" if need.domain else "")
    held = None if need.project is None else principal.role_on(need.project, need.domain)
    has = f"holds {held.value}" if held is not None else "holds no role"
    return PermissionDeniedError(
        f"{rule.name or 'this action'} needs the {need.role.value} role on {where}; "
        f"user {principal.name!r} {has} there",
        details={
            "needed": need.role.value,
            "project": need.project,
            "domain": need.domain,
            "user": principal.name,
        },
    )
