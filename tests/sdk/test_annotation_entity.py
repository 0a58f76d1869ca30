"""Annotation and AnnotationCollection: the wire JSON they send and read, frames, diffs.

The expected upload JSONs were produced once by dtlpy 1.126.5 (``Annotation.new(...)
.to_json()`` with the same arguments); the tests compare against those literals.
"""

import copy
import json

import numpy as np
import pytest

from conveyor import exceptions
from conveyor.annotations import (
    Annotation,
    AnnotationCollection,
    AnnotationStatus,
    Box,
    Classification,
    Description,
    Point,
    Polygon,
    Subtitle,
    ViewAnnotationOptions,
)
from conveyor.annotations.json_diff import json_diff
from conveyor.repositories.annotations import Annotations, _as_list

ITEM_ID, DATASET_ID = "a" * 24, "b" * 24

NEW_BASE = {
    "id": None, "url": None, "creator": None, "hash": None, "itemId": None, "item": None,
    "dataset": None, "createdAt": None, "updatedBy": None, "updatedAt": None, "source": "sdk",
    "datasetId": None, "attributes": None,
}

NEW_CASES = {
    "box": (
        {"annotation_definition": Box(1, 2, 30, 40, "car", attributes={"a": 1}), "object_id": 0},
        {"metadata": {"system": {"automated": True, "objectId": "0", "attributes": {"a": 1}}},
         "label": "car", "type": "box",
         "coordinates": [{"x": 1.0, "y": 2.0, "z": 0}, {"x": 30.0, "y": 40.0, "z": 0}]},
    ),
    "classification": (
        {"annotation_definition": Classification("cls"), "object_id": 3},
        {"metadata": {"system": {"automated": True, "objectId": "3", "attributes": {}}},
         "label": "cls", "type": "class"},
    ),
    "frame_on_image": (
        {"annotation_definition": Point(1, 2, "x"), "frame_num": 5},
        {"metadata": {"system": {"automated": True, "attributes": {}, "frame": 5,
                                 "startTime": 0, "endTime": 0, "endFrame": 5,
                                 "snapshots_": []}},
         "label": "x", "type": "point", "coordinates": {"x": 1.0, "y": 2.0, "z": 0.0}},
    ),
    "subtitle": (
        {"annotation_definition": Subtitle("t", "s"), "start_time": 1.5, "end_time": 3},
        {"metadata": {"system": {"automated": True, "attributes": {}, "frame": 0,
                                 "startTime": 1.5, "endTime": 3, "endFrame": 0}},
         "label": "s", "type": "subtitle", "coordinates": {"text": "t"}},
    ),
    "parent_and_user_metadata": (
        {"annotation_definition": Polygon([[1, 2], [3, 4], [5, 1]], "poly"),
             "parent_id": "abc", "metadata": {"user": {"x": 1}}},
        {"metadata": {"user": {"x": 1},
                      "system": {"parentId": "abc", "automated": True, "attributes": {}}},
         "label": "poly", "type": "segment",
         "coordinates": [[{"x": 1.0, "y": 2.0}, {"x": 3.0, "y": 4.0}, {"x": 5.0, "y": 1.0}]]},
    ),
    "description": (
        {"annotation_definition": Description("desc"), "object_id": 8},
        {"metadata": {"system": {"automated": True, "objectId": "8", "system": True,
                                 "attributes": {}}},
         "label": "item.description", "type": "item_description",
         "coordinates": {"text": "desc"}},
    ),
}

VIDEO_JSON = {
    "id": "c" * 24, "url": None, "creator": "u", "createdAt": None, "updatedBy": None,
    "updatedAt": None, "itemId": ITEM_ID, "datasetId": DATASET_ID, "type": "box",
    "label": "car", "source": "sdk", "attributes": None, "hash": None, "item": None,
    "dataset": None, "coordinates": [{"x": 1, "y": 2, "z": 0}, {"x": 10, "y": 20, "z": 0}],
    "metadata": {"system": {
        "automated": True, "objectId": "1", "attributes": {}, "frame": 2, "startTime": 0.08,
        "endTime": 0.4, "endFrame": 10,
        "snapshots_": [{"frame": 5, "fixed": True, "label": "car", "type": "box",
                        "objectVisible": True, "namedAttributes": {},
                        "data": [{"x": 3.0, "y": 4.0, "z": 0}, {"x": 13.0, "y": 24.0, "z": 0}]}],
    }},
}


