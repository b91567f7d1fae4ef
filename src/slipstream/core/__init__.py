"""flytekit's ``flytekit.core`` module paths (``flytekit.core.task``, ``.workflow``,
``.node_creation``, ``.type_engine``...), so that programs importing from them move over with an
import change. Every name lives in :mod:`slipstream.sdk` or :mod:`slipstream.types`."""

__all__: list[str] = []
