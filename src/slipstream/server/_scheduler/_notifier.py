"""The notifier: a thread of the server process that tells people when executions end.

It reads the ``executions`` rows (never the engine host's code): each pass finds executions that
reached a terminal phase since the last pass (by ``updated_at``, with an overlap for
transactions that committed late), looks up their launch plan's notifications, and records one
``notifications`` row per recipient whose phases include the execution's (the unique key makes
that once, whichever server sees it first). Then it sends the due rows, each held by one server
at a time, retrying a failed try with growing pauses; after the last try the row is ``failed``
and keeps its last error, which the console and the API show.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

import msgspec
from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from slipstream.model import ExecutionRecord, Identifier, LaunchPlanSpec, ResourceType

from .._database import Database, ExecutionRow, NotificationRow
from .._loops import run_passes
from .._metrics import NO_METRICS
from .._registry import Registry, decode_spec
from ._senders import DeliveryError, Message, SmtpSettings, send

__all__ = ["Notifier", "TERMINAL_PHASES"]

TERMINAL_PHASES = ("SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT")
_log = logging.getLogger("slipstream.notifier")
_record = msgspec.json.Decoder(ExecutionRecord)


class Notifier:
    """See the module docstring. ``backoff_s`` are the pauses after each failed try (its length
    is the number of retries); ``base_url`` makes the link to the execution's console page."""

    def __init__(
        self,
        db: Database,
        registry: Registry,
        *,
        smtp: SmtpSettings | None = None,
        base_url: str = "",
        clock: Callable[[], float] = time.time,
        poll_s: float = 1.0,
        backoff_s: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0),
        timeout_s: float = 10.0,
        overlap_s: float = 30.0,
        lookback_s: float = 86400.0,
    ) -> None:
        self.db = db
        self.registry = registry
        self.smtp = smtp
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        self.poll_s = poll_s
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self.overlap_s = overlap_s
        self.lookback_s = lookback_s
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._since: float | None = None
        self._plans: dict[Identifier, LaunchPlanSpec | None] = {}
        self._stop = threading.Event()
        self.metrics = NO_METRICS
        """Where given-up notifications are counted (its server's metrics)."""

    def serve(self, beat: Callable[[], None] | None = None) -> None:
        """Run passes until :meth:`stop` (see :func:`~.._loops.run_passes`)."""
        run_passes("the notifier", self.run_once, self._stop, self.poll_s, _log, beat)

    def stop(self) -> None:
        """End :meth:`serve` after its current pass."""
        self._stop.set()

    def run_once(self) -> int:
        """Find newly ended executions, then send what is due; the number of rows handled."""
        now = self.clock()
        return self.discover(now) + self.deliver(now)

    # -- finding ended executions -------------------------------------------------------------

    def _start(self, now: float) -> float:
        with self.db.session() as session:
            newest = session.scalar(select(func.max(NotificationRow.created_at)))
        return (newest - self.overlap_s) if newest is not None else now - self.lookback_s

    def discover(self, now: float, batch: int = 500) -> int:
        """Record the notifications of executions that ended since the last pass."""
        since = self._since if self._since is not None else self._start(now)
        found = 0
        high = since
        with self.db.session() as session:
            rows = session.execute(
                select(ExecutionRow.id, ExecutionRow.record, ExecutionRow.updated_at)
                .where(
                    ExecutionRow.phase.in_(TERMINAL_PHASES),
                    ExecutionRow.updated_at >= since,
                )
                .order_by(ExecutionRow.updated_at, ExecutionRow.id)
                .limit(batch)
            ).all()
        for pk, data, updated in rows:
            high = max(high, updated)
            try:
                record = _record.decode(data)
            except msgspec.DecodeError as e:  # one unreadable row never stops the others
                _log.warning("execution %s: its record cannot be read, no notification: %s", pk, e)
                continue
            found += self._record(pk, record, now)
        # next time from a little before the newest seen: a transaction may commit late
        self._since = max(since, high - self.overlap_s) if len(rows) < batch else high
        return found

    def _plan(self, ident: Identifier) -> LaunchPlanSpec | None:
        if ident not in self._plans:
            try:
                with self.db.session() as session:
                    row = self.registry.get_row(
                        session,
                        ResourceType.LAUNCH_PLAN,
                        ident.project,
                        ident.domain,
                        ident.name,
                        ident.version,
                    )
                    spec = decode_spec(row)
                    self._plans[ident] = spec if isinstance(spec, LaunchPlanSpec) else None
            except Exception:
                self._plans[ident] = None
        return self._plans[ident]

    def _record(self, pk: int, record: ExecutionRecord, now: float) -> int:
        ident = record.spec.launch_plan
        if ident is None:
            return 0
        lp = self._plan(ident)
        if lp is None or not lp.notifications:
            return 0
        phase = record.phase.value
        wanted = [
            (n.kind, r)
            for n in lp.notifications
            if phase in {p.upper() for p in n.phases}
            for r in n.recipients
        ]
        if not wanted:
            return 0
        made = 0
        with self.db.session() as session:
            have = set(
                session.execute(
                    select(NotificationRow.kind, NotificationRow.recipient).where(
                        NotificationRow.execution_id == pk
                    )
                ).all()
            )
            for kind, recipient in dict.fromkeys(wanted):
                if (kind, recipient) in have:
                    continue
                session.add(
                    NotificationRow(
                        execution_id=pk,
                        project=record.id.project,
                        domain=record.id.domain,
                        execution=record.id.name,
                        phase=phase,
                        kind=kind,
                        recipient=recipient,
                        state="pending",
                        attempts=0,
                        next_at=now,
                        last_error="",
                        claimed_by="",
                        claim_expires=0.0,
                        created_at=now,
                    )
                )
                made += 1
            try:
                session.flush()
            except IntegrityError:  # another server recorded them first
                session.rollback()
                return 0
        return made

    # -- sending ------------------------------------------------------------------------------

    def deliver(self, now: float, batch: int = 50) -> int:
        """Send the notifications due at ``now`` that no other server holds."""
        with self.db.session() as session:
            due = session.scalars(
                select(NotificationRow.id)
                .where(
                    NotificationRow.state == "pending",
                    NotificationRow.next_at <= now,
                    NotificationRow.claim_expires < now,
                )
                .order_by(NotificationRow.next_at)
                .limit(batch)
            ).all()
        sent = 0
        for nid in due:
            sent += self._deliver_one(nid, now)
        return sent

    def _deliver_one(self, nid: int, now: float) -> int:
        hold = now + self.timeout_s * 3
        with self.db.session() as session:
            took = _count(
                session.execute(
                    update(NotificationRow)
                    .where(
                        NotificationRow.id == nid,
                        NotificationRow.state == "pending",
                        or_(
                            NotificationRow.claim_expires < now,
                            NotificationRow.claimed_by == self.owner,
                        ),
                    )
                    .values(claimed_by=self.owner, claim_expires=hold)
                )
            )
            row = session.get(NotificationRow, nid) if took == 1 else None
        if row is None:
            return 0
        message = self._message(row)
        error = ""
        try:
            send(row.kind, row.recipient, message, self.smtp, self.timeout_s)
        except DeliveryError as e:
            error = str(e)
        except Exception as e:  # a bug in a sender must not stop the others
            error = f"{type(e).__name__}: {e}"
        attempts = row.attempts + 1
        values: dict[str, object] = {"attempts": attempts, "claimed_by": "", "claim_expires": 0.0}
        if not error:
            values |= {"state": "sent", "sent_at": self.clock(), "last_error": ""}
        elif attempts > len(self.backoff_s):
            values |= {"state": "failed", "last_error": error}
            self.metrics.notification_failed(row.kind)
            _log.warning("notification %s to %s failed: %s", row.id, row.recipient, error)
        else:
            values |= {"last_error": error, "next_at": now + self.backoff_s[attempts - 1]}
        with self.db.session() as session:
            session.execute(
                update(NotificationRow)
                .where(NotificationRow.id == nid, NotificationRow.claimed_by == self.owner)
                .values(**values)
            )
        return 1

    def _message(self, row: NotificationRow) -> Message:
        error = ""
        lp = ""
        with self.db.session() as session:
            data = session.scalar(
                select(ExecutionRow.record).where(ExecutionRow.id == row.execution_id)
            )
        if data is not None:
            record = _record.decode(data)
            if record.error is not None:
                error = f"{record.error.code}: {record.error.message}"
            if record.spec.launch_plan is not None:
                lp = str(record.spec.launch_plan)
        url = ""
        if self.base_url:
            url = f"{self.base_url}/console/executions/{row.project}/{row.domain}/{row.execution}"
        return Message(row.project, row.domain, row.execution, row.phase, lp, error, url)


def _count(result: object) -> int:
    """The rows an UPDATE matched."""
    return int(result.rowcount or 0) if isinstance(result, CursorResult) else 0
