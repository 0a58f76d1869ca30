"""Execution inputs checked against the function's declaration before anything is written."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from conveyor_runner.errors import InvalidInputError, NotFoundError
from conveyor_runner.store import annotations, datasets, executions, items, packages, projects
from conveyor_runner.store import services as service_store

_SCALARS: dict[str, Callable[[object], bool]] = {
    "String": lambda v: isinstance(v, str),
    "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "Number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "Boolean": lambda v: isinstance(v, bool),
    "Json": lambda v: True,
    "Any": lambda v: True,
}

#: Entity types the ledger can check for existence, and how.
_LOOKUPS = {
    "Item": items.visible_item,
    "Dataset": datasets.visible_dataset,
    "Annotation": annotations.visible_annotation,
    "Project": projects.visible_project,
    "Package": packages.visible_package,
    "Service": service_store.visible_service,
    "Execution": executions.visible_execution,
}


def check_inputs(session: Session, user_id: str, declared: list[dict], values: object) -> dict:
    """Return the input dict if it satisfies the declaration, else raise naming the input.

    Undeclared keys are kept (dtlpy sends extras) but not checked.

    Raises:
        InvalidInputError: ``input`` not an object, a mandatory input missing, a value of the
            wrong type, or an entity id that does not exist for the caller.
    """
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise InvalidInputError("input: must be an object of input name -> value", "input")
    for io in declared:
        name, kind = io["name"], io["type"]
        value = values.get(name)
        if value is None:
            if io.get("mandatory", True) and "value" not in io:
                raise InvalidInputError(f"input.{name}: required ({kind})", f"input.{name}")
            continue
        _check_value(session, user_id, kind, value, f"input.{name}")
    return values


def _check_value(session: Session, user_id: str, kind: str, value: object, field: str) -> None:
    if kind.endswith("[]"):
        if not isinstance(value, list):
            raise InvalidInputError(f"{field}: expected a list ({kind})", field)
        for index, element in enumerate(value):
            _check_value(session, user_id, kind[:-2], element, f"{field}[{index}]")
        return
    if kind in _SCALARS:
        if not _SCALARS[kind](value):
            raise InvalidInputError(f"{field}: expected {kind}, got {type(value).__name__}",
                                    field)
        return
    entity_id = entity_id_of(kind, value)
    if entity_id is None:
        raise InvalidInputError(f"{field}: expected a {kind} id or {{{kind.lower()}_id: ...}}",
                                field)
    lookup = _LOOKUPS.get(kind)
    if lookup is not None:
        try:
            lookup(session, entity_id, user_id)
        except NotFoundError:
            raise InvalidInputError(f"{field}: {kind.lower()} {entity_id} not found",
                                    field) from None


def entity_id_of(kind: str, value: object) -> str | None:
    """The id inside an entity input value: an id string, ``{<type>_id}`` or ``{id}``."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, dict):
        found = value.get(f"{kind.lower()}_id") or value.get(f"{kind[0].lower()}{kind[1:]}Id") \
            or value.get("id")
        return found if isinstance(found, str) and found else None
    return None
