"""flytekit's ``flytekit.models`` module paths, for the literal classes a custom type
transformer builds (``models.literals``, ``models.types``, ``models.core.types``)."""

__all__: list[str] = []
