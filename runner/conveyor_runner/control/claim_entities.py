"""The items a claim answers with, so a replica builds its functions' Item inputs without
fetching them.

A function that takes an item gets an SDK ``Item``: the replica used to fetch each one
with ``GET /items/{id}`` right after the claim -- a request, a query and a render per
execution, for the most common kind of function. The claim batch already knows which
executions are to run and what their functions take, so it answers with the JSON of all
their items, from one query: the same JSON that ``GET`` would have returned, at the same
moment, for the same principal. An item the principal cannot see (or that is gone) is
left out, and the replica's own fetch reports it as before.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from conveyor_runner.control.execution_inputs import entity_id_of
from conveyor_runner.control.package_spec import find_function
from conveyor_runner.store import services
from conveyor_runner.store.tables import DatasetRow, ItemRow, MemberRow

#: Most items one claim batch answers with (a function taking a long Item[] list still
#: gets the rest by fetching them).
MAX_ITEMS = 1000


def items_for_claims(session: Session, service_id: str, user_id: str,
                     executions: list[dict]) -> dict[str, list[ItemRow]]:
    """``{execution id: [item rows]}`` for the Item inputs of ``executions`` (the
    Execution JSONs of the claims answered ``run``), visible to ``user_id``."""
    if not executions:
        return {}
    target = services.visible_target(session, service_id, user_id)
    wanted: dict[str, list[str]] = {}
    for execution in executions:
        function = find_function(target.modules or [], target.module_name,
                                 execution.get("functionName") or "run")
        ids = _item_ids(function["input"] if function else [], execution.get("input"))
        if ids:
            wanted[execution["id"]] = ids
    every = list(dict.fromkeys(i for ids in wanted.values() for i in ids))[:MAX_ITEMS]
    if not every:
        return {}
    rows = session.scalars(
        select(ItemRow)
        .join(DatasetRow, DatasetRow.id == ItemRow.dataset_id)
        .join(MemberRow, MemberRow.project_id == DatasetRow.project_id)
        .where(ItemRow.id.in_(every), MemberRow.user_id == user_id))
    found = {row.id: row for row in rows}
    return {execution_id: [found[i] for i in dict.fromkeys(ids) if i in found]
            for execution_id, ids in wanted.items()}


def _item_ids(declared: list[dict], values: object) -> list[str]:
    """The ids in the values of the declared ``Item`` and ``Item[]`` inputs."""
    if not isinstance(values, dict):
        return []
    ids = []
    for io in declared:
        value = values.get(io.get("name"))
        if io.get("type") == "Item":
            value = [value]
        elif io.get("type") != "Item[]" or not isinstance(value, list):
            continue
        ids += [i for i in (entity_id_of("Item", v) for v in value) if i]
    return ids
