"""PackageModule: one class of a package's code (entry point file + class + functions)."""

from __future__ import annotations

import importlib.util
import inspect
import logging
from typing import Any

from .package_function import PackageFunction, load_ios
from .spec import Spec, SpecField

logger = logging.getLogger("conveyor")

DEFAULT_PACKAGE_MODULE_NAME = "default_module"
DEFAULT_PACKAGE_ENTRY_POINT = "main.py"
DEFAULT_PACKAGE_CLASS_NAME = "ServiceRunner"


def load_functions(functions: Any) -> list:
    """A list of ``PackageFunction`` from entities and/or their JSON dicts.

    Raises:
        TypeError: an element is neither (names its position).
    """
    if not isinstance(functions, list):
        functions = [functions]
    result = []
    for index, function in enumerate(functions):
        if isinstance(function, dict):
            function = PackageFunction.from_json(function)
        if not isinstance(function, PackageFunction):
            raise TypeError(f"functions[{index}]: expected dl.PackageFunction or dict, got "
                             f"{type(function).__name__}")
        result.append(function)
    return result


class PackageModule(Spec):
    """A module of a package: ``class_name`` in ``entry_point`` and its functions.

    Attributes:
        name: module name (default ``default_module``).
        entry_point: the Python file, relative to the codebase root (default ``main.py``).
        class_name: the class in it (default ``ServiceRunner``).
        init_inputs: ``FunctionIO`` list of the constructor's arguments (``initInputs``).
        functions: the ``PackageFunction`` list.
        compute_config: optional compute configuration name.

    Raises:
        ValueError: two functions share a name.
    """

    name = SpecField("name", DEFAULT_PACKAGE_MODULE_NAME, always=True)
    entry_point = SpecField("entryPoint", DEFAULT_PACKAGE_ENTRY_POINT, always=True)
    class_name = SpecField("className", DEFAULT_PACKAGE_CLASS_NAME, always=True)
    init_inputs = SpecField("initInputs", [], load=load_ios, always=True)
    functions = SpecField("functions", [], load=load_functions, always=True)
    compute_config = SpecField("computeConfig", always=True)

    def _validate(self) -> None:
        names = [f.name for f in self.functions]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"functions: module {self.name!r} has two functions named "
                             f"{duplicates[0]!r}")

    def add_function(self, function: PackageFunction | dict) -> None:
        """Append a function (entity or its JSON).

        Raises:
            TypeError: not a PackageFunction/dict.
            ValueError: a function of that name exists.
        """
        if isinstance(function, dict):
            function = PackageFunction.from_json(function)
        if not isinstance(function, PackageFunction):
            raise TypeError(f"function: expected dl.PackageFunction or dict, got "
                             f"{type(function).__name__}")
        if any(f.name == function.name for f in self.functions):
            raise ValueError(f"function: module {self.name!r} already has {function.name!r}")
        self.functions.append(function)

    @classmethod
    def from_entry_point(cls, entry_point: str) -> PackageModule:
        """The module described by the ``@dl.Package.decorators.module`` class in ``entry_point``.

        The file is imported (its top-level code runs).

        Raises:
            ValueError: no decorated class in the file.
        """
        spec = importlib.util.spec_from_file_location("conveyor_entry_point", entry_point)
        if spec is None or spec.loader is None:
            raise ValueError(f"entry_point: cannot load {entry_point!r}")
        source = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(source)
        for _, klass in inspect.getmembers(source, predicate=inspect.isclass):
            described = getattr(klass, "__dtlpy__", None)
            if described is not None and klass.__module__ == source.__name__:
                return cls.from_json({**described, "entryPoint": entry_point})
        raise ValueError(f"entry_point: no class decorated with dl.Package.decorators.module in "
                         f"{entry_point!r}")

    def __repr__(self) -> str:
        return (f"PackageModule(name={self.name}, entry_point={self.entry_point}, "
                f"class_name={self.class_name})")


def load_modules(modules: Any) -> list:
    """A list of ``PackageModule`` from entities and/or their JSON dicts.

    Raises:
        TypeError: an element is neither (names its position).
    """
    if not isinstance(modules, list):
        modules = [modules]
    result = []
    for index, module in enumerate(modules):
        if isinstance(module, dict):
            module = PackageModule.from_json(module)
        if not isinstance(module, PackageModule):
            raise TypeError(f"modules[{index}]: expected dl.PackageModule or dict, got "
                             f"{type(module).__name__}")
        result.append(module)
    return result