def _server_json(**overrides):
    _json = {
        "id": "d" * 24, "url": "http://127.0.0.1:7979/api/v1/annotations/d", "creator": "u@x.io",
        "createdAt": "2026-11-29T03:00:00.000Z", "updatedBy": "u@x.io",
        "updatedAt": "2026-11-29T03:00:00.000Z", "itemId": ITEM_ID, "datasetId": DATASET_ID,
        "item": None, "dataset": None, "hash": None, "source": "sdk", "attributes": None,
        "type": "box", "label": "car",
        "coordinates": [{"x": 1.0, "y": 2.0, "z": 0}, {"x": 10.0, "y": 20.0, "z": 0}],
        "metadata": {"system": {"automated": False, "attributes": {"color": "red"}},
                     "user": {"k": 1}},
    }
    _json.update(overrides)
    return _json


@pytest.mark.parametrize("name", sorted(NEW_CASES))
def test_new_annotation_json_matches_dtlpy(name):
    kwargs, expected = NEW_CASES[name]
    assert Annotation.new(**copy.deepcopy(kwargs)).to_json() == {**NEW_BASE, **expected}


@pytest.mark.parametrize("server", [_server_json(), VIDEO_JSON,
                                    _server_json(type="gis", coordinates={"g": [1, 2]}),
                                    _server_json(description="about", labelSuggestions=["x"])],
                         ids=["box", "video", "unknown-type", "description"])
def test_server_json_round_trips_unchanged(server):
    annotation = Annotation.from_json(copy.deepcopy(server))
    assert annotation.to_json() == server


def test_from_json_reads_identity_and_geometry():
    annotation = Annotation.from_json(_server_json(_id="e" * 24, id=None))
    assert annotation.id is None  # "id" wins when present, even if null
    annotation = Annotation.from_json({k: v for k, v in _server_json().items() if k != "id"}
                                      | {"_id": "e" * 24})
    assert annotation.id == "e" * 24 and annotation.item_id == ITEM_ID
    assert (annotation.type, annotation.label) == ("box", "car")
    assert (annotation.left, annotation.top, annotation.right, annotation.bottom) == (1, 2, 10, 20)
    assert annotation.x == [1, 10] and annotation.y == [2, 20]
    assert annotation.geo == [[1, 2], [10, 20]]
    assert annotation.attributes == {"color": "red"} and annotation.automated is False
    assert annotation.coordinates == _server_json()["coordinates"]
    assert annotation.createdAt == "2026-11-29T03:00:00.000Z"


def test_to_json_does_not_change_the_entity():
    annotation = Annotation.from_json(_server_json())
    annotation.status = AnnotationStatus.CLEAR
    first = annotation.to_json()
    assert first["metadata"]["system"]["status"] is None  # CLEAR is sent as null
    assert "status" not in annotation.metadata["system"]
    assert annotation.to_json() == first


def test_object_id_must_be_numeric():
    assert Annotation.new(annotation_definition=Point(1, 1, "p"), object_id="12").object_id == "12"
    with pytest.raises(ValueError, match="object_id"):
        Annotation.new(annotation_definition=Point(1, 1, "p"), object_id="abc")


def test_video_frames_from_snapshots():
    annotation = Annotation.from_json(copy.deepcopy(VIDEO_JSON))
    assert annotation.is_video and (annotation.start_frame, annotation.end_frame) == (2, 10)
    assert annotation.set_frame(7) and annotation.left == 3  # frame 5's state holds on 7
    assert annotation.set_frame(3) and annotation.left == 1
    assert not annotation.set_frame(11) and not annotation.set_frame(1)
    collection = AnnotationCollection(annotations=[annotation])
    assert len(collection.get_frame(6)) == 1 and len(collection.get_frame(12)) == 0


