"""Retention: which ended executions, cache entries and blobs go, and the collector that removes
them (``POST /api/v1/gc``, ``slipstream gc`` and a server thread)."""

from ._collector import Collector
from ._loop import start_collector

__all__ = ["Collector", "start_collector"]
