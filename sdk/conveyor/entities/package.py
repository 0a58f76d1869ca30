"""Package entity: versioned code (a codebase) plus the modules/functions it exposes."""

from __future__ import annotations

import json
import os
from enum import Enum
from typing import Any

from .. import exceptions
from .base import BaseEntity, Field, InProject, Timestamped
from .codebase import PackageCodebaseType, _ClientCodebase, load_codebase
from .package_decorators import PackageDecorators
from .package_module import load_modules
from .package_slot import PackageSlot


class RequirementOperator(str, Enum):
    """Version operators of a package requirement."""

    EQUAL = "=="
    GREATER_THAN = ">"
    LESS_THAN = "<"
    EQUAL_OR_LESS_THAN = "<="
    EQUAL_OR_GREATER_THAN = ">="

    @staticmethod
    def keys() -> list[str]:
        """Every operator string."""
        return [op.value for op in RequirementOperator]


class PackageRequirement:
    """A pip requirement of the package: ``{name, version?, operator?}``.

    Raises:
        ValueError: ``operator`` is not a ``RequirementOperator`` value.
    """

    def __init__(self, name: str, version: str | None = None, operator: str | None = None):
        operator = getattr(operator, "value", operator)
        valid = RequirementOperator.keys()
        if operator is not None and operator not in valid:
            raise ValueError(f"operator: {operator!r} is not one of {valid}")
        self.name, self.version, self.operator = name, version, operator

    def to_json(self) -> dict:
        """``{name}`` plus ``version``/``operator`` when set."""
        out = {"name": self.name}
        if self.version is not None:
            out["version"] = self.version
        if self.operator is not None:
            out["operator"] = self.operator
        return out

    @classmethod
    def from_json(cls, _json: dict) -> PackageRequirement:
        """Build from ``{name, version?, operator?}``."""
        return cls(**_json)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PackageRequirement) and self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PackageRequirement({self.name}{self.operator or ''}{self.version or ''})"


def _load_requirements(value: Any) -> list:
    return [PackageRequirement.from_json(r) if isinstance(r, dict) else r
            for r in (value if isinstance(value, list) else [value])]


def _load_slots(value: Any) -> list:
    return [PackageSlot.from_json(s) if isinstance(s, dict) else s
            for s in (value if isinstance(value, list) else [value])]


