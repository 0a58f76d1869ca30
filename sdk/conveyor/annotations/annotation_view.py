"""Showing and downloading annotations: canvas size, colors per format, files on disk."""

from __future__ import annotations

import datetime
import json
import logging
import os
from typing import Any

import numpy as np

from conveyor.annotations import rendering
from conveyor.annotations.enums import ViewAnnotationOptions

logger = logging.getLogger("conveyor")


def item_fps(item: Any) -> float | None:
    """Frames per second of ``item``: its ``fps``, 1000 for audio (ms frames), else None."""
    if item is None:
        return None
    fps = getattr(item, "fps", None)
    if fps is None:
        fps = ((getattr(item, "metadata", None) or {}).get("system") or {}).get("fps")
    if fps is None and "audio" in (getattr(item, "mimetype", None) or ""):
        fps = 1000
    return fps


def canvas_size(annotation, image, height, width) -> tuple[int, int]:
    """Return the height and width to draw at.

    Taken from the arguments, else the item, else the annotation's ``item_height``/
    ``item_width``, else the image, else (for masks) the mask.

    Raises:
        ValueError: no source gives a size.
    """
    item = annotation.item
    if height is None:
        height = getattr(item, "height", None) or annotation.item_height
    if width is None:
        width = getattr(item, "width", None) or annotation.item_width
    if image is not None:
        height = image.shape[0] if height is None else height
        width = image.shape[1] if width is None else width
    if annotation.type == "binary" and (height is None or width is None):
        mask_height, mask_width = annotation.annotation_definition.geo.shape[:2]
        height = mask_height if height is None else height
        width = mask_width if width is None else width
    if height is None or width is None:
        raise ValueError("height/width: unknown; pass them, an image, or an item with a size")
    return int(height), int(width)


def instance_map(annotation, label_instance_dict: dict | None) -> dict:
    """The label -> instance id map: given, else the dataset's ``instance_map``, else ``{}``."""
    if label_instance_dict is not None:
        return label_instance_dict
    found = getattr(annotation.dataset, "instance_map", None) if annotation.dataset else None
    if found is None:
        logger.warning("No label_instance_dict: every label is drawn with instance id 1")
        return {}
    return found


def format_color(annotation, annotation_format, alpha: float, instances: dict) -> Any:
    """The color of ``annotation`` on an ``annotation_format`` canvas.

    MASK/ANNOTATION_ON_IMAGE: the annotation's RGB plus ``alpha * 255``. INSTANCE: the
    label's instance id (1 when unknown). OBJECT_ID: the object id as an int.

    Raises:
        ValueError: OBJECT_ID for an annotation without object id.
    """
    fmt = ViewAnnotationOptions(annotation_format)
    if fmt == ViewAnnotationOptions.INSTANCE:
        return int(instances.get(annotation.label, 1))
    if fmt == ViewAnnotationOptions.OBJECT_ID:
        if annotation.object_id is None:
            raise ValueError(f"object_id: annotation {annotation.id} has none to draw")
        return int(annotation.object_id)
    return (*annotation.color[:3], int(alpha * 255))


def show(annotation, image=None, thickness=None, with_text=False, height=None, width=None,
         annotation_format=ViewAnnotationOptions.MASK, color=None, label_instance_dict=None,
         alpha=1, frame_num=None) -> np.ndarray:
    """Draw ``annotation`` and return the canvas.

    Canvases: MASK is RGBA ``(h, w, 4)`` (a given gray/RGB image is converted to RGBA);
    ANNOTATION_ON_IMAGE draws on the given image (as RGBA); INSTANCE and OBJECT_ID are 2-D
    uint8 id maps. With ``alpha == 1`` a given RGBA or 2-D image is drawn on in place.
    A video annotation shown on a ``frame_num`` outside its range leaves the canvas empty.

    Raises:
        ValueError: ``alpha`` outside [0, 1], unknown format, missing size or image.
    """
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha: must be between 0 and 1, got {alpha!r}")
    height, width = canvas_size(annotation, image, height, width)
    fmt = ViewAnnotationOptions(annotation_format)
    instances = instance_map(annotation, label_instance_dict) \
        if fmt in rendering.ID_FORMATS else {}
    canvas = rendering.prepare_canvas(image, fmt, height, width, instances)
    if frame_num is not None and not annotation.set_frame(frame_num) and annotation.is_video:
        return canvas
    if color is None:
        color = format_color(annotation, fmt, alpha, instances)
    return annotation.annotation_definition.show(
        image=canvas, thickness=thickness, with_text=with_text, height=height, width=width,
        annotation_format=fmt, color=color, alpha=alpha)


def default_path(filepath: str, name: str, annotation_format) -> str:
    """``filepath`` when it has an extension, else ``filepath/<name>.<json|vtt|png>``."""
    if os.path.splitext(filepath)[1]:
        return filepath
    fmt = ViewAnnotationOptions(annotation_format)
    ext = {ViewAnnotationOptions.JSON: ".json", ViewAnnotationOptions.VTT: ".vtt"}.get(fmt, ".png")
    return os.path.join(filepath, f"{name}{ext}")


