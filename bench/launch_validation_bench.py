"""The cost of validating an execution's inputs at launch. Goal: under 0.2 ms at the median.

    python bench/launch_validation_bench.py [--launches 3000]

In process, on a fresh SQLite home: the inputs of a launch of a task with a typical interface
(an int, a float, a string, a datetime, an enum, a list of 100 ints, a dataclass, an optional
value, a dict, a File uploaded to the project and a list of 10 such Files) are checked against the
interface (``literal_problem``, every input) and by the input policy (roles, pickles, every
blob's URI; timed less an empty database session), as ``LaunchService.create`` does; and the
policy with URIs under an admin's allowed prefix (it reads the project's settings then). For context, ``LaunchService.create`` whole (resolve
the target, validate, store the row and its event) with the policy and with a policy that does
nothing. Prints one JSON object (times in milliseconds).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _server_proc as S

sys.path.insert(0, str(S.SRC))

from slipstream.model import (
    ExecutionCreate,
    Field,
    Grant,
    Identifier,
    Interface,
    Kind,
    LiteralType,
    RegisterRequest,
    ResourceType,
    Role,
    Settings,
    TaskLoader,
    TaskTemplate,
    Variable,
)
from slipstream.server import Database, ServerConfig, Services
from slipstream.server._auth import Principal
from slipstream.server._database import ProjectRow
from slipstream.server._executions._launch_inputs import Resolved as _Resolved
from slipstream.server._executions._launch_inputs import resolve_inputs as _resolve_inputs

PROJECT, DOMAIN = "bench", "development"


def _t(kind: Kind, **kw: Any) -> LiteralType:
    return LiteralType(kind, **kw)


def _interface() -> Interface:
    point = _t(
        Kind.STRUCT,
        name="m.Point",
        fields=(
            Field("x", _t(Kind.INT)),
            Field("y", _t(Kind.FLOAT)),
        ),
    )
    return Interface(
        inputs=(
            Variable("n", _t(Kind.INT)),
            Variable("rate", _t(Kind.FLOAT)),
            Variable("name", _t(Kind.STR)),
            Variable("at", _t(Kind.DATETIME)),
            Variable("color", _t(Kind.ENUM, values=("red", "green"), name="m.Color")),
            Variable("xs", _t(Kind.LIST, args=(_t(Kind.INT),))),
            Variable("p", point),
            Variable("maybe", _t(Kind.UNION, args=(_t(Kind.INT), _t(Kind.NONE)))),
            Variable("tags", _t(Kind.DICT, args=(_t(Kind.STR), _t(Kind.STR)))),
            Variable("f", _t(Kind.FILE)),
            Variable("fs", _t(Kind.LIST, args=(_t(Kind.FILE),))),
        )
    )


def _inputs(file_uri: Callable[[int], str]) -> dict[str, Any]:
    return {
        "n": 42,
        "rate": 0.5,
        "name": "run",
        "at": "2026-12-07T10:00:00+00:00",
        "color": "red",
        "xs": list(range(100)),
        "p": {"x": 1, "y": 2.0},
        "maybe": {"$u": "int", "v": 3},
        "tags": {"team": "ml", "stage": "dev"},
        "f": {"uri": file_uri(0)},
        "fs": [{"uri": file_uri(i)} for i in range(1, 11)],
    }


def _median_ms(fn: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times) * 1000, 4)


class _NoPolicy:
    def check(self, *args: Any, **kwargs: Any) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--launches", type=int, default=3000)
    n = parser.parse_args().launches

    home = Path(tempfile.mkdtemp(prefix="launch-bench-"))
    config = ServerConfig.load(home=home)
    db = Database(config.db_url)
    db.upgrade()
    svc = Services.build(config, db)
    with db.session() as s:
        s.add(ProjectRow(name=PROJECT, created_at=0.0))
    iface = _interface()
    task = TaskTemplate(
        id=Identifier(ResourceType.TASK, "t", PROJECT, DOMAIN, "v1"),
        interface=iface,
        loader=TaskLoader(module="m", qualname="t", file="m.py"),
    )
    svc.registry.register(RegisterRequest(tasks=(task,)))
    caller = Principal("bench", (Grant(Role.LAUNCHER, PROJECT),))
    upload = svc.uploads.uri(PROJECT, DOMAIN, "0" * 32, "data")
    own = _inputs(lambda i: f"{upload}/{i}.csv")
    allowed = _inputs(lambda i: f"s3://bucket/data/{i}.csv")
    svc.settings.put(PROJECT, "", Settings(allowed_input_prefixes=("s3://bucket/data/",)))
    resolved = _Resolved(task.id, iface, None, f"task {task.id}")
    policy = svc.launches.inputs

    def literals(inputs: dict[str, Any]) -> Callable[[], None]:
        return lambda: _resolve_inputs(resolved, inputs)

    def checked(inputs: dict[str, Any]) -> Callable[[], None]:
        def run() -> None:
            with db.session() as session:
                policy.check(session, PROJECT, DOMAIN, iface.inputs, inputs, inputs, caller)

        return run

    def session_only() -> None:
        with db.session():
            pass

    request = ExecutionCreate(target=task.id, inputs=own)
    with_policy = _median_ms(lambda: svc.launches.create(request, caller), max(n // 10, 100))
    svc.launches.inputs = _NoPolicy()  # type: ignore[assignment]
    without = _median_ms(lambda: svc.launches.create(request, caller), max(n // 10, 100))
    svc.launches.inputs = policy
    session = _median_ms(session_only, n)
    literal_ms = _median_ms(literals(own), n)
    policy_ms = round(_median_ms(checked(own), n) - session, 4)
    result = {
        "launches": n,
        "literal_check_ms": literal_ms,
        "policy_own_uploads_ms": policy_ms,
        "validation_own_uploads_ms": round(literal_ms + policy_ms, 4),
        "policy_allowed_prefix_ms": round(_median_ms(checked(allowed), n) - session, 4),
        "empty_session_ms": session,
        "create_with_policy_ms": with_policy,
        "create_without_policy_ms": without,
    }
    print(json.dumps(result, indent=2))
    db.dispose()


if __name__ == "__main__":
    main()
