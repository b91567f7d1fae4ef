"""What the commands that talk to a server share: connection options, errors, tables, JSON."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from slipstream.remote import Remote

__all__ = [
    "connection_options",
    "connection_params",
    "echo_json",
    "echo_table",
    "endpoint_option",
    "for_cli",
    "json_option",
    "keep_token",
    "open_remote",
    "remote_command",
    "token_option",
    "utc_when",
    "when",
]

F = TypeVar("F", bound=Callable[..., Any])


def keep_token(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """The callback of a ``--token`` option: the token every client of this command uses."""
    if value:
        ctx.meta[_TOKEN_KEY] = value


_TOKEN_KEY = "slipstream.token"


_ENDPOINT: tuple[tuple[str, ...], dict[str, Any]] = (
    ("--endpoint",),
    {"default": None, "help": "Server URL (default: SLIPSTREAM_ENDPOINT, else the config file)."},
)
_TOKEN: tuple[tuple[str, ...], dict[str, Any]] = (
    ("--token",),
    {
        "default": None,
        "expose_value": False,
        "callback": keep_token,
        "help": "API token (default: SLIPSTREAM_TOKEN, the config file, else the server's "
        "admin token when SLIPSTREAM_HOME is the server's home).",
    },
)
_CONNECTION = (
    _ENDPOINT,
    (("-p", "--project"), {"default": None, "help": "Project (default: from config)."}),
    (("-d", "--domain"), {"default": None, "help": "Domain (default: config, else development)."}),
    _TOKEN,
)
"""The options every command that talks to a server takes, in the order ``--help`` shows them."""


def token_option(f: F) -> F:
    """``--token``: the API token (default: SLIPSTREAM_TOKEN, the config file, the home's)."""
    return click.option(*_TOKEN[0], **_TOKEN[1])(f)


def endpoint_option(f: F) -> F:
    """``--endpoint``: the server every command that talks to one is pointed at."""
    return click.option(*_ENDPOINT[0], **_ENDPOINT[1])(f)


def connection_options(f: F) -> F:
    """``--endpoint``, ``--project/-p``, ``--domain/-d`` and ``--token``."""
    for decls, attrs in reversed(_CONNECTION):
        f = click.option(*decls, **attrs)(f)
    return f


def connection_params() -> list[click.Option]:
    """The same options as parameters, for commands that build their parameter lists."""
    return [click.Option(list(decls), **attrs) for decls, attrs in _CONNECTION]


def json_option(f: F) -> F:
    """``--json``: machine-readable output on stdout."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(f)


def remote_command(f: F) -> F:
    """What a command that reads or changes the server takes: the connection options and
    ``--json``. (Errors are shown by the root group, ``_main``, once, as text or as JSON; a
    command only raises them.)"""
    return connection_options(json_option(f))


def open_remote(endpoint: str | None, project: str | None, domain: str | None) -> Remote:
    """The client for the options given (``--token`` included)."""
    from slipstream.remote import Remote

    ctx = click.get_current_context(silent=True)
    token = None if ctx is None else ctx.find_root().meta.get(_TOKEN_KEY)
    return Remote(endpoint, project, domain, token=token)


def for_cli(e: BaseException) -> BaseException:
    """``e`` as the command line says it: a refused token speaks of ``--token`` and
    ``SLIPSTREAM_TOKEN`` (the server's own message speaks of HTTP headers, for API clients)."""
    from slipstream.errors import AuthenticationError

    if not isinstance(e, AuthenticationError):
        return e
    if "needs a token" in e.message or "Authorization header" in e.message:
        message = "the server needs a token and none was sent"
    else:
        message = f"the server refused the token ({e.message})"
    return AuthenticationError(
        f'{message}: pass --token TOKEN, set SLIPSTREAM_TOKEN, or put `token = "..."` in the '
        "[client] table of the config file (on the server's machine, `slipstream auth token` "
        "prints the admin token)",
        details=e.details,
    )


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON."""
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def echo_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str = "") -> None:
    """Print rows as a rich table (plain when stdout is not a terminal)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title or None, show_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    Console(width=200 if not sys.stdout.isatty() else None).print(table)


def when(timestamp: float) -> str:
    """An epoch timestamp as local ISO time, to the second."""
    return dt.datetime.fromtimestamp(timestamp).isoformat(sep=" ", timespec="seconds")


def utc_when(timestamp: float) -> str:
    """An epoch timestamp as UTC ISO time, to the second (no offset: say UTC where it is shown)."""
    moment = dt.datetime.fromtimestamp(timestamp, dt.UTC).replace(tzinfo=None)
    return moment.isoformat(sep=" ", timespec="seconds")
