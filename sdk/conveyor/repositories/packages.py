"""Packages repository: push, get, list, update, delete, deploy, pull, test packages.

Push follows dtlpy's wire sequence (dtlpy-contract §3.5); the server validates the code
against the modules by parsing it (never importing it) and answers 400 naming any
missing file, class, method or undeclared argument.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from .. import exceptions
from ..client.login_file import conveyor_home
from ..entities.filters import Filters, FiltersResource
from ..entities.package import Package
from ..entities.package_module import load_modules
from ..entities.paged_entities import PagedEntities
from ..entities.project import Project
from . import package_local
from .codebases import Codebases
from .package_files import (
    bump_version,
    check_slots,
    delete_quietly,
    deploy_from_file,
    json_list,
    read_package_folder,
)

logger = logging.getLogger("conveyor")


class Packages:
    """All I/O for packages, scoped to ``project`` (else the checked-out project, if any).

    Args:
        client_api: the ``ApiClient``.
        project: the project whose packages are listed and pushed.
    """

    def __init__(self, client_api: Any, project: Project | None = None) -> None:
        self._client_api = client_api
        self._project = project

    @property
    def project(self) -> Project | None:
        """The scoping project: the one given, else the checked-out one, else None."""
        if self._project is not None:
            return self._project
        state = self._client_api.state.get("project")
        return Project.from_json(state, self._client_api) if state is not None else None

    def _require_project(self, what: str) -> Project:
        project = self.project
        if project is None:
            raise exceptions.BadRequest(message=(
                f"{what}: no project; use project.packages or check out a project first"))
        return project

    def _entity(self, _json: dict) -> Package:
        return Package.from_json(_json, self._client_api, project=self._project)

    def _get_json(self, package_id: str) -> dict:
        return self._client_api.json("GET", f"/packages/{package_id}")

    def _list(self, filters: Any) -> dict:
        return self._client_api.json("POST", "/query/faas", json=filters.prepare()) or {}

    def _build_entities_from_response(self, response_items: list) -> list[Package]:
        return [self._entity(j) for j in response_items]

    # ------------------------------------------------------------------- read
    def get(self, package_name: str | None = None, package_id: str | None = None,
            checkout: bool = False, fetch: bool | None = None, log_error: bool = True) -> Package:
        """A package by id, by name (within the project), or the checked-out one.

        Raises:
            NotFound: no such package; BadRequest: several match, or nothing identifies one.
        """
        if package_id is not None and fetch is False:
            package = Package.from_json({"id": package_id}, self._client_api,
                                        project=self._project, is_fetched=False)
        elif package_id is not None:
            package = self._entity(self._get_json(package_id))
        elif package_name is not None:
            package = self._by_name(package_name)
        else:
            state = self._client_api.state.get("package")
            if state is None:
                raise exceptions.BadRequest(message=(
                    "package_id or package_name: one is required (no checked-out package)"))
            package = self._entity(state)
        if checkout:
            self.checkout(package=package)
        return package

    def _by_name(self, name: str) -> Package:
        filters = Filters(resource=FiltersResource.PACKAGE, use_defaults=False)
        filters.add(field="name", values=name)
        if self.project is not None:
            filters.add(field="projectId", values=self.project.id)
        found = self.list(filters=filters)
        if found.items_count == 0:
            raise exceptions.NotFound(message=f"Package not found. name: {name!r}")
        if found.items_count > 1:
            raise exceptions.BadRequest(message=f"More than one package named {name!r}; "
                                                "get it by id or from its project")
        return found.items[0]

    def list(self, filters: Filters | None = None, project_id: str | None = None) -> PagedEntities:
        """Packages matching ``filters`` (default: non-global ones of the project).

        Raises:
            BadRequest: ``filters`` is not for the packages resource.
        """
        filters = filters or Filters(resource=FiltersResource.PACKAGE)
        if getattr(filters.resource, "value", filters.resource) != "packages":
            raise exceptions.BadRequest(message="filters: resource must be packages")
        project_id = project_id or (self.project.id if self.project is not None else None)
        if project_id is not None and not filters.has_field("projectId"):
            filters.add(field="projectId", values=project_id)
        paged = PagedEntities(client_api=self._client_api, page_offset=filters.page,
                              page_size=filters.page_size, filters=filters,
                              items_repository=self)
        paged.get_page()
        return paged

    def revisions(self, package: Package | None = None, package_id: str | None = None) -> list:
        """Every revision's Package JSON, oldest first (``GET /packages/{id}/revisions``)."""
        if package is None and package_id is None:
            raise exceptions.BadRequest(message="package or package_id: one is required")
        return self._client_api.json("GET", f"/packages/{package_id or package.id}/revisions")

    # ----------------------------------------------------------------- changes
    def update(self, package: Package, revision_increment: str | None = None) -> Package:
        """Send the full package JSON (``PATCH /packages/{id}``); returns the new Package.

        ``revision_increment`` (``patch``/``minor``/``major``) bumps ``version`` first;
        without it the server bumps the patch number when modules or code changed.

        Raises:
            BadRequest: unknown ``revision_increment``.
        """
        if revision_increment is not None:
            package.version = bump_version(package.version, revision_increment)
        answer = self._client_api.json("PATCH", f"/packages/{package.id}",
                                       json=package.to_json())
        return self._entity(answer)

    def delete(self, package: Package | None = None, package_name: str | None = None,
               package_id: str | None = None) -> bool:
        """Delete the package's codebase versions, then the package; returns True.

        Raises:
            Conflict: services still use the package (nothing is deleted).
        """
        if package is None:
            package = self.get(package_id=package_id, package_name=package_name)
        from .services import Services

        users = list(Services(self._client_api, package=package).list().all())
        if users:
            raise exceptions.Conflict(message=(
                f"package {package.name!r} is used by services "
                f"{', '.join(s.name for s in users)}; delete them first"))
        try:
            codebases = Codebases(self._client_api, project=package.project)
            for item in list(codebases.list_versions(package.name).all()):
                item.delete()
        except (exceptions.Forbidden, exceptions.NotFound):
            logger.debug("package %s: codebase versions not deleted", package.name)
        self._client_api.request("DELETE", f"/packages/{package.id}")
        return True

    def checkout(self, package: Package | None = None, package_id: str | None = None,
                 package_name: str | None = None) -> None:
        """Remember a package as the default of ``get()`` (``.conveyor/state.json``)."""
        if package is None:
            package = self.get(package_id=package_id, package_name=package_name)
        self._client_api.state.put("package", package.to_json())
        logger.info("checked out package %s", package.name)

    def push(self, codebase: Any = None, src_path: str | None = None,
             package_name: str | None = None, modules: list | None = None,
             checkout: bool = False, revision_increment: str | None = None,
             service_update: bool = False, service_config: dict | None = None,
             slots: list | None = None, requirements: list | None = None,
             package_type: str | None = None, metadata: dict | None = None, *,
             project: Project | None = None, project_id: str | None = None,
             is_global: bool | None = None, version: str | None = None,
             ignore_sanity_check: bool = False, ignore_max_file_size: bool = False) -> Package:
        """Push code and modules as a new package or a new version of an existing one.

        ``name``/``modules``/``slots`` default to ``<src_path>/package.json`` and
        ``requirements`` to ``<src_path>/requirements.txt``. Without ``codebase`` the
        folder (default cwd) is zipped and stored as ``/codebases/<name>/<n>.zip`` (an
        unchanged zip reuses its version). A version uploaded by this call is deleted
        again if the push fails. ``service_update`` points the service named like the
        package at the new version. ``ignore_sanity_check`` is accepted for dtlpy
        compatibility: the code check is the server's and always runs.

        Raises:
            BadRequest: bad name, a module/code mismatch (named by the server), slots
                naming unknown modules/functions, or no project.
        """
        target = self._push_project(project, project_id)
        if src_path is None and codebase is None:
            src_path = os.getcwd()
        fields = _push_fields(src_path, package_name, modules, slots, requirements)
        fields.update({"is_global": is_global, "version": version, "metadata": metadata,
                       "service_config": service_config, "type": package_type})
        name = fields.pop("name")
        self._client_api.json("GET", f"/piper-misc/naming/packages/{name}")
        packed = None
        if codebase is None:
            packed = Codebases(self._client_api, project=target)._pack(
                src_path, name, ignore_max_file_size=ignore_max_file_size)
            codebase = packed.codebase
        fields["codebase"] = codebase
        try:
            package = self._create_or_update(target, name, fields, revision_increment)
            if checkout:
                self.checkout(package=package)
        except Exception:
            if packed is not None and packed.uploaded:
                delete_quietly(packed.codebase)
            raise
        logger.info("package %s (%s) version %s pushed", package.name, package.id,
                    package.version)
        if service_update:
            service = package.services.get(service_name=package.name)
            service.package_revision = package.version
            service.update()
        return package

    def _push_project(self, project: Project | None, project_id: str | None) -> Project:
        if project is not None:
            return project
        if project_id is not None:
            from .projects import Projects

            return Projects(self._client_api).get(project_id=project_id)
        return self._require_project("project")

    def _create_or_update(self, project: Project, name: str, fields: dict,
                          revision_increment: str | None) -> Package:
        filters = Filters(resource=FiltersResource.PACKAGE, use_defaults=False)
        filters.add(field="projectId", values=project.id)
        filters.add(field="name", values=name)
        found = Packages(self._client_api, project).list(filters=filters)
        if found.items_count == 0:
            return self._create(project, name, fields)
        package = found.items[0]
        for attr, value in fields.items():
            if value is not None:
                setattr(package, attr, Package._fields[attr].load(value)
                        if Package._fields[attr].load else value)
        return self.update(package=package, revision_increment=revision_increment)

    def _create(self, project: Project, name: str, fields: dict) -> Package:
        payload = {"name": name, "global": bool(fields["is_global"]),
                   "modules": json_list(fields["modules"]), "slots": json_list(fields["slots"]),
                   "serviceConfig": fields["service_config"], "type": fields["type"],
                   "codebase": fields["codebase"].to_json(), "projectId": project.id}
        if fields["requirements"] is not None:
            payload["requirements"] = json_list(fields["requirements"])
        for key, attr in (("version", "version"), ("metadata", "metadata")):
            if fields[attr] is not None:
                payload[key] = fields[attr]
        answer = self._client_api.json("POST", "/packages", json=payload)
        return Package.from_json(answer, self._client_api, project=project)

    # ----------------------------------------------------------------- deploy
    def deploy(self, package_id: str | None = None, package_name: str | None = None,
               package: Package | None = None, service_name: str | None = None,
               project_id: str | None = None, revision: str | None = None, init_input=None,
               runtime=None, sdk_version: str | None = None, agent_versions: dict | None = None,
               bot=None, pod_type=None, verify: bool = True, checkout: bool = False,
               module_name: str | None = None, run_execution_as_process: bool | None = None,
               execution_timeout: int | None = None, drain_time: int | None = None,
               on_reset: str | None = None, max_attempts: int | None = None,
               force: bool = False, secrets: list | None = None, **kwargs: Any):
        """Deploy a package module as a service: update the service of that name if it
        exists, else create it (``Services.deploy``). Returns the Service."""
        if package is None:
            package = self.get(package_id=package_id, package_name=package_name)
        return package.services.deploy(
            package=package, service_name=service_name, project_id=project_id,
            revision=revision, init_input=init_input, runtime=runtime, sdk_version=sdk_version,
            agent_versions=agent_versions, bot=bot, pod_type=pod_type, verify=verify,
            checkout=checkout, module_name=module_name,
            run_execution_as_process=run_execution_as_process,
            execution_timeout=execution_timeout, drain_time=drain_time, on_reset=on_reset,
            max_attempts=max_attempts, force=force, secrets=secrets, **kwargs)

    def deploy_from_file(self, project: Project, json_filepath: str):
        """Push the package a package.json describes and deploy each of its ``services``.

        Returns:
            ``(services, package)``.
        """
        return deploy_from_file(project, json_filepath)

    # ------------------------------------------------------------------- local
    def pull(self, package: Package, version: str | None = None, local_path: str | None = None,
             project_id: str | None = None) -> str:
        """Download and unzip the code of ``version`` (default: the package's current one).

        Default folder: ``$CONVEYOR_HOME/packages/<name>-<id>/<version>``.

        Raises:
            NotFound: no such version; BadRequest: the codebase is neither item nor git.
        """
        version = version or package.version
        local_path = local_path or str(conveyor_home() / "packages" /
                                       f"{package.name}-{package.id}" / str(version))
        revision = package
        if version != package.version:
            matches = [r for r in package.revisions if r.get("version") == version]
            if len(matches) != 1:
                raise exceptions.NotFound(message=f"version: package {package.name!r} has no "
                                                  f"version {version!r}")
            revision = Package.from_json(matches[0], self._client_api, project=package.project)
        if revision.codebase is None or revision.codebase.type not in ("item", "git"):
            raise exceptions.BadRequest(message=(
                "codebase: only item and git codebases can be pulled"))
        return Codebases(self._client_api, project=package.project).unpack(
            codebase=revision.codebase, local_path=local_path)

    def build(self, package: Package, module_name: str | None = None,
              init_inputs: dict | None = None, local_path: str | None = None,
              from_local: bool | None = None) -> Any:
        """Instantiate a module's class from the code (see ``package_local.build``)."""
        return package_local.build(self, package, module_name=module_name,
                                   init_inputs=init_inputs, local_path=local_path,
                                   from_local=from_local)

    def test_local_package(self, cwd: str | None = None, concurrency: int | None = None,
                           package: Package | None = None, module_name: str = "default_module",
                           function_name: str = "run", class_name: str = "ServiceRunner",
                           entry_point: str = "main.py", mock_file_path: str | None = None):
        """Run a function locally with ``mock.json`` inputs (see
        ``package_local.test_local_package``)."""
        return package_local.test_local_package(
            self._client_api, cwd=cwd, concurrency=concurrency, package=package,
            module_name=module_name, function_name=function_name, class_name=class_name,
            entry_point=entry_point, mock_file_path=mock_file_path)

    @staticmethod
    def build_requirements(filepath: str) -> list:
        """Requirements of a requirements.txt file (see ``package_local.build_requirements``)."""
        return package_local.build_requirements(filepath)

    def open_in_web(self, *args: Any, **kwargs: Any) -> None:
        """Not available: Conveyor has no web console."""
        raise NotImplementedError("Conveyor has no web console; use the SDK or the REST API.")


def _push_fields(src_path: str | None, package_name: str | None, modules: list | None,
                 slots: list | None, requirements: list | None) -> dict:
    """``name``, ``modules``, ``slots``, ``requirements`` of a push: the arguments, else
    what the folder's package.json / requirements.txt say.

    Raises:
        ValueError: slots naming modules/functions that are not declared.
    """
    spec = read_package_folder(src_path)
    modules = modules if modules is not None else spec.get("modules")
    modules = load_modules(modules) if modules is not None else None
    slots = slots if slots is not None else spec.get("slots")
    check_slots(slots, modules)
    return {"name": package_name or spec.get("name") or "default-package", "modules": modules,
            "slots": slots,
            "requirements": requirements if requirements is not None
            else spec.get("requirements")}


__all__ = ["Packages"]
