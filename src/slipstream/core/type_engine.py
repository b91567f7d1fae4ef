"""flytekit's ``flytekit.core.type_engine`` module path: ``TypeEngine``, ``TypeTransformer``
(flytekit's extension contract, adapted) and ``BatchSize``."""

from slipstream.sdk import FlyteTypeEngine, FlyteTypeTransformer
from slipstream.types import BatchSize

__all__ = ["BatchSize", "TypeEngine", "TypeTransformer"]

TypeEngine = FlyteTypeEngine
TypeTransformer = FlyteTypeTransformer
