"""Drawing annotations with OpenCV: exact pixel facts on small canvases."""

import numpy as np
import pytest

from conveyor.annotations import (
    Annotation,
    AnnotationCollection,
    Box,
    Classification,
    Cube,
    Ellipse,
    Point,
    Polygon,
    Polyline,
    Segmentation,
    ViewAnnotationOptions,
)
from conveyor.annotations.annotation_view import read_image

MASK = ViewAnnotationOptions.MASK
INSTANCE = ViewAnnotationOptions.INSTANCE


def _shown(definition, height=20, width=20, **kwargs):
    return Annotation.new(annotation_definition=definition).show(height=height, width=width,
                                                                  **kwargs)


def _polygon_area(points):
    x, y = np.asarray(points, dtype=float).T
    return 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))


def test_box_outline_thickness_one():
    canvas = _shown(Box(left=3, top=4, right=12, bottom=10, label="b"), thickness=1)
    assert canvas.shape == (20, 20, 4) and canvas.dtype == np.uint8
    drawn = canvas[:, :, 3] > 0
    expected = np.zeros((20, 20), dtype=bool)
    expected[4, 3:13] = expected[10, 3:13] = True  # top and bottom edges
    expected[4:11, 3] = expected[4:11, 12] = True  # left and right edges
    assert np.array_equal(drawn, expected)
    assert tuple(canvas[4, 3]) == (255, 255, 255, 255)  # default color: opaque white


def test_box_filled_with_thickness_minus_one():
    canvas = _shown(Box(left=3, top=4, right=12, bottom=10, label="b"), thickness=-1)
    assert (canvas[:, :, 3] > 0).sum() == 10 * 7


def test_instance_canvas_holds_label_ids():
    canvas = _shown(Box(2, 2, 8, 8, "dog"), thickness=-1, annotation_format=INSTANCE,
                    label_instance_dict={"cat": 1, "dog": 7})
    assert canvas.shape == (20, 20) and canvas.dtype == np.uint8
    assert set(np.unique(canvas)) == {0, 7}
    assert (canvas == 7).sum() == 49


def test_object_id_canvas_holds_object_ids():
    annotation = Annotation.new(annotation_definition=Box(2, 2, 4, 4, "b"), object_id=5)
    canvas = annotation.show(height=10, width=10, thickness=-1,
                             annotation_format=ViewAnnotationOptions.OBJECT_ID)
    assert set(np.unique(canvas)) == {0, 5}
    without = Annotation.new(annotation_definition=Box(2, 2, 4, 4, "b"))
    with pytest.raises(ValueError, match="object_id"):
        without.show(height=10, width=10, annotation_format=ViewAnnotationOptions.OBJECT_ID)


def test_filled_polygon_area_matches_the_analytic_area():
    points = [[40, 40], [360, 60], [300, 330], [120, 360]]
    canvas = _shown(Polygon(points, "p"), height=400, width=400, thickness=-1)
    assert (canvas[:, :, 3] > 0).sum() == pytest.approx(_polygon_area(points), rel=0.02)


def test_polygon_outline_leaves_the_inside_empty():
    canvas = _shown(Polygon([[2, 2], [17, 2], [17, 17], [2, 17]], "p"), thickness=1)
    assert canvas[2, 10, 3] == 255 and canvas[10, 17, 3] == 255
    assert canvas[3:17, 3:17, 3].sum() == 0


def test_point_is_a_solid_disc():
    canvas = _shown(Point(10, 10, "p"), thickness=3)
    drawn = canvas[:, :, 3] > 0
    yy, xx = np.mgrid[:20, :20]
    distance = np.hypot(yy - 10, xx - 10)
    assert drawn[distance <= 2.5].all()
    assert not drawn[distance > 3.5].any()


def test_segmentation_paints_exactly_its_pixels():
    rng = np.random.default_rng(3)
    mask = rng.random((20, 20)) > 0.5
    canvas = _shown(Segmentation(mask, "s", color=(10, 20, 30)))
    assert np.array_equal(canvas[:, :, 3] > 0, mask)
    assert (canvas[mask] == (10, 20, 30, 255)).all()


def test_segmentation_size_defaults_to_the_mask():
    canvas = Annotation.new(annotation_definition=Segmentation(np.ones((4, 6)), "s")).show()
    assert canvas.shape == (4, 6, 4)


def test_segmentation_of_another_size_is_refused():
    with pytest.raises(ValueError, match="geo"):
        _shown(Segmentation(np.ones((4, 6)), "s"))


def test_polyline_is_open():
    canvas = _shown(Polyline([[2, 2], [17, 2], [17, 17]], "l"), thickness=1)
    assert canvas[2, 2:18, 3].all() and canvas[2:18, 17, 3].all()
    assert canvas[10, 10, 3] == 0 and canvas[17, 2, 3] == 0  # no closing segment


def test_filled_ellipse_area():
    canvas = _shown(Ellipse(100, 100, 60, 30, 25, "e"), height=200, width=200, thickness=-1)
    assert (canvas[:, :, 3] > 0).sum() == pytest.approx(np.pi * 60 * 30, rel=0.03)


