"""Resource quantities in Kubernetes' spelling (``"500m"``, ``"2"``, ``"512Mi"``, ``"1G"``).

One parser for the whole platform: the server checks registered specs against its limits with it,
the local worker pool accounts the requests of running attempts against the machine with it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._execution import AttemptRecord

__all__ = ["format_memory", "memory_notes", "memory_use", "parse_quantity"]

_SUFFIXES: dict[str, Decimal] = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
}
_QUANTITY = re.compile(r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([A-Za-z]{0,2})\s*")


def parse_quantity(text: str, *, field: str = "quantity") -> Decimal:
    """The value of a quantity; raises :class:`ValidationError` on anything else."""
    match = _QUANTITY.fullmatch(text) if isinstance(text, str) else None
    if match is None or match.group(2) not in _SUFFIXES:
        from slipstream.errors import ValidationError  # the one layer below; loaded on error only

        raise ValidationError(
            f"invalid {field} quantity {text!r}: expected a number with an optional suffix "
            "(m, k, M, G, T, Ki, Mi, Gi, Ti)",
            details={"field": field, "value": text},
        )
    try:
        return Decimal(match.group(1)) * _SUFFIXES[match.group(2)]
    except InvalidOperation:  # pragma: no cover - the regex admits only decimals
        from slipstream.errors import ValidationError

        raise ValidationError(f"invalid {field} quantity {text!r}") from None


def format_memory(n: int) -> str:
    """``n`` bytes as a quantity that :func:`parse_quantity` reads back exactly: ``"120Mi"``,
    ``"8Gi"``, or plain bytes when no binary suffix divides it."""
    for suffix, size in (("Ti", 1 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size}{suffix}"
    return str(n)


def memory_use(peak: int, limit: int) -> str:
    """What an attempt used of its limit, for messages: ``"382 MiB of 200Mi"`` (``"over 200Mi"``
    when the peak was not measured)."""
    if not peak:
        return f"over {format_memory(limit)}"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if peak >= size:
            return f"{peak / size:.3g} {unit} of {format_memory(limit)}"
    return f"{peak} B of {format_memory(limit)}"


def memory_notes(attempts: Sequence[AttemptRecord]) -> dict[int, str]:
    """By attempt number, how an attempt's memory grew after the one before it was killed for
    memory: ``"attempt 2 ran with 400Mi after attempt 1 used 382 MiB of 200Mi"``."""
    notes: dict[int, str] = {}
    for before, after in itertools.pairwise(attempts):
        if 0 < before.memory_limit < after.memory_limit:
            notes[after.number] = (
                f"attempt {after.number} ran with {format_memory(after.memory_limit)} after "
                f"attempt {before.number} used {memory_use(before.memory_peak, before.memory_limit)}"
            )
    return notes
