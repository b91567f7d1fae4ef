"""Task environments from ``ImageSpec``: uv virtual environments on this host, ``runtime_env`` on
Ray, both keyed by the same hash of the spec."""

from ._build import (
    BuiltEnv,
    build_env,
    env_dir,
    envs_root,
    list_envs,
    prune_envs,
)
from ._resolve import check_resolvable
from ._spec import env_key, refuse_image_only, runtime_env_of

__all__ = [
    "BuiltEnv",
    "build_env",
    "check_resolvable",
    "env_dir",
    "env_key",
    "envs_root",
    "list_envs",
    "prune_envs",
    "refuse_image_only",
    "runtime_env_of",
]
