"""flytekit's ``flytekit.testing`` module path, so that its imports move over with an import change."""

from slipstream.sdk import SecretsManager, patch, task_mock

__all__ = ["SecretsManager", "patch", "task_mock"]
