"""The SDK core against a real Conveyor server (``conveyor_server``: SQLite, then PostgreSQL)."""

import io
import json
import os
import secrets

import pytest

import conveyor as dl
from conveyor import exceptions
from conveyor.client import ApiClient
from tests.sdk.http_stub import make_token


@pytest.fixture
def api(conveyor_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # checkout state stays in the test's directory
    client = ApiClient(url=conveyor_server.url, token=conveyor_server.token)
    client.verbose.disable_progress_bar = True
    return client


@pytest.fixture
def dataset(api):
    project = dl.Projects(api).create(f"sdk-{secrets.token_hex(4)}")
    yield project.datasets.create("data")
    project.delete(sure=True, really=True)


def test_login_file_with_expired_token_is_renewed_against_the_server(
    conveyor_server, tmp_path, monkeypatch
):
    home = tmp_path / "home"
    home.mkdir()
    login = home / "login.json"
    login.write_text(
        json.dumps(
            {
                "url": conveyor_server.url,
                "email": conveyor_server.admin_email,
                "password": conveyor_server.admin_password,
                "token": make_token(ttl=-60),
            }
        )
    )
    monkeypatch.setenv("CONVEYOR_HOME", str(home))
    api = ApiClient()
    me = dl.Users(api).me()
    assert me.email == conveyor_server.admin_email
    assert json.loads(login.read_text())["token"] == api.token != make_token(ttl=-60)


def test_login_token_accepts_real_tokens_and_rejects_forged_ones(conveyor_server):
    api = ApiClient(url=conveyor_server.url)
    assert api.login_token(conveyor_server.token) is True
    with pytest.raises(ValueError, match="Invalid token"):
        api.login_token(make_token(email=conveyor_server.admin_email))
    assert api.token == conveyor_server.token


def test_projects_lifecycle(api):
    name = f"proj {secrets.token_hex(3)}"
    projects = dl.Projects(api)
    project = projects.create(name)
    assert projects.get(project_name=name).id == project.id
    assert project.id in [p.id for p in projects.list()]
    assert projects.get(project_id=project.id).name == name
    with pytest.raises(exceptions.Conflict):
        projects.create(name)
    project.delete(sure=True, really=True)
    with pytest.raises(exceptions.NotFound):
        projects.get(project_id=project.id)


def test_datasets_get_list_and_directory_tree(api, dataset):
    project = dataset.project
    assert project.datasets.get(dataset_name="data").id == dataset.id
    assert [d.name for d in project.datasets.list()] == ["data"]
    dataset.items.make_dir("/a/b")
    assert {"/a", "/a/b"} <= set(dataset.directory_tree.dir_names)


def test_upload_list_and_download_round_trip(api, dataset, tmp_path):
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    payloads = {f"f{n}.bin": os.urandom(1000 + n) for n in range(5)}
    for i, (name, data) in enumerate(payloads.items()):
        (folder / ("sub" if i % 2 else "") / name).write_bytes(data)
    uploaded = list(dataset.items.upload(str(folder), remote_path="/in"))
    assert len(uploaded) == 5
    pages = dataset.items.list(page_size=2)  # keyset paging over 3 pages
    assert pages.items_count == 5 and [len(p) for p in pages] == [2, 2, 1]
    listed = {i.filename: i for i in pages.all()}
    assert set(listed) == {
        "/in/photos/" + ("sub/" if i % 2 else "") + name for i, name in enumerate(payloads)
    }
    for item in listed.values():
        assert (
            open(item.download(local_path=str(tmp_path / "out")), "rb").read()
            == payloads[item.name]
        )
    assert (
        dataset.items.get(filepath="/in/photos/f0.bin").download(save_locally=False).read()
        == payloads["f0.bin"]
    )


def test_upload_skips_or_overwrites_existing_items(api, dataset):
    first = dataset.items.upload(b"one", remote_name="x.txt")
    skipped = dataset.items.upload(b"two!", remote_name="x.txt")
    assert skipped.id == first.id and skipped.size == 3
    replaced = dataset.items.upload(b"two!", remote_name="x.txt", overwrite=True)
    assert replaced.size == 4
    assert replaced.download(save_locally=False).read() == b"two!"


def test_item_update_move_clone_and_delete(api, dataset):
    buffer = io.BytesIO(b"hello")
    buffer.name = "a.txt"
    item = dataset.items.upload(buffer, item_metadata={"user": {"n": 1}})
    item.metadata["user"]["n"] = 2
    item = item.update()
    assert dataset.items.get(item_id=item.id).metadata["user"]["n"] == 2
    moved = item.move("/dst/")
    assert moved.filename == "/dst/a.txt"
    copy = moved.clone(remote_filepath="/copy/a.txt")
    assert copy.id != moved.id and copy.download(save_locally=False).read() == b"hello"
    assert copy.delete() is True
    with pytest.raises(exceptions.NotFound):
        dataset.items.get(item_id=copy.id)
    dataset.items.delete(filters={"filter": {"$and": [{"dir": "/dst"}]}})
    with pytest.raises(exceptions.NotFound):
        dataset.items.get(filepath="/dst/a.txt")


def test_numpy_arrays_round_trip_in_rgb_order(api, dataset):
    np = pytest.importorskip("numpy")
    rgb = np.zeros((5, 7, 3), dtype=np.uint8)
    rgb[..., 0], rgb[..., 2] = 250, 10
    item = dataset.items.upload(rgb, remote_name="img.png")
    array = dataset.items.get(item_id=item.id).download(save_locally=False, to_array=True)
    assert array.shape == (5, 7, 3) and tuple(array[2, 3]) == (250, 0, 10)


def test_unknown_ids_raise_not_found(api):
    with pytest.raises(exceptions.NotFound):
        dl.Items(api).get(item_id="0" * 24)
    with pytest.raises(exceptions.NotFound):
        dl.Datasets(api).get(dataset_id="0" * 24)
