"""Reading a package folder (package.json, requirements.txt) and ``deploy_from_file``."""

from __future__ import annotations

import copy
import json
import logging
import os
from typing import Any

from .. import exceptions
from .package_local import build_requirements

logger = logging.getLogger("conveyor")


def read_package_folder(src_path: str | None) -> dict:
    """What a folder says about its package.

    Returns:
        ``name``, ``modules`` and ``slots`` from ``<src_path>/package.json`` and
        ``requirements`` (``PackageRequirement`` list) from ``<src_path>/requirements.txt``;
        keys are present only when the file (and the key in it) exists.

    Raises:
        BadRequest: package.json is not a JSON object.
    """
    found: dict = {}
    if src_path is None:
        return found
    path = os.path.join(src_path, "package.json")
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as handle:
            try:
                data = json.load(handle)
            except ValueError as exc:
                raise exceptions.BadRequest(message=f"package.json: invalid JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise exceptions.BadRequest(message="package.json: must be a JSON object")
        found.update({k: data[k] for k in ("name", "modules", "slots") if k in data})
    requirements = os.path.join(src_path, "requirements.txt")
    if os.path.isfile(requirements):
        found["requirements"] = build_requirements(requirements)
    return found


def deploy_from_file(project: Any, json_filepath: str) -> tuple[list, Any]:
    """Push the package a package.json describes, then deploy each entry of ``services``.

    The package is pushed from the file's folder with the file's ``name`` and ``modules``.
    Each service is fetched by name (or deployed with the entry's settings), the entry is
    merged into its JSON, and when that changes anything the service is updated to the
    pushed version. Entries' ``triggers`` and ``artifacts`` go through
    ``sync_service_triggers`` / ``upload_service_artifacts``.

    Returns:
        ``(services, package)``.

    Raises:
        BadRequest: the file lacks ``name`` or ``modules``.
    """
    with open(json_filepath, encoding="utf-8") as handle:
        data = json.load(handle)
    missing = [k for k in ("name", "modules") if k not in data]
    if missing:
        raise exceptions.BadRequest(message=f"{missing[0]}: required in {json_filepath}")
    package = project.packages.push(package_name=data["name"], modules=data["modules"],
                                    src_path=os.path.dirname(os.path.abspath(json_filepath)))
    services = []
    for entry in data.get("services") or []:
        services.append(_deploy_entry(project, package, copy.deepcopy(entry), data["modules"]))
    if not data.get("services"):
        logger.warning("%s declares no services: only the package was pushed", json_filepath)
    return services, package


def _deploy_entry(project: Any, package: Any, entry: dict, modules: list) -> Any:
    from ..entities.service import Service

    triggers, artifacts = entry.pop("triggers", None), entry.pop("artifacts", None)
    if "name" not in entry:
        raise exceptions.BadRequest(message="services[].name: required")
    try:
        service = project.services.get(service_name=entry["name"])
    except exceptions.NotFound:
        service = package.services.deploy(
            service_name=entry["name"], runtime=entry.get("runtime"),
            module_name=entry.get("moduleName") or (modules[0] or {}).get("name"),
            init_input=entry.get("initParams"), max_attempts=entry.get("maxAttempts"),
            execution_timeout=entry.get("executionTimeout"), on_reset=entry.get("onReset"),
            drain_time=entry.get("drainTime"),
            run_execution_as_process=entry.get("runExecutionAsProcess"))
    current = service.to_json()
    merged = _merge(copy.deepcopy(current), entry)
    if merged != current:
        service = Service.from_json(merged, service.client_api, package=package,
                                    project=project)
        service.package_revision = package.version
        service = service.update()
    if triggers:
        sync_service_triggers(service, triggers)
    if artifacts:
        upload_service_artifacts(package, artifacts)
    return service


def _merge(base: dict, update: dict) -> dict:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def sync_service_triggers(service: Any, triggers: list[dict]) -> None:
    """Create or update a package.json service's ``triggers`` (by name, as dtlpy does):
    missing ones are created, existing ones updated when the declaration changes them."""
    from .triggers import Triggers

    Triggers(service.client_api, project=service.project, service=service).sync(triggers)


def upload_service_artifacts(package: Any, artifacts: list) -> None:
    """HOOK for the artifacts work: upload a package.json service's ``artifacts``.

    Artifacts are not in the SDK yet, so they are reported and skipped.
    """
    logger.warning("package %s: package.json declares artifacts (%s); this SDK does not "
                   "upload artifacts yet, they were skipped", package.name, artifacts)


def bump_version(version: str | None, increment: str) -> str:
    """``version`` with its ``major``/``minor``/``patch`` part bumped (lower parts reset).

    Raises:
        BadRequest: ``version`` is not ``major.minor.patch`` or ``increment`` is unknown.
    """
    parts = (version or "1.0.0").split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise exceptions.BadRequest(message=f"version: {version!r} is not major.minor.patch")
    index = {"major": 0, "minor": 1, "patch": 2}.get(increment)
    if index is None:
        raise exceptions.BadRequest(message=(
            f"revision_increment: {increment!r}; use patch, minor or major"))
    numbers = [int(p) for p in parts]
    numbers[index] += 1
    numbers[index + 1:] = [0] * (2 - index)
    return ".".join(map(str, numbers))


def check_slots(slots: list | None, modules: list | None) -> None:
    """Every slot names a declared module and function.

    Raises:
        ValueError: slots without modules, or an unknown module/function (named).
    """
    if not slots:
        return
    if not modules:
        raise ValueError("slots: cannot add slots to a package without modules")
    for slot in slots:
        slot = slot.to_json() if hasattr(slot, "to_json") else slot
        module = next((m for m in modules if m.name == slot.get("moduleName",
                                                                "default_module")), None)
        if module is None:
            raise ValueError(f"slots: module {slot.get('moduleName')!r} is not defined")
        if not any(f.name == slot.get("functionName", "run") for f in module.functions):
            raise ValueError(f"slots: function {slot.get('functionName')!r} is not defined in "
                             f"module {module.name!r}")


def json_list(values: list | None) -> list | None:
    """Entities (or dicts) as a JSON list; None stays None."""
    if values is None:
        return None
    return [v.to_json() if hasattr(v, "to_json") else v for v in values]


def delete_quietly(codebase: Any) -> None:
    """Delete an item codebase's zip, logging (not raising) a failure."""
    try:
        codebase.item.delete()
    except exceptions.ConveyorError as exc:  # the push error matters more than this one
        logger.warning("could not delete codebase item %s: %s", codebase.item_id, exc)
