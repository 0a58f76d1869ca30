"""Loading a service's code: service, package revision, codebase, import, instance.

``load_service`` runs once per replica (and once per child process with
``runExecutionAsProcess``): it fetches the service, picks the package revision the service
pins, fetches the codebase through the ``CodebaseFetcher`` registered for its type,
imports the module's ``entryPoint`` by file path (its folder first on ``sys.path``, so its
sibling modules import normally) and builds ``className(**initParams)``, init inputs
resolved like function inputs. Every failure becomes ``ServiceLoadError`` with the full
traceback, which the agent reports on its heartbeat before exiting.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conveyor.runtime import invocation
from conveyor_runner.agent.errors import ServiceLoadError
from conveyor_runner.plugin.manager import Registries


@dataclass
class LoadedService:
    """A service ready to run executions.

    Attributes:
        service: the Service JSON.
        package: the Package JSON of the pinned revision.
        module: the module JSON the service runs.
        folder: the unpacked codebase.
        runner: the ``className(**initParams)`` instance.
        entities: SDK entities (or the JSON, while the SDK lacks the class) for ``Context``.
    """

    service: dict
    package: dict
    module: dict
    folder: Path
    runner: Any
    entities: dict[str, Any] = field(default_factory=dict)

    def function(self, name: str) -> dict | None:
        """The module's declared function ``name``, or None."""
        return next((f for f in self.module.get("functions", []) if f.get("name") == name),
                    None)


def fetch_definition(client: Any, service_id: str) -> tuple[dict, dict, dict]:
    """``(service, package revision, module)`` JSONs.

    Raises:
        ServiceLoadError: the service, the revision or the module cannot be found.
    """
    service = _guard("fetching the service", client.json, "get", f"/services/{service_id}")
    revisions = _guard("fetching the package revisions", client.json, "get",
                       f"/packages/{service['packageId']}/revisions")
    wanted = str(service.get("packageRevision"))
    package = next((r for r in revisions or [] if str(r.get("version")) == wanted), None)
    if package is None:
        raise ServiceLoadError(f"package {service['packageId']} has no revision {wanted!r}")
    module = next((m for m in package.get("modules", [])
                   if m.get("name") == service.get("moduleName")), None)
    if module is None:
        raise ServiceLoadError(f"package {package.get('name')} {wanted} has no module "
                               f"{service.get('moduleName')!r}")
    return service, package, module


def fetch_codebase(client: Any, package: dict, registries: Registries, home: Path) -> Path:
    """The unpacked codebase folder, from the fetcher registered for ``codebase.type``."""
    codebase = package.get("codebase") or {}
    kind = codebase.get("type")
    if not kind:
        raise ServiceLoadError(f"package {package.get('name')} has no codebase")
    fetcher_class = _guard("finding the codebase fetcher", registries.codebase.get, kind)
    fetcher = fetcher_class(client, home / "codebases" / kind)
    return _guard(f"fetching the {kind} codebase", fetcher.fetch, codebase)


def import_class(folder: Path, module: dict) -> type:
    """Import ``entryPoint`` from ``folder`` and return its ``className``."""
    entry = str(module.get("entryPoint") or "main.py").lstrip("./")
    path = folder / entry
    if not path.is_file():
        raise ServiceLoadError(f"entryPoint {entry!r} is not in the codebase")
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    name = Path(entry).with_suffix("").as_posix().replace("/", ".")
    spec = importlib.util.spec_from_file_location(name, path)
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    try:
        spec.loader.exec_module(loaded)
    except BaseException as exc:  # SystemExit in user code is a load error too
        sys.modules.pop(name, None)
        raise ServiceLoadError(f"importing {entry} failed: {type(exc).__name__}: {exc}",
                               traceback.format_exc()) from exc
    class_name = module.get("className") or "ServiceRunner"
    cls = getattr(loaded, class_name, None)
    if not isinstance(cls, type):
        raise ServiceLoadError(f"{entry} defines no class {class_name!r}")
    return cls


def build_runner(cls: type, module: dict, service: dict, client: Any) -> Any:
    """``cls(**init inputs)``: ``initParams`` over the inputs' declared default values."""
    declared = module.get("initInputs") or []
    values = {io["name"]: io["value"] for io in declared if "value" in io}
    values.update(service.get("initParams") or {})
    kwargs = _guard("resolving the init inputs", invocation.resolve_inputs, declared, values,
                    client)
    try:
        return cls(**kwargs)
    except BaseException as exc:  # the replica reports it and exits
        raise ServiceLoadError(f"{cls.__name__}.__init__ failed: {type(exc).__name__}: {exc}",
                               traceback.format_exc()) from exc


def load_service(client: Any, service_id: str, registries: Registries,
                 home: Path) -> LoadedService:
    """Everything above, in order.

    Raises:
        ServiceLoadError: any step failed; ``details`` is the traceback.
    """
    service, package, module = fetch_definition(client, service_id)
    folder = fetch_codebase(client, package, registries, home)
    runner = build_runner(import_class(folder, module), module, service, client)
    entities = sdk_entities(client, service, package)
    if hasattr(runner, "_service_entity") and not isinstance(entities["service"], dict):
        runner._service_entity = entities["service"]
    return LoadedService(service, package, module, folder, runner, entities)


def sdk_entities(client: Any, service: dict, package: dict) -> dict[str, Any]:
    """``{service, package, project}`` as SDK entities (the JSON where the SDK lacks one)."""
    project = _entity("project", "Project", {"id": service.get("projectId")}, client,
                      is_fetched=False)
    linked = {} if isinstance(project, dict) else {"project": project}
    package_entity = _entity("package", "Package", package, client, **linked)
    if not isinstance(package_entity, dict):
        linked["package"] = package_entity
    return {"project": project, "package": package_entity,
            "service": _entity("service", "Service", service, client, **linked)}


def _entity(module: str, class_name: str, data: dict, client: Any, **extra: Any) -> Any:
    try:
        entities = importlib.import_module(f"conveyor.entities.{module}")
        return getattr(entities, class_name).from_json(_json=data, client_api=client, **extra)
    except Exception:  # noqa: BLE001 - no (compatible) entity class yet: hand over the JSON
        return data


def _guard(what: str, function, *args: Any) -> Any:
    try:
        return function(*args)
    except ServiceLoadError:
        raise
    except Exception as exc:  # every failure becomes a load error
        raise ServiceLoadError(f"{what} failed: {type(exc).__name__}: {exc}",
                               traceback.format_exc()) from exc
