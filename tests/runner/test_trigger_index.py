"""TriggerIndex pre-selection never changes the outcome: same triggers as matching them all."""

from __future__ import annotations

import itertools

from conveyor_runner.control.dql import matches, parse_filter
from conveyor_runner.control.trigger_index import Compiled, TriggerIndex, TriggerView

FILTERS = [
    {},
    {"dir": "/a"},
    {"dir": "/b"},
    {"$and": [{"hidden": False}, {"type": "file"}, {"dir": "/a"}]},
    {"$and": [{"hidden": False}, {"type": "file"}]},
    {"$or": [{"dir": "/a"}, {"dir": "/c"}]},
    {"datasetId": "d1", "dir": "/a"},
    {"filename": "/a/**"},
    {"dir": {"$in": ["/a", "/b"]}},
    {"dir": {"$ne": "/a"}},
    {"score": 1},
    {"score": True},
    {"score": 1.0},
    {"metadata.user.x": "y"},
    {"id": "i1"},
    {"dir": None},
]
BODIES = [
    {"id": "i1", "datasetId": "d1", "dir": "/a", "filename": "/a/f", "hidden": False,
     "type": "file", "score": 1, "metadata": {"user": {"x": "y"}}},
    {"id": "i2", "datasetId": "d2", "dir": "/b", "filename": "/b/f", "hidden": False,
     "type": "file", "score": True, "metadata": {}},
    {"id": "i3", "datasetId": "d1", "dir": ["/a", "/c"], "hidden": True, "type": "dir",
     "score": 1.0},
    {"id": "i4", "dir": None, "score": [1, 2]},
    {"id": "i5"},
    {"id": {"nested": 1}, "dir": {"a": 1}},
]


def _compiled(index: int, raw: dict, actions=("Created",), created_at: str = "1") -> Compiled:
    view = TriggerView(f"t{index:02d}", "p", "s", "c", "c", created_at, {})
    return Compiled(view, parse_filter(raw), "Item", frozenset(actions), False)


def test_candidates_then_matches_equals_matching_every_trigger():
    triggers = [_compiled(i, f) for i, f in enumerate(FILTERS)]
    index = TriggerIndex(triggers)
    for body in BODIES:
        expected = [t.view.id for t in triggers if matches(t.filter, body)]
        got = [t.view.id for t in index.candidates("Item", "Created", "9", body)
               if matches(t.filter, body)]
        assert got == expected, body


def test_filed_triggers_are_skipped_for_other_values():
    triggers = [_compiled(i, {"dir": f"/f{i}"}) for i in range(100)]
    index = TriggerIndex(triggers)
    found = index.candidates("Item", "Created", "9", {"dir": "/f42"})
    assert [t.view.id for t in found] == ["t42"]


def test_resource_action_and_age_are_respected():
    index = TriggerIndex([_compiled(0, {}, ("Updated",)), _compiled(1, {}, created_at="5"),
                          _compiled(2, {})])
    assert index.wants("Item", "Updated") and not index.wants("Item", "Deleted")
    assert not index.wants("Dataset", "Created")
    older_event = index.candidates("Item", "Created", "3", {})
    assert [t.view.id for t in older_event] == ["t02"]  # t01 was created after the event
    assert [t.view.id for t in index.candidates("Item", "Updated", "9", {})] == ["t00"]


def test_every_pair_of_filters_indexes_consistently():
    for first, second in itertools.combinations(FILTERS, 2):
        triggers = [_compiled(0, first), _compiled(1, second)]
        index = TriggerIndex(triggers)
        for body in BODIES:
            expected = [t.view.id for t in triggers if matches(t.filter, body)]
            got = [t.view.id for t in index.candidates("Item", "Created", "9", body)
                   if matches(t.filter, body)]
            assert got == expected
