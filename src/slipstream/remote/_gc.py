"""The collection method of :class:`~slipstream.remote.Remote`."""

from __future__ import annotations

from slipstream.model import GcReport, GcRequest

from ._http import Http

__all__ = ["RemoteGc"]


class RemoteGc:
    """Applying the retention policies now: ``POST /api/v1/gc`` (admin only)."""

    _http: Http

    def gc(
        self, *, project: str | None = None, domain: str | None = None, dry_run: bool = False
    ) -> GcReport:
        """Collect the ended executions the retention policies of ``project`` (and ``domain``)
        let go, or of every project when none is named; ``dry_run`` only says what would go.
        Their blobs follow a grace period later (see :class:`~slipstream.model.GcReport`)."""
        body = GcRequest(project=project or "", domain=domain or "", dry_run=dry_run)
        return self._http.send("POST", "/gc", body, GcReport)
