"""flytekit's ``flytekit.core.checkpointer`` module path, so that its imports move over with an import change."""

from slipstream.sdk import Checkpoint, SyncCheckpoint

__all__ = ["Checkpoint", "SyncCheckpoint"]
