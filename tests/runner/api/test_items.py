"""Items: upload with the size echo, refusal of bad uploads, query, stream, update, delete."""

from __future__ import annotations

import os

from tests.runner.api.conftest import upload


def _binaries(conveyor_server) -> list[str]:
    root = conveyor_server.data_dir / "binaries"
    return [p for _, _, files in os.walk(root) for p in files if not p.startswith(".")]


def test_upload_echoes_size_and_op(api, dataset):
    reply = upload(api, dataset["id"], "/a/b/c.txt", b"12345")
    assert reply.status_code == 200
    assert reply.headers["x-item-op"] == "created"
    item = reply.json()
    assert item["metadata"]["system"]["size"] == 5
    assert (item["filename"], item["dir"], item["name"]) == ("/a/b/c.txt", "/a/b", "c.txt")
    again = upload(api, dataset["id"], "/a/b/c.txt", b"other")
    assert again.headers["x-item-op"] == "skip" and again.json()["id"] == item["id"]
    over = api.call("post", f"/datasets/{dataset['id']}/items?mode=overwrite",
                    files={"file": ("c.txt", b"longer!")}, data={"path": "/a/b/c.txt"})
    assert over.headers["x-item-op"] == "overwrite"
    assert api.call("get", f"/items/{item['id']}/stream").content == b"longer!"


def test_size_mismatch_is_refused_and_keeps_nothing(api, dataset, conveyor_server):
    before = _binaries(conveyor_server)
    reply = upload(api, dataset["id"], "/bad.bin", b"abc", size="10")
    assert reply.status_code == 400
    assert reply.json()["field"] == "file"
    assert "declared size 10" in reply.json()["message"]
    query = api.ok("post", f"/datasets/{dataset['id']}/query", json={
        "filter": {"$and": [{"filename": "/bad.bin"}]}})
    assert query["totalItemsCount"] == 0
    assert _binaries(conveyor_server) == before


def test_bad_upload_fields_are_400(api, dataset):
    assert upload(api, dataset["id"], "/../etc/x").json()["field"] == "path"
    reply = upload(api, dataset["id"], "/m.txt", metadata="{not json")
    assert reply.status_code == 400 and reply.json()["field"] == "metadata"
    reply = api.call("post", f"/datasets/{dataset['id']}/items", data={"type": "file"})
    assert reply.status_code == 400 and reply.json()["field"] == "file"


def test_stream_honours_range(api, dataset):
    item = upload(api, dataset["id"], "/r.bin", bytes(range(100))).json()
    whole = api.call("get", f"/items/{item['id']}/stream")
    assert whole.status_code == 200 and whole.content == bytes(range(100))
    tail = api.call("get", f"/items/{item['id']}/stream", headers={"Range": "bytes=90-"})
    assert tail.status_code == 206 and tail.content == bytes(range(90, 100))
    assert tail.headers["content-range"] == "bytes 90-99/100"
    middle = api.call("get", f"/items/{item['id']}/stream", headers={"Range": "bytes=5-9"})
    assert middle.content == bytes(range(5, 10))
    beyond = api.call("get", f"/items/{item['id']}/stream", headers={"Range": "bytes=100-"})
    assert beyond.status_code == 416


def test_query_filters_sorts_and_pages(api, dataset):
    for i in range(7):
        upload(api, dataset["id"], f"/f{i % 2}/n{i}.txt", b"x",
               metadata=f'{{"user": {{"rank": {i}}}}}')
    body = {"filter": {"$and": [{"hidden": False}, {"type": "file"},
                                {"metadata.user.rank": {"$gte": 2}}, {"dir": "/f0"}]},
            "sort": {"metadata.user.rank": "descending"}, "page": 0, "pageSize": 2}
    first = api.ok("post", f"/datasets/{dataset['id']}/query", json=body)
    assert [i["name"] for i in first["items"]] == ["n6.txt", "n4.txt"]
    assert (first["totalItemsCount"], first["totalPagesCount"], first["hasNextPage"]) == (
        3, 2, True)
    second = api.ok("post", f"/datasets/{dataset['id']}/query", json={**body, "page": 1})
    assert [i["name"] for i in second["items"]] == ["n2.txt"] and not second["hasNextPage"]
    count_only = api.ok("post", f"/datasets/{dataset['id']}/query", json={**body, "pageSize": 0})
    assert count_only["items"] == [] and count_only["totalItemsCount"] == 3


def test_bad_query_is_400_naming_the_operator(api, dataset):
    reply = api.call("post", f"/datasets/{dataset['id']}/query", json={
        "filter": {"$and": [{"name": {"$bogus": 1}}]}})
    assert reply.status_code == 400
    assert "$bogus" in reply.json()["message"]


def test_patch_merges_metadata_and_ignores_nulls(api, dataset):
    item = upload(api, dataset["id"], "/p.txt", metadata='{"user": {"a": 1, "b": 2}}').json()
    body = {"metadata": {"user": {"b": None, "c": 3}, "system": {"size": 999}},
            "thumbnail": None, "annotated": None, "dataset": None}
    updated = api.ok("patch", f"/items/{item['id']}", json=body)
    assert updated["metadata"]["user"] == {"a": 1, "c": 3}
    assert updated["metadata"]["system"]["size"] == item["metadata"]["system"]["size"]


