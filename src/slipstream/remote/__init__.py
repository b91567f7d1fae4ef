"""The Python client of the slipstream server (``Remote``), used by the CLI and notebooks.

Speaks the REST API with the wire model's structs; imports no server internals.
"""

from slipstream.configuration import ClientConfig, config_file_path, write_client_config

from ._bundle import CodeBundle, build_bundle, source_files
from ._client import Registration, Remote
from ._console import console_url
from ._discover import Discovered, discover
from ._flyte_entities import FlyteLaunchPlan, FlyteTask, FlyteWorkflow
from ._flyte_execution import FlyteWorkflowExecution, LiteralsResolver
from ._flyte_remote import FlyteRemote
from ._spec_cache import cached_specs
from ._version import default_version, git_commit

__all__ = [
    "ClientConfig",
    "CodeBundle",
    "Discovered",
    "FlyteLaunchPlan",
    "FlyteRemote",
    "FlyteTask",
    "FlyteWorkflow",
    "FlyteWorkflowExecution",
    "LiteralsResolver",
    "Registration",
    "Remote",
    "build_bundle",
    "cached_specs",
    "config_file_path",
    "console_url",
    "default_version",
    "discover",
    "git_commit",
    "source_files",
    "write_client_config",
]
