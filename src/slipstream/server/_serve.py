"""Run the server: take the home lock, migrate the database, serve the API until SIGTERM."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from types import FrameType
from typing import Any

from slipstream.errors import SlipstreamError

from ._clusters import start_failover
from ._config import ServerConfig
from ._database import Database
from ._lock import HomeLock
from ._loops import Supervised
from ._scheduler import start_background
from ._services import Services
from ._workers import set_workers_apart

__all__ = ["serve", "serve_engine"]


def serve(
    config: ServerConfig,
    *,
    on_ready: Callable[[str], None] | None = None,
    engine: bool = True,
    workers: int | None = None,
    runner: str = "local",
    ray_address: str | None = None,
    shutdown_grace_s: float = 10.0,
) -> None:
    """Serve until SIGINT or SIGTERM; ``on_ready`` gets the URL once requests are accepted.

    With ``engine`` (the default) the same process runs an engine host in a thread, with a warm
    pool of ``workers`` processes (default: one per CPU), started before any other thread so that
    the workers fork.

    ``/healthz`` answers only after migrations ran, since the socket opens after them. With
    authentication on (the default), the admin token is made or checked before that, so a client
    on the same home finds it in ``admin-token`` once the server is ready.
    """
    import uvicorn

    from ._app import create_app

    with HomeLock(config.home):
        isolation = set_workers_apart(config, runner if engine else None)
        pool = (
            _pool(workers, runner, ray_address, config.home, isolation) if engine else None
        )  # before any thread exists
        db = Database(config.db_url, config.db_timeout_s)
        host = None
        stop_background = None
        stop_failover = None
        stop_collector = None
        try:
            db.upgrade()
            services = Services.build(config, db)
            if pool is not None:
                host = _start_host(
                    db,
                    config,
                    pool,
                    shutdown_grace_s,
                    services.metrics,
                    runner_kind=runner,
                    ray=ray_address,
                )
            services.bundles.sweep()
            stop_background, loops = start_background(
                db, config, services.launches, services.registry, services.metrics
            )
            stop_failover, failover = start_failover(db)
            loops = [*loops, failover]
            if config.auth:
                services.auth.bootstrap(config.home)
            app = create_app(services)
            stop_collector, collector = _start_collector(app, services)
            app.state.loops = {loop.name: loop for loop in loops}
            if collector is not None:
                app.state.loops[collector.name] = collector
            if host is not None:
                app.state.loops[host[1].name] = host[1]
            if host is not None:
                _wake_on_writes(app, host[0].wake)

            class _Server(uvicorn.Server):
                def handle_exit(self, sig: int, frame: FrameType | None) -> None:
                    # A signal asks for a graceful stop and a clean exit (status 0); uvicorn
                    # would re-raise it after shutting down, ending the process by the signal.
                    if self.should_exit and sig == signal.SIGINT:
                        self.force_exit = True
                    self.should_exit = True
                    if host is not None:  # claims nothing more; drains while the API stops
                        host[0].stop()

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
            if stop_collector is not None:
                stop_collector()
            if stop_background is not None:
                stop_background()
            if stop_failover is not None:
                stop_failover()
            if host is not None:
                _stop_host(*host)
            elif pool is not None:
                pool.close()
            db.dispose()


def serve_engine(
    config: ServerConfig,
    *,
    workers: int | None = None,
    on_ready: Callable[[str], None] | None = None,
    runner: str = "local",
    ray_address: str | None = None,
    shutdown_grace_s: float = 10.0,
    cluster: str = "local",
    endpoint: str | None = None,
    token: str | None = None,
) -> None:
    """Run an engine host alone (``slipstream engine``) until SIGINT or SIGTERM.

    Stopped, a host (here or in a server) waits up to ``shutdown_grace_s`` for its running
    attempts and hands back the rest as interrupted: a restart spends no task's retries.

    With ``endpoint`` it is a data plane of ``cluster``: it reaches the control plane only through
    its API (with ``token``, a cluster token), keeps its blobs in ``config.store_url`` and its
    code under ``config.home``, and never opens the database. Without, it shares the database of
    ``config`` with the servers (started with ``--no-engine``) and the other hosts: each claims
    executions of its cluster through leases, and takes over those of a host that died once its
    leases expire.
    """
    from ._clusters import check_cluster

    check_cluster(cluster)
    pool = _pool(workers, runner, ray_address, config.home, set_workers_apart(config, runner))
    db = None
    try:
        if endpoint is not None:
            from ._host import ApiPlane

            plane: Any = ApiPlane(endpoint, cluster, token)
        else:
            from ._host import DbChildExecutions, DbPlane

            db = Database(config.db_url, config.db_timeout_s)
            db.upgrade()
            services = Services.build(config, db)
            children = DbChildExecutions(db, services.launches, services.control)
            plane = DbPlane(db, cluster, store_url=config.store_url, children=children)
        host = _start_host(
            plane, config, pool, shutdown_grace_s, runner_kind=runner, ray=ray_address
        )
    except BaseException:
        pool.close()
        if db is not None:
            db.dispose()
        raise
    stop = host[0].stop

    def on_signal(sig: int, frame: FrameType | None) -> None:
        stop()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        if on_ready is not None:
            on_ready(host[0].owner)
        host[1].join()
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        _stop_host(*host)
        if db is not None:
            db.dispose()
        else:
            plane.close()
    if host[1].dead:
        raise SlipstreamError(f"the engine host's loop died: {host[1].error}")


def _start_collector(app: Any, services: Services) -> tuple[Callable[[], None] | None, Any]:
    """The collector of ``POST /api/v1/gc`` and, every ``gc_interval_s``, of its own thread."""
    from ._retention import Collector, start_collector

    config = services.config
    collector = Collector(
        services.db,
        services.projects,
        config.store_url,
        config.protected_domains,
        config.gc_grace_s,
    )
    app.state.collector = collector
    if config.gc_interval_s <= 0:
        return None, None
    return start_collector(collector, config.gc_interval_s)


def _wake_on_writes(app: Any, wake: Any) -> None:
    """Wake the engine host in this process when an execution is created, aborted or signalled,
    instead of letting it find out at its next poll."""

    async def wake_host(request: Any, call_next: Any) -> Any:
        response = await call_next(request)
        if request.method == "POST" and request.url.path.startswith("/api/v1/executions"):
            wake.set()
        return response

    app.middleware("http")(wake_host)


def _pool(
    workers: int | None,
    runner: str = "local",
    ray_address: str | None = None,
    home: Any = None,
    isolation: Any = None,
) -> Any:
    """The engine host's runner. The server's home becomes this process's ``SLIPSTREAM_HOME``
    first, so that what its workers keep on this host (task environments, secrets files,
    scratch) lives under ``--home`` too, not under the home of whoever started it."""
    if home is not None:
        os.environ["SLIPSTREAM_HOME"] = str(home)
    from slipstream.runners import RunnerOptions, load_runner  # by name: an entry point

    options = RunnerOptions(workers=workers, address=ray_address, isolation=isolation)
    return load_runner(runner, options)  # connector jobs run in the host, beside it


def _offer(runner: str, ray: str | None) -> tuple[str, tuple[tuple[str, float], ...]]:
    """How a host runs attempts and what it offers, as its cluster's page shows it."""
    if runner == "ray":
        import ray as ray_module

        found = ray_module.cluster_resources()  # type: ignore[no-untyped-call]
        offer = (
            ("cpus", float(found.get("CPU", 0))),
            ("memory", float(found.get("memory", 0))),
            ("gpus", float(found.get("GPU", 0))),
        )
        return f"ray://{ray or os.environ.get('RAY_ADDRESS') or 'local'}", offer
    from slipstream.runners import detect_cpus, detect_gpus, detect_memory

    offer = (("cpus", detect_cpus()), ("memory", float(detect_memory())), ("gpus", detect_gpus()))
    return "pool", offer


