"""Calling a package function: inputs -> Python arguments, return value -> execution output.

Shared by the agent (``conveyor_runner.agent``) and ``package.test()`` so both run user
code identically (dtlpy-contract §5.4, §5.5). Three steps:

1. ``resolve_inputs(declared, values, client_api)`` builds keyword arguments from the
   execution input: entity inputs are fetched by id, scalars are type-checked.
2. ``call_function(method, kwargs, progress=..., context=...)`` injects ``progress`` and
   ``context`` when the method's signature asks for them, and calls it.
3. ``to_output(value)`` turns the return value into JSON-able execution output.

Errors::

    ConveyorError (conveyor.exceptions)
    └── InvocationError (also ValueError)
        ├── InputError    an input value cannot become an argument; names the input
        └── OutputError   the return value is not JSON-serialisable; names the type
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from typing import Any

from .. import exceptions
from .progress import Progress

#: entity input types fetched by id; _PASSED ones are handed over as received
_FETCHED = ("Item", "Dataset", "Annotation", "Project", "Package", "Service", "Execution",
            "Model")
_PASSED = ("Task", "Assignment", "Recipe", "Trigger", "Pipeline")
_SCALARS: dict[str, Callable[[Any], bool]] = {
    "String": lambda v: isinstance(v, str),
    "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "Number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "Boolean": lambda v: isinstance(v, bool),
    "Json": lambda v: True,
    "Any": lambda v: True,
}
#: entity class names whose instances become ``{"<name>_id": id}`` outputs
_OUTPUT_ENTITIES = ("Item", "Dataset", "Annotation", "Project", "Package", "Service",
                    "Execution", "Model", "Task", "Assignment", "Recipe", "Trigger",
                    "Pipeline", "Bot", "User", "Command")


class InvocationError(exceptions.ConveyorError, ValueError):
    """A function could not be invoked with these inputs or its output is unusable."""


class InputError(InvocationError):
    """An input value cannot become the function's argument.

    Attributes:
        input_name: the declared input at fault (``None`` for the input dict itself).
    """

    def __init__(self, input_name: str | None, message: str) -> None:
        self.input_name = input_name
        where = f"input.{input_name}" if input_name else "input"
        super().__init__(f"{where}: {message}")


class OutputError(InvocationError):
    """The function's return value cannot be stored as the execution output."""


# ------------------------------------------------------------------------------ inputs
def resolve_inputs(declared: list, values: dict | None, client_api: Any,
                   snapshots: dict[str, dict] | None = None) -> dict[str, object]:
    """Build the function's keyword arguments from an execution input.

    Args:
        declared: the function's declared inputs (FunctionIO JSONs ``{name, type}`` or
            ``FunctionIO`` objects).
        values: the execution input ``{name: value}`` (None = no input).
        client_api: the ``ApiClient`` entities are fetched with.
        snapshots: ``{entity id: JSON}`` of entities to build from that JSON instead of
            fetching them -- a ``Deleted`` event's resource, which no longer exists, or
            the items a replica's claim answered with.

    Returns:
        ``{name: python value}`` for every declared input present in ``values`` with a
        non-null value; undeclared keys are ignored and absent (or null) inputs are left
        out so the Python defaults apply. Entity types (Item, Dataset, Annotation,
        Project, Package, Service, Execution, Model) become SDK entities fetched by id
        (value forms: id string, ``{"<type>_id": id}``, ``{"id": id}``); Model is passed
        through unchanged while the SDK has no Model repository. Task, Assignment,
        Recipe, Trigger and Pipeline values are passed through. ``X[]`` inputs become
        lists, element by element. Scalars are type-checked; Json/Any pass through.

    Raises:
        InputError: ``values`` is not a dict, a type is unknown, a value has the wrong
            type, an id is malformed, or an entity does not exist; names the input.
        ServerUnreachable / PlatformException (not 404/400/403): fetching failed.
    """
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise InputError(None, f"expected an object of input name -> value, got "
                               f"{type(values).__name__}")
    kwargs: dict[str, object] = {}
    for io in declared or []:
        spec = io.to_json() if hasattr(io, "to_json") else io
        name, kind = spec.get("name"), spec.get("type")
        if name not in values or values[name] is None:
            continue
        kwargs[name] = _resolve(client_api, name, str(_value_of(kind)), values[name],
                                snapshots or {})
    return kwargs


