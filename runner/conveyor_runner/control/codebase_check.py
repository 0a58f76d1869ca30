"""Push-time check of a package's code against its modules, by parsing (never importing) it.

For each module: the entry point exists in the zip, defines ``className``, and the class has
a method per declared function; every positional parameter of ``__init__`` and of each method
(except ``self``, ``progress``, ``context``) is declared or has a default. Inputs whose
parameter has a default are marked ``"mandatory": false``.
"""

from __future__ import annotations

import ast
import io
import zipfile

from conveyor_runner.errors import InvalidInputError

INJECTED = frozenset({"self", "progress", "context"})


def check_codebase(zip_bytes: bytes, modules: list[dict]) -> list[dict]:
    """Validate ``modules`` against the zip's sources; return modules with ``mandatory`` set.

    Raises:
        InvalidInputError: a missing file, class, method or undeclared argument, named.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(zip_bytes))
    except zipfile.BadZipFile:
        raise InvalidInputError("codebase: the codebase item is not a zip file",
                                "codebase") from None
    names = {n.lstrip("./") for n in archive.namelist()}
    return [_check_module(archive, names, m, f"modules[{i}]") for i, m in enumerate(modules)]


def _check_module(archive: zipfile.ZipFile, names: set[str], module: dict, where: str) -> dict:
    entry = module["entryPoint"].lstrip("./")
    if entry not in names:
        raise InvalidInputError(f"{where}.entryPoint: {entry!r} is not in the codebase",
                                f"{where}.entryPoint")
    try:
        tree = ast.parse(archive.read(_member(archive, entry)), filename=entry)
    except SyntaxError as exc:
        raise InvalidInputError(f"{where}.entryPoint: {entry} line {exc.lineno}: {exc.msg}",
                                f"{where}.entryPoint") from None
    cls = _find_class(tree, module["className"])
    if cls is None:
        raise InvalidInputError(f"{where}.className: class {module['className']!r} is not "
                                f"defined in {entry}", f"{where}.className")
    methods = {n.name: n for n in cls.body
               if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    checked = dict(module)
    if "__init__" in methods:
        checked["initInputs"] = _check_args(methods["__init__"], module["initInputs"],
                                            f"{where}.initInputs", "__init__")
    functions = []
    for index, function in enumerate(module["functions"]):
        field = f"{where}.functions[{index}]"
        method = methods.get(function["name"])
        if method is None:
            raise InvalidInputError(f"{field}.name: class {module['className']} has no method "
                                    f"{function['name']!r}", f"{field}.name")
        inputs = _check_args(method, function["input"], f"{field}.input", function["name"])
        functions.append({**function, "input": inputs})
    checked["functions"] = functions
    return checked


def _member(archive: zipfile.ZipFile, entry: str) -> str:
    return next(n for n in archive.namelist() if n.lstrip("./") == entry)


def _find_class(tree: ast.Module, name: str) -> ast.ClassDef | None:
    return next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name), None)


def _check_args(method: ast.FunctionDef, declared: list[dict], where: str,
                method_name: str) -> list[dict]:
    args = method.args
    positional = args.posonlyargs + args.args
    # ast keeps defaults for the last positional arguments, and one entry (None: no
    # default) for every keyword-only argument.
    defaults = ({a.arg for a in positional[len(positional) - len(args.defaults):]}
                if args.defaults else set())
    defaults |= {a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
                 if d is not None}
    declared_names = {io["name"] for io in declared}
    for arg in positional + args.kwonlyargs:
        if arg.arg in INJECTED or arg.arg in declared_names or arg.arg in defaults:
            continue
        raise InvalidInputError(
            f"{where}: argument {arg.arg!r} of {method_name}() is not declared; add it to the "
            "package.json or give it a default", where)
    accepts_any = args.kwarg is not None
    parameters = {a.arg for a in positional + args.kwonlyargs}
    for declared_io in declared:
        if declared_io["name"] not in parameters and not accepts_any:
            raise InvalidInputError(
                f"{where}: input {declared_io['name']!r} is declared but {method_name}() has "
                "no such argument", where)
    return [{**io, "mandatory": io.get("mandatory", io["name"] not in defaults)}
            for io in declared]
