"""Sending one notification: a webhook POST of JSON, or an e-mail through the configured SMTP
server (Slack and PagerDuty notifications are e-mails to their channel's address, as in Flyte).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from slipstream.errors import ConfigError

__all__ = ["DeliveryError", "Message", "SmtpSettings", "send"]


class DeliveryError(Exception):
    """A try that failed; the message is recorded, and the delivery tried again later."""


@dataclass(frozen=True)
class Message:
    """What a notification says: the execution, its phase and error, and a link to it."""

    project: str
    domain: str
    execution: str
    phase: str
    launch_plan: str
    error: str = ""
    url: str = ""

    def payload(self) -> dict[str, Any]:
        """The JSON a webhook receives."""
        return {
            "project": self.project,
            "domain": self.domain,
            "execution": self.execution,
            "phase": self.phase,
            "launch_plan": self.launch_plan,
            "error": self.error or None,
            "url": self.url or None,
        }

    def subject(self) -> str:
        """An e-mail's subject line."""
        return f"[slipstream] {self.project}/{self.domain}/{self.execution} {self.phase}"

    def body(self) -> str:
        """An e-mail's text."""
        lines = [
            f"Execution {self.project}/{self.domain}/{self.execution} of launch plan "
            f"{self.launch_plan} ended {self.phase}.",
        ]
        if self.error:
            lines += ["", f"Error: {self.error}"]
        if self.url:
            lines += ["", self.url]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class SmtpSettings:
    """Parsed ``smtp://[user:password@]host[:port][?starttls=1]`` (``smtps://``: TLS)."""

    host: str
    port: int
    tls: bool = False
    starttls: bool = False
    user: str = ""
    password: str = ""
    sender: str = "slipstream@localhost"

    @classmethod
    def parse(cls, url: str, sender: str) -> SmtpSettings:
        """The settings of ``url``; :class:`ConfigError` naming what is wrong."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigError(
                f"the SMTP server must be smtp://host[:port] or smtps://host[:port], got {url!r}"
            )
        query = parse_qs(parts.query)
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 25)
        except ValueError:
            raise ConfigError(f"the SMTP server's port is not a number in {url!r}") from None
        return cls(
            host=parts.hostname,
            port=port,
            tls=parts.scheme == "smtps",
            starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            sender=sender,
        )


def send(
    kind: str, recipient: str, message: Message, smtp: SmtpSettings | None, timeout_s: float
) -> None:
    """Deliver ``message`` to ``recipient``; :class:`DeliveryError` saying why it failed."""
    if kind == "webhook":
        _post(recipient, message, timeout_s)
    elif kind in ("email", "slack", "pagerduty"):
        _mail(recipient, message, smtp, timeout_s)
    else:
        raise DeliveryError(f"unknown notification kind {kind!r}")


def _post(url: str, message: Message, timeout_s: float) -> None:
    import httpx

    try:
        response = httpx.post(url, json=message.payload(), timeout=timeout_s)
    except httpx.HTTPError as e:
        raise DeliveryError(f"POST {url}: {type(e).__name__}: {e}") from None
    if response.status_code >= 300:
        raise DeliveryError(f"POST {url}: HTTP {response.status_code} {response.text[:200]!r}")


def _mail(to: str, message: Message, smtp: SmtpSettings | None, timeout_s: float) -> None:
    if smtp is None:
        raise DeliveryError(
            "no SMTP server is configured (set SLIPSTREAM_SMTP or `smtp` in the server's config)"
        )
    mail = EmailMessage()
    mail["From"] = smtp.sender
    mail["To"] = to
    mail["Subject"] = message.subject()
    mail.set_content(message.body())
    try:
        client: smtplib.SMTP
        if smtp.tls:
            client = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=timeout_s, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout_s)
        with client:
            if smtp.starttls:
                client.starttls(context=ssl.create_default_context())
            if smtp.user:
                client.login(smtp.user, smtp.password)
            client.send_message(mail)
    except (OSError, smtplib.SMTPException) as e:
        raise DeliveryError(f"SMTP {smtp.host}:{smtp.port}: {type(e).__name__}: {e}") from None
