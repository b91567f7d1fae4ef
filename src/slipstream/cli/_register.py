"""``slipstream register``: tasks, workflows and launch plans, with their code, to the server."""

from __future__ import annotations

import time

import click

from slipstream.errors import ValidationError

from ._kinds import kind_name
from ._remote import echo_json, echo_table, open_remote, remote_command

__all__ = ["register"]


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--version",
    "version",
    default=None,
    help="Version (default: git commit if clean, else the code's hash).",
)
@click.option(
    "--reimport",
    is_flag=True,
    help="Import the modules even when their sources did not change since the last registration.",
)
@remote_command
def register(
    paths: tuple[str, ...],
    version: str | None,
    reimport: bool,
    endpoint: str | None,
    project: str | None,
    domain: str | None,
    as_json: bool,
) -> None:
    """Register everything defined in PATHS (files, folders of modules, packages).

    The Python sources of the code root (honouring .gitignore) are bundled and uploaded once by
    content hash; registering unchanged code again changes nothing, and does not import the
    modules again (their specs are remembered by the content of the sources; see --reimport).
    """
    start = time.perf_counter()
    with open_remote(endpoint, project, domain) as remote:
        try:
            done = remote.register(*paths, version=version, reuse_specs=not reimport)
        except ValidationError as e:
            file = e.details.get("file") if isinstance(e.details, dict) else None
            if file is None or e.__cause__ is None:
                raise
            from ._entities import LoadError, user_traceback

            raise LoadError(f"importing {file} failed:\n{user_traceback(e.__cause__)}") from None
    rows = [
        {
            "type": kind_name(i.resource_type),
            "name": i.name,
            "version": i.version,
            "project": i.project,
            "domain": i.domain,
            "status": status,
        }
        for status, ids in (("created", done.created), ("unchanged", done.unchanged))
        for i in ids
    ]
    if as_json:
        echo_json(rows)
        return
    echo_table(rows, ["type", "name", "version", "status"])
    bundle = "uploaded" if done.uploaded else "already on the server"
    specs = ", specs unchanged since the last registration" if done.specs_reused else ""
    click.echo(
        f"{len(done.created)} registered, {len(done.unchanged)} unchanged at version "
        f"{done.version} (bundle {done.bundle[:12]} {bundle}{specs}) in "
        f"{time.perf_counter() - start:.2f}s"
    )
