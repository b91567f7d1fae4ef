"""``slipstream settings``: read and replace the settings of a project or a project+domain."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ._remote import echo_json, json_option, open_remote, reports_errors

__all__ = ["settings"]

F = TypeVar("F", bound=Callable[..., Any])


@click.group()
def settings() -> None:
    """Settings per project and per project+domain (resources, labels, environment, runner...)."""


def _scope_options(f: F) -> F:
    f = click.option("--endpoint", default=None, help="Server URL.")(f)
    f = click.option("-d", "--domain", default=None, help="A domain: its project+domain layer.")(f)
    f = click.option("-p", "--project", default=None, help="Project [default: from the config].")(f)
    return f


@settings.command()
@_scope_options
@click.option("--resolved", is_flag=True, help="The effective settings after resolution.")
@click.option("--task", default=None, help="With --resolved: for this registered task.")
@json_option
@reports_errors
def get(
    project: str | None,
    domain: str | None,
    endpoint: str | None,
    resolved: bool,
    task: str | None,
    as_json: bool,
) -> None:
    """Print the settings stored for the project (or project+domain) as JSON (with or without
    --json: settings are a JSON document)."""
    import msgspec

    with open_remote(endpoint, project, domain) as remote:
        if resolved:
            value = remote.resolved_settings(task, project=project, domain=domain)
        else:
            value = remote.get_settings(project=project, domain=domain)
    echo_json(msgspec.to_builtins(value))


@settings.command(name="set")
@_scope_options
@click.argument("document")
@json_option
@reports_errors
def set_(
    project: str | None, domain: str | None, endpoint: str | None, document: str, as_json: bool
) -> None:
    """Replace the settings with DOCUMENT: JSON text, or @FILE to read it from a file.

    Example: slipstream settings set -p ml '{"max_parallelism": 8, "runner": "local"}'
    """
    import msgspec

    from slipstream.model import Settings

    text = Path(document[1:]).read_text() if document.startswith("@") else document
    try:
        value = msgspec.json.decode(text.encode(), type=Settings)
    except (msgspec.ValidationError, msgspec.DecodeError, json.JSONDecodeError) as e:
        raise click.BadParameter(f"not valid settings: {e}", param_hint="DOCUMENT") from None
    with open_remote(endpoint, project, domain) as remote:
        stored = remote.set_settings(value, project=project, domain=domain)
    echo_json(msgspec.to_builtins(stored))
