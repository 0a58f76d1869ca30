"""A sized, rewindable multipart/form-data body that streams one file part.

``requests`` builds ``files=`` bodies in memory; uploads of large items must not, so the
uploader hands this object to ``ApiClient.request(data=...)``. It has a length (so the
request carries ``Content-Length``), reads lazily in blocks, and can seek back to any
position, which urllib3 needs to resend the body after a connection error.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from typing import BinaryIO

from urllib3.fields import format_multipart_header_param

_BLOCK = 1024 * 1024


class MultipartBody(io.RawIOBase):
    """``fields`` as text parts, then ``stream`` (``size`` bytes from offset 0) as the file part.

    Args:
        fields: ``(name, value)`` text parts, sent in order before the file.
        file_field: form name of the file part.
        filename: file name announced in the file part's header.
        stream: seekable binary stream positioned anywhere; bytes ``[0, size)`` are sent.
        size: number of bytes of ``stream`` to send.
        content_type: MIME type of the file part.
    """

    def __init__(
        self,
        fields: list[tuple[str, str]],
        file_field: str,
        filename: str,
        stream: BinaryIO,
        size: int,
        content_type: str = "application/octet-stream",
    ):
        super().__init__()
        self.boundary = uuid.uuid4().hex
        head = io.BytesIO()
        for name, value in fields:
            head.write(self._part_header(name).encode() + b"\r\n\r\n")
            head.write(str(value).encode("utf-8") + b"\r\n")
        file_header = (
            self._part_header(file_field)
            + "; "
            + format_multipart_header_param("filename", filename)
        )
        head.write(f"{file_header}\r\nContent-Type: {content_type}\r\n\r\n".encode())
        self._head = head.getvalue()
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._stream = stream
        self._size = int(size)
        self._pos = 0

    def _part_header(self, name: str) -> str:
        disposition = "form-data; " + format_multipart_header_param("name", name)
        return f"--{self.boundary}\r\nContent-Disposition: {disposition}"

    @property
    def content_type(self) -> str:
        """Value for the request's ``Content-Type`` header."""
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self._head) + self._size + len(self._tail)

    def __iter__(self) -> Iterator[bytes]:  # type: ignore[override]
        # requests treats objects with __iter__ as streams; urllib3 then uses read()
        while True:
            block = self.read(_BLOCK)
            if not block:
                return
            yield block

    def readable(self) -> bool:
        """Always True."""
        return True

    def seekable(self) -> bool:
        """Always True: any position can be re-read (the file part is re-read from the stream)."""
        return True

    def tell(self) -> int:
        """Current position in the encoded body."""
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move to ``offset`` (clamped to the body); returns the new position."""
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self)}[whence]
        self._pos = max(0, min(len(self), base + offset))
        return self._pos

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes of the encoded body (all that is left for -1).

        Raises:
            OSError: the source stream holds fewer than the declared ``size`` bytes.
        """
        remaining = len(self) - self._pos
        want = remaining if size is None or size < 0 else min(size, remaining)
        out = bytearray()
        while len(out) < want:
            chunk = self._read_at(self._pos, want - len(out))
            if not chunk:
                raise OSError(f"upload source ended early: expected {self._size} bytes")
            out += chunk
            self._pos += len(chunk)
        return bytes(out)

    def readinto(self, buffer) -> int:  # type: ignore[override]
        """Fill ``buffer`` from the body; returns the byte count."""
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _read_at(self, pos: int, count: int) -> bytes:
        head, size = len(self._head), self._size
        if pos < head:
            return self._head[pos : pos + count]
        if pos < head + size:
            self._stream.seek(pos - head)
            return self._stream.read(min(count, head + size - pos))
        start = pos - head - size
        return self._tail[start : start + count]