class Package(Timestamped, InProject, BaseEntity):
    """Package entity (dtlpy-contract §4.4).

    Build it with ``Package.from_json(_json, client_api, project)`` (from the server) or
    ``Package(_dict=None, **attributes)``. A stub (``is_fetched=False``) fetches
    ``GET /packages/{id}`` the first time a missing attribute is read.
    """

    _repr_fields = ("id", "name", "version", "project_id")

    id = Field("id")
    url = Field("url")
    name = Field("name")
    version = Field("version")
    created_at = Field("createdAt")
    updated_at = Field("updatedAt")
    project_id = Field("projectId")
    creator = Field("creator")
    type = Field("type")
    metadata = Field("metadata")
    ui_hooks = Field("uiHooks")
    service_config = Field("serviceConfig")
    is_global = Field("global")
    codebase = Field("codebase", load=load_codebase)
    modules = Field("modules", load=load_modules)
    slots = Field("slots", load=_load_slots)
    requirements = Field("requirements", load=_load_requirements)

    #: ``@dl.Package.decorators.module/function`` helpers
    decorators = PackageDecorators

    def __init__(self, _dict: dict | None = None, client_api: Any = None,
                 platform_dict: dict | None = None, is_fetched: bool = True, project: Any = None,
                 **values: Any):
        received = platform_dict if platform_dict is not None else _dict
        if _dict is not None and platform_dict is None:
            values = {**self._values_from_json(_dict), **values}
        for name, value in values.items():  # loaders are idempotent: entities pass through
            f = self._fields.get(name)
            if f is not None and f.load is not None and value is not None:
                values[name] = f.load(value)
        super().__init__(client_api=client_api, platform_dict=received, is_fetched=is_fetched,
                         **values)
        self._project = project
        if isinstance(self.__dict__.get("codebase"), _ClientCodebase):
            self.__dict__["codebase"]._client_api = client_api

    @classmethod
    def from_json(cls, _json: dict, client_api: Any, project: Any = None,
                  is_fetched: bool = True) -> Package:
        """Build a Package from the server's JSON (``project`` ignored if it is not its own)."""
        if project is not None and project.id != _json.get("projectId"):
            project = None
        return cls._build(_json, client_api, is_fetched=is_fetched, _project=project)

    def _fetch_json(self) -> dict:
        return self.packages._get_json(self.id)

    # ----------------------------------------------------------------- relations
    def _set_project(self, value: Any) -> None:
        self._project = value

    #: ``InProject``'s lazy stub, settable too (callers attach the Project they hold).
    project = InProject.project.setter(_set_project)

    @property
    def packages(self):
        """Packages repository of the package's project."""
        from ..repositories.packages import Packages

        return self._relation("packages", lambda: Packages(self._client_api, self.project))

    @property
    def services(self):
        """Services repository scoped to this package."""
        from ..repositories.services import Services

        return self._relation("services", lambda: Services(
            self._client_api, project=self.project, package=self))

    @property
    def executions(self):
        """Executions repository of the package's project."""
        from ..repositories.executions import Executions

        return self._relation("executions", lambda: Executions(self._client_api,
                                                               project=self.project))

    @property
    def codebases(self):
        """Codebases repository of the package's project."""
        from ..repositories.codebases import Codebases

        return self._relation("codebases", lambda: Codebases(self._client_api,
                                                             project=self.project))

    @property
    def revisions(self) -> list[dict]:
        """Every revision's Package JSON, oldest first (``GET /packages/{id}/revisions``)."""
        return self._relation("revisions", lambda: self.packages.revisions(package=self))

    @property
    def codebase_id(self) -> str | None:
        """The zip item id of an item codebase, else None."""
        codebase = self.codebase
        if codebase is not None and codebase.type == PackageCodebaseType.ITEM:
            return codebase.item_id
        return None

    # -------------------------------------------------------------------- actions
    def update(self) -> Package:
        """Send the package (``PATCH /packages/{id}``); returns the updated Package."""
        return self.packages.update(package=self)

    def delete(self) -> bool:
        """Delete the package and its codebase versions; returns True."""
        return self.packages.delete(package=self)

    def checkout(self) -> None:
        """Make this the checked-out package (local state only)."""
        self.packages.checkout(package=self)

    def deploy(self, service_name=None, revision=None, init_input=None, runtime=None,
               sdk_version=None, agent_versions=None, verify=True, bot=None, pod_type=None,
               module_name=None, run_execution_as_process=None, execution_timeout=None,
               drain_time=None, on_reset=None, max_attempts=None, force=False,
               secrets: list | None = None, **kwargs):
        """Deploy a module of this package as a service (see ``Packages.deploy``).

        Returns:
            The created or updated ``Service``.
        """
        return self.packages.deploy(
            package=self, service_name=service_name, project_id=self.project_id,
            revision=revision, init_input=init_input, runtime=runtime, sdk_version=sdk_version,
            agent_versions=agent_versions, verify=verify, bot=bot, pod_type=pod_type,
            module_name=module_name, run_execution_as_process=run_execution_as_process,
            execution_timeout=execution_timeout, drain_time=drain_time, on_reset=on_reset,
            max_attempts=max_attempts, force=force, secrets=secrets, **kwargs)

    def push(self, codebase=None, src_path: str | None = None, package_name: str | None = None,
             modules: list | None = None, checkout: bool = False,
             revision_increment: str | None = None, service_update: bool = False,
             service_config: dict | None = None, package_type="faas") -> Package:
        """Push new code for this package (see ``Packages.push``); returns the new Package."""
        return self.packages.push(
            codebase=codebase, src_path=src_path, package_name=package_name or self.name,
            modules=modules if modules is not None else self.modules, checkout=checkout,
            revision_increment=revision_increment, service_update=service_update,
            service_config=service_config, package_type=package_type)

    def pull(self, version: str | None = None, local_path: str | None = None) -> str:
        """Download and unzip the code of ``version`` (default current); returns the folder."""
        return self.packages.pull(package=self, version=version, local_path=local_path)

    def build(self, module_name=None, init_inputs=None, local_path=None, from_local=None):
        """Load a module's class from the code and instantiate it (see ``Packages.build``)."""
        return self.packages.build(package=self, module_name=module_name,
                                   init_inputs=init_inputs, local_path=local_path,
                                   from_local=from_local)

    def test(self, cwd=None, concurrency=None, module_name="default_module",
             function_name="run", class_name="ServiceRunner", entry_point="main.py"):
        """Run a function locally with ``mock.json`` inputs (see ``test_local_package``)."""
        return self.packages.test_local_package(
            cwd=cwd, concurrency=concurrency, package=self, module_name=module_name,
            function_name=function_name, class_name=class_name, entry_point=entry_point)

    def mockify(self, local_path=None, module_name=None, function_name=None) -> None:
        """Write a ``mock.json`` skeleton for a function into ``local_path`` (default cwd).

        Raises:
            BadRequest / NotFound: no modules, or the module/function does not exist.
        """
        if not self.modules:
            raise exceptions.BadRequest(message="modules: the package has no modules")
        name = module_name or self.modules[0].name
        module = next((m for m in self.modules if m.name == name), None)
        if module is None:
            raise exceptions.NotFound(message=f"module_name: no module {name!r}")
        func = next((f for f in module.functions
                     if function_name is None or f.name == function_name), None)
        if func is None:
            raise exceptions.NotFound(message=f"function_name: no function {function_name!r}")
        mock = {"module_name": module.name, "function_name": func.name,
                "init_params": {io.name: _mock_value(io.type) for io in module.init_inputs},
                "inputs": [{"name": io.name, "value": _mock_value(io.type)}
                           for io in func.inputs]}
        with open(os.path.join(local_path or os.getcwd(), "mock.json"), "w") as handle:
            json.dump(mock, handle, indent=2)

    @staticmethod
    def get_ml_metadata(
            cls=None,  # noqa: PLW0211 - dtlpy's parameter name
            available_methods=None, output_type="class", input_type="image",
            default_configuration: dict | None = None) -> dict:
        """``metadata`` for an ml package: ``{system: {ml: {...}}}``.

        With ``cls`` (a model adapter class), ``supportedMethods`` lists, for each of
        load/save/predict/train, whether the class overrides it.
        """
        methods = available_methods or ["load", "save", "predict", "train"]
        if cls is not None:
            methods = [{name: "BaseModelAdapter" not in getattr(cls, name).__qualname__}
                       for name in ["load", "save", "predict", "train"]]
        return {"system": {"ml": {"defaultConfiguration": default_configuration or {},
                                  "outputType": getattr(output_type, "value", output_type),
                                  "inputType": input_type, "supportedMethods": methods}}}

    def open_in_web(self) -> None:
        """Not available: Conveyor has no web console."""
        raise NotImplementedError("Conveyor has no web console; use the SDK or the REST API.")


def _mock_value(kind: Any) -> Any:
    kind = getattr(kind, "value", kind)
    ids = {"Dataset": ["dataset_id"], "Item": ["item_id", "dataset_id"],
           "Annotation": ["annotation_id", "item_id", "dataset_id"]}
    return dict.fromkeys(ids.get(kind, []), "id")


__all__ = ["Package", "PackageRequirement", "RequirementOperator"]
