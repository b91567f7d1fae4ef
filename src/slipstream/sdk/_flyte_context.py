"""flytekit's ``FlyteContext``: the few things ordinary programs ask of it.

Programs written for flytekit reach for ``FlyteContextManager.current_context()`` to read the
running task's parameters (``user_space_params``), move data (``file_access``) or, in a workflow
decorator, see the nodes compiled so far (``compilation_state.nodes``). slipstream has no global
context object; this is a thin view over what it does have: the task context of
:func:`current_context`, the workflow being compiled, and the blob stores.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

__all__ = [
    "CompilationState",
    "ExecutionState",
    "FileAccessProvider",
    "FlyteContext",
    "FlyteContextManager",
]


def _is_local(path: str) -> bool:
    from slipstream.storage import is_local_url

    return is_local_url(path)


def _strip_file(path: str) -> str:
    return path[len("file://") :] if path.startswith("file://") else path


class FileAccessProvider:
    """Moving data between local paths and blob URIs (flytekit's ``ctx.file_access``).

    A "remote" path is a fresh location in a scratch area of this machine when the task's store
    is local, or a URI of the task's store otherwise; either is what a ``File``, ``Directory`` or a
    custom type's literal may carry between tasks.
    """

    def __init__(self, raw_output_prefix: str = "") -> None:
        self.raw_output_prefix = raw_output_prefix
        self.local_sandbox_dir = tempfile.gettempdir()

    # -- fresh locations -----------------------------------------------------------------------

    def get_random_local_path(self, file_path_or_file_name: str | None = None) -> str:
        """A fresh local file path (its parent exists), ending with the given name if any."""
        d = tempfile.mkdtemp(prefix="slipstream-local-")
        return os.path.join(d, os.path.basename(file_path_or_file_name or uuid.uuid4().hex))

    def get_random_local_directory(self) -> str:
        """A fresh, empty local directory."""
        return tempfile.mkdtemp(prefix="slipstream-local-")

    def _remote_base(self) -> str:
        prefix = self.raw_output_prefix
        if prefix and not _is_local(prefix):
            return prefix.rstrip("/")
        return tempfile.mkdtemp(prefix="slipstream-remote-")

    def get_random_remote_path(self, file_path_or_file_name: str | None = None) -> str:
        """A fresh location to upload one file to."""
        name = os.path.basename(file_path_or_file_name or "") or uuid.uuid4().hex
        return f"{self._remote_base()}/{uuid.uuid4().hex[:12]}/{name}"

    def get_random_remote_directory(self) -> str:
        """A fresh location to upload a directory to."""
        return f"{self._remote_base()}/{uuid.uuid4().hex[:12]}"

    # -- moving data ---------------------------------------------------------------------------

    def exists(self, path: str) -> bool:
        """Whether a local path or a blob URI exists."""
        if _is_local(path):
            return os.path.exists(_strip_file(path))
        from slipstream.storage import store_for_uri

        store = store_for_uri(path)
        return store.exists(path) or store.is_dir(path)

    def is_remote(self, path: str) -> bool:
        """Whether ``path`` is a blob URI rather than a local path."""
        return not _is_local(path)

    def put_data(self, local_path: str, remote_path: str, is_multipart: bool = False) -> str:
        """Copy a local file (or directory, ``is_multipart``) to ``remote_path``; the location."""
        src = _strip_file(os.fspath(local_path))
        if _is_local(remote_path):
            dest = Path(_strip_file(remote_path))
            if is_multipart or os.path.isdir(src):
                shutil.copytree(src, dest, dirs_exist_ok=True)
            else:
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest)
            return remote_path
        from slipstream.storage import store_for_uri

        store = store_for_uri(remote_path)
        if is_multipart or os.path.isdir(src):
            store.put_dir(src, remote_path)
        else:
            store.put_file(src, remote_path)
        return remote_path

    def get_data(self, remote_path: str, local_path: str, is_multipart: bool = False) -> None:
        """Copy ``remote_path`` (a file, or a directory with ``is_multipart``) to a local path."""
        dest = _strip_file(os.fspath(local_path))
        if _is_local(remote_path):
            src = _strip_file(remote_path)
            if is_multipart or os.path.isdir(src):
                shutil.copytree(src, dest, dirs_exist_ok=True)
            else:
                Path(dest).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest)
            return
        from slipstream.storage import store_for_uri

        store = store_for_uri(remote_path)
        if is_multipart or store.is_dir(remote_path):
            store.get_dir(remote_path, dest)
        else:
            store.get_file(remote_path, dest)

    def upload_directory(self, local_path: str, remote_path: str) -> str:
        """Copy a local directory to ``remote_path``."""
        return self.put_data(local_path, remote_path, is_multipart=True)

    def download_directory(self, remote_path: str, local_path: str) -> None:
        """Copy the directory at ``remote_path`` to a local directory."""
        self.get_data(remote_path, local_path, is_multipart=True)

    def upload(self, file_path: str, to_path: str) -> str:
        """Copy a local file to ``to_path``."""
        return self.put_data(file_path, to_path)

    def download(self, remote_path: str, local_path: str) -> None:
        """Copy the file at ``remote_path`` to a local path."""
        self.get_data(remote_path, local_path)


class CompilationState:
    """The workflow being compiled: ``nodes`` in the order they were added (each supports
    ``a >> b``)."""

    def __init__(self, builder: Any) -> None:
        self._builder = builder

    @property
    def nodes(self) -> list[Any]:
        """The nodes added to the workflow so far."""
        return list(self._builder.nodes)

    @property
    def prefix(self) -> str:
        """The workflow's name."""
        return str(getattr(self._builder, "name", ""))


class ExecutionState:
    """Whether a task is running (``mode`` is ``TASK_EXECUTION``) and its working directory."""

    TASK_EXECUTION = "TASK_EXECUTION"
    LOCAL_WORKFLOW_EXECUTION = "LOCAL_WORKFLOW_EXECUTION"

    def __init__(self, mode: str | None, working_dir: str | None) -> None:
        self.mode = mode
        self.working_dir = working_dir

    def is_local_execution(self) -> bool:
        """Always true: slipstream runs every task in a process it started."""
        return True


class FlyteContext:
    """A snapshot of where the calling code runs: the task's parameters, data access, and the
    workflow being compiled (if any)."""

    def __init__(self) -> None:
        from ._compiler import current_builder
        from ._context import current_context, in_task

        params = current_context()
        self.user_space_params = params
        self.file_access = FileAccessProvider(params.raw_output_prefix)
        builder = current_builder()
        self.compilation_state = CompilationState(builder) if builder is not None else None
        running = in_task()
        self.execution_state = ExecutionState(
            ExecutionState.TASK_EXECUTION if running else None,
            params.working_directory if running else None,
        )

    @staticmethod
    def current_context() -> FlyteContext:
        """The context of the calling code."""
        return FlyteContext()

    def new_execution_state(self) -> ExecutionState:
        """The execution state (flytekit builds a new one; this one describes the caller)."""
        return self.execution_state


class FlyteContextManager:
    """flytekit's accessor of the current :class:`FlyteContext`."""

    @staticmethod
    def current_context() -> FlyteContext:
        """The context of the calling code."""
        return FlyteContext()
