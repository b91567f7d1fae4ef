"""Projects and what is set per project/domain: the projects, settings (quotas, routes, input
prefixes), resource quantities, input URI prefixes and the project secrets.
"""

from ._input_uris import check_prefixes, normal_uri, under
from ._projects import ProjectService
from ._quantities import check_spec, exceeding
from ._secret_store import SecretStore
from ._settings import SettingsService, oom_retry_of, settings_target

__all__ = [
    "ProjectService",
    "SecretStore",
    "SettingsService",
    "check_prefixes",
    "check_spec",
    "exceeding",
    "normal_uri",
    "oom_retry_of",
    "settings_target",
    "under",
]
