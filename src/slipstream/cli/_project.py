"""``slipstream project``: create and archive projects."""

from __future__ import annotations

import click

from ._remote import echo_json, endpoint_option, json_option, open_remote

__all__ = ["project"]


@click.group()
def project() -> None:
    """Create and archive projects (list them with `slipstream get projects`)."""


@project.command()
@click.argument("name")
@click.option("--description", default="", help="What the project is for.")
@click.option("--label", "labels", multiple=True, help="KEY=VALUE (repeatable).")
@endpoint_option
@json_option
def create(
    name: str, description: str, labels: tuple[str, ...], endpoint: str | None, as_json: bool
) -> None:
    """Create project NAME."""
    pairs = {}
    for item in labels:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--label")
        pairs[key] = value
    with open_remote(endpoint, None, None) as remote:
        created = remote.create_project(name, description, pairs)
    if as_json:
        echo_json({"name": created.name, "description": created.description, "state": "active"})
    else:
        click.echo(f"created project {created.name}")


@project.command()
@click.argument("name")
@endpoint_option
@json_option
def archive(name: str, endpoint: str | None, as_json: bool) -> None:
    """Archive project NAME: its entities stay, new registrations are refused."""
    with open_remote(endpoint, None, None) as remote:
        archived = remote.archive_project(name)
    if as_json:
        echo_json({"name": archived.name, "state": archived.state.value})
    else:
        click.echo(f"archived project {name}")
