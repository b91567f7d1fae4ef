"""``slipstream lineage URI|EXECUTION/NODE [--depth N] [--json]``: where data came from and where
it went, as a tree (who wrote each blob, from which inputs, and who read it later)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import click

from ._remote import echo_json, open_remote, remote_command

if TYPE_CHECKING:
    from rich.tree import Tree

    from slipstream.model import Lineage, LineageBlob, LineageStep

__all__ = ["lineage"]

_NODE = re.compile(r"n\d+(?:\[\d+\])?")


def _target(target: str) -> tuple[str | None, str | None, str | None, str]:
    """(project, domain, execution name, node) of ``[PROJECT/DOMAIN/]NAME/NODE``."""
    parts = target.split("/")
    for at in (1, 3):  # a node path starts with a node id: NAME/n2/n0, P/D/NAME/n2
        if len(parts) > at and _NODE.fullmatch(parts[at]) and all(parts[:at]):
            node = "/".join(parts[at:])
            if at == 1:
                return None, None, parts[0], node
            return parts[0], parts[1], parts[2], node
    raise click.BadParameter(
        f"{target!r} is neither a blob URI (scheme://...) nor EXECUTION/NODE "
        "([PROJECT/DOMAIN/]NAME/n0)",
        param_hint="TARGET",
    )


@click.command()
@click.argument("target")
@click.option(
    "--depth",
    type=click.IntRange(1, 10),
    default=1,
    show_default=True,
    help="How many blobs deep to follow: 2 adds the inputs of the producers and the outputs of "
    "the readers.",
)
@remote_command
def lineage(
    target: str,
    depth: int,
    endpoint: str | None,
    project: str | None,
    domain: str | None,
    as_json: bool,
) -> None:
    """Which execution, node and attempt made TARGET (a blob URI, or a node as
    [PROJECT/DOMAIN/]EXECUTION/NODE), from which inputs, code version and cache entry, and which
    executions read it later. Steps in projects you may not read show as hidden."""
    import msgspec

    from slipstream.errors import ValidationError

    with open_remote(endpoint, project, domain) as remote:
        try:
            if "://" in target:
                found = remote.lineage(target, depth=depth)
            else:
                p, d, name, node = _target(target)
                scope = {"project": p or project, "domain": d or domain}
                found = remote.lineage(execution=name, node=node, depth=depth, **scope)
        except ValidationError as e:  # bad input: the usage error's exit status
            raise click.BadParameter(e.message, param_hint="TARGET") from None
    if as_json:
        echo_json(msgspec.to_builtins(found))
        return
    _show(found)


def _step(step: LineageStep, verb: str) -> str:
    if step.hidden:
        return f"{verb} [dim](hidden: in a project you may not read)[/dim]"
    from rich.markup import escape

    where = escape(str(step.execution))
    what = f"[bold]{where}[/bold] " + (f"node {escape(step.node)}" if step.node else "(its inputs)")
    bits = []
    if step.attempt:
        bits.append(f"attempt {step.attempt}")
    if step.task:
        bits.append(f"task {escape(step.task)}")
    if step.code_version:
        bits.append(f"code {escape(step.code_version)}")
    if step.phase:
        bits.append(step.phase)
    if step.cache:
        cache = f"cache {step.cache}"
        if step.cache_entry:
            cache += f" (entry {escape(step.cache_entry)})"
        bits.append(cache)
    return f"{verb} {what}" + (f" [dim]{'; '.join(bits)}[/dim]" if bits else "")


def _blob(
    tree: Tree,
    blob: LineageBlob,
    blobs: dict[str, LineageBlob],
    up: bool,
    down: bool,
    seen: set[str],
) -> None:
    from rich.markup import escape

    seen = seen | {blob.uri}
    node = tree.add(f"[cyan]{escape(blob.uri)}[/cyan]")
    if up:
        if not blob.producers:
            node.add("[dim]no recorded producer (an upload, or data from outside)[/dim]")
        for step in blob.producers:
            branch = node.add(_step(step, "made by"))
            for uri in step.inputs:
                if uri in blobs and uri not in seen:
                    _blob(branch.add("from"), blobs[uri], blobs, True, False, seen)
    if down:
        for step in blob.consumers:
            branch = node.add(_step(step, "read by"))
            for uri in step.outputs:
                if uri in blobs and uri not in seen:
                    _blob(branch.add("made"), blobs[uri], blobs, False, True, seen)


def _show(found: Lineage) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.tree import Tree

    blobs = {b.uri: b for b in found.blobs}
    tree = Tree(f"lineage of [bold]{escape(found.subject)}[/bold] (depth {found.depth})")
    if found.node is not None:
        top = tree.add(_step(found.node, "node"))
        ins = [blobs[u] for u in found.node.inputs if u in blobs]
        outs = [blobs[u] for u in found.node.outputs if u in blobs]
        for b in ins:
            _blob(top.add("read"), b, blobs, True, False, set())
        for b in outs:
            _blob(top.add("wrote"), b, blobs, False, True, set())
    else:
        for b in found.blobs:
            if b.depth == 0:
                _blob(tree, b, blobs, True, True, set())
    if found.truncated:
        tree.add(
            "[yellow]more was reachable: ask with a smaller --depth or about one blob[/yellow]"
        )
    Console(width=200, soft_wrap=True).print(tree)