def _value_of(kind: Any) -> Any:
    return getattr(kind, "value", kind)


def _resolve(client_api: Any, name: str, kind: str, value: Any, snapshots: dict) -> Any:
    if kind.endswith("[]"):
        if not isinstance(value, list):
            raise InputError(name, f"expected a list ({kind}), got {type(value).__name__}")
        return [_resolve_one(client_api, name, kind[:-2], v, f"[{i}]", snapshots)
                for i, v in enumerate(value)]
    return _resolve_one(client_api, name, kind, value, "", snapshots)


def _resolve_one(client_api: Any, name: str, kind: str, value: Any, index: str,
                 snapshots: dict) -> Any:
    if kind in _SCALARS:
        if not _SCALARS[kind](value):
            raise InputError(name, f"{index}expected {kind}, got {type(value).__name__}".lstrip())
        return value
    if kind in _PASSED:
        return value
    if kind not in _FETCHED:
        raise InputError(name, f"unknown input type {kind!r}")
    entity_id = entity_id_of(kind, value)
    if entity_id is None:
        raise InputError(name, f"{index}expected a {kind} id or {{{kind.lower()}_id: ...}}, "
                               f"got {value!r}".lstrip())
    if entity_id in snapshots and kind in _FROM_SNAPSHOT:
        return _FROM_SNAPSHOT[kind](snapshots[entity_id], client_api)
    return _fetch(client_api, name, kind, entity_id, value)


def _item_from(snapshot: dict, client_api: Any) -> Any:
    from ..entities.item import Item

    return Item.from_json(_json=snapshot, client_api=client_api)


def _dataset_from(snapshot: dict, client_api: Any) -> Any:
    from ..entities.dataset import Dataset

    return Dataset.from_json(project=None, _json=snapshot, client_api=client_api)


def _annotation_from(snapshot: dict, client_api: Any) -> Any:
    from ..annotations.annotation import Annotation

    return Annotation.from_json(_json=snapshot, client_api=client_api)


#: Entity types a snapshot (a deleted resource's JSON) can be turned back into.
_FROM_SNAPSHOT: dict[str, Callable[[dict, Any], Any]] = {
    "Item": _item_from, "Dataset": _dataset_from, "Annotation": _annotation_from}


