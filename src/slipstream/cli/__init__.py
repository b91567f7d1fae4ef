"""The ``slipstream`` command. Subcommands live one group per module and are imported lazily."""

from ._main import main

__all__ = ["main"]
