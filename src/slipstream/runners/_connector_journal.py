"""The connector lane's writes to the blob store: each node's job journal, and the jobs' links.

A job's meta is written to ``connector-job.json`` in its node's folder (sealed with a key in the
engine's home) as soon as ``create`` returns and before the job is polled: an engine that runs the
node again after a kill follows that job instead of starting a second one.

The writes are batched per turn of the connector loop. Hundreds of jobs created at once (a map of
connector tasks) become one hand-off to the loop's threads for all of their journals, not one
thread hop each: a job waits for the batch that holds its journal (the rule "recorded before
anything else" stands), and the loop's thread is free for the other jobs meanwhile. Writes that
nobody waits for (the end mark of a job that succeeded, the links shown as an attempt's log) are
gathered for a short while and written together, off the moment when results are recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from slipstream.engine import AttemptRequest
from slipstream.extend.backend import TaskLog
from slipstream.model import LOG_FILE, ExecutionId

__all__ = ["JOURNAL", "Journal", "log_uri", "read_open_job"]

JOURNAL = "connector-job.json"
CHUNK = 64
"""Writes per thread call: a batch larger than this goes to several threads (a remote store's
puts are round trips)."""
LATER_S = 0.25
"""How long writes that nobody waits for are gathered before they are written."""

_Key = tuple[ExecutionId | None, str, int]
_Put = tuple[str, str, bytes]
"""A write: the store's URL, the blob's URI, the bytes."""


class Journal:
    """The batched writes of one connector loop (every method runs on that loop)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, threads: Executor) -> None:
        self._loop = loop
        self._threads = threads
        self._now: list[tuple[_Put, asyncio.Future[None]]] = []
        self._flushing = False
        self._later: list[Callable[[], None]] = []
        self._later_timer: asyncio.TimerHandle | None = None
        self._bodies: dict[_Key, tuple[str, str, dict[str, Any]]] = {}
        """What each followed job's journal says, so that its end mark needs no read."""

    async def running(self, req: AttemptRequest, meta: bytes) -> None:
        """Record that ``req``'s node follows the job ``meta``; returns once it is written."""
        uri = _journal_uri(req)
        body: dict[str, Any] = {
            "attempt": req.attempt, "type": req.task.type, "state": "running",
            "meta": meta.decode(),
        }  # fmt: skip
        body["seal"] = _seal(uri, body)
        self._bodies[_key(req)] = (req.store, uri, body)
        await self._write_now((req.store, uri, json.dumps(body).encode()))

    async def ended(self, req: AttemptRequest) -> None:
        """Mark ``req``'s job ended (a retry must not follow it); returns once it is written."""
        put = self._end_mark(req)
        if put is not None:
            await self._write_now(put)

    def ended_later(self, req: AttemptRequest) -> None:
        """Mark ``req``'s job ended soon, without waiting (its success is reported already)."""
        put = self._end_mark(req)
        if put is not None:
            self.later(_put_all, [put])

    def later(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run the small write ``fn(*args)`` with the next batch of writes nobody waits for (a
        failure is dropped: what it writes is a convenience)."""
        self._later.append(lambda: fn(*args))
        if self._later_timer is None:
            self._later_timer = self._loop.call_later(LATER_S, self._flush_later)

    async def drain(self) -> None:
        """Write what is gathered now (the loop is about to stop)."""
        if self._later_timer is not None:
            self._later_timer.cancel()
        self._later_timer = None
        writes, self._later = self._later, []
        if writes:
            await self._loop.run_in_executor(self._threads, _run_quietly, writes)

    # -- plumbing --------------------------------------------------------------------------------

    def _end_mark(self, req: AttemptRequest) -> _Put | None:
        known = self._bodies.pop(_key(req), None)
        if known is None:
            return None
        store, uri, body = known
        body = dict(body, state="ended")
        body["seal"] = _seal(uri, body)
        return store, uri, json.dumps(body).encode()

    async def _write_now(self, put: _Put) -> None:
        done: asyncio.Future[None] = self._loop.create_future()
        self._now.append((put, done))
        if not self._flushing:  # after the jobs ready in this turn have added theirs
            self._flushing = True
            self._loop.call_soon(lambda: self._loop.create_task(self._flush_now()))
        await done

    async def _flush_now(self) -> None:
        try:
            while self._now:
                batch, self._now = self._now, []
                latest: dict[str, _Put] = {}  # one write per blob, the last asked (an end mark
                waiting: dict[str, list[asyncio.Future[None]]] = {}  # after its running mark)
                for put, done in batch:
                    latest[put[1]] = put
                    waiting.setdefault(put[1], []).append(done)
                puts = list(latest.values())
                chunks = [puts[i : i + CHUNK] for i in range(0, len(puts), CHUNK)]
                outcomes = await asyncio.gather(
                    *(self._loop.run_in_executor(self._threads, _put_all, c) for c in chunks),
                    return_exceptions=True,
                )
                for chunk, outcome in zip(chunks, outcomes, strict=True):
                    for i, put in enumerate(chunk):
                        error = outcome if isinstance(outcome, BaseException) else outcome[i]
                        for done in waiting[put[1]]:
                            if done.done():  # its job was cancelled meanwhile
                                continue
                            if error is None:
                                done.set_result(None)
                            else:
                                done.set_exception(error)
        finally:
            self._flushing = False

    def _flush_later(self) -> None:
        self._later_timer = None
        writes, self._later = self._later, []
        for i in range(0, len(writes), CHUNK):
            self._loop.run_in_executor(self._threads, _run_quietly, writes[i : i + CHUNK])


def _key(req: AttemptRequest) -> _Key:
    return req.execution, req.node, req.attempt


def _put_all(puts: list[_Put]) -> list[BaseException | None]:
    """Write each blob; each one's error, or None."""
    from slipstream.storage import open_store

    errors: list[BaseException | None] = []
    for store, uri, data in puts:
        try:
            open_store(store).put_bytes(uri, data)
            errors.append(None)
        except Exception as e:
            errors.append(e)
    return errors


def _run_quietly(writes: list[Callable[[], None]]) -> None:
    for write in writes:
        with contextlib.suppress(Exception):
            write()


# -- the journal's file: one per node in the blob store ----------------------------------------


def _journal_uri(req: AttemptRequest) -> str:
    tail = f"/{req.attempt}/outputs"
    prefix = req.output_prefix
    node_dir = prefix[: -len(tail)] if prefix.endswith(tail) else prefix
    return f"{node_dir}/{JOURNAL}"


_KEYS: dict[Path, bytes] = {}


def _journal_key() -> bytes:
    """This engine's key for the journal's seal, kept in its home (which tasks cannot read when
    they run as a user of their own): a journal a task forged in the blob store is ignored, so a
    connector is never handed a job meta (an address, a path) that this engine did not make."""
    from slipstream.storage import slipstream_home

    path = slipstream_home() / "connector-journal.key"
    known = _KEYS.get(path)
    if known is not None:
        return known
    try:
        _KEYS[path] = path.read_bytes()
        return _KEYS[path]
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
        return path.read_bytes()


def _seal(uri: str, body: dict[str, Any]) -> str:
    fields = json.dumps([uri, body["attempt"], body["type"], body["state"], body["meta"]])
    return hmac.new(_journal_key(), fields.encode(), hashlib.sha256).hexdigest()


def read_open_job(req: AttemptRequest) -> bytes | None:
    """The meta of a job an earlier attempt of this node started and never saw end."""
    from slipstream.storage import open_store

    store, uri = open_store(req.store), _journal_uri(req)
    if not store.exists(uri):
        return None
    try:
        body = json.loads(store.get_bytes(uri))
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("seal"), str):
        return None
    try:
        if not hmac.compare_digest(body["seal"], _seal(uri, body)):
            return None
    except (KeyError, TypeError):
        return None
    if body.get("state") != "running" or body.get("type") != req.task.type:
        return None
    if not isinstance(body.get("attempt"), int) or body["attempt"] > req.attempt:
        return None
    return str(body["meta"]).encode()


def log_uri(req: AttemptRequest) -> str:
    """Where the attempt's log is (the job's links, for a connector task)."""
    return f"{req.log_dir}/{LOG_FILE}" if req.log_dir else ""


def write_links(req: AttemptRequest, service: str, links: list[TaskLog]) -> None:
    """The job's links as the attempt's log, where ``execution logs`` and the console read it."""
    if not req.log_dir:
        return
    from slipstream.storage import open_store

    lines = [f"{service} job of task {req.task.id.name} (node {req.node}, attempt {req.attempt})"]
    lines += [f"{link.name or 'link'}: {link.uri}" for link in links]
    open_store(req.store).put_bytes(log_uri(req), ("\n".join(lines) + "\n").encode())
