"""Annotation definitions: wire coordinates, JSON round trips and geometry helpers.

Wire shapes (coordinates per type) were checked once against dtlpy 1.126.5; the mask
literal below was encoded by dtlpy itself, so decoding it proves PNG interoperability.
"""

import math

import numpy as np
import pytest

from conveyor.annotations import (
    Box,
    Classification,
    Cube,
    Description,
    Ellipse,
    Message,
    Note,
    Point,
    Polygon,
    Polyline,
    Pose,
    Segmentation,
    Subtitle,
    UndefinedAnnotationType,
)
from conveyor.annotations.definitions import DEFINITION_TYPES, definition_from_json
from conveyor.annotations.mask_codec import decode_mask, encode_mask

#: A 6x7 mask (rows 1-3, columns 2-5 set) in color (10, 200, 30), as encoded by dtlpy (PIL).
DTLPY_MASK = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAcAAAAGCAYAAAAPDoR2AAAAIElEQVR4nGNgwAM"
    "YYQyuE3L/kSW+WTxiZMKnE68k+QAA+9QEBnz/tAIAAAAASUVORK5CYII="
)


def _mask(height=6, width=7, rows=(1, 4), cols=(2, 6)):
    mask = np.zeros((height, width))
    mask[rows[0]:rows[1], cols[0]:cols[1]] = 1
    return mask


def _definitions():
    return [
        Box(1, 2, 30, 40, "car", attributes={"color": "red"}, description="d"),
        Box(1, 2, 3, 4, "rotated", angle=15),
        Polygon([[1, 2], [3, 4], [5, 1]], "poly"),
        Polyline([[0, 0], [5, 5], [9, 1]], "line"),
        Point(10, 20, "pt"),
        Classification("cls", attributes={"a": 1}),
        Ellipse(10, 20, 5, 3, 30, "ell"),
        Cube.from_boxes_and_angle(1, 1, 5, 5, 2, 2, 6, 6, "cube", angle=10),
        Note(1, 2, 3, 4, "note", messages=["hi"], creator="a@b.c", create_time=5),
        Pose("pose", "template-1", instance_id="inst-1"),
        Subtitle("hello", "sub"),
        Description("an item"),
        Segmentation(_mask(), "seg", color=(10, 200, 30)),
        UndefinedAnnotationType("gis", "g", {"geo": [[1, 2]], "kind": "x"}),
    ]


@pytest.mark.parametrize("definition", _definitions(), ids=lambda d: f"{d.type}-{d.label}")
def test_json_round_trip(definition):
    _json = definition.to_json()
    again = definition_from_json(_json)
    assert type(again) is type(definition)
    assert again.to_json() == _json


@pytest.mark.parametrize(
    ("definition", "coordinates"),
    [
        (Box(1, 2, 30, 40, "b"), [{"x": 1.0, "y": 2.0, "z": 0}, {"x": 30.0, "y": 40.0, "z": 0}]),
        (Box(1, 2, 3, 4, "b", angle=15), [{"x": 1.0, "y": 2.0, "z": 0},
                                          {"x": 3.0, "y": 4.0, "z": 0}, 15]),
        (Polygon([[1, 2], [3, 4]], "p"), [[{"x": 1.0, "y": 2.0}, {"x": 3.0, "y": 4.0}]]),
        (Polyline([[0, 0], [5, 5]], "l"), [[{"x": 0.0, "y": 0.0}, {"x": 5.0, "y": 5.0}]]),
        (Point(10, 20, "p"), {"x": 10.0, "y": 20.0, "z": 0.0}),
        (Classification("c"), []),
        (Ellipse(10, 20, 5, 3, 30, "e"),
         {"angle": 30.0, "center": {"x": 10.0, "y": 20.0, "z": 0}, "rx": 5.0, "ry": 3.0}),
        (Pose("p", "t", instance_id="i"), {"templateId": "t", "instanceId": "i"}),
        (Subtitle("hello", "s"), {"text": "hello"}),
        (Description("desc"), {"text": "desc"}),
    ],
    ids=lambda v: getattr(v, "type", None) or "",
)
def test_wire_coordinates(definition, coordinates):
    assert definition.to_coordinates(color=None) == coordinates


def test_type_names():
    assert {k: v.__name__ for k, v in DEFINITION_TYPES.items()} == {
        "box": "Box", "class": "Classification", "cube": "Cube",
        "item_description": "Description", "ellipse": "Ellipse", "note": "Note",
        "point": "Point", "segment": "Polygon", "polyline": "Polyline", "pose": "Pose",
        "binary": "Segmentation", "subtitle": "Subtitle",
    }


