"""The root click group; each subcommand is imported only when it is invoked."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import click

__all__ = ["main"]

# command name -> (module, attribute). One module per command group; keep them thin.
_COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("slipstream.cli._run", "run"),
    "server": ("slipstream.cli._server", "server"),
    "engine": ("slipstream.cli._engine", "engine"),
    "db": ("slipstream.cli._db", "db"),
    "register": ("slipstream.cli._register", "register"),
    "get": ("slipstream.cli._get", "get"),
    "project": ("slipstream.cli._project", "project"),
    "promote": ("slipstream.cli._promote", "promote"),
    "config": ("slipstream.cli._config", "config"),
    "settings": ("slipstream.cli._settings", "settings"),
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(
            name for name in _COMMANDS if importlib.util.find_spec(_COMMANDS[name][0]) is not None
        )

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        try:
            module = importlib.import_module(target[0])
        except ModuleNotFoundError as e:
            if e.name == target[0]:
                return None
            raise
        cmd: Any = getattr(module, target[1])
        return cmd  # type: ignore[no-any-return]


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="slipstream")
def main() -> None:
    """slipstream: typed workflows for machine learning and data processing."""
