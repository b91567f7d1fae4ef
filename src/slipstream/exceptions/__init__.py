"""flytekit's ``flytekit.exceptions`` module paths: the exceptions user code raises or catches."""

__all__: list[str] = []
