"""The API tried as a hostile client would, on a real server process, SQLite and PostgreSQL.

Concurrent overlapping registrations, bodies past their limits while they stream, content types,
Host and Origin, NUL bytes, duplicate JSON keys, loader fields, and a server killed during an
upload. The servers here have small limits (config file in their home) so that refusals are fast.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import msgspec
import pytest
import specs
from live_server import BACKENDS, LiveServer, pg_database, start_server, unique

MAX_JSON = 256 * 1024
MAX_BUNDLE = 1024 * 1024
ROUNDS = int(os.environ.get("SLIPSTREAM_ABUSE_ROUNDS", "20"))
THREADS = 8


def limited_server(backend: str, home: Path, *extra: str) -> LiveServer:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f"[server]\nmax_json_bytes = {MAX_JSON}\nmax_bundle_bytes = {MAX_BUNDLE}\n"
    )
    db = f"sqlite:///{home / 'slipstream.db'}" if backend == "sqlite" else pg_database()
    return start_server(
        backend, db, home, "--no-engine", "--allowed-host", "console.example", *extra
    )


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    live = limited_server(request.param, Path(tempfile.mkdtemp(prefix="slipstream-abuse-")))
    yield live
    live.stop()


@pytest.fixture
def api(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{server.url}/api/v1", headers=server.headers, timeout=60) as c:
        yield c


@pytest.fixture
def project(api: httpx.Client) -> str:
    name = unique("ab")
    api.post("/projects", json={"name": name}).raise_for_status()
    return name


@pytest.mark.timeout(600)
def test_concurrent_overlapping_registrations_never_5xx(
    server: LiveServer, api: httpx.Client, project: str
) -> None:
    """Rounds of 8 threads registering batches that share tasks: every request succeeds."""
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def batch(version: str, i: int) -> bytes:
        shared = [specs.task(f"sh.t{k}", project, version=version) for k in range(4)]
        own = specs.task(f"own.t{i}", project, version=version)
        wf = specs.workflow(f"wf{i % 3}", project, version=version, tasks=(*shared[i % 2 :], own))
        body = {
            "tasks": [msgspec.to_builtins(t) for t in shared],
            "workflows": [msgspec.to_builtins(wf)],
        }
        return msgspec.json.encode(body)

    def worker(bodies: list[bytes], barrier: threading.Barrier) -> None:
        with httpx.Client(base_url=str(api.base_url), headers=server.headers, timeout=120) as c:
            barrier.wait()
            for body in bodies:
                r = c.post(
                    "/registrations", content=body, headers={"content-type": "application/json"}
                )
                with lock:
                    statuses[r.status_code] += 1
                if r.status_code >= 500:
                    print(r.text)

    started = time.perf_counter()
    for round_no in range(ROUNDS):
        version = f"r{round_no}"
        barrier = threading.Barrier(THREADS)
        # thread i registers workflows i % 3 (three threads share each): identical content
        threads = [
            threading.Thread(target=worker, args=([batch(version, i % 3)], barrier))
            for i in range(THREADS)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    elapsed = time.perf_counter() - started
    total = sum(statuses.values())
    print(f"{server.backend}: {total} registrations in {elapsed:.1f}s: {dict(statuses)}")
    assert total == ROUNDS * THREADS
    assert statuses == Counter({200: total}), dict(statuses)
    listed = api.get(f"/workflows/{project}/development", params={"limit": 500}).json()
    assert len(listed["items"]) == 3 * ROUNDS


def raw(server: LiveServer, head: str, chunks: Iterator[bytes]) -> tuple[bytes, int]:
    """Send a request over a plain socket, stop sending once the server answers; returns the
    answer and the number of body bytes sent."""
    parts = urlsplit(server.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    sent = 0
    try:
        sock.sendall(head.encode())
        sock.setblocking(False)
        answer = b""
        for chunk in chunks:
            with contextlib.suppress(BlockingIOError):
                answer += sock.recv(65536)
            if answer:
                break
            try:
                sock.sendall(chunk)
            except BlockingIOError:
                time.sleep(0.01)
                continue
            except OSError:
                break
            sent += len(chunk)
        sock.setblocking(True)
        deadline = time.monotonic() + 20
        while not _complete(answer) and time.monotonic() < deadline:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
        return answer, sent
    finally:
        sock.close()


def _complete(answer: bytes) -> bool:
    head, sep, body = answer.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return True


def chunked(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    piece = b"[" + b"1," * (size // 2 - 1) + b"1]"
    for _ in range(total // len(piece)):
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        time.sleep(0.002)
    yield b"0\r\n\r\n"


def head(server: LiveServer, method: str, path: str, content_type: str, extra: str = "") -> str:
    netloc = urlsplit(server.url).netloc
    return (
        f"{method} /api/v1{path} HTTP/1.1\r\nHost: {netloc}\r\n"
        f"Authorization: Bearer {server.token}\r\nContent-Type: {content_type}\r\n{extra}\r\n"
    )


def test_json_body_past_the_limit_is_refused_while_streaming(server: LiveServer) -> None:
    answer, sent = raw(
        server,
        head(server, "POST", "/projects", "application/json", "Transfer-Encoding: chunked\r\n"),
        chunked(50 * MAX_JSON),
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 10 * MAX_JSON, sent  # refused long before the 12.5 MB were sent
    declared = head(
        server, "POST", "/projects", "application/json", "Content-Length: 10000000000\r\n"
    )
    answer, sent = raw(server, declared, iter([b"{" * 1024] * 4))
    assert answer.startswith(b"HTTP/1.1 413") and b"too_large" in answer, answer[:300]


def test_bundle_past_the_limit_is_refused_and_nothing_kept(
    server: LiveServer, api: httpx.Client
) -> None:
    digest = hashlib.sha256(b"never whole").hexdigest()
    answer, sent = raw(
        server,
        head(
            server,
            "PUT",
            f"/bundles/{digest}",
            "application/octet-stream",
            "Transfer-Encoding: chunked\r\n",
        ),
        chunked(30 * MAX_BUNDLE),
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 10 * MAX_BUNDLE, sent
    assert api.head(f"/bundles/{digest}").status_code == 404
    deadline = time.monotonic() + 10  # the refused upload's partial file is removed
    while leftovers(server.home):
        assert time.monotonic() < deadline, leftovers(server.home)
        time.sleep(0.02)
    too_big = api.put(f"/bundles/{digest}", content=b"x" * (MAX_BUNDLE + 1))
    assert too_big.status_code == 413
    data = b"a real bundle"
    ok = api.put(f"/bundles/{hashlib.sha256(data).hexdigest()}", content=data)
    assert ok.status_code in (200, 201), ok.text


def leftovers(home: Path) -> list[str]:
    return sorted(
        str(p.relative_to(home))
        for p in home.rglob("*")
        if p.is_file() and (".upload-" in p.name or ".tmp-" in p.name)
    )


def test_json_endpoints_take_only_json(api: httpx.Client) -> None:
    body = msgspec.json.encode({"name": unique("ct")})
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        r = api.post("/projects", content=body, headers={"content-type": content_type})
        assert r.status_code == 415, (content_type, r.text)
        assert r.json()["error"] == "unsupported_media_type"
    r = api.post("/projects", content=body)  # no content type at all
    assert r.status_code == 415
    r = api.post(
        "/projects", content=body, headers={"content-type": "application/json; charset=utf-8"}
    )
    assert r.status_code == 201, r.text


def test_host_and_origin_checks_and_no_cors(server: LiveServer, api: httpx.Client) -> None:
    port = urlsplit(server.url).port
    for headers in (
        {"Host": f"evil.example:{port}"},
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Host": f"localhost.evil.example:{port}"},
    ):
        r = api.get("/projects", headers=headers)
        assert r.status_code == 403, (headers, r.text)
        assert "access-control-allow-origin" not in r.headers
    preflight = api.options(
        "/projects",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 403
    assert "access-control-allow-origin" not in preflight.headers
    own = api.get("/projects", headers={"Origin": server.url})
    assert own.status_code == 200 and "access-control-allow-origin" not in own.headers
    assert api.get("/projects", headers={"Host": f"localhost:{port}"}).status_code == 200
    assert api.get("/projects", headers={"Host": f"console.example:{port}"}).status_code == 200


def test_nul_bytes_are_400_on_both_databases(api: httpx.Client, project: str) -> None:
    cases = [
        api.get(f"/executions/{project}/development/a%00b"),
        api.get(f"/tasks/{project}/development", params={"name": "a\x00b"}),
        api.get(f"/projects/{project}%00"),
        api.post("/projects", json={"name": "a\x00b"}),
        api.post("/projects", json={"name": unique("n"), "description": "x\x00"}),
        api.post("/projects", json={"name": unique("n"), "labels": {"k\x00": "v"}}),
    ]
    for r in cases:
        assert r.status_code == 400, (r.request.url, r.text)
        assert r.json()["error"] == "invalid_request"
    assert api.get(f"/projects/{project}").status_code == 200  # the connection is fine


def test_duplicate_json_keys_are_refused(api: httpx.Client) -> None:
    name = unique("dk")
    body = f'{{"name": "{name}", "name": "{name}-2"}}'.encode()
    r = api.post("/projects", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["details"]["duplicate_key"] == "name"
    nested = f'{{"name": "{name}", "labels": {{"a": "1", "a": "2"}}}}'.encode()
    r = api.post("/projects", content=nested, headers={"content-type": "application/json"})
    assert r.status_code == 400 and "'a' twice" in r.json()["message"]
    assert api.get(f"/projects/{name}").status_code == 404


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("module", "../../etc/passwd"),
        ("module", "os; import shutil"),
        ("module", ""),
        ("qualname", "f(); import os"),
        ("file", "/etc/passwd"),
        ("file", "../outside.py"),
        ("file", "pkg/../../x.py"),
        ("file", "C:\\\\x.py"),
        ("file", "~/x.py"),
    ],
)
def test_loader_fields_are_checked(api: httpx.Client, project: str, field: str, value: str) -> None:
    t = msgspec.to_builtins(specs.task("ld.t", project))
    t["loader"][field] = value
    r = api.post("/registrations", json={"tasks": [t]})
    assert r.status_code == 400, r.text
    assert f"loader.{field}" in r.json()["message"]


def test_a_killed_upload_leaves_no_temporary_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    server = limited_server("sqlite", home)
    digest = hashlib.sha256(b"interrupted").hexdigest()
    parts = urlsplit(server.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    try:
        sock.sendall(
            head(
                server,
                "PUT",
                f"/bundles/{digest}",
                "application/octet-stream",
                "Transfer-Encoding: chunked\r\n",
            ).encode()
        )
        piece = b"x" * 65536
        deadline = time.monotonic() + 20
        while not leftovers(home) and time.monotonic() < deadline:
            sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            time.sleep(0.05)
        assert leftovers(home), "the upload never reached the server's disk"
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(20)
    finally:
        sock.close()
        server.stop()
    assert leftovers(home)  # what the kill left...
    again = start_server("sqlite", f"sqlite:///{home / 'slipstream.db'}", home, "--no-engine")
    try:
        assert leftovers(home) == []  # ...is gone once a server holds the home again
        r = httpx.head(f"{again.url}/api/v1/bundles/{digest}", headers=again.headers)
        assert r.status_code == 404
    finally:
        again.stop()


def test_unauthenticated_bodies_are_not_read(server: LiveServer) -> None:
    """Without a token the server answers 401 before it reads any of the body."""
    netloc = urlsplit(server.url).netloc
    request = (
        f"POST /api/v1/projects HTTP/1.1\r\nHost: {netloc}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    answer, sent = raw(server, request, chunked(50 * MAX_JSON))
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    assert sent < 10 * MAX_JSON


def test_console_forms_are_bounded_too(server: LiveServer) -> None:
    """The console's login takes forms without a session: their size is bounded all the same."""
    netloc = urlsplit(server.url).netloc
    request = (
        f"POST /console/login HTTP/1.1\r\nHost: {netloc}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    answer, sent = raw(server, request, chunked(200 * MAX_JSON))
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 40 * MAX_JSON, sent  # long before the 50 MB (socket buffers hold some MB)
    declared = (
        f"POST /console/login HTTP/1.1\r\nHost: {netloc}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000000000\r\n\r\n"
    )
    answer, _ = raw(server, declared, iter([b"token=" + b"x" * 1024] * 4))
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