def test_builder_video_frames_become_snapshots():
    builder = AnnotationCollection()
    builder.add(Box(1, 2, 3, 4, "car"), object_id=1, frame_num=0)
    builder.add(Box(5, 6, 7, 8, "car"), object_id=1, frame_num=5)
    builder.add(Box(5, 6, 7, 8, "car"), object_id=1, frame_num=6, fixed=False)
    builder.add(Box(5, 6, 7, 8, "car"), object_id=1, frame_num=7, fixed=False)
    builder.add(Box(9, 9, 9, 9, "dog"), object_id=2, frame_num=3)
    assert len(builder) == 2
    system = builder[0].to_json()["metadata"]["system"]
    assert (system["frame"], system["endFrame"]) == (0, 7)
    # 6 differs from 5 in "fixed" (as in dtlpy); 7 repeats 6 and is not fixed: not sent
    assert [s["frame"] for s in system["snapshots_"]] == [5, 6]
    assert system["snapshots_"][0]["data"] == Box(5, 6, 7, 8, "car").to_coordinates()
    assert builder[0].to_json()["coordinates"] == Box(1, 2, 3, 4, "car").to_coordinates()
    with pytest.raises(ValueError, match="object_id"):
        builder.add(Box(1, 1, 2, 2, "x"), frame_num=1)


def test_builder_model_info_and_prompt():
    builder = AnnotationCollection()
    builder.add([Point(1, 1, "a"), Point(2, 2, "b")], model_info={"confidence": 0.5,
                                                                  "name": "m", "model_id": "x"},
                prompt_id="p1")
    assert [a.label for a in builder] == ["a", "b"]
    metadata = builder[1].to_json()["metadata"]
    assert metadata["user"]["model"] == {"confidence": 0.5, "name": "m", "model_id": "x"}
    assert metadata["system"]["promptId"] == "p1"
    with pytest.raises(ValueError, match="confidence"):
        builder.add(Point(1, 1, "c"), model_info={"confidence": 2})


def test_collection_from_json_sorts_and_skips_bad_entries():
    collection = AnnotationCollection.from_json({"annotations": [
        _server_json(label="zebra"), _server_json(label="ant"),
        _server_json(type="point", coordinates=None)]})
    assert [a.label for a in collection] == ["ant", "zebra"]
    assert collection.to_json()["annotations"][0]["label"] == "ant"


def test_collection_download_json_and_vtt(tmp_path):
    collection = AnnotationCollection.from_json([_server_json()])
    path = collection.download(str(tmp_path / "out.json"))
    assert json.load(open(path)) == {"annotations": [_server_json()]}
    subtitles = AnnotationCollection(annotations=[
        Annotation.new(annotation_definition=Subtitle("second", "s"), start_time=4, end_time=5.25),
        Annotation.new(annotation_definition=Subtitle("first", "s"), start_time=1.5, end_time=2),
    ])
    vtt = subtitles.download(str(tmp_path / "s.vtt"), annotation_format=ViewAnnotationOptions.VTT)
    assert open(vtt).read() == ("WEBVTT\n\n00:00:01.500 --> 00:00:02.000\nfirst\n\n"
                                "00:00:04.000 --> 00:00:05.250\nsecond\n")


def test_collection_print_lists_every_annotation():
    collection = AnnotationCollection.from_json([_server_json(), _server_json(label="dog")])
    table = collection.print(to_return=True)
    assert table.splitlines()[0].split() == ["id", "label", "type", "object_id", "item_id"]
    assert len(table.splitlines()) == 3 and "dog" in table


# -- updates -----------------------------------------------------------------------------


