"""Run the server: take the home lock, migrate the database, serve the API until SIGTERM."""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType
from typing import Any

from ._config import ServerConfig
from ._db import Database
from ._lock import HomeLock
from ._services import Services

__all__ = ["serve"]


def serve(config: ServerConfig, *, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve until SIGINT or SIGTERM; ``on_ready`` gets the URL once requests are accepted.

    ``/healthz`` answers only after migrations ran, since the socket opens after them. With
    authentication on (the default), the admin token is made or checked before that, so a client
    on the same home finds it in ``admin-token`` once the server is ready.
    """
    import uvicorn

    from ._api import create_app

    with HomeLock(config.home):
        db = Database(config.db_url)
        try:
            db.upgrade()
            services = Services.build(config, db)
            services.bundles.sweep()
            if config.auth:
                services.auth.bootstrap(config.home)
            app = create_app(services)

            class _Server(uvicorn.Server):
                def handle_exit(self, sig: int, frame: FrameType | None) -> None:
                    # A signal asks for a graceful stop and a clean exit (status 0); uvicorn
                    # would re-raise it after shutting down, ending the process by the signal.
                    if self.should_exit and sig == signal.SIGINT:
                        self.force_exit = True
                    self.should_exit = True

                async def startup(self, sockets: Any = None) -> None:
                    await super().startup(sockets)
                    if self.started and on_ready is not None:
                        port = config.port
                        for server in self.servers:
                            for sock in server.sockets:
                                port = sock.getsockname()[1]
                        host = f"[{config.host}]" if ":" in config.host else config.host
                        on_ready(f"http://{host}:{port}")

            _Server(
                uvicorn.Config(
                    app,
                    host=config.host,
                    port=config.port,
                    log_level="warning",
                    access_log=False,
                    lifespan="off",
                )
            ).run()
        finally:
            db.dispose()