def test_unknown_type_is_kept_verbatim():
    _json = {"type": "ref_semantic_3d", "label": "x", "coordinates": {"a": [1, {"b": 2}]}}
    definition = definition_from_json(_json)
    assert isinstance(definition, UndefinedAnnotationType)
    assert definition.type == "ref_semantic_3d"
    assert definition.to_coordinates() == {"a": [1, {"b": 2}]}


def test_snapshot_data_key_is_read_like_coordinates():
    box = Box.from_json({"label": "b", "data": [{"x": 9, "y": 8}, {"x": 1, "y": 2}]})
    assert (box.left, box.top, box.right, box.bottom) == (1, 2, 9, 8)


def test_missing_coordinates_names_the_field():
    with pytest.raises(ValueError, match="coordinates"):
        Point.from_json({"type": "point", "label": "p", "id": "x"})


def test_attributes_must_be_a_dict():
    with pytest.raises(TypeError, match="attributes"):
        Box(0, 0, 1, 1, "b", attributes=["legacy"])
    legacy = definition_from_json({"type": "class", "label": "c", "attributes": ["x"]})
    assert legacy.attributes == {}


# -- geometry ----------------------------------------------------------------------------


def test_box_geometry():
    box = Box(left=2, top=3, right=10, bottom=7, label="b")
    assert box.x == [2, 10] and box.y == [3, 7]
    assert box.geo == [[2, 3], [10, 7]]
    assert box.four_points == [[2, 3], [2, 7], [10, 7], [10, 3]]
    assert (box.width, box.height) == (8, 4)
    box.left = 0
    assert box.top_left == [0, 3] and box.to_coordinates()[0]["x"] == 0.0


def test_polygon_geometry_accepts_lists():
    polygon = Polygon([[4, 1], [9, 5], [2, 8]], "p")
    assert polygon.geo.shape == (3, 2)
    assert list(polygon.x) == [4, 9, 2] and list(polygon.y) == [1, 5, 8]
    assert (polygon.left, polygon.top, polygon.right, polygon.bottom) == (2, 1, 9, 8)


def test_polygon_geo_must_be_points():
    with pytest.raises(ValueError, match="geo"):
        Polygon([1, 2, 3], "p")


def test_point_is_its_own_bounding_box():
    point = Point(3, 7, "p")
    assert (point.left, point.top, point.right, point.bottom) == (3, 7, 3, 7)
    assert point.geo == [3, 7]


def test_ellipse_bounds_follow_rotation():
    flat = Ellipse(x=50, y=40, rx=20, ry=5, angle=0, label="e")
    assert (flat.left, flat.right, flat.top, flat.bottom) == (30, 70, 35, 45)
    upright = Ellipse(x=50, y=40, rx=20, ry=5, angle=90, label="e")
    assert upright.left == pytest.approx(45) and upright.top == pytest.approx(20)


def test_cube_angle_and_bounds():
    cube = Cube.from_boxes_and_angle(0, 0, 10, 10, 5, 5, 15, 15, "c")
    assert cube.angle == 0
    assert (cube.left, cube.top, cube.right, cube.bottom) == (0, 0, 15, 15)
    tilted = Cube("c", [0, 0], [1, 1], [1, 2], [0, 1], [2, 2], [3, 3], [3, 4], [2, 3])
    assert tilted.angle == pytest.approx(45)
    rotated = Cube.from_boxes_and_angle(0, 0, 10, 10, 0, 0, 10, 10, "c", angle=90)
    assert rotated.front_tl == pytest.approx([10, 0])


def test_note_messages_and_coordinates():
    note = Note(1, 2, 3, 4, "n", messages=["first", Message(body="second", msg_time=7)],
                creator="me@x.io")
    note.add_message("third")
    coordinates = note.to_coordinates()
    assert [m["body"] for m in coordinates["note"]["messages"]] == ["first", "second", "third"]
    assert coordinates["note"]["assignee"] == "me@x.io" and coordinates["note"]["status"] == "issue"
    assert coordinates["box"] == Box(1, 2, 3, 4, "n").to_coordinates()


def test_pose_bounds_come_from_its_points():
    pose = Pose("p", "t", points=[Point(1, 9, "a"), Point(4, 2, "b")])
    assert (pose.left, pose.top, pose.right, pose.bottom) == (1, 2, 4, 9)
    assert Pose("p", "t").left == 0 and Pose("p", "t").instance_id != Pose("p", "t").instance_id


# -- masks -------------------------------------------------------------------------------


def test_mask_round_trip_is_bit_exact():
    rng = np.random.default_rng(7)
    mask = (rng.random((37, 53)) > 0.6).astype(float)
    encoded = encode_mask(mask, (12, 34, 56))
    assert encoded.startswith("data:image/png;base64,")
    decoded, color = decode_mask(encoded)
    assert np.array_equal(decoded, mask)
    assert color == (12, 34, 56)
    assert encode_mask(decoded, color) == encoded


