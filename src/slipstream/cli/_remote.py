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
    "echo_json",
    "echo_table",
    "json_option",
    "open_remote",
    "reports_errors",
    "when",
]

F = TypeVar("F", bound=Callable[..., Any])


def connection_options(f: F) -> F:
    """``--endpoint``, ``--project/-p`` and ``--domain/-d``."""
    f = click.option(
        "-d", "--domain", default=None, help="Domain (default: config, else development)."
    )(f)
    f = click.option("-p", "--project", default=None, help="Project (default: from config).")(f)
    f = click.option(
        "--endpoint",
        default=None,
        help="Server URL (default: SLIPSTREAM_ENDPOINT, else the config file).",
    )(f)
    return f


def json_option(f: F) -> F:
    """``--json``: machine-readable output on stdout."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(f)


def open_remote(endpoint: str | None, project: str | None, domain: str | None) -> Remote:
    """The client for the options given."""
    from slipstream.remote import Remote

    return Remote(endpoint, project, domain)


def reports_errors(f: F) -> F:
    """Kept for the commands that use it: errors are shown by the root group (``_main``), once,
    as text or as JSON; a command only raises them."""
    return f


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
