"""Command-line text -> Python values: the typed text parser of ``slipstream.types`` (one parser
for CLI inputs, signal values and gate answers)."""

from __future__ import annotations

from slipstream.types import BadValue, describe_type, metavar_of, parse_duration, parse_value

__all__ = ["BadValue", "describe_type", "metavar_of", "parse_duration", "parse_value"]