def test_dtlpy_encoded_mask_decodes_exactly():
    segmentation = Segmentation.from_json({"type": "binary", "label": "s",
                                           "coordinates": DTLPY_MASK})
    assert np.array_equal(segmentation.geo, _mask())
    assert segmentation.color == (10, 200, 30)
    # an unchanged mask is re-sent byte for byte
    assert segmentation.to_coordinates() == DTLPY_MASK


def test_mask_scaled_values_encode_like_binary():
    assert encode_mask(_mask() * 255) == encode_mask(_mask())


def test_mask_recolor_reencodes():
    segmentation = Segmentation.from_json({"type": "binary", "label": "s",
                                           "coordinates": DTLPY_MASK})
    recolored = segmentation.to_coordinates(color=(1, 2, 3))
    assert recolored != DTLPY_MASK
    assert decode_mask(recolored)[1] == (1, 2, 3)
    assert np.array_equal(decode_mask(recolored)[0], _mask())


def test_bad_mask_payload_names_the_field():
    with pytest.raises(ValueError, match="coordinates"):
        decode_mask("data:image/png;base64,AAAA")
    with pytest.raises(ValueError, match="mask"):
        encode_mask(np.zeros((2, 2, 2)))


def test_segmentation_bounds():
    segmentation = Segmentation(_mask(), "s")
    assert (segmentation.left, segmentation.top) == (2, 1)
    assert (segmentation.right, segmentation.bottom) == (5, 3)
    empty = Segmentation(np.zeros((3, 3)), "s")
    assert (empty.left, empty.top, empty.right, empty.bottom) == (0, 0, 0, 0)


def test_segmentation_from_polygon_fills_the_inside():
    segmentation = Segmentation.from_polygon([[2, 1], [8, 1], [8, 5], [2, 5]], "s", (10, 12))
    assert segmentation.geo.shape == (10, 12)
    expected = np.zeros((10, 12), dtype=np.uint8)
    expected[1:6, 2:9] = 1
    assert np.array_equal(segmentation.geo, expected)


def test_polygon_from_segmentation_traces_the_largest_region():
    mask = np.zeros((40, 40))
    mask[5:15, 5:25] = 1  # 10 x 20
    mask[30:34, 30:34] = 1  # 4 x 4
    polygon = Polygon.from_segmentation(mask, "p")
    assert isinstance(polygon, Polygon)
    assert (polygon.left, polygon.top, polygon.right, polygon.bottom) == (5, 5, 24, 14)
    both = Polygon.from_segmentation(mask, "p", max_instances=None)
    assert [p.left for p in both] == [5, 30]
    assert Polygon.from_segmentation(mask, "p", max_instances=None, min_area=20).left == 5
    assert Polygon.from_segmentation(np.zeros((5, 5)), "p") == []


def test_holes_do_not_become_regions():
    mask = np.zeros((30, 30))
    mask[5:25, 5:25] = 1
    mask[10:20, 10:20] = 0
    assert isinstance(Polygon.from_segmentation(mask, "ring", max_instances=None), Polygon)


def test_boxes_from_segmentation_are_exact_pixel_bounds():
    mask = np.zeros((40, 40))
    mask[5:15, 5:25] = 1
    mask[30:34, 31:37] = 1
    boxes = Box.from_segmentation(mask, "b", attributes={"k": "v"})
    assert [(b.left, b.top, b.right, b.bottom) for b in boxes] == [(5, 5, 24, 14), (31, 30, 36, 33)]
    assert boxes[0].attributes == {"k": "v"} and boxes[0].label == "b"
    to_box = Segmentation(mask, "s").to_box()
    assert [(b.left, b.top, b.right, b.bottom) for b in to_box] == [(5, 5, 24, 14),
                                                                     (31, 30, 36, 33)]


def test_polygon_from_segmentation_keeps_the_shape():
    mask = np.zeros((200, 200), dtype=np.uint8)
    yy, xx = np.mgrid[:200, :200]
    mask[(yy - 100) ** 2 + (xx - 100) ** 2 <= 60 ** 2] = 1
    polygon = Polygon.from_segmentation(mask, "disc")
    x, y = polygon.x, polygon.y
    area = 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))
    assert area == pytest.approx(math.pi * 60 ** 2, rel=0.02)


def test_color_set_before_decoding_reencodes():
    segmentation = Segmentation.from_json({"type": "binary", "label": "s",
                                           "coordinates": DTLPY_MASK})
    segmentation.color = (9, 9, 9)
    assert decode_mask(segmentation.to_coordinates())[1] == (9, 9, 9)
