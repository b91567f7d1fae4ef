"""flytekit's ``flytekit.extras.tasks.shell`` names: ``ShellTask``, ``OutputLocation``."""

from slipstream.sdk import OutputLocation, ShellTask

__all__ = ["OutputLocation", "ShellTask"]
