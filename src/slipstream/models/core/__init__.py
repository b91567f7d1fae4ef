"""flytekit's ``flytekit.models.core`` module path."""

__all__: list[str] = []
