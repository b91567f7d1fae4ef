"""``@task``: a typed Python function that the engine runs as one step of a workflow."""

from __future__ import annotations

import ast
import datetime
import functools
import inspect
import typing
from collections.abc import Callable, Iterable
from typing import Any, Generic, ParamSpec, TypeVar, overload

from slipstream._hooks import get_local_executor
from slipstream.errors import CompileError, InputError, LiteralTypeError
from slipstream.model import (
    CacheSpec,
    Identifier,
    ResourceSpec,
    ResourceType,
    TaskMetadata,
    TaskNode,
    TaskTemplate,
)
from slipstream.types import TypeContext

from . import _compiler
from ._compat import TASK_OPTIONS_ACCEPTED, docs_text, image_name
from ._eager_calls import CURRENT
from ._location import caller_location
from ._naming import loader_of, module_name_of
from ._resources import Cache, Resources
from ._secrets import Secret
from ._signature import PyInterface, extract_interface, location_of

__all__ = ["TASKS", "PythonTask", "bind_arguments", "task"]

P = ParamSpec("P")
R = TypeVar("R")

TASKS: dict[tuple[str, str], PythonTask[..., Any]] = {}
"""Every task defined in this process, by (module, qualname): workers resolve loaders here first."""


class PythonTask(Generic[P, R]):
    """A task: the function, its typed interface and how it runs (cache, retries, resources...).

    Called inside a workflow body it adds a node and returns promises; called anywhere else it runs
    (through the local engine, so retries and the cache apply) and returns plain values.
    """

    task_type = "python"

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        cache: bool | Cache = False,
        cache_version: str = "",
        cache_serialize: bool = False,
        cache_ignore_input_vars: Iterable[str] = (),
        cache_ttl: int | float | datetime.timedelta | None = None,
        retries: int = 0,
        timeout: int | float | datetime.timedelta | None = None,
        interruptible: bool | None = None,
        requests: Resources | None = None,
        limits: Resources | None = None,
        resources: Resources | None = None,
        environment: dict[str, str] | None = None,
        secret_requests: Iterable[Secret] | None = None,
        container_image: Any = None,
        deprecated: str = "",
        docs: Any = None,
        non_retryable: Iterable[type[BaseException]] = (),
        system_retries: int | None = None,
        name: str | None = None,
        check_returns: bool = True,
        **cluster_options: Any,
    ) -> None:
        unknown = set(cluster_options) - TASK_OPTIONS_ACCEPTED
        if unknown:
            raise TypeError(
                f"@task got unexpected option(s) {', '.join(sorted(unknown))} (on {fn.__qualname__})"
            )
        where = location_of(fn)
        task_config = cluster_options.get("task_config")
        self.custom: dict[str, Any] = {}
        self._run_body: Callable[[Any, dict[str, Any]], Any] | None = None
        plugin_type = getattr(task_config, "task_type", None)
        custom_of = getattr(task_config, "custom", None)
        self._prepare: Any = None
        if isinstance(plugin_type, str) and callable(custom_of):
            # a connector's config (slipstream.extend.backend): the body runs where it says
            self.task_type = plugin_type
            self.custom = dict(custom_of())
        elif callable(prepare := getattr(task_config, "prepare_attempt", None)):
            # a config that readies the worker before inputs are read (slipstream.extras.spark)
            self._prepare = prepare
            self.custom = dict(getattr(task_config, "custom_fields", dict)())
        elif callable(run_body := getattr(task_config, "run_body", None)):
            # a config that runs the body its own way (slipstream.extras.pytorch: N ranks)
            self._run_body = run_body
        elif task_config is not None:
            cfg = type(task_config)
            raise CompileError(
                f"task {fn.__qualname__}: task_config={cfg.__name__}(...) (from {cfg.__module__}) "
                "asks for a flytekit plugin that slipstream does not run; remove it to run the "
                "function as a plain Python task",
                location=where,
            )
        if "<locals>" in getattr(fn, "__qualname__", ""):
            raise CompileError(
                f"@task on nested function {fn.__qualname__!r}: tasks must be defined at module "
                "level so that workers can import them",
                location=where,
            )
        functools.update_wrapper(self, fn)
        self._fn = fn
        self.location = where
        self.loader = loader_of(fn)
        self.name = name or f"{module_name_of(fn)}.{fn.__qualname__}"
        self.python_interface: PyInterface = extract_interface(fn, f"task {self.name}")
        if check_returns and self.python_interface.outputs:
            _check_has_return(fn, self.name, where)
        if retries < 0:
            raise CompileError(f"task {self.name}: retries must be >= 0", location=where)
        self.retries = retries
        if system_retries is not None and system_retries < 0:
            raise CompileError(f"task {self.name}: system_retries must be >= 0", location=where)
        self.system_retries = system_retries
        self.timeout_s = _seconds(timeout, self.name, where)
        self.interruptible = bool(interruptible)
        self._cache_salt = ""
        if isinstance(cache, Cache):
            self._cache_salt = cache.salt
            cache_version = cache.version or cache_version
            cache_serialize = cache.serialize or cache_serialize
            ign = cache.ignored_inputs
            cache_ignore_input_vars = (ign,) if isinstance(ign, str) else tuple(ign)
            cache = True
        self.cache = bool(cache)
        self._cache_version = cache_version
        self.cache_serialize = cache_serialize
        self.cache_ignore_input_vars = tuple(cache_ignore_input_vars)
        self.cache_ttl_s = _ttl(cache_ttl, self.name, where)
        for v in self.cache_ignore_input_vars:
            if self.python_interface.input(v) is None:
                raise CompileError(
                    f"task {self.name}: cache_ignore_input_vars names unknown input {v!r}",
                    location=where,
                )
        if resources is not None:
            requests = requests or resources
            limits = limits or resources
        self.requests = requests
        self.limits = limits
        self.environment = dict(environment or {})
        self.secret_requests = tuple(secret_requests or ())
        self.container_image = image_name(container_image)
        from ._environment import environment_of

        self.environment_spec = environment_of(container_image, where)
        """The environment an ``ImageSpec`` asks for (None: the runner's own)."""
        self.cluster_options = cluster_options
        """flytekit options that only matter on a Flyte cluster, kept as given."""
        self.enable_deck = bool(cluster_options.get("enable_deck", False)) and not bool(
            cluster_options.get("disable_deck", False)
        )
        """Whether the attempt's decks are saved (``@task(enable_deck=True)``)."""
        self.deprecated = deprecated
        text = docs_text(docs)
        self.docs = text if text is not None else (inspect.getdoc(fn) or "")
        self.non_retryable = tuple(non_retryable)
        self._template: TaskTemplate | None = None
        iface = self.python_interface
        self.needs_context = any(v.codec.needs_context for v in (*iface.inputs, *iface.outputs))
        """Whether converting this task's values touches the blob store."""
        TASKS[(self.loader.module, self.loader.qualname)] = self
        if fn.__module__ != self.loader.module:  # defined in __main__: known under both names
            TASKS[(fn.__module__, self.loader.qualname)] = self

    # -- what the engine and the server see ----------------------------------------------------

    @property
    def cache_version(self) -> str:
        """The given cache version, or the hash of the function's source."""
        if not self._cache_version and self.cache:
            self._cache_version = "src-" + _source_hash(self._fn)
        if self._cache_salt:
            return f"{self._cache_version}+{self._cache_salt}"
        return self._cache_version

    @property
    def template(self) -> TaskTemplate:
        """The compiled, language-neutral task (unversioned)."""
        if self._template is None:
            self._template = TaskTemplate(
                id=Identifier(ResourceType.TASK, self.name),
                interface=self.python_interface.model,
                loader=self.loader,
                type=self.task_type,
                metadata=TaskMetadata(
                    retries=self.retries,
                    system_retries=self.system_retries,
                    timeout_s=self.timeout_s,
                    interruptible=self.interruptible,
                    cache=CacheSpec(
                        version=self.cache_version,
                        serialize=self.cache_serialize,
                        ignore_inputs=self.cache_ignore_input_vars,
                        ttl_s=self.cache_ttl_s,
                    )
                    if self.cache
                    else None,
                    deprecated=self.deprecated,
                    docs=self.docs,
                    non_retryable=tuple(
                        f"{e.__module__}.{e.__qualname__}" for e in self.non_retryable
                    ),
                ),
                requests=self.requests.to_spec(0) if self.requests else ResourceSpec(),
                limits=self.limits.to_spec(1) if self.limits else ResourceSpec(),
                environment=self.environment,
                secrets=tuple(s.to_spec() for s in self.secret_requests),
                container_image=self.container_image,
                environment_spec=self.environment_spec,
                custom=self.custom,
            )
        return self._template

    def _add_to_workflow(
        self, builder: Any, args: tuple[Any, ...], kwargs: dict[str, Any], where: str
    ) -> Any:
        builder.tasks[self.name] = self.template
        return builder.add_node(
            kind=TaskNode(task=self.name),
            entity_name=self.name,
            iface=self.python_interface,
            args=args,
            kwargs=kwargs,
            location=where,
        )

    # -- running ---------------------------------------------------------------------------------

    def decode_inputs(self, literals: dict[str, Any], ctx: TypeContext | None) -> dict[str, Any]:
        """Literal inputs to Python keyword arguments (defaults fill in what is missing)."""
        if self._prepare is not None:
            self._prepare()
        kwargs: dict[str, Any] = {}
        for v in self.python_interface.inputs:
            if v.name in literals:
                try:
                    kwargs[v.name] = v.codec.to_python(literals[v.name], ctx)
                except LiteralTypeError as e:
                    raise LiteralTypeError(f"task {self.name}: input {v.name!r}: {e}") from None
            elif v.has_default:
                kwargs[v.name] = v.default
            else:
                raise InputError(f"task {self.name}: missing required input {v.name!r}")
        return kwargs

    def execute(self, **kwargs: Any) -> Any:
        """Run the user's function; an exception it raises keeps its class and gets a note that
        names this task."""
        if not self.secret_requests:
            try:
                return self._result(self._call(kwargs))
            except Exception as e:
                e.add_note(f"in task {self.name}")
                raise
        from ._context import current_context
        from ._secrets import mounted_secrets, redact

        ctx = current_context()
        with mounted_secrets(ctx.secrets, self.secret_requests, ctx.working_directory) as values:
            try:
                return self._result(self._call(kwargs))
            except Exception as e:
                redact(e, values)
                e.add_note(f"in task {self.name}")
                raise

    def _call(self, kwargs: dict[str, Any]) -> Any:
        if self._run_body is not None:
            return self._run_body(self, kwargs)
        return self._fn(**kwargs)

    @staticmethod
    def _result(value: Any) -> Any:
        """A coroutine task's (``@task async def``) result: the coroutine run to its end."""
        if inspect.iscoroutine(value):
            import asyncio

            return asyncio.run(value)
        return value

    def encode_outputs(self, result: Any, ctx: TypeContext | None) -> dict[str, Any]:
        """The function's return value to a literal map of outputs."""
        outs = self.python_interface.outputs
        if not outs:
            return {}
        if len(outs) == 1 and self.python_interface.output_tuple is None:
            v = outs[0]
            try:
                return {v.name: v.codec.to_literal(result, ctx)}
            except LiteralTypeError as e:
                raise LiteralTypeError(f"task {self.name}: output: {e}") from None
        if len(outs) == 1 and _is_bare(result, self.python_interface.output_tuple, outs[0]):
            result = (result,)  # flytekit: a one-field NamedTuple task may return the bare value
        if not isinstance(result, tuple) or len(result) != len(outs):
            raise LiteralTypeError(
                f"task {self.name}: expected a tuple of {len(outs)} outputs "
                f"({', '.join(v.name for v in outs)}), got {type(result).__name__}"
            )
        literals = {}
        for v, value in zip(outs, result, strict=True):
            try:
                literals[v.name] = v.codec.to_literal(value, ctx)
            except LiteralTypeError as e:
                raise LiteralTypeError(f"task {self.name}: output {v.name!r}: {e}") from None
        return literals

    def decode_outputs(self, literals: dict[str, Any], ctx: TypeContext | None) -> Any:
        """A literal map of outputs back to what the function returned."""
        outs = self.python_interface.outputs
        return _decode_outputs(self.python_interface, literals, ctx, outs)

    def bind_call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """Map a Python call's arguments to input names, raising ``TypeError`` like Python would."""
        return bind_arguments(self.name, self.python_interface, args, kwargs)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        builder = _compiler.current_builder()
        if builder is not None:
            # inside a workflow body the call returns promises that stand for R
            return builder.add_entity(self, args, kwargs, caller_location())  # type: ignore[no-any-return]
        bound = self.bind_call(args, kwargs)
        calls = CURRENT.get()
        if calls is not None:  # inside an eager body: a recorded call, awaited for its outputs
            return calls.call(self, bound)  # type: ignore[return-value]
        from ._context import in_task

        if in_task():  # a task calling a task: a plain function call, as in flytekit
            return self._fn(**bound)  # type: ignore[no-any-return]
        return get_local_executor()(self, bound)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"PythonTask({self.name})"


