"""``/healthz`` (liveness: the process and its engine host's loop) and ``/readyz`` (readiness:
the database, the blob store, every background loop and the workers, each reported).

Both answer without a token, as a load balancer or an orchestrator asks them. ``/healthz`` stays
cheap (no I/O); ``/readyz`` touches the database and the store, each bounded by the database's
timeout, and answers 503 when the engine cannot run executions.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import text

from .._loops import Supervised, cause
from ._io import json_response

__all__ = ["ENGINE_LOOP", "router"]

ENGINE_LOOP = "engine host"
_STALE_TURN_S = 60.0
"""An engine host whose last good turn is older than this cannot be running executions."""

_PROBE = f".readyz-{uuid.uuid4().hex}"
"""This process's probe blob in the store (other servers on the store have their own)."""

router = APIRouter(include_in_schema=False)


def _loops(request: Request) -> dict[str, Supervised]:
    loops: dict[str, Supervised] = getattr(request.app.state, "loops", {})
    return loops


@router.get("/healthz")
def healthz(request: Request) -> Response:
    """Alive unless this process's engine host loop died (and its supervisor gave up)."""
    engine = _loops(request).get(ENGINE_LOOP)
    if engine is not None and not engine.alive:
        return json_response({"status": "unhealthy", ENGINE_LOOP: engine.report()}, 503)
    return json_response({"status": "ok"})


@router.get("/readyz")
def readyz(request: Request) -> Response:
    """Each part's state; 503 when the database, the store or the engine host's loop fails."""
    services = request.app.state.services
    checks: dict[str, dict[str, Any]] = {
        "database": _probe(lambda: _select_one(services.db)),
        "store": _probe(lambda: _store_round_trip(services.config.store_url)),
    }
    ready = checks["database"]["ok"] and checks["store"]["ok"]
    for name, loop in sorted(_loops(request).items()):
        report = loop.report()
        report["ok"] = bool(report["alive"]) and not report.get("failing")
        if name == ENGINE_LOOP:
            report["ok"] = report["ok"] and report["last_turn_age_s"] < _STALE_TURN_S
            ready = ready and report["ok"]
        checks[name] = report
    body = {"status": "ready" if ready else "unavailable", "checks": checks}
    response = json_response(body, 200 if ready else 503)
    if not ready:
        response.headers["Retry-After"] = "5"
    return response


def _probe(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
    except Exception as e:
        return {"ok": False, "error": cause(e)}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def _select_one(db: Any) -> None:
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1")).scalar()


def _store_round_trip(store_url: str) -> None:
    from slipstream.storage import open_store

    store = open_store(store_url)
    uri = store.join(_PROBE)
    payload = str(time.time()).encode()
    store.put_bytes(uri, payload)
    if store.get_bytes(uri) != payload:
        raise OSError("the store gave back other bytes than were written")
