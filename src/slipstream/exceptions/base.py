"""flytekit's ``flytekit.exceptions.base``: ``FlyteException`` is slipstream's root error."""

from slipstream.errors import SlipstreamError

__all__ = ["FlyteException"]

FlyteException = SlipstreamError
