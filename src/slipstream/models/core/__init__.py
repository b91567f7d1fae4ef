"""flytekit's ``flytekit.models.core`` module path."""