def test_cube_draws_both_faces():
    cube = Cube.from_boxes_and_angle(2, 2, 10, 10, 8, 8, 17, 17, "c")
    canvas = _shown(cube, thickness=1)
    assert canvas[2, 2:11, 3].all() and canvas[17, 8:18, 3].all()
    assert canvas[5, 5, 3] == 255 and canvas[5, 7, 3] == 0  # on / off the tl-tl edge


def test_classification_draws_nothing_without_text():
    assert _shown(Classification("c")).sum() == 0
    assert _shown(Classification("c"), height=60, width=200, with_text=True).sum() > 0


def test_alpha_blends_color_and_keeps_the_input():
    image = np.zeros((10, 10, 4), dtype=np.uint8)
    annotation = Annotation.new(annotation_definition=Box(0, 0, 9, 9, "b"))
    canvas = annotation.show(image=image, thickness=-1, alpha=0.5)
    assert image.sum() == 0  # alpha < 1 draws on a copy
    assert tuple(canvas[5, 5]) == (128, 128, 128, 64)  # dtlpy's blend: color alpha 127, then 50%
    with pytest.raises(ValueError, match="alpha"):
        annotation.show(image=image, alpha=1.5)


def test_annotation_on_image_draws_on_rgb_input():
    image = np.full((10, 10, 3), 40, dtype=np.uint8)
    annotation = Annotation.new(annotation_definition=Point(5, 5, "p"))
    canvas = annotation.show(image=image, thickness=1,
                             annotation_format=ViewAnnotationOptions.ANNOTATION_ON_IMAGE)
    assert canvas.shape == (10, 10, 4)
    assert tuple(canvas[5, 5]) == (255, 255, 255, 255) and tuple(canvas[0, 0]) == (40, 40, 40, 255)
    with pytest.raises(ValueError, match="image"):
        annotation.show(height=10, width=10,
                        annotation_format=ViewAnnotationOptions.ANNOTATION_ON_IMAGE)


def test_json_format_cannot_be_drawn():
    with pytest.raises(ValueError, match="annotation_format"):
        _shown(Point(1, 1, "p"), annotation_format=ViewAnnotationOptions.JSON)


def test_size_is_required_without_image_or_item():
    with pytest.raises(ValueError, match="height"):
        Annotation.new(annotation_definition=Point(1, 1, "p")).show()


def test_collection_draws_masks_first_then_outlines():
    builder = AnnotationCollection(colors={"car": (0, 0, 255)})
    builder.add(Box(1, 1, 8, 8, "car"))
    builder.add(Segmentation(np.ones((10, 10)), "road", color=(0, 255, 0)))
    canvas = builder.show(height=10, width=10, thickness=1)
    assert tuple(canvas[1, 1]) == (0, 0, 255, 255)  # outline over the mask
    assert tuple(canvas[5, 5]) == (0, 255, 0, 255)
    instances = builder.show(height=10, width=10, thickness=1, annotation_format=INSTANCE,
                             label_instance_dict={"car": 2, "road": 1})
    assert instances[1, 1] == 2 and instances[5, 5] == 1 and instances.shape == (10, 10)


def test_empty_collection_gives_an_empty_canvas():
    assert AnnotationCollection().show(height=3, width=4).shape == (3, 4, 4)


def test_download_mask_png_reads_back(tmp_path):
    builder = AnnotationCollection()
    builder.add(Box(2, 2, 6, 6, "b"))
    builder.add(Segmentation(np.eye(12), "s", color=(200, 100, 50)))
    path = builder.download(str(tmp_path / "mask.png"), annotation_format=MASK, height=12,
                            width=12)
    assert np.array_equal(read_image(path), builder.show(height=12, width=12, thickness=1))
    assert tuple(read_image(path)[11, 11]) == (200, 100, 50, 255)


def test_annotation_download_instance_png(tmp_path):
    annotation = Annotation.new(annotation_definition=Box(1, 1, 3, 3, "b"))
    annotation.id = "a" * 24
    path = annotation.download(str(tmp_path), annotation_format=INSTANCE, height=5, width=5,
                               thickness=-1)
    assert path.endswith("a" * 24 + ".png")
    assert read_image(path).tolist() == [[0] * 5] + [[0, 1, 1, 1, 0]] * 3 + [[0] * 5]


def test_video_annotation_is_drawn_only_within_its_frames():
    builder = AnnotationCollection()
    builder.add(Box(1, 1, 3, 3, "car"), object_id=1, frame_num=2)
    builder.add(Box(5, 5, 8, 8, "car"), object_id=1, frame_num=4)
    before = builder.show(height=10, width=10, thickness=-1, frame_num=1)
    assert before.sum() == 0
    on_three = builder.show(height=10, width=10, thickness=-1, frame_num=3)
    assert on_three[2, 2, 3] == 255 and on_three[6, 6, 3] == 0
    on_four = builder.show(height=10, width=10, thickness=-1, frame_num=4)
    assert on_four[2, 2, 3] == 0 and on_four[6, 6, 3] == 255
    image_annotation = Annotation.new(annotation_definition=Point(5, 5, "p"))
    assert image_annotation.show(height=10, width=10, frame_num=7)[5, 5, 3] == 255
