"""The vocabulary of DQL queries: resources, operators, methods, sort directions, clauses.

Separate from ``filters.py`` only to keep modules small; import these names from
``conveyor.entities.filters`` (which re-exports them) or from ``conveyor``.
"""

from __future__ import annotations

import os
from enum import Enum
from typing import Any


class FiltersKnownFields(str, Enum):
    """Item fields that most queries use."""

    DIR = "dir"
    ANNOTATED = "annotated"
    FILENAME = "filename"
    CREATED_AT = "createdAt"
    UPDATED_AT = "updatedAt"
    LABEL = "label"
    NAME = "name"
    HIDDEN = "hidden"
    TYPE = "type"


class FiltersResource(str, Enum):
    """The entity kind a query runs on (the ``resource`` key of the body)."""

    ITEM = "items"
    ANNOTATION = "annotations"
    EXECUTION = "executions"
    PACKAGE = "packages"
    DPK = "dpks"
    APP = "apps"
    SERVICE = "services"
    TRIGGER = "triggers"
    MODEL = "models"
    WEBHOOK = "webhooks"
    RECIPE = "recipe"
    DATASET = "datasets"
    ONTOLOGY = "ontology"
    TASK = "tasks"
    PIPELINE = "pipeline"
    PIPELINE_EXECUTION = "pipelineState"
    COMPOSITION = "composition"
    FEATURE = "feature_vectors"
    FEATURE_SET = "feature_sets"
    ORGANIZATIONS = "organizations"
    DRIVERS = "drivers"
    SETTINGS = "setting"
    RESOURCE_EXECUTION = "resourceExecution"
    METRICS = "metrics"
    SERVICE_DRIVER = "serviceDrivers"
    COMPUTE = "compute"


class FiltersOperations(str, Enum):
    """Comparison operators; a clause with operator ``op`` is ``{field: {"$op": value}}``."""

    OR = "or"
    AND = "and"
    IN = "in"
    NOT_EQUAL = "ne"
    EQUAL = "eq"
    GREATER_THAN = "gt"
    LESS_THAN = "lt"
    EXISTS = "exists"
    MATCH = "match"
    NIN = "nin"
    GREATER_THAN_OR_EQUAL = "gte"
    LESS_THAN_OR_EQUAL = "lte"
    GLOB = "glob"


class FiltersMethod(str, Enum):
    """How a clause joins the others: into the ``$and`` list or the ``$or`` list."""

    OR = "or"
    AND = "and"


class FiltersOrderByDirection(str, Enum):
    """Sort direction of a ``sort`` entry."""

    DESCENDING = "descending"
    ASCENDING = "ascending"


#: Resources whose default and maximum page size is 100 rather than 1000.
SMALL_PAGE_RESOURCES = (FiltersResource.EXECUTION, FiltersResource.PIPELINE_EXECUTION)
JOIN_ON = {
    FiltersResource.ITEM: {"resource": "annotations", "local": "itemId", "forigen": "id"},
    FiltersResource.ANNOTATION: {"resource": "items", "local": "id", "forigen": "itemId"},
}


def recursive_filename(value: Any) -> Any:
    """A folder path (no ``*``, no extension) becomes ``<folder>/**``; other values pass."""
    if not isinstance(value, str):
        return value
    if value.endswith("*") or os.path.splitext(value)[-1].startswith("."):
        return value
    return value + ("**" if value.endswith("/") else "/**")


class Clause:
    """One ``{field: value}`` or ``{field: {"$op": value}}`` condition."""

    def __init__(self, field: str, values: Any, operator: Any = None) -> None:
        self.field = field
        self.values = values
        self.operator = operator

    def prepare(self, recursive: bool = False) -> dict:
        """Return the clause as JSON; ``recursive`` expands item folder ``filename`` values."""
        values = self.values
        if recursive and self.field == "filename":
            if isinstance(values, list):
                values = [recursive_filename(v) for v in values]
            else:
                values = recursive_filename(values)
        if self.operator is None:
            return {self.field: values}
        op = self.operator.value if isinstance(self.operator, Enum) else str(self.operator)
        return {self.field: {f"${op}": values}}


# dtlpy's module-level aliases (``dl.FILTERS_RESOURCE_ITEM``), re-exported by ``conveyor``.
FILTERS_KNOWN_FIELDS_DIR = FiltersKnownFields.DIR
FILTERS_KNOWN_FIELDS_ANNOTATED = FiltersKnownFields.ANNOTATED
FILTERS_KNOWN_FIELDS_FILENAME = FiltersKnownFields.FILENAME
FILTERS_KNOWN_FIELDS_CREATED_AT = FiltersKnownFields.CREATED_AT
FILTERS_KNOWN_FIELDS_UPDATED_AT = FiltersKnownFields.UPDATED_AT
FILTERS_KNOWN_FIELDS_LABEL = FiltersKnownFields.LABEL
FILTERS_KNOWN_FIELDS_NAME = FiltersKnownFields.NAME
FILTERS_KNOWN_FIELDS_HIDDEN = FiltersKnownFields.HIDDEN
FILTERS_KNOWN_FIELDS_TYPE = FiltersKnownFields.TYPE
FILTERS_RESOURCE_ITEM = FiltersResource.ITEM
FILTERS_RESOURCE_ANNOTATION = FiltersResource.ANNOTATION
FILTERS_RESOURCE_EXECUTION = FiltersResource.EXECUTION
FILTERS_RESOURCE_PACKAGE = FiltersResource.PACKAGE
FILTERS_RESOURCE_SERVICE = FiltersResource.SERVICE
FILTERS_RESOURCE_TRIGGER = FiltersResource.TRIGGER
FILTERS_RESOURCE_MODEL = FiltersResource.MODEL
FILTERS_RESOURCE_WEBHOOK = FiltersResource.WEBHOOK
FILTERS_RESOURCE_RECIPE = FiltersResource.RECIPE
FILTERS_RESOURCE_DATASET = FiltersResource.DATASET
FILTERS_RESOURCE_ONTOLOGY = FiltersResource.ONTOLOGY
FILTERS_OPERATIONS_OR = FiltersOperations.OR
FILTERS_OPERATIONS_AND = FiltersOperations.AND
FILTERS_OPERATIONS_IN = FiltersOperations.IN
FILTERS_OPERATIONS_NOT_EQUAL = FiltersOperations.NOT_EQUAL
FILTERS_OPERATIONS_EQUAL = FiltersOperations.EQUAL
FILTERS_OPERATIONS_GREATER_THAN = FiltersOperations.GREATER_THAN
FILTERS_OPERATIONS_LESS_THAN = FiltersOperations.LESS_THAN
FILTERS_OPERATIONS_EXISTS = FiltersOperations.EXISTS
FILTERS_METHOD_OR = FiltersMethod.OR
FILTERS_METHOD_AND = FiltersMethod.AND
FILTERS_ORDERBY_DIRECTION_DESCENDING = FiltersOrderByDirection.DESCENDING
FILTERS_ORDERBY_DIRECTION_ASCENDING = FiltersOrderByDirection.ASCENDING

#: The names above, for ``from conveyor.entities.filter_terms import *``-style re-export.
FILTER_CONSTANTS = tuple(name for name in dir() if name.startswith("FILTERS_"))
