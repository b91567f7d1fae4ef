"""Resource quantities in Kubernetes' spelling (``"500m"``, ``"2"``, ``"512Mi"``, ``"1G"``)."""

from __future__ import annotations

from slipstream.model import ResourceSpec, parse_quantity

__all__ = ["check_spec", "exceeding", "parse_quantity"]

_FIELDS = ("cpu", "mem", "gpu", "ephemeral_storage")


def exceeding(spec: ResourceSpec, maximum: ResourceSpec) -> list[tuple[str, str, str]]:
    """``(field, asked, max)`` for every quantity of ``spec`` above ``maximum``."""
    over: list[tuple[str, str, str]] = []
    for name in _FIELDS:
        asked, cap = getattr(spec, name), getattr(maximum, name)
        if asked is None or cap is None:
            continue
        if parse_quantity(asked, field=name) > parse_quantity(cap, field=name):
            over.append((name, asked, cap))
    return over


def check_spec(spec: ResourceSpec, where: str) -> None:
    """Every quantity of ``spec`` parses."""
    for name in _FIELDS:
        value = getattr(spec, name)
        if value is not None:
            parse_quantity(value, field=f"{where}.{name}")