def download(annotation, filepath: str, annotation_format=ViewAnnotationOptions.JSON,
             height=None, width=None, thickness=1, with_text=False, alpha=1) -> str:
    """Write ``annotation`` to disk and return the path written.

    JSON writes ``to_json()``; VTT writes a WebVTT caption for a subtitle; image formats
    write the ``show`` canvas as PNG. A path without extension is a folder: the file is
    ``<id>.<ext>`` inside it. Parent folders are created.

    Raises:
        ValueError: VTT to a path not ending in ``.vtt``; see ``show`` for image formats.
    """
    fmt = ViewAnnotationOptions(annotation_format)
    filepath = default_path(filepath, str(annotation.id), fmt)
    os.makedirs(os.path.dirname(os.path.abspath(filepath)), exist_ok=True)
    if fmt == ViewAnnotationOptions.JSON:
        with open(filepath, "w", encoding="utf-8") as f:
            json.dump(annotation.to_json(), f, indent=2)
    elif fmt == ViewAnnotationOptions.VTT:
        captions = [(annotation.start_time, annotation.end_time, annotation.coordinates["text"])] \
            if annotation.type == "subtitle" else []
        write_vtt(filepath, captions)
    else:
        canvas = show(annotation, thickness=thickness, with_text=with_text, height=height,
                      width=width, annotation_format=fmt, alpha=alpha)
        write_image(filepath, canvas)
    return filepath


def download_collection(collection, filepath: str, img_filepath=None,
                        annotation_format=ViewAnnotationOptions.JSON, height=None, width=None,
                        thickness=1, with_text=False, alpha=1) -> str:
    """Write ``collection`` to disk (see ``AnnotationCollection.download``); return the path."""
    fmt = ViewAnnotationOptions(annotation_format)
    item = collection.item
    name = getattr(item, "name", None) or getattr(item, "id", None) or "item"
    filepath = default_path(filepath, os.path.splitext(os.path.basename(name))[0], fmt)
    os.makedirs(os.path.dirname(os.path.abspath(filepath)), exist_ok=True)
    if fmt == ViewAnnotationOptions.JSON:
        _json: dict = {}
        if item is not None:
            _json = {"_id": item.id, "filename": getattr(item, "filename", None)}
        _json["annotations"] = [a.to_json() for a in collection.annotations]
        if item is not None:
            _json["metadata"] = getattr(item, "metadata", None)
        with open(filepath, "w", encoding="utf-8") as f:
            json.dump(_json, f, indent=2)
    elif fmt == ViewAnnotationOptions.VTT:
        write_vtt(filepath, [(a.start_time, a.end_time, a.coordinates["text"])
                             for a in collection.annotations if a.type == "subtitle"])
    else:
        image = _source_image(item, img_filepath) \
            if fmt == ViewAnnotationOptions.ANNOTATION_ON_IMAGE else None
        canvas = collection.show(image=image, thickness=thickness, with_text=with_text,
                                 height=height, width=width, annotation_format=fmt, alpha=alpha)
        write_image(filepath, canvas)
    return filepath


def _source_image(item, img_filepath) -> np.ndarray:
    """The pixels to draw ANNOTATION_ON_IMAGE on: ``img_filepath``, else the item's."""
    if img_filepath is not None:
        return read_image(img_filepath)
    if item is None:
        raise ValueError("img_filepath: required to draw on the image without an item")
    return item.download(save_locally=False, to_array=True)


def write_image(filepath: str, image: np.ndarray) -> None:
    """Write an RGBA, RGB or 2-D uint8 array as an image file (channels kept as RGB(A)).

    Raises:
        OSError: OpenCV could not write the file.
    """
    cv2 = rendering.cv2()
    image = np.asarray(image).astype(np.uint8)
    if image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA)
    elif image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    if not cv2.imwrite(filepath, image):
        raise OSError(f"could not write image {filepath!r}")


def read_image(filepath: str) -> np.ndarray:
    """Read an image file as RGB(A) (or 2-D for gray files).

    Raises:
        OSError: the file cannot be read as an image.
    """
    cv2 = rendering.cv2()
    image = cv2.imread(filepath, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise OSError(f"could not read image {filepath!r}")
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
    if image.ndim == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return image


def _vtt_time(seconds: float) -> str:
    text = str(datetime.timedelta(seconds=float(seconds or 0)))
    hours, rest = text.split(":", 1)
    whole, _, fraction = rest.partition(".")
    return f"{int(hours):02d}:{whole}.{(fraction + '000')[:3]}"


def write_vtt(filepath: str, captions: list[tuple[float, float, str]]) -> None:
    """Write ``(start_s, end_s, text)`` captions as a WebVTT file, sorted by start time.

    Raises:
        ValueError: ``filepath`` does not end in ``.vtt``.
    """
    if not filepath.endswith(".vtt"):
        raise ValueError(f"filepath: a VTT file must end in .vtt, got {filepath!r}")
    lines = ["WEBVTT", ""]
    for start, end, text in sorted(captions, key=lambda c: c[0] or 0):
        lines += [f"{_vtt_time(start)} --> {_vtt_time(end)}", str(text), ""]
    with open(filepath, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def _vtt_seconds(stamp: str) -> float:
    parts = [float(p) for p in stamp.strip().replace(",", ".").split(":")]
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds


def read_vtt(filepath: str) -> list[tuple[float, float, str]]:
    """Return the ``(start_s, end_s, text)`` captions of a WebVTT file, in file order.

    Cue settings after the end time are ignored; multi-line texts are joined with newlines.
    """
    with open(filepath, encoding="utf-8") as f:
        blocks = f.read().replace("\r\n", "\n").split("\n\n")
    captions = []
    for block in blocks:
        lines = [line for line in block.split("\n") if line.strip()]
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue
        start, end = lines[timing].split("-->")
        captions.append((_vtt_seconds(start), _vtt_seconds(end.split()[0]),
                         "\n".join(lines[timing + 1:])))
    return captions
