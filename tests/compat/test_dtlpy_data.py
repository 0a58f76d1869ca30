"""dtlpy 1.126.5 against Conveyor: projects, datasets, items, annotations."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

pytestmark = pytest.mark.compat


def _png(path, value: int, size=(12, 16)):
    image = np.full((size[0], size[1], 3), value, dtype=np.uint8)
    cv2.imwrite(str(path), image)
    return path


@pytest.fixture
def local_images(tmp_path):
    folder = tmp_path / "images"
    (folder / "sub").mkdir(parents=True)
    paths = [_png(folder / f"img{i}.png", 20 * i) for i in range(3)]
    paths.append(_png(folder / "sub" / "deep.png", 200))
    return folder, paths


def test_project_and_dataset_lifecycle(dtlpy_client, unique_name):
    dl = dtlpy_client
    project = dl.projects.create(project_name=unique_name)
    assert dl.projects.get(project_name=unique_name).id == project.id
    assert dl.projects.get(project_id=project.id).name == unique_name
    assert unique_name in [p.name for p in dl.projects.list()]

    dataset = project.datasets.create(dataset_name="images")
    assert project.datasets.get(dataset_name="images").id == dataset.id
    assert [d.name for d in project.datasets.list()] == ["images"]
    assert dataset.project.id == project.id

    with pytest.raises(dl.exceptions.NotFound):
        project.datasets.get(dataset_name="missing")
    project.delete(sure=True, really=True)
    with pytest.raises(dl.exceptions.NotFound):
        dl.projects.get(project_id=project.id)


def test_upload_list_get_download(dtlpy_client, unique_name, local_images, tmp_path):
    dl = dtlpy_client
    folder, paths = local_images
    dataset = dl.projects.create(project_name=unique_name).datasets.create(dataset_name="d")

    dataset.items.upload(local_path=str(folder), remote_path="/batch")
    pages = dataset.items.list()
    assert pages.items_count == 4
    names = sorted(item.filename for page in pages for item in page)
    assert names == ["/batch/images/img0.png", "/batch/images/img1.png",
                     "/batch/images/img2.png", "/batch/images/sub/deep.png"]

    # A small page size walks the pager (keyset mode) over several requests.
    filters = dl.Filters(page_size=1)
    walked = [item.id for page in dataset.items.list(filters=filters) for item in page]
    assert len(walked) == len(set(walked)) == 4

    folder_filter = dl.Filters(field="dir", values="/batch/images/sub")
    assert [i.name for i in dataset.items.list(filters=folder_filter).all()] == ["deep.png"]

    item = dataset.items.get(filepath="/batch/images/img1.png")
    assert item.width == 16 and item.height == 12
    buffer = item.download(save_locally=False)
    assert buffer.getvalue() == paths[1].read_bytes()
    saved = item.download(local_path=str(tmp_path / "out"))
    assert open(saved, "rb").read() == paths[1].read_bytes()


def test_item_metadata_update_and_move(dtlpy_client, unique_name, local_images):
    dl = dtlpy_client
    _, paths = local_images
    dataset = dl.projects.create(project_name=unique_name).datasets.create(dataset_name="d")
    item = dataset.items.upload(local_path=str(paths[0]), remote_path="/a",
                                item_metadata={"user": {"split": "train"}})
    assert item.metadata["user"] == {"split": "train"}

    item.metadata["user"]["score"] = 0.5
    item = item.update()
    assert dataset.items.get(item_id=item.id).metadata["user"] == {"split": "train",
                                                                    "score": 0.5}
    item.move(new_path="/b/renamed.png")
    moved = dataset.items.get(item_id=item.id)
    assert moved.filename == "/b/renamed.png"
    filters = dl.Filters(field="metadata.user.split", values="train")
    assert [i.id for i in dataset.items.list(filters=filters).all()] == [item.id]


def test_annotations_upload_list_update_delete(dtlpy_client, unique_name, local_images):
    dl = dtlpy_client
    _, paths = local_images
    dataset = dl.projects.create(project_name=unique_name).datasets.create(dataset_name="d")
    item = dataset.items.upload(local_path=str(paths[0]))

    builder = item.annotations.builder()
    builder.add(annotation_definition=dl.Box(top=1, left=2, bottom=8, right=9, label="car"))
    builder.add(annotation_definition=dl.Classification(label="day"))
    builder.add(annotation_definition=dl.Point(x=3, y=4, label="eye"))
    builder.add(annotation_definition=dl.Polygon(geo=[[1, 1], [5, 1], [5, 5]], label="roof"))
    mask = np.zeros((12, 16), dtype=bool)
    mask[2:6, 3:9] = True
    builder.add(annotation_definition=dl.Segmentation(geo=mask, label="road"))
    uploaded = item.annotations.upload(builder)
    assert len(uploaded) == 5

    listed = item.annotations.list()
    assert sorted(a.label for a in listed) == ["car", "day", "eye", "road", "roof"]
    box = [a for a in listed if a.type == "box"][0]
    assert (box.left, box.top, box.right, box.bottom) == (2, 1, 9, 8)
    segment = [a for a in listed if a.type == "binary"][0]
    assert np.array_equal(segment.annotation_definition.geo.astype(bool), mask)

    box.label = "truck"
    box.update()
    assert dl.annotations.get(annotation_id=box.id).label == "truck"
    box.delete()
    assert len(item.annotations.list()) == 4
    assert dataset.items.get(item_id=item.id).annotated is True

    joined = dl.Filters()
    joined.add_join(field="label", values="road")
    assert [i.id for i in dataset.items.list(filters=joined).all()] == [item.id]
    json.dumps(item.annotations.list().to_json())
