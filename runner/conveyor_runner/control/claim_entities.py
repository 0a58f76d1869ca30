"""The items a claim answers with, so a replica builds its functions' Item inputs without
fetching them.

A function that takes an item gets an SDK ``Item``: the replica used to fetch each one
with ``GET /items/{id}`` right after the claim -- a request, a query and a render per
execution, for the most common kind of function. The replica knows which inputs of its
functions are items and names them in each claim (``itemInputs``); the claim batch answers
with the JSON of all those items, from one query: the same JSON that ``GET`` would have
returned, at the same moment, for the same principal. An item the principal cannot see
(or that is gone) is left out, and the replica's own fetch reports it as before. Claims
naming no item inputs cost nothing here.
"""

from __future__ import annotations

from sqlalchemy import Connection

from conveyor_runner.control.execution_inputs import entity_id_of
from conveyor_runner.store import items

#: Most items one claim batch answers with (a function taking a long Item[] list still
#: gets the rest by fetching them).
MAX_ITEMS = 1000


def item_ids(values: object, names: object) -> list[str]:
    """The item ids in the execution input ``values`` under the input ``names`` (each an
    id, an ``{item_id}``/``{id}`` object, or a list of those)."""
    if not isinstance(values, dict) or not isinstance(names, list):
        return []
    ids: list[str] = []
    for name in names:
        value = values.get(name) if isinstance(name, str) else None
        for element in value if isinstance(value, list) else [value]:
            found = entity_id_of("Item", element)
            if found:
                ids.append(found)
    return ids


def visible_items(connection: Connection, user_id: str, wanted: dict[str, list[str]]
                  ) -> dict[str, list]:
    """``{execution id: [item rows]}`` of the ``wanted`` ids that ``user_id`` may see, in
    one query (at most ``MAX_ITEMS`` distinct items; rows as ``store.items.visible_items``
    gives them)."""
    every = list(dict.fromkeys(i for ids in wanted.values() for i in ids))[:MAX_ITEMS]
    if not every:
        return {}
    found = items.visible_items(connection, every, user_id)
    return {execution_id: [found[i] for i in dict.fromkeys(ids) if i in found]
            for execution_id, ids in wanted.items()}
