"""flytekit's ``flytekit.types.directory`` names (``FlyteDirectory`` and its variants)."""

from typing import Any

from .._directory import Directory

__all__ = ["Directory", "FlyteDirectory", "TensorboardLogs", "TFRecordsDirectory"]

FlyteDirectory = Directory
_Directory: Any = Directory  # formatted variants are made at run time
TensorboardLogs = _Directory["tensorboard"]
TFRecordsDirectory = _Directory["tfrecord"]
