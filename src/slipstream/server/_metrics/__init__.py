"""The server's metrics room: what a server process counts and how ``/metrics`` shows it."""

from ._database import ExecutionCounts
from ._http import RequestMetrics
from ._metrics import CONTENT_TYPE, NO_METRICS, Metrics

__all__ = ["CONTENT_TYPE", "ExecutionCounts", "Metrics", "NO_METRICS", "RequestMetrics"]
