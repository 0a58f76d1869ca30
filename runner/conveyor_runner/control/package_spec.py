"""Package bodies: normalising modules/functions/IO and checking them field by field."""

from __future__ import annotations

import re

from conveyor_runner.errors import InvalidInputError

ENTITY_TYPES = ("Dataset", "Item", "Annotation", "Execution", "Task", "Assignment", "Service",
                "Package", "Project", "Recipe", "Model", "Trigger", "Pipeline")
VALUE_TYPES = ("Json", "String", "Number", "Integer", "Float", "Boolean")
INPUT_TYPES = frozenset(
    [*ENTITY_TYPES, *VALUE_TYPES, "Any"] + [f"{t}[]" for t in (*ENTITY_TYPES, *VALUE_TYPES)]
)
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


def check_name(name: object, field: str = "name") -> str:
    """A valid package/service/trigger name. Raises ``InvalidInputError`` naming the rule."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidInputError(
            f"{field}: {name!r} must be 1-63 lowercase letters, digits or dashes, starting "
            "with a letter", field=field)
    return name


def normalize_modules(modules: object) -> list[dict]:
    """Modules with dtlpy's defaults filled in, validated.

    Raises:
        InvalidInputError: a malformed module, function or FunctionIO; the field path is named
            (``modules[0].functions[1].input[0].type``).
    """
    if modules is None:
        modules = []
    if not isinstance(modules, list):
        raise InvalidInputError("modules: must be a list", field="modules")
    result, names = [], set()
    for index, module in enumerate(modules):
        where = f"modules[{index}]"
        normalized = _module(module, where)
        if normalized["name"] in names:
            raise InvalidInputError(f"{where}.name: duplicate module {normalized['name']!r}",
                                    f"{where}.name")
        names.add(normalized["name"])
        result.append(normalized)
    return result


def _module(module: object, where: str) -> dict:
    if not isinstance(module, dict):
        raise InvalidInputError(f"{where}: must be an object", field=where)
    normalized = {
        **module,
        "name": _text(module.get("name", "default_module"), f"{where}.name"),
        "entryPoint": _text(module.get("entryPoint", "main.py"), f"{where}.entryPoint"),
        "className": _identifier(module.get("className", "ServiceRunner"), f"{where}.className"),
        "initInputs": _ios(module.get("initInputs"), f"{where}.initInputs"),
        "computeConfig": module.get("computeConfig"),
    }
    functions = module.get("functions") or []
    if not isinstance(functions, list):
        raise InvalidInputError(f"{where}.functions: must be a list", f"{where}.functions")
    normalized["functions"] = [_function(f, f"{where}.functions[{i}]")
                               for i, f in enumerate(functions)]
    seen = [f["name"] for f in normalized["functions"]]
    duplicates = {n for n in seen if seen.count(n) > 1}
    if duplicates:
        raise InvalidInputError(f"{where}.functions: duplicate function {sorted(duplicates)[0]!r}",
                                f"{where}.functions")
    return normalized


def _function(function: object, where: str) -> dict:
    if not isinstance(function, dict):
        raise InvalidInputError(f"{where}: must be an object", field=where)
    return {
        **function,
        "name": _identifier(function.get("name", "run"), f"{where}.name"),
        "input": _ios(function.get("input"), f"{where}.input"),
        "output": _ios(function.get("output"), f"{where}.output"),
    }


def _ios(ios: object, where: str) -> list[dict]:
    if ios is None:
        return []
    if not isinstance(ios, list):
        raise InvalidInputError(f"{where}: must be a list", field=where)
    result, names = [], set()
    for index, io in enumerate(ios):
        field = f"{where}[{index}]"
        if not isinstance(io, dict):
            raise InvalidInputError(f"{field}: must be an object with name and type", field)
        name = _identifier(io.get("name"), f"{field}.name")
        kind = io.get("type")
        if kind not in INPUT_TYPES:
            raise InvalidInputError(
                f"{field}.type: unknown type {kind!r} for {name!r}; use one of "
                f"{', '.join(sorted(INPUT_TYPES))}", f"{field}.type")
        if name in names:
            raise InvalidInputError(f"{field}.name: duplicate input {name!r}", f"{field}.name")
        names.add(name)
        result.append({**io, "name": name, "type": kind})
    return result


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{field}: must be a non-empty string", field=field)
    return value


def _identifier(value: object, field: str) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        raise InvalidInputError(f"{field}: {value!r} is not a valid Python identifier", field)
    return value


def check_version(version: object) -> str:
    """A ``major.minor.patch`` version string."""
    if not isinstance(version, str) or not _VERSION.match(version):
        raise InvalidInputError(f"version: {version!r} must look like 1.0.0", field="version")
    return version


def bump_patch(version: str) -> str:
    """``1.2.3`` -> ``1.2.4``."""
    major, minor, patch = version.split(".")
    return f"{major}.{minor}.{int(patch) + 1}"


def find_function(modules: list[dict], module_name: str, function_name: str) -> dict | None:
    """The declared function, or None."""
    for module in modules:
        if module["name"] == module_name:
            for function in module["functions"]:
                if function["name"] == function_name:
                    return function
    return None


def find_module(modules: list[dict], module_name: str) -> dict | None:
    """The declared module, or None."""
    return next((m for m in modules if m["name"] == module_name), None)
