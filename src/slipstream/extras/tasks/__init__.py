"""flytekit's ``flytekit.extras.tasks`` module path."""
