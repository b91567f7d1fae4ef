"""The control plane: database, registration, projects and settings, the REST API, the server.

Never imported by ``import slipstream``; the ``slipstream server`` and ``slipstream db`` commands
import it when they run.
"""

from slipstream.server._database import Database

from ._config import DEFAULT_DOMAINS, ServerConfig, config_file_path
from ._serve import serve, serve_engine
from ._services import Services

__all__ = [
    "DEFAULT_DOMAINS",
    "Database",
    "ServerConfig",
    "Services",
    "config_file_path",
    "serve",
    "serve_engine",
]
