"""flytekit's ``flytekit.remote.remote`` module path."""

from ._flyte_remote import FlyteRemote

__all__ = ["FlyteRemote"]
