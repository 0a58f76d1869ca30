"""Package functions and their inputs/outputs (``FunctionIO``), with the input type enum."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any, ClassVar

from .. import exceptions
from .spec import Spec, SpecField

DEFAULT_PACKAGE_FUNCTION_NAME = "run"


class PackageInputType(str, Enum):
    """Types of function inputs/outputs (wire values; ``X[]`` is a list of X)."""

    DATASET = "Dataset"
    ITEM = "Item"
    ANNOTATION = "Annotation"
    EXECUTION = "Execution"
    TASK = "Task"
    ASSIGNMENT = "Assignment"
    SERVICE = "Service"
    PACKAGE = "Package"
    PROJECT = "Project"
    RECIPE = "Recipe"
    JSON = "Json"
    STRING = "String"
    NUMBER = "Number"
    INT = "Integer"
    FLOAT = "Float"
    BOOLEAN = "Boolean"
    MODEL = "Model"
    #: Conveyor addition: any JSON value (model adapters declare it as an output type)
    ANY = "Any"
    DATASETS = "Dataset[]"
    ITEMS = "Item[]"
    ANNOTATIONS = "Annotation[]"
    EXECUTIONS = "Execution[]"
    TASKS = "Task[]"
    ASSIGNMENTS = "Assignment[]"
    SERVICES = "Service[]"
    PACKAGES = "Package[]"
    PROJECTS = "Project[]"
    JSONS = "Json[]"
    STRINGS = "String[]"
    NUMBERS = "Number[]"
    INTS = "Integer[]"
    FLOATS = "Float[]"
    BOOLEANS = "Boolean[]"
    MODELS = "Model[]"
    RECIPES = "Recipe[]"


#: input types whose default input name is the lower-cased type (others default to "config")
_NAMED_BY_TYPE = ("Item", "Dataset", "Annotation", "Project", "Package", "Service",
                  "Execution", "Model")


def _default_io_name(io: FunctionIO) -> str:
    kind = getattr(io.type, "value", io.type)
    return kind.lower() if kind in _NAMED_BY_TYPE else "config"


class FunctionIO(Spec):
    """One input or output of a function (or an init input of a module).

    Attributes:
        type: a ``PackageInputType`` value.
        value: the value (for execution/service inputs built from FunctionIO lists).
        name: the argument name; defaults to the lower-cased entity type (``item``) or
            ``config`` for other types.
        actions, description, integration, mandatory: optional metadata.

    A type or value given as a keyword is validated; one read from JSON is kept as is.

    Raises:
        BadRequest: ``type`` is not a ``PackageInputType`` value, or ``value`` does not
            fit (``Json`` must be JSON-serialisable; others dict/list/str/number/bool).
    """

    INPUT_TYPES: ClassVar[list] = [t.value for t in PackageInputType]

    type = SpecField("type")
    value = SpecField("value")
    name = SpecField("name", factory=_default_io_name)
    actions = SpecField("actions")
    description = SpecField("description")
    integration = SpecField("integration")
    mandatory = SpecField("mandatory")

    def __init__(self, _dict: dict | None = None, **kwargs: Any) -> None:
        super().__init__(_dict, **kwargs)
        if "type" in kwargs:
            self._check_type()
        if kwargs.get("value") is not None:
            self._check_value()

    def _check_type(self) -> None:
        kind = getattr(self.type, "value", self.type)
        if kind not in self.INPUT_TYPES:
            raise exceptions.BadRequest(message=(
                f"type: invalid input type {kind!r} for {self.name!r}; use a dl.PackageInputType"))

    def _check_value(self) -> None:
        kind = getattr(self.type, "value", self.type)
        if kind == PackageInputType.JSON.value:
            try:
                json.dumps(self.value)
            except (TypeError, ValueError):
                raise exceptions.BadRequest(message=(
                    f"value: {self.name!r} is Json but its value is not JSON-serialisable")
                ) from None
        elif not isinstance(self.value, (dict, str, float, int, bool, list)):
            raise exceptions.BadRequest(message=(
                f"value: unsupported value type {type(self.value).__name__} for {self.name!r}"))

    def to_json(self, resource: str = "package") -> dict:
        """The JSON for ``resource``.

        Args:
            resource: ``"package"`` -> ``{name, type}`` plus ``actions``/``description`` when
                set (value, integration, mandatory are dropped); ``"execution"`` or
                ``"service"`` -> ``{name: value}``.

        Raises:
            BadRequest: another resource.
        """
        if resource == "package":
            out = {"name": self.name, "type": getattr(self.type, "value", self.type)}
            if self.actions:
                out["actions"] = self.actions
            if self.description:
                out["description"] = self.description
            return out
        if resource in ("execution", "service"):
            return {self.name: self.value}
        raise exceptions.BadRequest(message=(
            f"resource: {resource!r}; choose package, execution or service"))

    def __repr__(self) -> str:
        return f"FunctionIO(type={self.type}, name={self.name}, value={self.value})"


def load_ios(ios: Any) -> list:
    """A list of ``FunctionIO`` from FunctionIO objects and/or their JSON dicts.

    Raises:
        TypeError: an element is neither (names its position).
    """
    if not isinstance(ios, list):
        ios = [ios]
    result = []
    for index, io in enumerate(ios):
        if isinstance(io, dict):
            io = FunctionIO.from_json(io)
        if not isinstance(io, FunctionIO):
            raise TypeError(f"[{index}]: expected dl.FunctionIO or dict, got {type(io).__name__}")
        result.append(io)
    return result


class PackageFunction(Spec):
    """A function of a package module.

    Attributes:
        name: the method name (default ``run``).
        description, display_name, display_icon: optional UI metadata.
        inputs: list of ``FunctionIO`` (JSON key ``input``).
        outputs: list of ``FunctionIO`` (JSON key ``output``).
        compute_config: optional compute configuration name.
    """

    name = SpecField("name", DEFAULT_PACKAGE_FUNCTION_NAME, always=True)
    description = SpecField("description")
    display_name = SpecField("displayName")
    display_icon = SpecField("displayIcon")
    inputs = SpecField("input", [], load=load_ios, always=True)
    outputs = SpecField("output", [], load=load_ios, always=True)
    compute_config = SpecField("computeConfig", always=True)

    def __repr__(self) -> str:
        return f"PackageFunction(name={self.name}, description={self.description})"
