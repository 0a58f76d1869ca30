"""Entities: from_json/to_json round trips, merge-patch diffs, lazy stubs, repr, pickling."""

import copy
import pickle

import pytest

import conveyor as dl
from conveyor.entities.base import json_diff
from tests.sdk.http_stub import Reply, client, stub  # noqa: F401

ITEM = {
    "id": "5f0000000000000000000001",
    "datasetId": "5f00000000000000000000d1",
    "filename": "/folder/cat.jpg",
    "name": "cat.jpg",
    "dir": "/folder",
    "type": "file",
    "hidden": False,
    "annotated": False,
    "annotationsCount": 0,
    "metadata": {
        "system": {"size": 12, "mimetype": "image/jpeg", "width": 4, "height": 3},
        "user": {"tag": "a"},
    },
    "stream": "http://h/api/v1/items/5f0000000000000000000001/stream",
    "url": "u",
    "thumbnail": None,
    "annotations": "a",
    "dataset": "d",
    "createdAt": "2026-11-29T03:00:00.000Z",
    "updatedAt": "2026-11-29T03:00:00.000Z",
    "updatedBy": "x@y.z",
    "creator": "x@y.z",
    "futureKey": {"kept": True},
}
DATASET = {
    "id": "5f00000000000000000000d1",
    "name": "ds",
    "projects": ["5f00000000000000000000p1"],
    "itemsCount": 3,
    "expirationOptions": {"itemMaxDays": 7},
    "indexDriver": "v2",
    "metadata": {"system": {"recipes": ["r1"]}},
    "createdAt": "2026-11-29T03:00:00.000Z",
}


@pytest.mark.parametrize(
    "cls, payload, args",
    [
        (dl.Item, ITEM, {}),
        (
            dl.Project,
            {
                "id": "p",
                "name": "proj",
                "org": {"id": "o"},
                "contributors": [],
                "role": "owner",
                "systemProject": False,
                "isBlocked": False,
            },
            {},
        ),
        (
            dl.Command,
            {
                "id": "c",
                "url": "http://h/api/v1/commands/c",
                "status": "success",
                "progress": 100,
                "spec": {"returnedModelId": ["i"]},
                "error": None,
                "type": "ItemsClone",
                "createdAt": "t",
                "updatedAt": "t",
            },
            {},
        ),
    ],
)
def test_to_json_returns_exactly_what_was_received(cls, payload, args):
    entity = cls.from_json(_json=copy.deepcopy(payload), client_api=None, **args)
    assert entity.to_json() == payload


def test_dataset_and_users_round_trip_with_dtlpy_from_json_signatures():
    ds = dl.Dataset.from_json(project=None, _json=copy.deepcopy(DATASET), client_api=None)
    assert ds.to_json() == DATASET
    assert ds.expiration_options.item_max_days == 7 and ds.get_recipe_ids() == ["r1"]
    user = {"id": "u", "email": "a@b.c", "firstName": "Ada", "lastName": "L", "role": "owner"}
    assert dl.User.from_json(_json=user, project=None, client_api=None).name == "Ada"
    bot = dl.Bot.from_json(
        _json={**user, "projectId": "p9", "orgBot": True}, project=None, client_api=None
    )
    assert bot.org_bot is True and bot.project.id == "p9" and bot.to_json()["orgBot"] is True


def test_item_properties_read_metadata(stub, client):  # noqa: F811
    stub.route("GET", f"/api/v1/datasets/{DATASET['id']}", Reply(200, DATASET))
    item = dl.Item.from_json(_json=copy.deepcopy(ITEM), client_api=client)
    assert (item.size, item.mimetype, item.width, item.height) == (12, "image/jpeg", 4, 3)
    assert stub.sent() == []
    assert item.project_id == DATASET["projects"][0]  # from the dataset, fetched once
    assert item.project.id == DATASET["projects"][0] and item.dataset.name == "ds"
    assert len(stub.sent()) == 1
    assert (
        repr(item) == "Item(id='5f0000000000000000000001', filename='/folder/cat.jpg', type='file')"
    )


def test_mutating_an_entity_never_touches_the_received_json():
    source = copy.deepcopy(ITEM)
    item = dl.Item.from_json(_json=source, client_api=None)
    item.metadata["user"]["tag"] = "b"
    item.width = 40
    assert source == ITEM and item._json == ITEM
    assert json_diff(item._json, item.to_json()) == {
        "metadata": {"user": {"tag": "b"}, "system": {"width": 40}}
    }


