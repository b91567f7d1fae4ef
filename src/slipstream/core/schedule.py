"""flytekit's ``flytekit.core.schedule`` module path, so that its imports move over with an import change."""

from slipstream.sdk import CronSchedule, FixedRate

__all__ = ["CronSchedule", "FixedRate"]
