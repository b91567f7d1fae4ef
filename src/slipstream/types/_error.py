"""The value a failure handler receives: flytekit's ``FlyteError``."""

from __future__ import annotations

import dataclasses

__all__ = ["WorkflowError"]


@dataclasses.dataclass
class WorkflowError:
    """What a failure handler (``on_failure``) receives as its ``err`` input (flytekit's
    ``FlyteError``): the error message and the path of the node that failed."""

    message: str
    failed_node_id: str
