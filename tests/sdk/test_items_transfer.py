"""Item upload (multipart, declared size, verification) and download (Range resume, formats)."""

import io
import os
import re
from email import policy
from email.parser import BytesParser

import cv2
import numpy as np
import pytest

import conveyor as dl
from conveyor import exceptions
from conveyor.repositories import uploader
from tests.sdk.http_stub import Reply, client, stub  # noqa: F401

DS = "5f00000000000000000000d1"


class FakeStore:
    """Items held by the stub server: upload, get, delete, stream with Range."""

    def __init__(self, stub):  # noqa: F811
        self.stub, self.items, self.blobs = stub, {}, {}
        self.size_lie = 0  # bytes added to metadata.system.size on the next uploads
        self.cut_first_stream = None  # bytes sent before cutting the first stream
        stub.route("POST", f"/api/v1/datasets/{DS}/items", self.upload)
        stub.route("GET", r"/api/v1/items/(\w+)/stream", self.stream)
        stub.route("GET", r"/api/v1/items/(\w+)", lambda r, m: Reply(200, self.items[m[1]]))
        stub.route("DELETE", r"/api/v1/items/(\w+)", self.delete)

    def upload(self, req, _m):
        fields = parse_multipart(req)
        path, data = fields["path"], fields["file"]
        existing = [i for i in self.items.values() if i["filename"] == path]
        if existing and req.query["mode"] == ["skip"]:
            return Reply(200, existing[0], {"x-item-op": "skip"})
        item_id = f"{len(self.items) + len(self.blobs) + 1:024x}"
        self.blobs[item_id] = data
        self.items[item_id] = {
            "id": item_id,
            "datasetId": DS,
            "filename": path,
            "name": path.rsplit("/", 1)[1],
            "dir": path.rsplit("/", 1)[0] or "/",
            "type": "file",
            "annotated": False,
            "metadata": {
                "system": {"size": len(data) + self.size_lie, "mimetype": fields.get("mime")}
            },
            "fields": {k: v for k, v in fields.items() if k != "file"},
        }
        return Reply(200, self.items[item_id], {"x-item-op": "created"})

    def delete(self, _req, m):
        self.items.pop(m[1], None)
        return Reply(200, {})

    def stream(self, req, m):
        data = self.blobs[m[1]]
        start = int(re.match(r"bytes=(\d+)-", req.headers.get("range", "bytes=0-"))[1])
        cut, self.cut_first_stream = self.cut_first_stream, None
        return Reply(206 if start else 200, data[start:], cut_after=cut)


def parse_multipart(req) -> dict:
    raw = b"Content-Type: " + req.headers["content-type"].encode() + b"\r\n\r\n" + req.body
    out = {}
    for part in BytesParser(policy=policy.HTTP).parsebytes(raw).iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        out[name] = payload if name == "file" else payload.decode()
        if name == "file":
            out["mime"] = part.get_content_type()
    return out


@pytest.fixture
def store(stub):  # noqa: F811
    return FakeStore(stub)


@pytest.fixture
def items(client, monkeypatch):  # noqa: F811
    monkeypatch.setattr(uploader, "RETRY_BACKOFF_SECONDS", 0)  # retry without pauses
    client.verbose.disable_progress_bar = True
    return dl.Items(client_api=client, dataset_id=DS)


def test_single_file_upload_sends_the_multipart_fields_and_declared_size(tmp_path, store, items):
    source = tmp_path / "cat.txt"
    source.write_bytes(b"meow" * 100)
    item = items.upload(
        str(source), remote_path="pets", item_metadata={"user": {"k": 1}}, item_description="a cat"
    )
    assert isinstance(item, dl.Item) and item.filename == "/pets/cat.txt"
    fields = store.items[item.id]["fields"]
    assert fields == {
        "type": "file",
        "path": "/pets/cat.txt",
        "size": "400",
        "metadata": '{"user": {"k": 1}}',
        "description": "a cat",
        "mime": "text/plain",
    }
    sent = store.stub.sent("POST")[0]
    assert sent.query == {"mode": ["skip"]} and sent.headers["content-length"] == str(
        len(sent.body)
    )
    assert store.blobs[item.id] == b"meow" * 100


def test_folder_upload_keeps_relative_dirs_and_the_head_folder(tmp_path, store, items):
    root = tmp_path / "photos"
    (root / "sub").mkdir(parents=True)
    (root / "a.jpg").write_bytes(b"a")
    (root / "sub" / "b.jpg").write_bytes(b"bb")
    (root / "sub" / "skip.txt").write_bytes(b"x")
    uploaded = items.upload(str(root), remote_path="/in", file_types=[".jpg"])
    assert sorted(i.filename for i in uploaded) == ["/in/photos/a.jpg", "/in/photos/sub/b.jpg"]
    flat = items.upload(str(root) + "/*", return_as_list=True, overwrite=True)
    assert sorted(i.filename for i in flat) == ["/a.jpg", "/sub/b.jpg", "/sub/skip.txt"]
    assert {r.query["mode"][0] for r in store.stub.sent("POST")[2:]} == {"overwrite"}


