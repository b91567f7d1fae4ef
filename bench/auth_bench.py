"""The cost of authentication per API request. Goal: under 0.2 ms at the median.

    python bench/auth_bench.py [--requests 3000]

In process: the API's edge (``Guard``: Host check, token, rule, grants) in front of an app that
does nothing, timed per request with a valid token (after the first use, from the cache), with
``--no-auth``, and the app alone; and a token checked against the database (the cache's miss).
Over HTTP: a real server with authentication and one with ``--no-auth``, ``GET /api/v1/domains``
in turn. Prints one JSON object (times in milliseconds).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _server_proc as S

sys.path.insert(0, str(S.SRC))

import httpx

from slipstream.server import Database, ServerConfig, Services
from slipstream.server._api._guard import Guard


async def _nothing(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def _scope(token: str | None) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8080")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    return {
        "type": "http",
        "method": "GET",
        "path": "/api/v1/projects/p/settings",
        "query_string": b"",
        "headers": headers,
    }


async def _time(app: Any, token: str | None, n: int) -> list[float]:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        return None

    out = []
    for _ in range(n):
        scope = _scope(token)
        t0 = time.perf_counter()
        await app(scope, receive, send)
        out.append(time.perf_counter() - t0)
    return out


def in_process(n: int) -> dict[str, float]:
    home = Path(tempfile.mkdtemp(prefix="auth-bench-"))
    config = ServerConfig.load(home=home)
    db = Database(config.db_url)
    db.upgrade()
    services = Services.build(config, db)
    token = services.auth.bootstrap(home)
    guarded = Guard(_nothing, services)
    open_config = dataclasses.replace(config, auth=False)
    unguarded = Guard(_nothing, dataclasses.replace(services, config=open_config))

    async def run() -> dict[str, list[float]]:
        await _time(guarded, token, 50)  # warm: the token is in the cache now
        return {
            "app_alone": await _time(_nothing, None, n),
            "guard_no_auth": await _time(unguarded, None, n),
            "guard_token": await _time(guarded, token, n),
        }

    times = asyncio.run(run())
    misses = []
    for _ in range(min(n, 500)):
        services.auth._changed()  # empty the cache: each check goes to the database
        t0 = time.perf_counter()
        services.auth.authenticate(token)
        misses.append(time.perf_counter() - t0)
    db.dispose()
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    return {
        "edge_with_token_ms": med["guard_token"] - med["app_alone"],
        "edge_no_auth_ms": med["guard_no_auth"] - med["app_alone"],
        "auth_cost_ms": med["guard_token"] - med["guard_no_auth"],
        "token_from_database_ms": statistics.median(misses) * 1000,
    }


def over_http(n: int) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="auth-bench-http-"))
    servers = []
    try:
        for name, extra in (("auth", ()), ("no_auth", ("--no-auth",))):
            home = tmp / name
            proc, url = S.start(home, f"sqlite:///{home / 'db.sqlite'}", *extra)
            servers.append((name, proc, url, dict(S.headers()) if not extra else {}))
        clients = {
            name: httpx.Client(base_url=f"{url}/api/v1", headers=h) for name, _, url, h in servers
        }
        times: dict[str, list[float]] = {name: [] for name in clients}
        for i in range(n + 100):
            for name, c in clients.items():
                t0 = time.perf_counter()
                c.get("/domains").raise_for_status()
                if i >= 100:
                    times[name].append(time.perf_counter() - t0)
        med = {k: statistics.median(v) * 1000 for k, v in times.items()}
        return {
            "http_median_auth_ms": med["auth"],
            "http_median_no_auth_ms": med["no_auth"],
            "http_auth_cost_ms": med["auth"] - med["no_auth"],
        }
    finally:
        for _, proc, _, _ in servers:
            S.stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    out = {"goal_ms": 0.2, **in_process(args.requests), **over_http(args.requests)}
    print(json.dumps({k: round(v, 4) for k, v in out.items()}, indent=2))


if __name__ == "__main__":
    main()
