"""flytekit's ``flytekit.extras`` module path, so that ``from ....extras.tasks.shell import
ShellTask`` moves over with an import change. The classes live in :mod:`slipstream.sdk`."""
