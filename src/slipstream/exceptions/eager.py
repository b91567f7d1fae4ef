"""flytekit's ``flytekit.exceptions.eager`` (``EagerException``)."""

from slipstream.errors import EagerException

__all__ = ["EagerException"]