def entity_id_of(kind: str, value: Any) -> str | None:
    """The id in an entity input value: an id string, ``{<type>_id}``, ``{<type>Id}`` or
    ``{id}``."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, dict):
        lower = kind[0].lower() + kind[1:]
        found = value.get(f"{kind.lower()}_id") or value.get(f"{lower}Id") or value.get("id")
        return found if isinstance(found, str) and found else None
    return None


def _fetch(client_api: Any, name: str, kind: str, entity_id: str, raw: Any) -> Any:
    getter = _getter(client_api, kind)
    if getter is None:
        return raw  # no SDK repository for this type yet
    try:
        return getter(entity_id)
    except (exceptions.NotFound, exceptions.BadRequest, exceptions.Forbidden) as exc:
        raise InputError(name, f"{kind.lower()} {entity_id} not found ({exc.message})") from exc


def _getter(client_api: Any, kind: str) -> Callable[[str], Any] | None:
    # imported here: repositories import entities, which import this package's runner
    from .. import repositories as repos

    if kind == "Item":
        return lambda i: repos.Items(client_api=client_api).get(item_id=i)
    if kind == "Dataset":
        return lambda i: repos.Datasets(client_api=client_api).get(dataset_id=i)
    if kind == "Annotation":
        from ..repositories.annotations import Annotations

        return lambda i: Annotations(client_api=client_api).get(annotation_id=i)
    if kind == "Project":
        return lambda i: repos.Projects(client_api=client_api).get(project_id=i)
    if kind == "Package":
        from ..repositories.packages import Packages

        return lambda i: Packages(client_api=client_api).get(package_id=i)
    if kind == "Service":
        from ..repositories.services import Services

        return lambda i: Services(client_api=client_api).get(service_id=i)
    if kind == "Execution":
        from ..repositories.executions import Executions

        return lambda i: Executions(client_api=client_api).get(execution_id=i)
    return _model_getter(client_api)


def _model_getter(client_api: Any) -> Callable[[str], Any] | None:
    try:
        from ..repositories.models import Models  # type: ignore[import-not-found]
    except ImportError:
        return None
    return lambda i: Models(client_api=client_api).get(model_id=i)


# ------------------------------------------------------------------------------ call
def call_function(method: Callable[..., Any], kwargs: dict, *, progress: Progress | None = None,
                  context: Any = None) -> object:
    """Call ``method(**kwargs)``, adding ``progress``/``context`` if its signature names them.

    ``progress`` is added when the method has a ``progress`` parameter and ``kwargs`` has
    none (a no-op ``Progress()`` when ``progress`` is None); ``context`` when it has a
    ``context`` parameter, ``kwargs`` has none and ``context`` is not None. Nothing else is
    injected; ``kwargs`` itself is not modified.

    Returns:
        Whatever the method returns. Its exceptions propagate unchanged.
    """
    parameters = _injectable(method)
    call_kwargs = dict(kwargs)
    if "progress" in parameters and "progress" not in call_kwargs:
        call_kwargs["progress"] = progress if progress is not None else Progress()
    if "context" in parameters and "context" not in call_kwargs and context is not None:
        call_kwargs["context"] = context
    return method(**call_kwargs)


_INJECTED = ("progress", "context")


def _injectable(method: Callable[..., Any]) -> frozenset[str]:
    """Which of ``progress`` and ``context`` the method's signature names. Worked out once
    per function (a bound method by its function): a replica calls the same few functions
    for every execution, and ``inspect.signature`` was a fifth of its work per call."""
    target = getattr(method, "__func__", method)
    try:
        return _injectable_of(target)
    except TypeError:  # an unhashable callable: not cached
        return _parameters_named(target)


@functools.lru_cache(maxsize=1024)
def _injectable_of(target: Callable[..., Any]) -> frozenset[str]:
    return _parameters_named(target)


def _parameters_named(target: Callable[..., Any]) -> frozenset[str]:
    try:
        parameters = inspect.signature(target).parameters
    except (TypeError, ValueError):  # builtins without a signature: nothing to inject
        return frozenset()
    return frozenset(name for name in _INJECTED if name in parameters)


# ------------------------------------------------------------------------------ output
def to_output(value: Any) -> object:
    """The execution output for a function's return value (dtlpy-contract §5.4).

    Entities become ``{"<type>_id": id}`` (an Annotation without an id becomes its JSON);
    an AnnotationCollection becomes a list of those; lists and tuples become lists
    element-wise; dicts are converted value by value; str/int/float/bool/None stay.

    Raises:
        OutputError: something else (e.g. a set, bytes, a numpy array) is in the value;
            the message names its type and where it is.
    """
    return _convert(value, "output")


def _convert(value: Any, where: str) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_convert(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {_key(k, where): _convert(v, f"{where}.{k}") for k, v in value.items()}
    names = [klass.__name__ for klass in type(value).__mro__]
    if "AnnotationCollection" in names:
        return [_convert(a, f"{where}[{i}]") for i, a in enumerate(value)]
    kind = next((n for n in names if n in _OUTPUT_ENTITIES), None)
    if kind is None and "BaseEntity" in names:
        kind = type(value).__name__
    if kind is not None:
        entity_id = getattr(value, "id", None)
        if kind == "Annotation" and entity_id is None:
            return _convert(value.to_json(), where)
        return {f"{kind.lower()}_id": entity_id}
    raise OutputError(f"{where}: {type(value).__name__} is not JSON-serialisable; return "
                      "JSON types (dict, list, str, number, bool, None) or SDK entities")


def _key(key: Any, where: str) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, (int, float, bool)) or key is None:
        return json.dumps(key)  # the key json.dumps itself would write
    raise OutputError(f"{where}: dict key of type {type(key).__name__} is not JSON-serialisable")
