"""BaseEntity: entity = JSON as received + typed attributes + a back-reference to the client.

Entities never build URLs or send requests; they delegate to repositories. Attributes
are declared with ``Field(json_key)``. ``to_json()`` starts from the JSON as received
(so keys the SDK does not model survive a round trip) and overlays the attributes.
An entity built from a stub (``is_fetched=False``, e.g. ``{"id": ...}``) fetches its full
JSON the first time a missing attribute is read, if its class implements ``_fetch_json``.
"""

from __future__ import annotations

import copy
import enum
import logging
from collections.abc import Callable
from typing import Any, ClassVar

logger = logging.getLogger("conveyor")

_MISSING = object()


class Field:
    """Entity attribute stored under a top-level JSON key.

    Args:
        key: the JSON key (e.g. ``"createdAt"``).
        to_json: include the attribute in ``to_json()`` (False for derived/read-only keys
            that should only echo what was received).
        load: converts the JSON value into the attribute value (e.g. a small value
            object with its own ``to_json``); not called for missing keys.
    """

    def __init__(self, key: str, *, to_json: bool = True, load: Callable[[Any], Any] | None = None):
        self.key = key
        self.to_json = to_json
        self.load = load
        self.name = key

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__.get(self.name)
        if value is None and self.name != "id" and not obj.__dict__.get("is_fetched", True):
            obj._lazy_fetch()
            value = obj.__dict__.get(self.name)
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.name] = value


class Timestamped:
    """dtlpy's camelCase aliases of the ``created_at``/``updated_at`` fields, for the
    entities that declare both."""

    @property
    def createdAt(self) -> Any:  # noqa: N802 - dtlpy name
        """dtlpy alias of ``created_at``."""
        return self.created_at

    @property
    def updatedAt(self) -> Any:  # noqa: N802 - dtlpy name
        """dtlpy alias of ``updated_at``."""
        return self.updated_at


class InProject:
    """``project`` for entities with a ``project_id`` field: a lazy Project stub built on
    first use (kept in ``_project``, which the entity sets when it was given one)."""

    @property
    def project(self) -> Any:
        """The entity's Project (a lazy stub built from ``project_id``)."""
        if self._project is None and self.project_id:
            from .project import Project

            self._project = Project.from_json({"id": self.project_id}, self._client_api,
                                              is_fetched=False)
        return self._project