def _decode_outputs(
    iface: PyInterface, literals: dict[str, Any], ctx: TypeContext | None, outs: Any
) -> Any:
    if not outs:
        return None
    values = [v.codec.to_python(literals[v.name], ctx) for v in outs]
    if iface.output_tuple is None:
        return values[0]
    return iface.output_tuple(*values)


def _is_bare(result: Any, output_tuple: Any, out: Any) -> bool:
    """Whether a one-output task returned its value alone instead of a 1-tuple."""
    if not isinstance(result, tuple):
        return True
    if isinstance(result, output_tuple):
        return False
    tp = out.python_type
    return tp is tuple or typing.get_origin(tp) is tuple or _is_namedtuple_type(tp)


def _is_namedtuple_type(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields")


def bind_arguments(
    what: str, iface: PyInterface, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    """Arguments of a call to ``{input name: value}``, with Python's own ``TypeError``s."""
    if not args:  # the usual call, every input by keyword: nothing to check but the names
        inputs = iface.inputs
        if len(kwargs) == len(inputs):
            for v in inputs:
                if v.name not in kwargs:
                    break
            else:
                return dict(kwargs)
    names = iface.input_names
    if len(args) > len(names):
        raise TypeError(
            f"{what}() takes {len(names)} positional arguments but {len(args)} were given"
        )
    bound = dict(zip(names, args, strict=False))
    for k, v in kwargs.items():
        if k not in names:
            raise TypeError(f"{what}() got an unexpected keyword argument {k!r}")
        if k in bound:
            raise TypeError(f"{what}() got multiple values for argument {k!r}")
        bound[k] = v
    missing = [v.name for v in iface.inputs if v.name not in bound and not v.has_default]
    if missing:
        raise TypeError(
            f"{what}() missing {len(missing)} required argument"
            f"{'s' if len(missing) > 1 else ''}: {', '.join(repr(m) for m in missing)}"
        )
    return bound


def _seconds(
    timeout: int | float | datetime.timedelta | None, name: str, where: str
) -> float | None:
    if timeout is None:
        return None
    s = timeout.total_seconds() if isinstance(timeout, datetime.timedelta) else float(timeout)
    if s <= 0:
        raise CompileError(
            f"task {name}: timeout must be positive, got {timeout!r}", location=where
        )
    return s


def _ttl(ttl: int | float | datetime.timedelta | None, name: str, where: str) -> float | None:
    if ttl is None:
        return None
    s = ttl.total_seconds() if isinstance(ttl, datetime.timedelta) else float(ttl)
    if not s > 0:
        raise CompileError(f"task {name}: cache_ttl must be positive, got {ttl!r}", location=where)
    return s


def _source_hash(fn: Callable[..., Any]) -> str:
    import hashlib

    try:
        src = inspect.getsource(fn)
    except (OSError, TypeError):
        code = fn.__code__
        src = repr((code.co_code, code.co_consts, code.co_names))
    return hashlib.sha256(src.encode()).hexdigest()[:16]


def _check_has_return(fn: Callable[..., Any], name: str, where: str) -> None:
    """A task that declares outputs but whose body never returns a value is a compile error."""
    import textwrap

    try:
        src = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(src)
    except (OSError, TypeError, SyntaxError):
        return
    fdef = tree.body[0] if tree.body else None
    if not isinstance(fdef, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return
    todo: list[ast.AST] = list(fdef.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Return) and node.value is not None:
            return
        if isinstance(node, (ast.Raise, ast.Yield, ast.YieldFrom)):
            return  # a body that only raises is deliberate
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        todo.extend(ast.iter_child_nodes(node))
    raise CompileError(
        f"task {name} declares a return type but its body has no return statement",
        location=where,
    )


@overload
def task(_fn: Callable[P, R]) -> PythonTask[P, R]: ...
@overload
def task(_fn: None = None, **kwargs: Any) -> Callable[[Callable[P, R]], PythonTask[P, R]]: ...
def task(_fn: Any = None, **kwargs: Any) -> Any:
    """Declare a task. Bare (``@task``) or with options (``@task(cache=True, retries=2)``).

    Options follow flytekit: ``cache``, ``cache_version``, ``cache_serialize``,
    ``cache_ignore_input_vars``, ``retries``, ``timeout`` (seconds or timedelta), ``interruptible``,
    ``requests``, ``limits``, ``resources``, ``environment``, ``secret_requests``,
    ``container_image``, ``deprecated``, ``docs``; and slipstream's ``cache_ttl`` (seconds or
    timedelta: a cached output older than this is a miss), ``non_retryable`` (exception
    classes that are never retried) and ``system_retries`` (at most this many retries of failures
    that are not the task's own, such as a lost engine host; 0 opts out). Unlike flytekit, every
    exception is retried up to ``retries``, and so is a crash of the task's own process.
    """
    if _fn is not None:
        if not callable(_fn):
            raise TypeError("@task expects a function")
        return PythonTask(_fn, **kwargs)

    def wrap(fn: Callable[P, R]) -> PythonTask[P, R]:
        return PythonTask(fn, **kwargs)

    return wrap
