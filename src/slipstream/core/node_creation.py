"""flytekit's ``flytekit.core.node_creation`` module path, so that its imports move over with an import change."""

from slipstream.sdk import create_node

__all__ = ["create_node"]
