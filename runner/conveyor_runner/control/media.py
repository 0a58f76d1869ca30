"""What the server learns from an uploaded file's name and first bytes (no decoding)."""

from __future__ import annotations

import mimetypes
import struct

HEADER_BYTES = 64 * 1024


def guess_mimetype(filename: str) -> str:
    """The MIME type the extension suggests, ``application/octet-stream`` if unknown."""
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def image_size(header: bytes) -> tuple[int, int] | None:
    """``(width, height)`` of a PNG, JPEG, GIF or BMP from its first bytes, else None."""
    if header.startswith(b"\x89PNG\r\n\x1a\n") and len(header) >= 24:
        return struct.unpack(">II", header[16:24])
    if header[:6] in (b"GIF87a", b"GIF89a") and len(header) >= 10:
        return struct.unpack("<HH", header[6:10])
    if header.startswith(b"BM") and len(header) >= 26:
        width, height = struct.unpack("<ii", header[18:26])
        return width, abs(height)
    if header.startswith(b"\xff\xd8"):
        return _jpeg_size(header)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    # Walk the JPEG segments until a start-of-frame marker, which carries the size.
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            index += 2
            continue
        length = struct.unpack(">H", data[index + 2:index + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5:index + 9])
            return width, height
        index += 2 + length
    return None
