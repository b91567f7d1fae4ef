"""Where a client finds the server: slipstream's own ``ClientConfig`` (``slipstream config init``)
and flytekit's ``flytekit.configuration`` names (``Config``, ``PlatformConfig``, ...), so that a
``FlyteRemote`` program moves over with an import change.

Needs nothing above ``storage``: the ``remote`` layer builds on it.
"""

from ._client import ClientConfig, config_file_path, home_token, write_client_config
from ._flyte import (
    SANDBOX_ENDPOINT,
    Config,
    Image,
    ImageConfig,
    PlatformConfig,
    SerializationSettings,
)

__all__ = [
    "SANDBOX_ENDPOINT",
    "ClientConfig",
    "Config",
    "Image",
    "ImageConfig",
    "PlatformConfig",
    "SerializationSettings",
    "config_file_path",
    "home_token",
    "write_client_config",
]
