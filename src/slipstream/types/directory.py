"""flytekit's ``flytekit.types.directory`` names (``FlyteDirectory`` and its variants)."""

from ._directory import Directory

__all__ = ["Directory", "FlyteDirectory", "TensorboardLogs", "TFRecordsDirectory"]

FlyteDirectory = Directory
TensorboardLogs = Directory["tensorboard"]
TFRecordsDirectory = Directory["tfrecord"]
