"""Spec: small JSON value objects built like dtlpy's ``DlEntity`` (``Cls(_dict=None, **kwargs)``).

Package modules, functions, inputs, slots and codebases are plain JSON on the wire and
carry no client. A ``Spec`` subclass declares its attributes with ``SpecField``; an
instance is built from a received dict (``_dict``), keyword attributes, or both
(keywords win). ``to_json()`` re-emits the received JSON — keys the class does not model
survive — overlaid with the attributes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, ClassVar

from .base import to_jsonable


class SpecField:
    """One attribute of a ``Spec``, stored under JSON key ``key``.

    Args:
        key: the JSON key.
        default: the value when neither given nor received (deep-copied per instance).
        factory: instead of ``default``, called with the instance to compute it
            (attributes declared earlier are already set).
        load: converts a received or given value (not None) into the attribute value;
            must accept values it already produced.
        always: emit the key even when the value is None and it was not received.
    """

    def __init__(self, key: str, default: Any = None, *,
                 factory: Callable[[Any], Any] | None = None,
                 load: Callable[[Any], Any] | None = None, always: bool = False) -> None:
        self.key, self.default, self.factory = key, default, factory
        self.load, self.always = load, always


class Spec:
    """Base of JSON value objects (see module docstring)."""

    #: attribute name -> SpecField, in declaration order (collected per subclass)
    _spec: ClassVar[dict[str, SpecField]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields: dict[str, SpecField] = {}
        for klass in reversed(cls.__mro__):
            fields.update({k: v for k, v in vars(klass).items() if isinstance(v, SpecField)})
        cls._spec = fields

    def __init__(self, _dict: dict | None = None, **kwargs: Any) -> None:
        unknown = sorted(set(kwargs) - set(self._spec))
        if unknown:
            raise TypeError(f"{type(self).__name__}() got unexpected arguments: "
                            f"{', '.join(unknown)}")
        if _dict is not None and not isinstance(_dict, dict):
            raise TypeError(f"{type(self).__name__}: _dict must be a dict, got "
                            f"{type(_dict).__name__}")
        self._dict: dict = copy.deepcopy(_dict) if _dict else {}
        for name, f in self._spec.items():
            if name in kwargs:
                value = kwargs[name]
            elif f.key in self._dict:
                value = copy.deepcopy(self._dict[f.key])
            else:
                value = f.factory(self) if f.factory else copy.deepcopy(f.default)
            object.__setattr__(self, name, f.load(value) if f.load and value is not None
                               else value)
        self._validate()

    def _validate(self) -> None:
        """Check the attributes after construction (override; raise naming the field)."""

    @classmethod
    def from_json(cls, _json: dict) -> Any:
        """Build from the platform JSON (unknown keys are kept for ``to_json``)."""
        return cls(_dict=_json)

    def to_json(self) -> dict:
        """The platform JSON: received keys, overlaid with the attributes.

        An attribute that is None is emitted only if its field is ``always`` or its key was
        received.
        """
        keys = {f.key for f in self._spec.values()}
        out = {k: copy.deepcopy(v) for k, v in self._dict.items() if k not in keys}
        for name, f in self._spec.items():
            value = getattr(self, name)
            if value is not None or f.always or f.key in self._dict:
                out[f.key] = to_jsonable(value)
        return out

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.to_json() == other.to_json()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment] - mutable value objects

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in list(self._spec)[:3])
        return f"{type(self).__name__}({shown})"
