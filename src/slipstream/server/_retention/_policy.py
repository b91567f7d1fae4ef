"""Which ended executions a retention policy lets go.

The domain's policy, when its settings have one, replaces the project's. A domain the server
protects (``protected_domains``) is collected only when the domain's own policy says
``"protected": false``: a policy inherited from the project never reaches it. Only top-level
executions are chosen; their child executions go with them, and an execution is held back
whole while any of its descendants runs, a notification of it is still to send, or a running
execution recovers from it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from slipstream.model import ExecutionPhase, RetentionPolicy, Settings

from .._database import ExecutionRow, NotificationRow, SettingsRow

__all__ = ["Doomed", "choose", "policy_for"]

_DAY_S = 86400.0
ENDED = tuple(p.value for p in ExecutionPhase if p.terminal)


@dataclass(frozen=True)
class Doomed:
    """An execution to collect: its row id, name and creation time."""

    id: int
    project: str
    domain: str
    name: str
    created_at: float


def _stored(session: Session, project: str, domain: str) -> RetentionPolicy | None:
    body = session.scalars(
        select(SettingsRow.body).where(
            SettingsRow.project == project,
            SettingsRow.domain == domain,
            SettingsRow.target == "",
        )
    ).one_or_none()
    return None if body is None else msgspec.json.decode(body, type=Settings).retention


def policy_for(
    session: Session, project: str, domain: str, protected_domains: tuple[str, ...]
) -> RetentionPolicy | None:
    """The policy that collects in ``project``/``domain``, or None when nothing may go there."""
    own = _stored(session, project, domain)
    if domain in protected_domains and (own is None or own.protected is not False):
        return None
    policy = own if own is not None else _stored(session, project, "")
    if policy is None or policy.protected:
        return None
    if policy.keep_days is None and policy.keep_last_per_launch_plan is None:
        return None
    return policy


def choose(
    session: Session, project: str, domain: str, policy: RetentionPolicy, now: float
) -> list[Doomed]:
    """The executions of ``project``/``domain`` that ``policy`` lets go, children included."""
    rows = session.execute(
        select(
            ExecutionRow.id,
            ExecutionRow.name,
            ExecutionRow.phase,
            ExecutionRow.target_type,
            ExecutionRow.target_name,
            ExecutionRow.updated_at,
            ExecutionRow.created_at,
            ExecutionRow.parent_id,
        )
        .where(ExecutionRow.project == project, ExecutionRow.domain == domain)
        .order_by(ExecutionRow.created_at.desc(), ExecutionRow.id.desc())
    ).all()
    held = _held_back(session, project, domain, rows)
    children: dict[int, list[int]] = defaultdict(list)
    for r in rows:
        if r.parent_id is not None:
            children[r.parent_id].append(r.id)
    by_id = {r.id: r for r in rows}
    cutoff = None if policy.keep_days is None else now - policy.keep_days * _DAY_S
    seen: dict[tuple[str, str], int] = defaultdict(int)
    out: list[Doomed] = []
    for r in rows:  # newest first
        if r.parent_id is not None or r.phase not in ENDED:
            continue
        seen[(r.target_type, r.target_name)] += 1
        if policy.keep_last_per_launch_plan is not None and (
            seen[(r.target_type, r.target_name)] <= policy.keep_last_per_launch_plan
        ):
            continue
        if cutoff is not None and r.updated_at >= cutoff:
            continue
        family = _family(r.id, children)
        if any(i not in by_id or by_id[i].phase not in ENDED or i in held for i in family):
            continue
        out.extend(Doomed(i, project, domain, by_id[i].name, by_id[i].created_at) for i in family)
    return out


def _family(root: int, children: dict[int, list[int]]) -> list[int]:
    out, todo = [], [root]
    while todo:
        i = todo.pop()
        out.append(i)
        todo.extend(children.get(i, ()))
    return out


def _held_back(session: Session, project: str, domain: str, rows: Sequence[Any]) -> set[int]:
    """Ids whose notifications are still to send, and sources of running recoveries."""
    held = set(
        session.scalars(
            select(NotificationRow.execution_id).where(
                NotificationRow.project == project,
                NotificationRow.domain == domain,
                NotificationRow.state == "pending",
            )
        )
    )
    running = [r.id for r in rows if r.phase not in ENDED]
    if running:
        names = {r.name: r.id for r in rows}
        for record in session.scalars(
            select(ExecutionRow.record).where(ExecutionRow.id.in_(running))
        ):
            source = msgspec.json.decode(record).get("spec", {}).get("source_execution")
            if (
                isinstance(source, dict)
                and source.get("name") in names
                and (source.get("project"), source.get("domain")) == (project, domain)
            ):
                held.add(names[source["name"]])
    return held
