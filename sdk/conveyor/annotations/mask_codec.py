"""The wire encoding of binary (segmentation) masks: a base64 PNG data URL.

A mask travels as ``data:image/png;base64,<PNG>`` where the PNG is RGBA: the color in the
RGB channels where the mask is set, and the mask itself in the alpha channel (255 = set).
This is the encoding dtlpy writes and reads, so masks round-trip between the two clients.
"""

from __future__ import annotations

import base64

import numpy as np

from conveyor.annotations.rendering import DEFAULT_RGB, cv2

PNG_DATA_URL_PREFIX = "data:image/png;base64,"


def encode_mask(mask: np.ndarray, color: tuple = DEFAULT_RGB) -> str:
    """Encode a 2-D mask as a PNG data URL.

    Args:
        mask: 2-D array; every value > 0 is "set". Values above 1 are first scaled by the
            maximum (so a 0/255 mask and a 0/1 mask encode the same).
        color: RGB color written where the mask is set.

    Returns:
        ``data:image/png;base64,...``; decoding it with :func:`decode_mask` gives back
        exactly ``mask > 0`` (for 0/1 masks) and ``color``.

    Raises:
        ValueError: ``mask`` is not 2-D.
    """
    mask = np.asarray(mask, dtype=float)
    if mask.ndim != 2:
        raise ValueError(f"mask: expected a 2-D array, got shape {mask.shape}")
    peak = mask.max() if mask.size else 0
    if peak > 1:
        mask = mask / peak
    red, green, blue = (int(c) for c in color[:3])
    # OpenCV writes 4-channel arrays as BGRA, so the channels are stacked in that order.
    bgra = np.stack((blue * mask, green * mask, red * mask, 255 * mask), axis=2).astype(np.uint8)
    ok, png = cv2().imencode(".png", bgra)
    if not ok:  # pragma: no cover - OpenCV only fails here on out-of-memory
        raise RuntimeError("OpenCV could not encode the mask as PNG")
    return PNG_DATA_URL_PREFIX + base64.b64encode(png.tobytes()).decode("ascii")


def decode_mask(data: str | dict) -> tuple[np.ndarray, tuple | None]:
    """Decode a PNG data URL (or ``{"data": url}``) into a float mask and its color.

    The mask is the alpha channel > 127 for RGBA PNGs, and any channel > 127 for PNGs
    without alpha (so plain black/white masks are read too).

    Returns:
        ``(mask, color)``: a 2-D float array of 0.0/1.0, and the RGB color of the first set
        pixel as a tuple of ints (None when the mask is empty).

    Raises:
        ValueError: the value is not a base64 PNG data URL.
    """
    if isinstance(data, dict):
        data = data.get("data")
    if not isinstance(data, str) or "," not in data:
        raise ValueError("coordinates: expected a 'data:image/png;base64,...' string")
    raw = np.frombuffer(base64.b64decode(data.split(",", 1)[1]), dtype=np.uint8)
    image = cv2().imdecode(raw, cv2().IMREAD_UNCHANGED)
    if image is None:
        raise ValueError("coordinates: the base64 payload is not a decodable PNG")
    if image.dtype != np.uint8:  # 16-bit PNGs: keep the top byte, as 8-bit readers do
        image = (image >> 8).astype(np.uint8)
    if image.ndim == 2:
        mask, rgb = image > 127, np.stack([image] * 3, axis=2)
    elif image.shape[2] == 4:
        mask, rgb = image[:, :, 3] > 127, image[:, :, 2::-1]
    else:
        mask, rgb = (image > 127).any(axis=2), image[:, :, ::-1]
    rows, cols = np.nonzero(mask)
    color = tuple(int(c) for c in rgb[rows[0], cols[0]]) if rows.size else None
    return mask.astype(float), color
