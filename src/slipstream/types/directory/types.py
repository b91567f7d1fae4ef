"""flytekit's ``flytekit.types.directory.types`` module path (``FlyteDirectory``)."""

from .._directory import Directory

__all__ = ["FlyteDirectory"]

FlyteDirectory = Directory
