"""Fetch one item's bytes: ``GET /items/{id}/stream`` with ``Range`` resume and size check.

The result is valid only when its length equals ``metadata.system.size``. A short read
resumes from the current length (at most 3 tries per offset); a longer one fails. A
server that ignores ``Range`` (answers 200 to a resumed request) restarts the copy.
"""

from __future__ import annotations

import io
import logging
import os
from typing import Any, BinaryIO

import requests
import urllib3

from .. import exceptions

logger = logging.getLogger("conveyor")

CHUNK_SIZE = 1024 * 1024
TRIES_PER_OFFSET = 3


def fetch_item_bytes(client_api: Any, item: Any, sink: BinaryIO) -> int:
    """Write the item's binary into ``sink`` (truncated first); return its byte count.

    Raises:
        InternalServerError: the bytes never matched ``metadata.system.size``.
        PlatformException / ServerUnreachable: from the request itself.
    """
    link = (item.system.get("shebang") or {}).get("linkInfo") or {}
    if link.get("type") == "url" and link.get("ref"):
        return _fetch_link(link["ref"], sink)
    expected = item.size
    sink.seek(0)
    sink.truncate()
    tries: dict[int, int] = {}
    while True:
        offset = sink.tell()
        _stream_from(client_api, item.id, offset, sink)
        got = sink.tell()
        if expected is None or got == expected or (item.type == "db_row" and not expected):
            return got
        if got > expected:
            raise exceptions.InternalServerError(
                message=(
                    f"downloaded file is corrupted: item {item.id} has {got} bytes, "
                    f"expected {expected}"
                )
            )
        tries[got] = tries.get(got, 0) + 1
        if tries[got] >= TRIES_PER_OFFSET:
            raise exceptions.InternalServerError(
                message=(
                    f"downloaded file is corrupted: item {item.id} stopped at {got} "
                    f"of {expected} bytes"
                )
            )
        logger.debug("item %s: short read (%d/%d bytes), resuming", item.id, got, expected)


def _stream_from(client_api: Any, item_id: str, offset: int, sink: BinaryIO) -> None:
    headers = {"x-dl-sanitize": "0", "Range": f"bytes={offset}-"}
    response = client_api.request("GET", f"/items/{item_id}/stream", headers=headers, stream=True)
    try:
        if offset and response.status_code != 206:
            sink.seek(0)  # the server sent the whole file again
            sink.truncate()
        _copy(response.raw, sink)
    except (urllib3.exceptions.HTTPError, requests.exceptions.RequestException, OSError) as exc:
        # a cut stream is a short read: the caller resumes from what arrived
        logger.debug("item %s: stream interrupted at %d bytes: %s", item_id, sink.tell(), exc)
    finally:
        response.close()


def _copy(raw: Any, sink: BinaryIO) -> None:
    # read1 hands over whatever arrived; read(n) would drop a partial block on a cut
    read = getattr(raw, "read1", None) or raw.read
    while True:
        chunk = read(CHUNK_SIZE, decode_content=True)
        if not chunk:
            return
        sink.write(chunk)


def _fetch_link(url: str, sink: BinaryIO) -> int:
    if url.startswith("file://"):
        with open(url[len("file://") :], "rb") as source:
            sink.write(source.read())
        return sink.tell()
    try:
        with requests.get(url, stream=True, timeout=120) as response:
            response.raise_for_status()
            for chunk in response.iter_content(chunk_size=CHUNK_SIZE):
                sink.write(chunk)
    except requests.RequestException as exc:
        raise exceptions.NotFound(message=f"link item: cannot fetch {url!r}: {exc}") from exc
    return sink.tell()


def download_to_file(client_api: Any, item: Any, filepath: str) -> str:
    """Download into ``filepath`` via ``<filepath>.download``: complete file or none."""
    os.makedirs(os.path.dirname(filepath) or ".", exist_ok=True)
    temp = filepath + ".download"
    try:
        with open(temp, "w+b") as sink:
            fetch_item_bytes(client_api, item, sink)
        os.replace(temp, filepath)
    finally:
        if os.path.exists(temp):
            os.remove(temp)
    return filepath


def download_to_buffer(client_api: Any, item: Any) -> io.BytesIO:
    """Download into a ``BytesIO`` positioned at 0 and named after the item."""
    buffer = io.BytesIO()
    fetch_item_bytes(client_api, item, buffer)
    buffer.seek(0)
    buffer.name = item.name
    return buffer


def decode_image(buffer: io.BytesIO, item: Any) -> Any:
    """Decode image bytes like PIL's ``np.array(Image.open(...))``: RGB / RGBA / grayscale.

    Raises:
        BadRequest: the item is not an image or its bytes do not decode.
    """
    import cv2
    import numpy as np

    if "image" not in (item.mimetype or ""):
        raise exceptions.BadRequest(
            message=(f"to_array: supported for images only; item {item.id} is {item.mimetype}")
        )
    # IMREAD_UNCHANGED keeps alpha/bit depth and, like PIL, does not apply EXIF rotation
    image = cv2.imdecode(np.frombuffer(buffer.getvalue(), dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise exceptions.BadRequest(
            message=f"to_array: item {item.id} bytes are not a decodable image"
        )
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
    return image
