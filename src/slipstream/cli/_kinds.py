"""One spelling of each kind of entity on the command line: ``task``, ``workflow``,
``launch-plan`` (plural ``launch-plans``), in commands and tables; the other spellings people
type (``launchplan``, ``launch_plan``, ``lp``) are accepted as aliases."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import click

__all__ = ["AliasedGroup", "KIND_OF", "KindChoice", "kind_name"]

# resource type (wire value) -> the CLI's spelling
_SPELLING = {"task": "task", "workflow": "workflow", "launch_plan": "launch-plan"}
# every accepted spelling of a kind -> its resource type
KIND_OF: dict[str, str] = {
    "task": "task",
    "tasks": "task",
    "workflow": "workflow",
    "workflows": "workflow",
    "wf": "workflow",
    "launch-plan": "launch_plan",
    "launch-plans": "launch_plan",
    "launchplan": "launch_plan",
    "launchplans": "launch_plan",
    "launch_plan": "launch_plan",
    "launch_plans": "launch_plan",
    "lp": "launch_plan",
}


def kind_name(resource_type: Any) -> str:
    """The CLI's spelling of a resource type (``launch_plan`` -> ``launch-plan``)."""
    value = str(getattr(resource_type, "value", resource_type))
    return _SPELLING.get(value, value)


class KindChoice(click.Choice):  # type: ignore[type-arg]  # generic only since click 8.2
    """``task``, ``workflow`` or ``launch-plan`` (aliases accepted); converts to the
    resource type's wire value."""

    def __init__(self) -> None:
        super().__init__(["task", "workflow", "launch-plan"])

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        found = KIND_OF.get(str(value).lower())
        if found is None:
            self.fail(
                f"{value!r} is not a kind: use task, workflow or launch-plan "
                "(launchplan, launch_plan and lp are accepted too)",
                param,
                ctx,
            )
        return found


class AliasedGroup(click.Group):
    """A group whose subcommands also answer to the aliases in ``aliases``."""

    aliases: ClassVar[Mapping[str, str]] = {}

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is None and cmd_name in self.aliases:
            cmd = super().get_command(ctx, self.aliases[cmd_name])
        return cmd

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        _, cmd, rest = super().resolve_command(ctx, args)
        return (cmd.name if cmd is not None else None), cmd, rest