def test_move_and_conflict(api, dataset):
    a = upload(api, dataset["id"], "/src/a.txt").json()
    upload(api, dataset["id"], "/dst/taken.txt")
    moved = api.ok("patch", f"/items/{a['id']}", json={"filename": "/dst/a.txt"})
    assert (moved["dir"], moved["name"]) == ("/dst", "a.txt")
    reply = api.call("patch", f"/items/{a['id']}", json={"filename": "/dst/taken.txt"})
    assert reply.status_code == 409
    assert api.ok("get", f"/items/{a['id']}")["filename"] == "/dst/a.txt"


def test_moving_a_folder_moves_its_contents(api, dataset):
    upload(api, dataset["id"], "/old/deep/x.txt")
    folder = api.ok("post", f"/datasets/{dataset['id']}/query", json={
        "filter": {"$and": [{"filename": "/old"}, {"type": "dir"}]}})["items"][0]
    api.ok("patch", f"/items/{folder['id']}", json={"filename": "/new"})
    names = [i["filename"] for i in api.ok("post", f"/datasets/{dataset['id']}/query",
                                          json={"filter": {"$and": [{"type": "file"}]}})["items"]]
    assert names == ["/new/deep/x.txt"]


def test_delete_item_removes_binary(api, dataset, conveyor_server):
    item = upload(api, dataset["id"], "/gone.txt").json()
    before = len(_binaries(conveyor_server))
    api.ok("delete", f"/items/{item['id']}")
    assert api.call("get", f"/items/{item['id']}").status_code == 404
    assert len(_binaries(conveyor_server)) == before - 1


def test_bulk_update_and_delete_by_query(api, dataset):
    for i in range(4):
        upload(api, dataset["id"], f"/bulk/{i}.txt")
    selector = {"filter": {"$and": [{"filename": "/bulk/**"}, {"type": "file"}]}}
    result = api.ok("post", f"/datasets/{dataset['id']}/query", json={
        **selector, "update": {"metadata": {"user": {"tag": "x"}}}})
    assert result["updated"] == 4
    tagged = api.ok("post", f"/datasets/{dataset['id']}/query", json={
        "filter": {"$and": [{"metadata.user.tag": "x"}]}})
    assert tagged["totalItemsCount"] == 4
    assert api.ok("post", f"/datasets/{dataset['id']}/query",
                  json={**selector, "delete": True})["deleted"] == 4
    assert api.ok("post", f"/datasets/{dataset['id']}/query", json=selector)["totalItemsCount"] == 0


def test_make_dir_and_directory_tree(api, dataset):
    api.ok("post", f"/datasets/{dataset['id']}/items", data={"type": "dir", "path": "/x/y"})
    tree = api.ok("get", f"/datasets/{dataset['id']}/directoryTree")
    assert tree["value"]["filename"] == "/"
    x = tree["children"][0]
    assert x["value"]["filename"] == "/x" and x["children"][0]["value"]["filename"] == "/x/y"


def test_clone_returns_a_finished_command(api, dataset):
    item = upload(api, dataset["id"], "/orig.txt", b"payload").json()
    api.ok("post", f"/items/{item['id']}/annotations", json=[{"type": "class", "label": "a"}])
    command = api.ok("post", f"/items/{item['id']}/clone", json={
        "targetDatasetId": dataset["id"], "remoteFileName": "/copy.txt",
        "cloneDatasetParams": {"withItemsAnnotations": True, "withMetadata": True}})
    assert command["status"] == "success" and "api/v1/commands/" in command["url"]
    clone_id = command["spec"]["returnedModelId"][0]
    assert api.call("get", f"/items/{clone_id}/stream").content == b"payload"
    assert len(api.ok("get", f"/items/{clone_id}/annotations")) == 1
    assert api.ok("get", f"/commands/{command['id']}")["status"] == "success"


def test_dataset_clone_copies_selected_items_with_annotations(api, dataset):
    import time

    keep = upload(api, dataset["id"], "/keep/a.txt", b"A").json()
    upload(api, dataset["id"], "/skip/b.txt", b"B")
    api.ok("post", f"/items/{keep['id']}/annotations", json=[{"type": "class", "label": "x"}])
    command = api.ok("post", f"/datasets/{dataset['id']}/clone", json={
        "name": "copy", "filter": {"filter": {"$and": [{"filename": "/keep/**"},
                                                       {"type": "file"}]}},
        "cloneDatasetParams": {"withItemsAnnotations": True, "withMetadata": True}})
    deadline = time.monotonic() + 20
    while command["status"] not in ("success", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
        command = api.ok("get", f"/commands/{command['id']}")
    assert command["status"] == "success", command
    target = command["spec"]["returnedModelId"]
    copied = api.ok("post", f"/datasets/{target}/query", json={
        "filter": {"$and": [{"type": "file"}]}})["items"]
    assert [i["filename"] for i in copied] == ["/keep/a.txt"]
    assert copied[0]["annotationsCount"] == 1
    assert api.call("get", f"/items/{copied[0]['id']}/stream").content == b"A"
    reply = api.call("post", f"/datasets/{dataset['id']}/clone", json={"filter": {}})
    assert reply.status_code == 400 and reply.json()["field"] == "name"
