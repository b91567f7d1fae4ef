"""flytekit's ``flytekit.types.file.file`` module path (``FlyteFile``)."""

from .._file import File

__all__ = ["FlyteFile"]

FlyteFile = File