def test_buffers_bytes_and_arrays_upload_with_remote_names(store, items):
    buffer = io.BytesIO(b"hello")
    buffer.name = "hello.txt"
    rgb = np.zeros((4, 6, 3), dtype=np.uint8)
    rgb[..., 0] = 255  # pure red in RGB order
    got = items.upload(
        [buffer, b"raw", rgb], remote_name=["h.txt", "raw.bin", "red.png"], return_as_list=True
    )
    assert [i.filename for i in got] == ["/h.txt", "/raw.bin", "/red.png"]
    png = store.blobs[got[2].id]
    decoded = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
    assert decoded.shape == (4, 6, 3) and tuple(decoded[0, 0]) == (0, 0, 255)  # BGR on disk


def test_bad_upload_arguments_name_the_field(items, store):
    with pytest.raises(exceptions.BadRequest, match="remote_name"):
        items.upload(b"no name")
    with pytest.raises(exceptions.BadRequest, match="file_types"):
        items.upload(b"x", remote_name="x", file_types=".jpg")
    with pytest.raises(exceptions.NotFound, match="local_path"):
        items.upload("/no/such/file.jpg")
    assert store.stub.sent() == []


def test_size_mismatch_deletes_the_item_and_reports_it(tmp_path, store, items):
    source = tmp_path / "a.bin"
    source.write_bytes(b"12345")
    store.size_lie = 1
    assert items.upload(str(source)) is None  # dtlpy: failures are logged, not raised
    deletes = store.stub.sent("DELETE")
    assert len(deletes) == 5 and store.items == {}  # every attempt cleaned up
    with pytest.raises(exceptions.BadRequest, match="corrupted"):
        items.upload(str(source), raise_on_error=True)


def test_skip_keeps_the_existing_item_without_verifying_size(tmp_path, store, items):
    source = tmp_path / "a.bin"
    source.write_bytes(b"12345")
    first = items.upload(str(source))
    source.write_bytes(b"123")
    again = items.upload(str(source))
    assert again.id == first.id and store.stub.sent("DELETE") == []


def test_download_resumes_a_cut_stream_with_range(tmp_path, store, items):
    data = bytes(range(256)) * 400
    item = items.upload(data, remote_name="blob.bin", remote_path="/d")
    store.cut_first_stream = 70000
    path = item.download(local_path=str(tmp_path))
    assert path == os.path.join(str(tmp_path), "items", "d", "blob.bin")
    assert open(path, "rb").read() == data
    ranges = [r.headers["range"] for r in store.stub.sent("GET", r"/api/v1/items/\w+/stream")]
    assert len(ranges) == 2 and ranges[0] == "bytes=0-"
    resumed_at = int(ranges[1][len("bytes=") : -1])
    assert resumed_at == 70000, ranges  # from what had arrived, not from scratch
    assert store.stub.sent("GET", r"/api/v1/items/\w+/stream")[0].headers["x-dl-sanitize"] == "0"
    assert not os.path.exists(path + ".download")


def test_download_refuses_bytes_that_never_match_the_size(tmp_path, store, items):
    item = items.upload(b"abc", remote_name="x.bin")
    store.items[item.id]["metadata"]["system"]["size"] = 10
    store.blobs[item.id] = b"abc"
    item = items.get(item_id=item.id)
    with pytest.raises(exceptions.InternalServerError, match="corrupted"):
        item.download(local_path=str(tmp_path / "out.bin"))
    assert not (tmp_path / "out.bin").exists()


def test_download_to_buffer_and_to_rgb_array(tmp_path, store, items):
    bgr = np.zeros((3, 5, 3), dtype=np.uint8)
    bgr[..., 2] = 200  # red in BGR
    ok, png = cv2.imencode(".png", bgr)
    item = items.upload(png.tobytes(), remote_name="red.png")
    store.items[item.id]["metadata"]["system"]["mimetype"] = "image/png"
    item = items.get(item_id=item.id)
    buffer = item.download(save_locally=False)
    assert buffer.name == "red.png" and buffer.read() == png.tobytes()
    array = item.download(save_locally=False, to_array=True)
    assert array.shape == (3, 5, 3) and tuple(array[0, 0]) == (200, 0, 0)  # RGB, like PIL


def test_download_to_an_explicit_file_name_and_skip_existing(tmp_path, store, items):
    item = items.upload(b"first", remote_name="note.txt")
    target = tmp_path / "mine.txt"
    assert item.download(local_path=str(target)) == str(target)
    store.blobs[item.id] = b"other"
    item.download(local_path=str(target))  # exists, overwrite=False: no request
    assert target.read_bytes() == b"first"
    assert len(store.stub.sent("GET", r"/api/v1/items/\w+/stream")) == 1
