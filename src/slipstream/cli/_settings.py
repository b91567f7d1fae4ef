"""``slipstream settings``: read and replace the settings of a project, a project+domain, or one
workflow or launch plan of a project+domain."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ._remote import echo_json, endpoint_option, json_option, open_remote

__all__ = ["settings"]

F = TypeVar("F", bound=Callable[..., Any])


@click.group()
def settings() -> None:
    """Settings per project, per project+domain and per workflow or launch plan (resources,
    labels, environment, runner, execution_cluster...)."""


def _scope_options(f: F) -> F:
    f = click.option(
        "--launch-plan",
        "launch_plan",
        default=None,
        help="A launch plan of the project+domain: its own settings (needs -d).",
    )(f)
    f = click.option(
        "--workflow",
        default=None,
        help="A workflow of the project+domain: its own settings (needs -d).",
    )(f)
    f = endpoint_option(f)
    f = click.option("-d", "--domain", default=None, help="A domain: its project+domain layer.")(f)
    f = click.option("-p", "--project", default=None, help="Project [default: from the config].")(f)
    return f


@settings.command()
@_scope_options
@click.option("--resolved", is_flag=True, help="The effective settings after resolution.")
@click.option("--task", default=None, help="With --resolved: for this registered task.")
@json_option
def get(
    project: str | None,
    domain: str | None,
    endpoint: str | None,
    workflow: str | None,
    launch_plan: str | None,
    resolved: bool,
    task: str | None,
    as_json: bool,
) -> None:
    """Print the settings stored for the project (or project+domain) as JSON (with or without
    --json: settings are a JSON document)."""
    import msgspec

    target = _target(domain, workflow, launch_plan)
    with open_remote(endpoint, project, domain) as remote:
        if resolved:
            value = remote.resolved_settings(task, project=project, domain=domain)
        else:
            value = remote.get_settings(project=project, domain=domain, **target)
    echo_json(msgspec.to_builtins(value))


@settings.command(name="set")
@_scope_options
@click.argument("document")
@json_option
def set_(
    project: str | None,
    domain: str | None,
    endpoint: str | None,
    workflow: str | None,
    launch_plan: str | None,
    document: str,
    as_json: bool,
) -> None:
    """Replace the settings with DOCUMENT: JSON text, or @FILE to read it from a file.

    Example: slipstream settings set -p ml '{"max_parallelism": 8, "runner": "local"}'

    Routing: slipstream settings set -p ml -d production --workflow train
    '{"execution_cluster": ["east", "west"]}'
    """
    import msgspec

    from slipstream.model import Settings

    text = Path(document[1:]).read_text() if document.startswith("@") else document
    try:
        value = msgspec.json.decode(text.encode(), type=Settings)
    except (msgspec.ValidationError, msgspec.DecodeError, json.JSONDecodeError) as e:
        raise click.BadParameter(f"not valid settings: {e}", param_hint="DOCUMENT") from None
    target = _target(domain, workflow, launch_plan)
    with open_remote(endpoint, project, domain) as remote:
        stored = remote.set_settings(value, project=project, domain=domain, **target)
    echo_json(msgspec.to_builtins(stored))


def _target(domain: str | None, workflow: str | None, launch_plan: str | None) -> dict[str, str]:
    """The ``workflow``/``launch_plan`` keyword of the Remote call (at most one, with -d)."""
    if workflow is not None and launch_plan is not None:
        raise click.UsageError("give --workflow or --launch-plan, not both")
    if (workflow is not None or launch_plan is not None) and not domain:
        raise click.UsageError("the settings of a workflow or a launch plan need -d DOMAIN")
    if workflow is not None:
        return {"workflow": workflow}
    return {"launch_plan": launch_plan} if launch_plan is not None else {}