def _start_host(
    plane: Any,
    config: ServerConfig,
    runner: Any,
    shutdown_grace_s: float = 10.0,
    metrics: Any = None,
    *,
    runner_kind: str = "local",
    ray: str | None = None,
) -> tuple[Any, Any, Any]:
    """Start an engine host over ``plane`` (a control plane, or a database: the default
    cluster's plane on it) in a supervised thread."""
    import logging

    from ._host import DbChildExecutions, DbPlane, EngineHost, HostSettings

    if isinstance(plane, Database):
        services = Services.build(config, plane)
        children = DbChildExecutions(plane, services.launches, services.control)
        plane = DbPlane(plane, store_url=config.store_url, children=children)
    label, offer = _offer(runner_kind, ray)
    settings = HostSettings(
        home=config.home,
        store_url=config.store_url,
        lease_s=float(os.environ.get("SLIPSTREAM_LEASE_S", "10")),
        shutdown_grace_s=max(0.0, shutdown_grace_s),
        cluster=plane.cluster,
        runner=label,
        capacity=offer,
        attempts_per_worker=16 if isinstance(plane, DbPlane) else 64,
    )
    host = EngineHost(plane, settings, runner)

    def details() -> dict[str, Any]:
        return {
            "failing": host.backoff.last_error or None,
            "executions": len(host.active),
            "workers": getattr(runner, "workers", None),
            "cluster": plane.cluster,
        }

    log = logging.getLogger("slipstream.engine_host")
    loop = Supervised("engine host", host.serve, log, details=details)
    if metrics is not None:
        host.count_into(metrics, lambda: loop.alive)
    return host, loop.start(), runner


def _stop_host(host: Any, thread: Any, runner: Any) -> None:
    host.stop()
    thread.join(30 + host.settings.shutdown_grace_s)  # it drains running attempts first
    runner.close()
