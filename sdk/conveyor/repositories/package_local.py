"""Running package code on this machine: ``package.test()`` and ``package.build()``.

``test_local_package`` follows dtlpy-contract §6.1 and resolves inputs with the same
``conveyor.runtime.invocation`` module the agent uses, so a function sees the same
arguments locally and in a replica.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .. import exceptions
from ..entities.package_function import PackageInputType
from ..runtime.invocation import call_function, resolve_inputs
from ..runtime.progress import Progress

logger = logging.getLogger("conveyor")

_OPERATORS = re.compile(r"<=|>=|==|<|>")
#: the module used when package.json declares none: one ``run`` function without inputs
DEFAULT_MODULE = {"name": "default_module", "entryPoint": "main.py",
                  "className": "ServiceRunner", "initInputs": [],
                  "functions": [{"name": "run", "input": [], "output": []}]}


def load_class(folder: str, entry_point: str, class_name: str) -> type:
    """Import ``<folder>/<entry_point>`` (``folder`` is put on ``sys.path`` for sibling
    imports) and return its class ``class_name``.

    Raises:
        BadRequest: the file or the class does not exist.
    """
    path = os.path.join(folder, entry_point)
    if not os.path.isfile(path):
        raise exceptions.BadRequest(message=f"entry_point: {path!r} does not exist")
    if folder not in sys.path:
        sys.path.append(folder)
    spec = importlib.util.spec_from_file_location(
        os.path.splitext(os.path.basename(entry_point))[0], path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise exceptions.BadRequest(message=f"class_name: {entry_point} defines no class "
                                            f"{class_name!r}")
    return cls


# ------------------------------------------------------------------------- test
def test_local_package(client_api: Any, cwd: str | None = None, concurrency: int | None = None,
                       package: Any = None, module_name: str = "default_module",
                       function_name: str = "run", class_name: str = "ServiceRunner",
                       entry_point: str = "main.py", mock_file_path: str | None = None) -> Any:
    """Run one function of the package in ``cwd`` with the inputs of its mock file.

    ``<cwd>/<mock_file_path>`` (default ``mock.json``) may override ``function_name``,
    ``module_name``, ``class_name`` and ``entry_point``; ``init_params`` (or legacy
    ``config``) are the constructor kwargs; ``inputs`` is a list of ``{name, value}``
    (one run) or a list of such lists (one run each, in a thread pool of ``concurrency``
    workers). Declared inputs come from ``package.modules`` or ``<cwd>/package.json``;
    each must appear exactly once in a run's inputs; entity inputs are fetched with
    ``client_api``. ``progress`` is passed when the function accepts it (dtlpy's
    multi-run mode passes it always, failing functions without it); ``context`` never.

    Returns:
        The function's return value (one run) or the list of them in input order.

    Raises:
        BadRequest: malformed mock file, unknown module/function/input type, or a missing
            or duplicated mock input (named).
        InputError: an input value has the wrong type or its entity does not exist.
    """
    cwd = cwd or os.getcwd()
    with open(os.path.join(cwd, mock_file_path or "mock.json"), encoding="utf-8") as handle:
        mock = json.load(handle)
    function_name = mock.get("function_name", function_name)
    module_name = mock.get("module_name", module_name)
    inputs = mock.get("inputs") or []
    multi = _is_multi(inputs)
    declared = _declared_inputs(cwd, package, module_name, function_name)
    runner = load_class(cwd, mock.get("entry_point", entry_point),
                        mock.get("class_name", class_name))(
        **(mock.get("init_params") or mock.get("config") or {}))
    method = getattr(runner, function_name)
    previous = logging.root.level
    logging.root.setLevel(logging.INFO)
    try:
        if not multi:
            return call_function(method, _kwargs(client_api, declared, inputs),
                                 progress=Progress())
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            jobs = [pool.submit(call_function, method, _kwargs(client_api, declared, run),
                                progress=Progress()) for run in inputs]
            return [job.result() for job in jobs]
    finally:
        logging.root.setLevel(previous)


def _is_multi(inputs: list) -> bool:
    if not isinstance(inputs, list):
        raise exceptions.BadRequest(message="inputs: mock.json inputs must be a list")
    multi = bool(inputs) and isinstance(inputs[0], list)
    if multi and not all(isinstance(run, list) for run in inputs):
        raise exceptions.BadRequest(message=(
            "inputs: mock.json inputs can be either a list of {name, value} or a list of lists"))
    return multi


def _declared_inputs(cwd: str, package: Any, module_name: str, function_name: str) -> list:
    if package is not None:
        modules = [m.to_json() for m in package.modules or []]
    else:
        path = os.path.join(cwd, "package.json")
        if not os.path.isfile(path):
            raise exceptions.BadRequest(message=f"package.json: {path!r} is required to test "
                                                "without a package entity")
        with open(path, encoding="utf-8") as handle:
            modules = json.load(handle).get("modules") or []
    module = DEFAULT_MODULE if not modules else next(
        (m for m in modules if m.get("name") == module_name), None)
    if module is None:
        raise exceptions.BadRequest(message=f"module_name: module {module_name!r} does not "
                                            "exist in the package modules")
    functions = module.get("functions") or DEFAULT_MODULE["functions"]
    function = next((f for f in functions if f.get("name") == function_name), None)
    if function is None:
        raise exceptions.BadRequest(message=f"function_name: function {function_name!r} does "
                                            f"not exist in module {module['name']!r}")
    declared = function.get("input") or []
    known = {t.value for t in PackageInputType}
    for io in declared:
        if io.get("type") not in known:
            raise exceptions.BadRequest(message=(
                f"input.{io.get('name')}: unknown resource type {io.get('type')!r}"))
    return declared


def _kwargs(client_api: Any, declared: list, mock_inputs: list) -> dict:
    values = {}
    for io in declared:
        entries = [e for e in mock_inputs if isinstance(e, dict) and e.get("name") == io["name"]]
        if len(entries) != 1:
            problem = "no entry" if not entries else "duplicate entries"
            raise exceptions.BadRequest(message=f"input.{io['name']}: {problem} in mock.json")
        values[io["name"]] = entries[0].get("value")
    kwargs = resolve_inputs(declared, values, client_api)
    # an explicit null in the mock file is passed as None, as dtlpy does
    kwargs.update({name: None for name, value in values.items() if value is None})
    return kwargs


# ------------------------------------------------------------------------- build
def build(packages: Any, package: Any, module_name: str | None = None,
          init_inputs: dict | None = None, local_path: str | None = None,
          from_local: bool | None = None) -> Any:
    """Instantiate a module's class from the package code (dtlpy-contract §6.2).

    Unless ``from_local`` (default: the codebase is local), the code is pulled into
    ``local_path`` first; a local codebase's own folder is used when ``local_path`` is None.

    Returns:
        ``className(**init_inputs)`` of the module named ``module_name``
        (default ``default_module``).

    Raises:
        BadRequest: no codebase, or a remote codebase asked to build from a missing folder.
        ValueError: no such module (the available ones are listed).
    """
    module_name = module_name or "default_module"
    codebase = package.codebase
    if codebase is None:
        raise exceptions.BadRequest(message=f"codebase: package {package.name!r} has no "
                                            "codebase to build from")
    from_local = codebase.is_local if from_local is None else from_local
    if not from_local:
        if codebase.is_local:
            raise exceptions.BadRequest(message="from_local: the codebase is local; it cannot "
                                                "be downloaded")
        local_path = packages.pull(package=package, local_path=local_path)
    elif local_path is None:
        local_path = getattr(codebase, "local_path", None) or getattr(codebase, "host_path",
                                                                      None)
    if local_path is None:
        raise exceptions.BadRequest(message="local_path: required to build from local files")
    matches = [m for m in package.modules or [] if m.name == module_name]
    if len(matches) != 1:
        raise ValueError(f"module_name: cannot find module {module_name!r}; available: "
                         f"{[m.name for m in package.modules or []]}")
    cls = load_class(local_path, matches[0].entry_point, matches[0].class_name)
    return cls(**(init_inputs or {}))


# ------------------------------------------------------------------- requirements
def build_requirements(filepath: str) -> list:
    """``PackageRequirement`` list from a requirements.txt (``-r`` includes followed).

    Comments and pip options (``-e``, ``--index-url`` ...) are skipped; specifiers other
    than ``==``, ``>=``, ``<=``, ``>``, ``<`` stay in the name (pip reads them back).

    Raises:
        BadRequest: the file does not exist.
    """
    from ..entities.package import PackageRequirement

    if not os.path.isfile(filepath):
        raise exceptions.BadRequest(message=f"requirements: {filepath!r} does not exist")
    result: list = []
    with open(filepath, encoding="utf-8") as handle:
        for raw in handle:
            line = raw.split(" #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith(("-r ", "--requirement ")):
                included = line.split(None, 1)[1].strip()
                result.extend(build_requirements(os.path.join(os.path.dirname(filepath),
                                                              included)))
                continue
            if line.startswith("-"):
                continue
            result.extend(_parse_requirement(line, PackageRequirement))
    return result


def _parse_requirement(line: str, cls: type) -> list:
    parsed, name = [], None
    for part in line.split(","):
        pieces = _OPERATORS.split(part, maxsplit=1)
        if len(pieces) == 1:
            parsed.append(cls(name=part.strip()))
            continue
        name = pieces[0].strip() or name  # "a>=1,<2": the second part reuses the name
        operator = _OPERATORS.search(part).group(0)  # type: ignore[union-attr]
        parsed.append(cls(name=name, version=pieces[1].strip(), operator=operator))
    return parsed
