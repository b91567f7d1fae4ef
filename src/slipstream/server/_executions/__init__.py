"""Executions: launch, reads, control (abort, signals, relaunch), data (inputs, outputs, logs),
the rows' helpers, input uploads and the input policy.
"""

from ._control import ExecutionControl
from ._data import ExecutionData
from ._input_policy import InputPolicy
from ._launch import SYSTEM_PREFIX, LaunchService, check_actor, child_name
from ._reads import ExecutionFilter, ExecutionService, NodeRow
from ._rows import decode_record, find_row, record_row
from ._uploads import UploadService

__all__ = [
    "ExecutionFilter",
    "NodeRow",
    "ExecutionControl",
    "ExecutionData",
    "ExecutionService",
    "InputPolicy",
    "LaunchService",
    "SYSTEM_PREFIX",
    "UploadService",
    "check_actor",
    "child_name",
    "decode_record",
    "find_row",
    "record_row",
]
