"""Resources, secrets and cache settings: the small value objects a task is decorated with."""

from __future__ import annotations

import msgspec

from slipstream.model import ResourceSpec

__all__ = ["Cache", "Resources"]


Quantity = str | int | float | tuple[str | int | float, str | int | float] | list[str | int | float]


class Resources(msgspec.Struct, frozen=True):
    """CPU, memory, GPU and ephemeral storage, in Kubernetes' spelling (``cpu="2"``, ``mem="4Gi"``).

    As in flytekit, a pair gives the request and the limit at once (``cpu=("1", "2")``) when the
    object is passed as a task's ``resources=``.
    """

    cpu: Quantity | None = None
    mem: Quantity | None = None
    gpu: Quantity | None = None
    ephemeral_storage: Quantity | None = None

    def to_spec(self, part: int = 0) -> ResourceSpec:
        """The wire form: ``part`` 0 takes the request of each pair, 1 its limit."""

        def s(v: object) -> str | None:
            if isinstance(v, (tuple, list)):
                if len(v) != 2:
                    raise ValueError(f"a resource pair is (request, limit), got {v!r}")
                v = v[part]
            return None if v is None else str(v)

        return ResourceSpec(
            cpu=s(self.cpu),
            mem=s(self.mem),
            gpu=s(self.gpu),
            ephemeral_storage=s(self.ephemeral_storage),
        )


class Cache(msgspec.Struct, frozen=True):
    """Cache settings: ``Cache(version="1", serialize=False, ignored_inputs=("seed",))``.

    Without a version, the hash of the task function's source is the version, so editing the task
    invalidates its cache.
    """

    version: str | None = None
    serialize: bool = False
    ignored_inputs: tuple[str, ...] | str = ()
    salt: str = ""
    """Mixed into the version: change it to start a fresh cache without touching the code."""
    policies: object = None
    """flytekit's cache policies; the version (given or the source hash) already covers them."""
