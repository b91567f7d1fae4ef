"""A TCP proxy in the test process between a server and PostgreSQL that a test can take down:
while down it resets every open connection and every new one, as a database that restarts does.

Only the connections that go through the proxy are touched, so an outage affects only the test's
own server, never the PostgreSQL that other tests share.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading

__all__ = ["FlakyProxy"]


def _reset(sock: socket.socket) -> None:
    """Close ``sock`` with a TCP reset (not a clean FIN), as a dying server's socket does."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class FlakyProxy:
    """Forwards ``127.0.0.1:{port}`` to ``target`` until :meth:`down`, again after :meth:`up`."""

    def __init__(self, target: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port: int = self._listener.getsockname()[1]
        self._down = threading.Event()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self.refused = 0
        threading.Thread(target=self._accept, name="flaky-proxy", daemon=True).start()

    def down(self) -> None:
        """Reset every connection, and each new one until :meth:`up`."""
        self._down.set()
        with self._lock:
            socks, self._open = list(self._open), set()
        for s in socks:
            _reset(s)

    def up(self) -> None:
        self._down.clear()

    def close(self) -> None:
        self._closed.set()
        self.down()
        with contextlib.suppress(OSError):
            self._listener.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._down.is_set():
                self.refused += 1
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _reset(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        try:
            while True:
                readable, _, _ = select.select([a, b], [], [], 1.0)
                for s in readable:
                    data = s.recv(65536)
                    if not data:
                        return
                    peers[s].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            with self._lock:
                self._open.discard(a)
                self._open.discard(b)
            _reset(a)
            _reset(b)