def test_json_diff_is_a_merge_patch():
    before = {"a": 1, "b": {"c": 1, "d": 2}, "l": [1, 2], "gone": 1}
    after = {"a": 1, "b": {"c": 1, "d": 3, "e": None}, "l": [1, 2, 3]}
    assert json_diff(before, after) == {"b": {"d": 3, "e": None}, "l": [1, 2, 3], "gone": None}
    assert json_diff(before, copy.deepcopy(before)) == {}


def test_unset_fields_are_not_invented_in_to_json():
    item = dl.Item.from_json(_json={"id": "i", "filename": "/a"}, client_api=None)
    assert item.to_json() == {"id": "i", "filename": "/a", "metadata": {}}


def test_a_project_stub_fetches_itself_once_when_a_missing_field_is_read(stub, client):  # noqa: F811
    stub.route("GET", "/api/v1/projects/p1", Reply(200, {"id": "p1", "name": "fetched"}))
    project = dl.Project.from_json({"id": "p1"}, client, is_fetched=False)
    assert project.id == "p1" and stub.sent() == []
    assert project.name == "fetched" and project.name == "fetched"
    assert len(stub.sent("GET", "/api/v1/projects/p1")) == 1


def test_dataset_project_is_a_lazy_stub_of_projects_0(stub, client):  # noqa: F811
    stub.route(
        "GET", "/api/v1/projects/5f00000000000000000000p1", Reply(200, {"id": "x", "name": "P"})
    )
    ds = dl.Dataset.from_json(project=None, _json=copy.deepcopy(DATASET), client_api=client)
    assert ds.project.id == "5f00000000000000000000p1" and stub.sent() == []
    assert ds.project.name == "P"


def test_entities_pickle_as_json():
    item = dl.Item.from_json(_json=copy.deepcopy(ITEM), client_api=dl.client_api)
    clone = pickle.loads(pickle.dumps(item))
    assert clone.to_json() == ITEM and clone.client_api is dl.client_api


def test_unknown_constructor_arguments_are_rejected():
    with pytest.raises(TypeError, match="colour"):
        dl.Project(colour="red")


def test_attach_repository_adds_a_cached_attribute():
    dl.Project.attach_repository("widgets", lambda project: ["widgets of", project.id])
    project = dl.Project.from_json({"id": "p"}, None)
    assert project.widgets == ["widgets of", "p"] and project.widgets is project.widgets
    with pytest.raises(AttributeError):
        _ = project.gadgets


def test_directory_tree_lists_every_directory():
    tree = dl.DirectoryTree(
        {
            "value": {"id": "r", "filename": "/", "name": ""},
            "children": [
                {
                    "value": {"id": "a", "filename": "/a", "dir": "/"},
                    "children": [{"value": {"filename": "/a/b"}}],
                }
            ],
        }
    )
    assert tree.dir_names == ["/", "/a", "/a/b"]
    assert tree.root.children[0].path == "/a" and tree.root.children[0].parent == "/"


def test_command_in_progress_and_path():
    cmd = dl.Command.from_json(
        {"id": "c", "status": "in-progress", "url": "http://h:1/api/v1/commands/faas/c"}, None
    )
    assert cmd.in_progress() and cmd.path == "/commands/faas/c"
    assert dl.Command.from_json({"id": "c", "status": "success"}, None).path == "/commands/c"
    with pytest.raises(ValueError, match="status"):
        dl.Command.from_json({"id": "c", "status": "weird"}, None).in_progress()


def test_the_copy_an_entity_takes_of_its_json_is_deep():
    """``copy_json`` (how an entity copies the JSON it is built from): changing the source
    afterwards leaves the copy alone, non-JSON values included."""
    import datetime

    from conveyor.entities.base import copy_json

    source = {"a": [1, {"b": "c"}], "when": datetime.date(2026, 1, 1), "n": None, "t": True}
    copied = copy_json(source)
    assert copied == source
    source["a"][1]["b"] = "changed"
    source["a"].append(2)
    assert copied == {"a": [1, {"b": "c"}], "when": datetime.date(2026, 1, 1), "n": None,
                      "t": True}
