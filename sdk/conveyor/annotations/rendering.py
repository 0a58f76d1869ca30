"""Drawing primitives shared by every annotation definition: canvases, colors, blending, text.

OpenCV is imported on first use only, so ``import conveyor`` stays cheap for code that
never draws. All drawing uses 8-connected lines (no anti-aliasing): INSTANCE and OBJECT_ID
canvases hold ids, and an anti-aliased edge would write ids that belong to no annotation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from conveyor.annotations.enums import ViewAnnotationOptions

#: Canvas formats that hold one integer id per pixel (2-D uint8) instead of RGBA colors.
ID_FORMATS = (ViewAnnotationOptions.INSTANCE, ViewAnnotationOptions.OBJECT_ID)
#: Canvas formats that hold RGBA colors.
COLOR_FORMATS = (ViewAnnotationOptions.MASK, ViewAnnotationOptions.ANNOTATION_ON_IMAGE)
DEFAULT_RGB = (255, 255, 255)


def cv2() -> Any:
    """Return the OpenCV module (imported lazily; it is a declared dependency)."""
    import cv2 as _cv2  # noqa: PLC0415 - deferred: importing OpenCV costs ~100 ms

    return _cv2


def as_color(color: Any) -> Any:
    """Return ``color`` as OpenCV accepts it: a plain int, or a tuple of plain ints."""
    if color is None:
        return None
    if isinstance(color, (int, np.integer)):
        return int(color)
    return tuple(int(c) for c in color)


def is_translucent(color: Any) -> bool:
    """True when ``color`` is RGBA with an alpha below 255 (the drawing must be blended)."""
    return not isinstance(color, int) and len(color) == 4 and color[3] != 255


def fallback_color(image: np.ndarray, rgb: tuple | None = None) -> Any:
    """Return the color to draw with when none was given.

    ``rgb`` (white when None) as RGBA/RGB to match a color image, or id 1 on a 2-D canvas.
    """
    if image.ndim == 2:
        return 1
    rgb = tuple(int(c) for c in (rgb or DEFAULT_RGB)[:3])
    return (*rgb, 255)[: image.shape[2]]


def draw(image: np.ndarray, color: Any, alpha: float,
         painter: Callable[[np.ndarray, Any], np.ndarray], fallback_rgb: tuple | None = None,
         ) -> np.ndarray:
    """Run ``painter(canvas, color)`` on ``image`` and blend it with opacity ``alpha``.

    With ``alpha == 1`` the painter draws on ``image`` itself (in place, as OpenCV does).
    Otherwise it draws on a copy, and when the color is translucent RGBA the copy is
    blended back with weight ``alpha``; the input array is then left unchanged.
    A None ``color`` becomes :func:`fallback_color` of ``fallback_rgb``.

    Returns:
        The drawn image (the same array as ``image`` when drawn in place).
    """
    color = as_color(fallback_color(image, fallback_rgb) if color is None else color)
    overlay = image if alpha == 1 else image.copy()
    overlay = painter(overlay, color)
    if is_translucent(color):
        return cv2().addWeighted(src1=overlay, alpha=alpha, src2=image, beta=1 - alpha, gamma=0)
    return overlay


def put_label(image: np.ndarray, definition: Any, color: Any = None) -> np.ndarray:
    """Write ``<label>-<attribute names>`` at the definition's top-left corner.

    A corner at 0 is moved a tenth of the image inwards so that the text stays visible.
    """
    attributes = definition.attributes or {}
    names = attributes if isinstance(attributes, (list, tuple)) else list(attributes)
    text = f"{definition.label}-{','.join(str(n) for n in names)}"
    top = float(definition.top or 0) or image.shape[0] / 10
    left = float(definition.left or 0) or image.shape[1] / 10
    color = as_color(color) if color is not None else (255, 0, 0, 255)
    if isinstance(color, tuple) and image.ndim == 3:
        color = (color + (255,) * 4)[: image.shape[2]]
    mod = cv2()
    return mod.putText(img=image, text=text, org=(int(round(left)), int(round(top))),
                       color=color, fontFace=mod.FONT_HERSHEY_DUPLEX, fontScale=1, thickness=2)


def to_rgba(image: np.ndarray) -> np.ndarray:
    """Return a gray, RGB or RGBA uint8 image as RGBA (RGBA input is returned as is).

    Raises:
        ValueError: the image is neither 2-D nor 3-D with 3 or 4 channels.
    """
    if image.ndim == 2:
        return cv2().cvtColor(image, cv2().COLOR_GRAY2RGBA)
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2().cvtColor(image, cv2().COLOR_RGB2RGBA)
    if image.ndim == 3 and image.shape[2] == 4:
        return image
    raise ValueError(f"image: expected a gray, RGB or RGBA array, got shape {image.shape}")


def new_canvas(annotation_format: Any, height: int, width: int,
               label_instance_dict: dict | None = None) -> np.ndarray:
    """Return an empty canvas for ``annotation_format``.

    MASK: ``(height, width, 4)`` uint8 of transparent black. INSTANCE/OBJECT_ID:
    ``(height, width)`` uint8 of ``label_instance_dict["$default"]`` (0 when absent).

    Raises:
        ValueError: the format has no empty canvas (JSON, VTT, ANNOTATION_ON_IMAGE).
    """
    if height is None or width is None:
        raise ValueError("height/width: required to draw without an image")
    if annotation_format == ViewAnnotationOptions.MASK:
        return np.zeros((int(height), int(width), 4), dtype=np.uint8)
    if annotation_format in ID_FORMATS:
        fill = (label_instance_dict or {}).get("$default", 0)
        return np.full((int(height), int(width)), fill, dtype=np.uint8)
    raise ValueError(f"annotation_format: no empty canvas for {annotation_format!r}; "
                     "pass an image")


def prepare_canvas(image: np.ndarray | None, annotation_format: Any, height: int, width: int,
                   label_instance_dict: dict | None = None) -> np.ndarray:
    """Return the canvas to draw ``annotation_format`` on: ``image`` adapted, or a new one.

    MASK and ANNOTATION_ON_IMAGE draw in RGBA (gray/RGB images are converted; the source
    array is not modified by the conversion). INSTANCE/OBJECT_ID need a 2-D image.

    Raises:
        ValueError: unknown format, ANNOTATION_ON_IMAGE without an image, or an image of
            the wrong shape.
    """
    fmt = ViewAnnotationOptions(annotation_format)
    if fmt not in COLOR_FORMATS + ID_FORMATS:
        raise ValueError(f"annotation_format: cannot draw {fmt.value!r}; use one of "
                         f"{[f.value for f in COLOR_FORMATS + ID_FORMATS]}")
    if image is None:
        if fmt == ViewAnnotationOptions.ANNOTATION_ON_IMAGE:
            raise ValueError("image: ANNOTATION_ON_IMAGE needs the image to draw on")
        return new_canvas(fmt, height, width, label_instance_dict)
    if fmt in COLOR_FORMATS:
        return to_rgba(image)
    if image.ndim != 2:
        raise ValueError(f"image: {fmt.value} draws on a 2-D array, got shape {image.shape}")
    return image