class BaseEntity:
    """Common behaviour of SDK entities (see module docstring).

    Args:
        client_api: the ``ApiClient`` the entity's repositories use.
        platform_dict: the JSON as received from the server (kept as ``_json``).
        is_fetched: False for stubs that fetch themselves lazily.
        **values: attribute values by attribute name.
    """

    #: attribute name -> Field, collected over the class hierarchy
    _fields: ClassVar[dict[str, Field]] = {}
    #: attributes shown by repr()
    _repr_fields: ClassVar[tuple[str, ...]] = ("id", "name")
    #: repositories attached by other modules: name -> factory(entity), per class
    _extensions: ClassVar[dict[str, Callable[[Any], Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields: dict[str, Field] = {}
        for klass in reversed(cls.__mro__):
            for name, attr in vars(klass).items():
                if isinstance(attr, Field):
                    fields[name] = attr
        cls._fields = fields
        cls._extensions = dict(getattr(cls, "_extensions", {}))

    @classmethod
    def attach_repository(cls, name: str, factory: Callable[[Any], Any]) -> None:
        """Expose ``factory(entity)`` as the cached attribute ``entity.<name>``.

        Lets modules this file does not know (e.g. services, executions) add
        ``project.services`` without editing the entity class. Existing attributes win.
        """
        cls._extensions[name] = factory

    def __getattr__(self, name: str) -> Any:
        # only reached when normal lookup fails, including when a property raised
        # AttributeError: re-run it so the real error surfaces instead of this lookup's
        prop = getattr(type(self), name, None)
        if isinstance(prop, property) and prop.fget is not None:
            return prop.fget(self)
        factory = type(self)._extensions.get(name) if not name.startswith("_") else None
        if factory is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return self._relation(name, lambda: factory(self))

    def __init__(
        self,
        client_api: Any = None,
        platform_dict: dict | None = None,
        is_fetched: bool = True,
        **values: Any,
    ):
        unknown = sorted(set(values) - set(self._fields))
        if unknown:
            raise TypeError(
                f"{type(self).__name__}() got unexpected arguments: {', '.join(unknown)}"
            )
        for name in self._fields:
            self.__dict__[name] = values.get(name)
        self._client_api = client_api
        self._json: dict = copy_json(platform_dict) if platform_dict is not None else {}
        self._relations: dict[str, Any] = {}
        self.is_fetched = is_fetched

    # ---------------------------------------------------------------- json
    @classmethod
    def _values_from_json(cls, _json: dict) -> dict[str, Any]:
        """Attribute values read from ``_json`` (deep copies; missing keys -> None)."""
        values = {}
        for name, f in cls._fields.items():
            raw = copy_json(_json.get(f.key))
            values[name] = f.load(raw) if f.load is not None and raw is not None else raw
        return values

    @classmethod
    def _build(cls, _json: dict, client_api: Any, is_fetched: bool = True, **extra: Any):
        """Generic ``from_json``: subclasses wrap it with their dtlpy signature."""
        if not isinstance(_json, dict):
            raise TypeError(
                f"{cls.__name__}.from_json: _json must be a dict, got {type(_json).__name__}"
            )
        inst = cls(
            client_api=client_api,
            platform_dict=_json,
            is_fetched=is_fetched,
            **cls._values_from_json(_json),
        )
        for name, value in extra.items():
            setattr(inst, name, value)
        return inst

    def to_json(self) -> dict:
        """Platform JSON of the entity: the JSON as received, overlaid with the attributes.

        Attributes that are ``None`` and were absent from the received JSON are omitted,
        so a PATCH diff never invents ``null`` fields.
        """
        out = copy.deepcopy(self._json)
        for name, f in self._fields.items():
            if not f.to_json:
                continue
            value = self.__dict__.get(name)
            if value is None and f.key not in out:
                continue
            out[f.key] = to_jsonable(value)
        return out

    def _load_json(self, _json: dict) -> None:
        """Replace the received JSON and every attribute with a fresh server copy."""
        self._json = copy.deepcopy(_json)
        for name, value in self._values_from_json(_json).items():
            self.__dict__[name] = value

    # ------------------------------------------------------------ lazy fetch
    def _fetch_json(self) -> dict:
        """Return the entity's full JSON from the server (override to enable lazy fetch)."""
        raise NotImplementedError

    def _lazy_fetch(self) -> None:
        if self.__dict__.get("_fetching"):
            return
        self.__dict__["_fetching"] = True
        try:
            fresh = self._fetch_json()
        except NotImplementedError:
            self.is_fetched = True
            return
        finally:
            self.__dict__["_fetching"] = False
        self._load_json(fresh)
        self.is_fetched = True

    def _relation(self, name: str, factory: Callable[[], Any]) -> Any:
        """Cached related object or repository, created by ``factory`` on first use."""
        value = self._relations.get(name, _MISSING)
        if value is _MISSING:
            value = factory()
            self._relations[name] = value
        return value

    # ----------------------------------------------------------------- misc
    @property
    def client_api(self) -> Any:
        """The ``ApiClient`` this entity's repositories use."""
        return self._client_api

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={self.__dict__.get(name)!r}"
            for name in self._repr_fields
            if name in self._fields
        )
        return f"{type(self).__name__}({shown})"

    def __getstate__(self) -> dict:
        # the client holds a session and locks; pickles carry only the JSON
        return {"json": self.to_json(), "is_fetched": self.is_fetched}

    def __setstate__(self, state: dict) -> None:
        from .. import client_api as default_client

        self.__init__(
            client_api=default_client,
            platform_dict=state["json"],
            is_fetched=state.get("is_fetched", True),
            **self._values_from_json(state["json"]),
        )


_SCALARS = (str, int, float, bool, type(None))


def copy_json(value: Any) -> Any:
    """Deep copy of JSON-shaped data (dicts, lists, scalars), several times faster than
    ``copy.deepcopy`` on it -- an entity copies its JSON when built, and a server answer
    is all JSON; anything else in it is copied by ``copy.deepcopy``."""
    if isinstance(value, _SCALARS):
        return value
    if type(value) is dict:
        return {key: copy_json(item) for key, item in value.items()}
    if type(value) is list:
        return [copy_json(item) for item in value]
    return copy.deepcopy(value)


def to_jsonable(value: Any) -> Any:
    """Deep copy of ``value`` with enums as their values and entities as their JSON."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "to_json") and callable(value.to_json):
        return value.to_json()
    return copy.deepcopy(value)


def json_diff(origin: dict, modified: dict) -> dict:
    """JSON Merge Patch (RFC 7396) turning ``origin`` into ``modified``.

    Nested objects recurse; a key removed becomes ``null``; any other changed value
    (lists included) is sent whole. An empty result means nothing changed.
    """
    diff: dict = {}
    for key, new in modified.items():
        old = origin.get(key, _MISSING)
        if isinstance(old, dict) and isinstance(new, dict):
            nested = json_diff(old, new)
            if nested:
                diff[key] = nested
        elif old is _MISSING or old != new:
            diff[key] = copy.deepcopy(new)
    for key in origin:
        if key not in modified:
            diff[key] = None
    return diff
