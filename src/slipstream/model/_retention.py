"""Retention: how long a project and domain keep ended executions, and what a collection did.

A policy is a setting (``{"retention": {...}}`` on a project or a project+domain); the domain's
policy, when it has one, replaces the project's. ``slipstream gc`` and the server's background
collector apply it through ``POST /api/v1/gc``.
"""

from __future__ import annotations

import msgspec

__all__ = ["GcReport", "GcRequest", "RetentionPolicy"]


class RetentionPolicy(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """Which ended executions a project or domain keeps.

    An ended execution is collected when it is older than ``keep_days`` (by its last update) and
    is not among the ``keep_last_per_launch_plan`` newest of its launch plan; a rule left unset
    does not hold anything back, and a policy with neither rule collects nothing. Executions
    still running are never collected. ``protected`` keeps everything; a domain the server
    protects (``protected_domains``) is collected only when its own policy says
    ``"protected": false``.
    """

    keep_days: float | None = None
    keep_last_per_launch_plan: int | None = None
    protected: bool | None = None


class GcRequest(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """The body of ``POST /api/v1/gc``: collect one project (and domain) or, empty, every one."""

    project: str = ""
    domain: str = ""
    dry_run: bool = False


class GcReport(msgspec.Struct, frozen=True, omit_defaults=True):
    """What a collection did (or, with ``dry_run``, would do).

    ``executions`` names the executions collected (``project/domain/name``), at most a few
    hundred of them (``executions_total`` counts all). Blobs of collected executions are deleted
    a grace period after their rows (so that a run that read their URIs just before has
    recorded them): ``prefixes_pending`` counts the data folders still waiting, ``blobs_kept``
    the blobs a kept execution or cache entry still points at.
    """

    dry_run: bool = False
    executions: tuple[str, ...] = ()
    executions_total: int = 0
    cache_entries: int = 0
    blobs_deleted: int = 0
    blobs_kept: int = 0
    prefixes_swept: int = 0
    prefixes_pending: int = 0
