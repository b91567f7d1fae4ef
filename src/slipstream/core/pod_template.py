"""flytekit's ``flytekit.core.pod_template`` module path, so that its imports move over with an import change."""

from slipstream.sdk import PodTemplate

__all__ = ["PodTemplate"]
