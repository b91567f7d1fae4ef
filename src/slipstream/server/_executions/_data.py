"""An execution's data: its inputs and outputs with their literal types, attempts' logs and decks.

Outputs too large for the record live in the blob store (``ExecutionRecord.outputs_uri``) and are
read from there. Logs are served as byte ranges from an offset, so a client follows a log that is
still growing by asking again from the ``next_offset`` it got.
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import select

from slipstream.errors import NotFoundError, StorageError, ValidationError
from slipstream.model import (
    AttemptRecord,
    ExecutionPhase,
    ExecutionValues,
    LogChunk,
)
from slipstream.storage import BlobStore, open_store, store_for_uri

from .._database import AttemptRow, Database
from .._projects import ProjectService
from ._rows import decode_record, find_row, target_interface

__all__ = ["MAX_DECK_BYTES", "MAX_LOG_CHUNK", "ExecutionData"]

MAX_LOG_CHUNK = 1 << 20
MAX_DECK_BYTES = 64 << 20
"""A deck page larger than this is refused rather than read into the API's memory."""
_attempt_decoder = msgspec.json.Decoder(AttemptRecord)


class ExecutionData:
    """Reads inputs, outputs and logs of executions."""

    def __init__(self, db: Database, projects: ProjectService, store_url: str) -> None:
        self.db = db
        self.projects = projects
        self.store = open_store(store_url)

    def _store_for(self, uri: str) -> BlobStore:
        return self.store if self.store.owns(uri) else store_for_uri(uri)

    def inputs(self, project: str, domain: str, name: str) -> ExecutionValues:
        """The inputs the execution runs with (defaults and fixed inputs included)."""
        with self.db.session() as session:
            record = decode_record(find_row(session, project, domain, name, self.projects.domains))
            iface = target_interface(session, record)
        types = {v.name: v.type for v in iface.inputs}
        return ExecutionValues(values=dict(record.spec.inputs), types=types)

    def outputs(self, project: str, domain: str, name: str) -> ExecutionValues:
        """The outputs of a SUCCEEDED execution."""
        with self.db.session() as session:
            record = decode_record(find_row(session, project, domain, name, self.projects.domains))
            iface = target_interface(session, record)
        if record.phase is not ExecutionPhase.SUCCEEDED:
            raise NotFoundError(
                f"execution {record.id} has no outputs: it is {record.phase.value}",
                details={"phase": record.phase.value},
            )
        values: dict[str, Any]
        if record.outputs is not None:
            values = dict(record.outputs)
        elif record.outputs_uri:
            try:
                data = self._store_for(record.outputs_uri).get_bytes(record.outputs_uri)
                values = msgspec.json.decode(data, type=dict[str, Any])
            except (OSError, msgspec.DecodeError) as e:
                raise StorageError(
                    f"the outputs of execution {record.id} cannot be read from "
                    f"{record.outputs_uri}: {e}"
                ) from e
        else:
            values = {}
        return ExecutionValues(values=values, types={v.name: v.type for v in iface.outputs})

    def _attempt(
        self, project: str, domain: str, name: str, node: str, attempt: int | None
    ) -> AttemptRecord:
        """The attempt ``attempt`` of ``node`` (the last one when ``None``)."""
        with self.db.session() as session:
            row = find_row(session, project, domain, name, self.projects.domains)
            stmt = select(AttemptRow.record).where(
                AttemptRow.execution_id == row.id, AttemptRow.node == node
            )
            if attempt is not None:
                stmt = stmt.where(AttemptRow.number == attempt)
            found = session.scalars(stmt.order_by(AttemptRow.number.desc()).limit(1)).first()
        if found is None:
            which = f"attempt {attempt} of node" if attempt is not None else "attempt of node"
            raise NotFoundError(f"execution {project}/{domain}/{name} has no {which} {node!r}")
        return _attempt_decoder.decode(found)

    def deck(
        self, project: str, domain: str, name: str, node: str, attempt: int | None = None
    ) -> tuple[AttemptRecord, bytes]:
        """The HTML page of an attempt's decks (the last attempt by default)."""
        rec = self._attempt(project, domain, name, node, attempt)
        where = f"attempt {rec.number} of node {node!r} of execution {project}/{domain}/{name}"
        if not rec.deck_uri:
            raise NotFoundError(
                f"{where} has no deck: its task made none (decks are kept for tasks with "
                "enable_deck=True or that add a Deck)",
                details={"node": node, "attempt": rec.number},
            )
        store = self._store_for(rec.deck_uri)
        try:
            if not store.exists(rec.deck_uri):
                raise NotFoundError(f"the deck of {where} is missing from {rec.deck_uri}")
            with store.open(rec.deck_uri, "rb") as f:
                data = bytes(f.read(MAX_DECK_BYTES + 1))
        except OSError as e:
            raise StorageError(f"the deck at {rec.deck_uri} cannot be read: {e}") from e
        if len(data) > MAX_DECK_BYTES:
            raise ValidationError(
                f"the deck of {where} is larger than {MAX_DECK_BYTES} bytes; read it from "
                f"{rec.deck_uri}"
            )
        return rec, data

    def log(
        self,
        project: str,
        domain: str,
        name: str,
        node: str,
        attempt: int | None = None,
        offset: int = 0,
        limit: int = 64 * 1024,
    ) -> LogChunk:
        """Up to ``limit`` bytes of an attempt's log (the last attempt by default) from ``offset``.

        A chunk never ends inside a UTF-8 character, so ``data`` is always whole text.
        """
        if offset < 0:
            raise ValidationError(f"offset must be 0 or more, got {offset}")
        if not 1 <= limit <= MAX_LOG_CHUNK:
            raise ValidationError(f"limit must be between 1 and {MAX_LOG_CHUNK}, got {limit}")
        rec = self._attempt(project, domain, name, node, attempt)
        ended = rec.phase.value not in ("QUEUED", "RUNNING")
        if not rec.log_uri:
            return LogChunk(
                node=node, attempt=rec.number, offset=offset, next_offset=offset, complete=ended
            )
        data, size = self._read(rec.log_uri, offset, limit)
        if not (ended and offset + len(data) >= size):
            data = _whole_chars(data)
        next_offset = offset + len(data)
        return LogChunk(
            node=node,
            attempt=rec.number,
            offset=offset,
            next_offset=next_offset,
            data=data.decode("utf-8", errors="replace"),
            size=size,
            complete=ended and next_offset >= size,
        )

    def _read(self, uri: str, offset: int, limit: int) -> tuple[bytes, int]:
        store = self._store_for(uri)
        if not store.exists(uri):  # the attempt has not written anything yet
            return b"", 0
        try:
            with store.open(uri, "rb") as f:
                f.seek(0, 2)
                size = int(f.tell())
                if offset >= size:
                    return b"", size
                f.seek(offset)
                return bytes(f.read(limit)), size
        except OSError as e:
            raise StorageError(f"the log at {uri} cannot be read: {e}") from e


def _whole_chars(data: bytes) -> bytes:
    """``data`` without a trailing, incomplete UTF-8 sequence (it comes with the next chunk)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:  # ASCII: nothing is cut
            return data
        if byte >= 0xC0:  # the lead byte of the last sequence
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return data if back >= need else data[:-back]
    return data
