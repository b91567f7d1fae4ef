"""Notifications of terminal phases, on SQLite and PostgreSQL: a webhook receiver on loopback
that fails twice before it accepts, e-mail through a local SMTP server (aiosmtpd), failures
recorded after the last retry, once per recipient even with two notifiers."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from scheduling import DOMAIN, PROJECT, Clock, register, services
from sqlalchemy import update

from slipstream.model import ExecutionCreate, ExecutionPhase, Identifier, Notification, ResourceType
from slipstream.server import Database
from slipstream.server._auth import ANONYMOUS
from slipstream.server._database import ExecutionRow, PageRequest
from slipstream.server._scheduler import Notifier, SmtpSettings
from slipstream.server._services import Services


class Receiver:
    """An HTTP server on loopback that answers 500 to its first ``fail`` POSTs."""

    def __init__(self, fail: int) -> None:
        self.fail = fail
        self.bodies: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if outer.fail > 0:
                    outer.fail -= 1
                    self.send_response(500)
                else:
                    outer.bodies.append(body)
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(fail=2)
    yield r
    r.close()


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpSettings, list[Any]]]:
    from aiosmtpd.controller import Controller

    got: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            got.append(envelope)
            return "250 OK"

    with socket.socket() as probe:  # a free port: the controller checks it by connecting
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpSettings.parse(f"smtp://127.0.0.1:{port}", "ops@example.com"), got
    finally:
        controller.stop()


def _ended(svc: Services, lp: str, phase: ExecutionPhase, clock: Clock) -> str:
    record = svc.launches.create(
        ExecutionCreate(target=Identifier(ResourceType.LAUNCH_PLAN, lp, PROJECT, DOMAIN, "v1")),
        ANONYMOUS,
    )
    # what the engine host writes when an execution ends: its row's phase and record
    data = json.dumps({**json.loads(_record(svc, record.id.name)), "phase": phase.value})
    with svc.db.session() as s:
        s.execute(
            update(ExecutionRow)
            .where(ExecutionRow.name == record.id.name)
            .values(phase=phase.value, record=data, updated_at=clock())
        )
    return record.id.name


def _record(svc: Services, name: str) -> str:
    return bytes(svc.executions.get(PROJECT, DOMAIN, name)).decode()


def test_webhook_retried_until_it_accepts_and_email_sent(
    database: Database, tmp_path: Path, receiver: Receiver, smtp: Any
) -> None:
    settings, mails = smtp
    clock = Clock(1_000_000.0)
    svc = services(database, tmp_path)
    register(
        svc,
        "lp",
        None,
        notifications=(
            Notification(
                phases=("FAILED", "SUCCEEDED"), kind="webhook", recipients=(receiver.url,)
            ),
            Notification(phases=("FAILED",), kind="email", recipients=("a@example.com",)),
        ),
    )
    notifier = Notifier(
        database,
        svc.registry,
        smtp=settings,
        clock=clock,
        backoff_s=(1.0, 1.0, 1.0),
        lookback_s=1e9,
    )
    name = _ended(svc, "lp", ExecutionPhase.FAILED, clock)
    notifier.run_once()
    got = {
        (d.kind, d.state, d.attempts) for d in svc.notifications.of_execution(PROJECT, DOMAIN, name)
    }
    assert got == {("webhook", "pending", 1), ("email", "sent", 1)}
    [webhook] = [
        d for d in svc.notifications.of_execution(PROJECT, DOMAIN, name) if d.kind == "webhook"
    ]
    assert "HTTP 500" in webhook.last_error
    for _ in range(3):
        clock.now += 1.5
        notifier.run_once()
    [body] = receiver.bodies
    assert body["execution"] == name and body["phase"] == "FAILED" and body["project"] == PROJECT
    states = {
        d.kind: (d.state, d.attempts) for d in svc.notifications.of_execution(PROJECT, DOMAIN, name)
    }
    assert states == {"webhook": ("sent", 3), "email": ("sent", 1)}
    [mail] = mails
    assert mail.rcpt_tos == ["a@example.com"] and mail.mail_from == "ops@example.com"
    assert f"{name} FAILED" in mail.content.decode()


def test_phases_not_asked_for_send_nothing(
    database: Database, tmp_path: Path, receiver: Receiver
) -> None:
    clock = Clock(1_000_000.0)
    svc = services(database, tmp_path)
    register(
        svc, "lp", None, notifications=(Notification(("FAILED",), "webhook", (receiver.url,)),)
    )
    notifier = Notifier(database, svc.registry, clock=clock, lookback_s=1e9)
    name = _ended(svc, "lp", ExecutionPhase.SUCCEEDED, clock)
    notifier.run_once()
    assert svc.notifications.of_execution(PROJECT, DOMAIN, name) == []


def test_failure_recorded_after_the_last_retry_and_once_with_two_notifiers(
    database: Database, tmp_path: Path
) -> None:
    clock = Clock(1_000_000.0)
    svc = services(database, tmp_path)
    register(
        svc,
        "lp",
        None,
        notifications=(
            Notification(("ABORTED",), "webhook", ("http://127.0.0.1:9/nobody-listens",)),
            Notification(("ABORTED",), "email", ("b@example.com",)),
        ),
    )
    a = Notifier(database, svc.registry, clock=clock, backoff_s=(1.0,), timeout_s=2, lookback_s=1e9)
    b = Notifier(database, svc.registry, clock=clock, backoff_s=(1.0,), timeout_s=2, lookback_s=1e9)
    name = _ended(svc, "lp", ExecutionPhase.ABORTED, clock)
    for _ in range(3):
        a.run_once()
        b.run_once()
        clock.now += 2
    rows = svc.notifications.of_execution(PROJECT, DOMAIN, name)
    assert len(rows) == 2
    by_kind = {d.kind: d for d in rows}
    assert by_kind["webhook"].state == "failed" and by_kind["webhook"].attempts == 2
    assert "ConnectError" in by_kind["webhook"].last_error
    assert by_kind["email"].state == "failed"
    assert "no SMTP server is configured" in by_kind["email"].last_error
    failed = svc.notifications.list(PROJECT, DOMAIN, PageRequest(limit=10), state="failed")
    assert {d.kind for d in failed.items} == {"webhook", "email"}