def test_json_diff():
    origin = {"a": 1, "b": {"c": 1, "d": [1, 2]}, "gone": 3, "same": 1.0}
    modified = {"a": 2, "b": {"c": 1, "d": [1, 2, 3]}, "new": None, "added": "x", "same": 1}
    assert json_diff(origin, modified) == {"a": 2, "b": {"d": [1, 2, 3]}, "gone": None,
                                           "added": "x"}
    assert json_diff(origin, copy.deepcopy(origin)) == {}
    assert json_diff({"a": True}, {"a": 1}) == {"a": 1}


def test_update_sends_only_the_change():
    annotation = Annotation.from_json(_server_json())
    annotation.label = "truck"
    annotation.metadata["user"]["k"] = 2
    annotation.annotation_definition.right = 12
    diff = json_diff(annotation._platform_dict, annotation.to_json())
    assert diff == {"label": "truck", "metadata": {"user": {"k": 2}},
                    "coordinates": [{"x": 1.0, "y": 2.0, "z": 0}, {"x": 12.0, "y": 20.0, "z": 0}]}


def test_update_without_changes_sends_nothing():
    annotation = Annotation.from_json(_server_json())
    # no client at all: any request would fail, so returning proves none was sent
    assert Annotations(client_api=None).update(annotation) == [annotation]


def test_platform_calls_need_an_item_or_id():
    fresh = Annotation.new(annotation_definition=Point(1, 1, "p"))
    with pytest.raises(exceptions.BadRequest, match="item"):
        fresh.upload()
    with pytest.raises(exceptions.BadRequest, match="id"):
        fresh.delete()
    with pytest.raises(exceptions.BadRequest, match="fetched"):
        Annotations(client_api=None).update(fresh)


def test_upload_inputs_are_flattened(tmp_path):
    box = Annotation.new(annotation_definition=Box(0, 0, 1, 1, "b"))
    builder = AnnotationCollection()
    builder.add(Point(1, 1, "p"))
    path = tmp_path / "annotations.json"
    path.write_text(json.dumps({"annotations": [{"type": "class", "label": "c"}]}))
    assert _as_list(box) == [box]
    assert _as_list(builder) == builder.annotations
    assert _as_list([box, builder, {"type": "class"}]) == [box, builder[0], {"type": "class"}]
    assert _as_list(str(path)) == [{"type": "class", "label": "c"}]
    with pytest.raises(exceptions.BadRequest, match="annotations"):
        _as_list(42)


def test_repository_requires_a_scope():
    with pytest.raises(exceptions.BadRequest, match="dataset"):
        Annotations(client_api=None).list()
    with pytest.raises(exceptions.BadRequest, match="item"):
        Annotations(client_api=None, dataset_id=DATASET_ID).builder()


def test_vtt_file_round_trip(tmp_path):
    path = tmp_path / "in.vtt"
    path.write_text("WEBVTT\n\n1\n00:00:01.500 --> 00:00:02.000 align:start\nfirst\nline two\n\n"
                    "00:01:04.250 --> 00:01:05.000\nsecond\n")
    collection = AnnotationCollection()
    collection.from_vtt_file(str(path))
    assert [(a.start_time, a.end_time, a.coordinates["text"]) for a in collection] == [
        (1.5, 2.0, "first\nline two"), (64.25, 65.0, "second")]
    out = collection.download(str(tmp_path / "out.vtt"),
                              annotation_format=ViewAnnotationOptions.VTT)
    again = AnnotationCollection()
    again.from_vtt_file(out)
    assert [a.to_json() for a in again] == [a.to_json() for a in collection]


def test_from_instance_mask_adds_one_segmentation_per_present_label():
    mask = np.zeros((4, 4), dtype=np.uint8)
    mask[0, :2] = 1
    mask[3, 3] = 3
    collection = AnnotationCollection()
    collection.from_instance_mask(mask, instance_map={"cat": 1, "dog": 2, "cow": 3})
    assert [a.label for a in collection] == ["cat", "cow"]
    assert collection[1].annotation_definition.geo.sum() == 1
    with pytest.raises(ValueError, match="instance_map"):
        AnnotationCollection().from_instance_mask(mask)
