"""Which event triggers an event must be evaluated against, found without evaluating all.

``TriggerCache`` keeps each project's active event triggers, parsed, and reloads a
project's set only when one of its triggers was created, changed or deleted (it compares
``(id, updatedAt)`` pairs, a light query, instead of loading every trigger per batch).

``TriggerIndex`` files a trigger whose filter requires ``field == value`` at its top level
(``{"dir": "/in"}``, ``{"datasetId": ...}``; ``field`` without dots) under that pair, and
offers an event only the triggers filed under the event's own values plus the unfiled
ones. It is exact, never a guess: such a filter can only match a JSON whose ``field`` is
that very scalar, and when the event's ``field`` is not a scalar (a list, an object)
every trigger filed under ``field`` is offered. ``dql.matches`` still decides.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from conveyor_runner.control import trigger_spec
from conveyor_runner.control.dql import And, Compare, Node
from conveyor_runner.store.tables import TriggerRow

#: Fields preferred as the index key (most selective first); then any other one.
_PREFERRED = ("id", "datasetId", "itemId", "dir", "filename", "name", "label")


@dataclass(frozen=True)
class TriggerView:
    """What firing needs of a trigger, detached from any session."""

    id: str
    project_id: str
    service_id: str
    creator: str
    creator_id: str
    created_at: str
    spec: dict

    @classmethod
    def of(cls, row: TriggerRow) -> TriggerView:
        """The view of a trigger row."""
        return cls(row.id, row.project_id, row.service_id, row.creator, row.creator_id,
                   row.created_at, row.doc["spec"])


@dataclass(frozen=True)
class Compiled:
    """An event trigger with its filter parsed."""

    view: TriggerView
    filter: Node
    resource: str
    actions: frozenset[str]
    once: bool


class TriggerIndex:
    """One project's active event triggers, filed by a required ``field == value``."""

    def __init__(self, triggers: list[Compiled]) -> None:
        self._unfiled: list[Compiled] = []
        self._filed: dict[str, dict[object, list[Compiled]]] = defaultdict(
            lambda: defaultdict(list))
        self._listening = {(t.resource, a) for t in triggers for a in t.actions}
        for trigger in triggers:
            key = _index_key(trigger.filter)
            if key is None:
                self._unfiled.append(trigger)
            else:
                self._filed[key[0]][key[1]].append(trigger)

    def candidates(self, resource: str, action: str, created_at: str,
                   body: dict) -> list[Compiled]:
        """Triggers that may match an event, in creation order (``Compiled`` list)."""
        found = list(self._unfiled)
        for field, by_value in self._filed.items():
            value = body.get(field)
            if isinstance(value, (list, dict)):
                found.extend(t for group in by_value.values() for t in group)
            else:
                found.extend(by_value.get(value, ()))
        return sorted((t for t in found if t.resource == resource and action in t.actions
                       and t.view.created_at <= created_at), key=lambda t: t.view.id)

    def wants(self, resource: str, action: str) -> bool:
        """Whether any trigger listens to this resource and action (else skip rendering)."""
        return (resource, action) in self._listening


def _index_key(node: Node) -> tuple[str, object] | None:
    equalities = [c for c in _conjuncts(node) if c.op == "$eq" and "." not in c.field
                  and c.value is not None]
    if not equalities:
        return None
    best = min(equalities, key=lambda c: _PREFERRED.index(c.field)
               if c.field in _PREFERRED else len(_PREFERRED))
    return best.field, best.value


def _conjuncts(node: Node) -> list[Compare]:
    if isinstance(node, Compare):
        return [node]
    if isinstance(node, And):
        return [c for child in node.children for c in _conjuncts(child)]
    return []  # an Or requires none of its branches


class TriggerCache:
    """Per-project ``TriggerIndex`` objects, reloaded only when a project's triggers change."""

    def __init__(self) -> None:
        self._cached: dict[str, tuple[frozenset, TriggerIndex]] = {}

    def indexes(self, session: Session, project_ids: set[str]) -> dict[str, TriggerIndex]:
        """The current index of each project (empty projects are left out)."""
        stamps: dict[str, set] = defaultdict(set)
        for project_id, trigger_id, stamp in session.execute(
                select(TriggerRow.project_id, TriggerRow.id, TriggerRow.updated_at)
                .where(TriggerRow.project_id.in_(project_ids), TriggerRow.type == "Event",
                       TriggerRow.active.is_(True))):
            stamps[project_id].add((trigger_id, stamp))
        stale = {p for p, s in stamps.items() if self._cached.get(p, (None,))[0] != s}
        if stale:
            self._reload(session, stale, stamps)
        for project_id in project_ids - set(stamps):
            self._cached.pop(project_id, None)
        return {p: self._cached[p][1] for p in stamps}

    def _reload(self, session: Session, project_ids: set[str], stamps: dict) -> None:
        grouped: dict[str, list[Compiled]] = defaultdict(list)
        for row in session.scalars(select(TriggerRow).where(
                TriggerRow.project_id.in_(project_ids), TriggerRow.type == "Event",
                TriggerRow.active.is_(True)).order_by(TriggerRow.id)):
            spec = row.doc["spec"]
            grouped[row.project_id].append(Compiled(
                TriggerView.of(row), trigger_spec.event_filter(spec.get("filter") or {}),
                spec["resource"], frozenset(spec["actions"]), spec["executionMode"] == "Once"))
        for project_id in project_ids:
            # The rows read may be newer than the stamps: the next batch then reloads again.
            self._cached[project_id] = (frozenset(stamps[project_id]),
                                        TriggerIndex(grouped[project_id]))
