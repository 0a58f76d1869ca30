"""``@dl.Package.decorators.module`` / ``.function``: describe a module in its own code.

The decorators attach the module JSON to the class as ``__dtlpy__`` (the attribute name
dtlpy uses, so classes decorated for either SDK describe themselves the same way);
``dl.PackageModule.from_entry_point(path)`` reads it back.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from enum import Enum
from typing import Any


class PackageDecorators:
    """Namespace of the decorators (exposed as ``dl.Package.decorators``)."""

    @staticmethod
    def module(name: str = "default-module", description: str = "",
               init_inputs: dict | None = None) -> Callable[[type], type]:
        """Class decorator: the class is a module named ``name``.

        Args:
            name: module name.
            description: free text.
            init_inputs: ``{argument: type}`` of the constructor (types as
                ``dl.PackageInputType``, strings, or classes like ``dl.Item``).
        """
        def wrapper(cls: type) -> type:
            spec: dict[str, Any] = {"name": name, "description": description,
                                    "functions": [], "className": cls.__name__}
            if init_inputs is not None:
                spec["initInputs"] = PackageDecorators.parse_io(init_inputs)
            for _, member in inspect.getmembers(cls, predicate=inspect.isfunction):
                described = getattr(member, "__dtlpy__", None)
                if described is not None:
                    spec["functions"].append(described)
            cls.__dtlpy__ = spec  # type: ignore[attr-defined]
            return cls

        return wrapper

    @staticmethod
    def function(display_name: str | None = None, inputs: dict | None = None,
                 outputs: dict | None = None) -> Callable[[Callable], Callable]:
        """Method decorator: the method is a function of the module.

        Args:
            display_name: UI name (default the method name).
            inputs / outputs: ``{name: type}``.
        """
        def wrapper(func: Callable) -> Callable:
            func.__dtlpy__ = {  # type: ignore[attr-defined]
                "name": func.__name__, "displayName": display_name or func.__name__,
                "input": PackageDecorators.parse_io(inputs),
                "output": PackageDecorators.parse_io(outputs)}
            return func

        return wrapper

    @staticmethod
    def parse_io(io_list: dict | None) -> list[dict]:
        """``{name: type}`` -> ``[{name, type}]``; types may be enums, classes or strings."""
        parsed = []
        for io_name, io_type in (io_list or {}).items():
            if isinstance(io_type, Enum):
                io_type = io_type.value
            elif isinstance(io_type, type):
                io_type = io_type.__name__
            parsed.append({"name": io_name, "type": str(io_type)})
        return parsed
