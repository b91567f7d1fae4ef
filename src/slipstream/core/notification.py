"""flytekit's ``flytekit.core.notification`` module path, so that its imports move over with an import change."""

from slipstream.sdk import (
    Email,
    PagerDuty,
    Slack,
    Webhook,
)

__all__ = ["Email", "PagerDuty", "Slack", "Webhook"]
