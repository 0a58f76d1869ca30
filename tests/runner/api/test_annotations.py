"""Annotations: upload, validation (all or nothing), update diff, delete, counters."""

from __future__ import annotations

from tests.runner.api.conftest import upload

BOX = {"type": "box", "label": "car", "coordinates": [{"x": 1, "y": 2}, {"x": 5, "y": 6}]}


def test_upload_returns_required_keys_in_order(api, dataset):
    item = upload(api, dataset["id"], "/i.png").json()
    created = api.ok("post", f"/items/{item['id']}/annotations", json=[
        BOX, {"type": "point", "label": "p", "coordinates": {"x": 1, "y": 1}}])
    assert [a["label"] for a in created] == ["car", "p"]
    for key in ("creator", "createdAt", "updatedBy", "updatedAt", "type", "label", "id"):
        assert key in created[0]
    assert api.ok("get", f"/items/{item['id']}")["annotationsCount"] == 2


def test_one_bad_annotation_rejects_the_batch(api, dataset):
    item = upload(api, dataset["id"], "/j.png").json()
    reply = api.call("post", f"/items/{item['id']}/annotations", json=[
        BOX, {"type": "box", "label": "x", "coordinates": [{"x": 1}]}])
    assert reply.status_code == 400
    assert reply.json()["field"] == "[1].coordinates"
    assert api.ok("get", f"/items/{item['id']}/annotations") == []
    reply = api.call("post", f"/items/{item['id']}/annotations", json=[{"type": "blob"}])
    assert reply.status_code == 400 and reply.json()["field"] == "[0].type"


def test_update_and_delete(api, dataset):
    item = upload(api, dataset["id"], "/k.png").json()
    annotation = api.ok("post", f"/items/{item['id']}/annotations", json=[BOX])[0]
    updated = api.ok("put", f"/annotations/{annotation['id']}", json={
        "label": "bus", "creator": None, "metadata": {"user": {"ok": True}}})
    assert updated["label"] == "bus" and updated["metadata"]["user"] == {"ok": True}
    bad = api.call("put", f"/annotations/{annotation['id']}", json={"coordinates": "nope"})
    assert bad.status_code == 400
    assert api.ok("get", f"/annotations/{annotation['id']}")["label"] == "bus"
    api.ok("delete", f"/annotations/{annotation['id']}")
    assert api.call("get", f"/annotations/{annotation['id']}").status_code == 404
    assert api.ok("get", f"/items/{item['id']}")["annotationsCount"] == 0


def test_annotation_query_with_item_join(api, dataset):
    first = upload(api, dataset["id"], "/q/1.png").json()
    second = upload(api, dataset["id"], "/r/2.png").json()
    for item in (first, second):
        api.ok("post", f"/items/{item['id']}/annotations", json=[BOX])
    result = api.ok("post", f"/datasets/{dataset['id']}/query", json={
        "resource": "annotations", "filter": {"$and": [{"label": "car"}]},
        "join": {"on": {"resource": "items", "local": "id", "forigen": "itemId"},
                 "filter": {"$and": [{"dir": "/q"}]}}})
    assert [a["itemId"] for a in result["items"]] == [first["id"]]


def test_other_users_cannot_touch_annotations(api, other_api, dataset):
    item = upload(api, dataset["id"], "/z.png").json()
    annotation = api.ok("post", f"/items/{item['id']}/annotations", json=[BOX])[0]
    assert other_api.call("get", f"/annotations/{annotation['id']}").status_code == 404
    assert other_api.call("delete", f"/annotations/{annotation['id']}").status_code == 404
    assert other_api.call("post", f"/items/{item['id']}/annotations",
                          json=[BOX]).status_code == 404
