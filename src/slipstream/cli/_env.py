"""``slipstream env build|list|prune``: the task environments (``ImageSpec``) built on this host."""

from __future__ import annotations

import time
from typing import Any

import click

from ._json_mode import json_mode
from ._remote import echo_json, json_option


@click.group()
def env() -> None:
    """Task environments built from ImageSpec (uv virtual environments on this host)."""


def _specs(paths: tuple[str, ...]) -> dict[str, Any]:
    from slipstream.remote import discover
    from slipstream.runners._envs import env_key

    found = discover(list(paths))
    templates = list(found.tasks)
    for wf in found.workflows:
        templates.extend(wf.tasks.values())
    out: dict[str, Any] = {}
    for t in templates:
        if t.environment_spec is not None:
            out.setdefault(env_key(t.environment_spec), (t.environment_spec, []))[1].append(
                t.id.name
            )
    return out


@env.command()
@click.argument("paths", nargs=-1, required=True)
@json_option
def build(paths: tuple[str, ...], as_json: bool) -> None:
    """Build ahead of time the environments the tasks in PATHS (files, folders, packages) ask for."""
    from slipstream.runners._envs import build_env

    as_json = as_json or json_mode()
    specs = _specs(paths)
    rows = []
    for key, (spec, tasks) in specs.items():
        say = None if as_json else (lambda line: click.echo(line, err=True))
        built = build_env(spec, say)
        rows.append(
            {
                "key": key,
                "tasks": sorted(set(tasks)),
                "built": built.built,
                "seconds": round(built.seconds, 3),
                "path": str(built.path),
            }
        )
        if not as_json:
            what = "built" if built.built else "already built"
            click.echo(
                f"{key}  {what} ({built.seconds:.2f} s)  tasks: {', '.join(sorted(set(tasks)))}"
            )
    if as_json:
        echo_json(rows)
    elif not rows:
        click.echo("no task in these files asks for an ImageSpec environment")


@env.command("list")
@json_option
def list_(as_json: bool) -> None:
    """The environments built on this host, newest first."""
    from slipstream.runners._envs import list_envs

    envs = list_envs()
    if as_json or json_mode():
        echo_json(
            [
                {
                    "key": e.key,
                    "name": e.spec.name if e.spec else "",
                    "python_version": e.spec.python_version if e.spec else "",
                    "packages": list(e.spec.packages) if e.spec else [],
                    "requirements": list(e.spec.requirements) if e.spec else [],
                    "installed": list(e.packages),
                    "size": e.size,
                    "created_at": e.created_at,
                    "last_used": e.last_used,
                    "path": str(e.path),
                }
                for e in envs
            ]
        )
        return
    if not envs:
        click.echo("no environments built on this host")
        return
    from rich.console import Console
    from rich.table import Table

    from slipstream.runners._resources import format_bytes

    table = Table("KEY", "PACKAGES", "SIZE", "LAST USED")
    for e in envs:
        pkgs = ", ".join(
            [*(e.spec.packages if e.spec else ()), *(e.spec.requirements if e.spec else ())]
        )
        used = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.last_used))
        table.add_row(e.key, pkgs or "-", format_bytes(e.size), used)
    Console().print(table)


@env.command()
@click.argument("keys", nargs=-1)
@click.option(
    "--older-than",
    type=click.FloatRange(min=0),
    default=None,
    help="Remove only environments unused for this many days.",
)
@click.option("--all", "all_", is_flag=True, help="Remove every environment.")
@json_option
def prune(keys: tuple[str, ...], older_than: float | None, all_: bool, as_json: bool) -> None:
    """Remove environments: those named by KEYS (or a prefix), those unused for --older-than
    days, or --all."""
    from slipstream.errors import ValidationError
    from slipstream.runners._envs import prune_envs

    if not keys and older_than is None and not all_:
        raise ValidationError("say what to remove: KEYS, --older-than DAYS or --all")
    removed = prune_envs(None if all_ or older_than is None else older_than * 86400, keys)
    if as_json or json_mode():
        echo_json({"removed": removed})
        return
    for key in removed:
        click.echo(f"removed {key}")
    if not removed:
        click.echo("nothing to remove")
