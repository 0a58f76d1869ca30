"""Turn what ``items.upload`` accepts into upload jobs: one remote path + one byte source each.

Accepted ``local_path`` values (or a list of them): a file path, a folder path (walked
recursively, keeping the folder name unless the path ends with ``*``), an http(s) URL,
``bytes``, a binary buffer with a ``name`` (``io.BytesIO``, an open file), or a numpy
image array (RGB/RGBA order, like PIL; needs ``remote_name`` ending in .jpg/.jpeg/.png).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import Any, BinaryIO

from .. import exceptions
from ..entities.query import enum_value


@dataclass
class UploadJob:
    """One file to upload."""

    #: full remote path, e.g. ``/folder/a.jpg``
    remote_filepath: str
    #: a local file path, or a seekable binary buffer (bytes [0, end) are uploaded)
    source: str | BinaryIO
    #: dtlpy-format annotation JSON to upload after the item, if any
    annotations_file: str | None = None

    @property
    def display_name(self) -> str:
        """What to call this job in messages."""
        return self.source if isinstance(self.source, str) else self.remote_filepath


def normalise_remote_dir(remote_path: str | None) -> str:
    """``'a/b'`` -> ``'/a/b/'``; ``None`` -> ``'/'``."""
    path = remote_path or "/"
    if not path.startswith("/"):
        path = "/" + path
    return path if path.endswith("/") else path + "/"


def build_jobs(
    local_path: Any,
    local_annotations_path: Any,
    remote_path: str | None,
    remote_name: Any,
    file_types: list | None,
    export_version: Any,
) -> tuple[list[UploadJob], bool]:
    """Expand the upload arguments into jobs.

    Returns:
        ``(jobs, single)`` where ``single`` is True when one non-folder element was given.

    Raises:
        BadRequest: an argument has the wrong type or shape (the message names it).
        NotFound: a local path does not exist.
    """
    if file_types is not None and not isinstance(file_types, list):
        raise exceptions.BadRequest(
            message='file_types: expected a list of extensions, e.g. [".jpg", ".png"]'
        )
    remote_dir = normalise_remote_dir(remote_path)
    single = not isinstance(local_path, list)
    elements = [local_path] if single else list(local_path)
    names = _per_element(remote_name, elements, single, "remote_name")
    annotations = _per_element(local_annotations_path, elements, single, "local_annotations_path")
    jobs: list[UploadJob] = []
    for element, name, ann in zip(elements, names, annotations, strict=False):
        if isinstance(element, str) and _is_folder(element):
            single = False
            jobs.extend(_folder_jobs(element, remote_dir, file_types, ann, export_version))
        else:
            jobs.append(_element_job(element, remote_dir, name, ann, export_version))
    return jobs, single


def _per_element(value: Any, elements: list, single: bool, field: str) -> list:
    if value is None:
        return [None] * len(elements)
    if single:
        if not isinstance(value, str):
            raise exceptions.BadRequest(
                message=f"{field}: expected a string, got {type(value).__name__}"
            )
        return [value]
    if not isinstance(value, list) or len(value) != len(elements):
        raise exceptions.BadRequest(
            message=f"{field}: expected a list as long as local_path ({len(elements)})"
        )
    return value


def _is_folder(path: str) -> bool:
    return os.path.isdir(path[:-1] if path.endswith("*") else path)


def _folder_jobs(
    folder: str,
    remote_dir: str,
    file_types: list | None,
    annotations_root: Any,
    export_version: Any,
) -> list[UploadJob]:
    with_head = not folder.endswith("*")
    root = os.path.normpath(folder[:-1] if folder.endswith("*") else folder)
    base = os.path.dirname(root) if with_head else root
    jobs = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for filename in sorted(filenames):
            if file_types is not None and os.path.splitext(filename)[1] not in file_types:
                continue
            filepath = os.path.join(dirpath, filename)
            remote = remote_dir + os.path.relpath(filepath, base).replace(os.sep, "/")
            ann = None
            if annotations_root:
                rel = os.path.relpath(filepath, root)
                ann = _annotation_path(os.path.join(annotations_root, rel), export_version)
            jobs.append(UploadJob(remote_filepath=remote, source=filepath, annotations_file=ann))
    return jobs


def _annotation_path(path: str, export_version: Any) -> str:
    stem = path if enum_value(export_version) == "V2" else os.path.splitext(path)[0]
    return stem + ".json"


def _element_job(
    element: Any, remote_dir: str, name: str | None, ann: str | None, export_version: Any
) -> UploadJob:
    if name:
        name = name.lstrip("/")
    ann_file = _annotation_path(ann, export_version) if ann else None
    if isinstance(element, str):
        if os.path.isfile(element):
            return UploadJob(remote_dir + (name or os.path.basename(element)), element, ann_file)
        if element.startswith(("http://", "https://")):
            buffer = _fetch_url(element)
            return UploadJob(remote_dir + (name or buffer.name), buffer, ann_file)
        raise exceptions.NotFound(message=f"local_path: no such file or folder: {element!r}")
    buffer = _as_buffer(element, name)
    return UploadJob(remote_dir + (name or os.path.basename(buffer.name)), buffer, ann_file)


def _as_buffer(element: Any, name: str | None) -> BinaryIO:
    if isinstance(element, (bytes, bytearray)):
        buffer: Any = io.BytesIO(bytes(element))
    elif _is_ndarray(element):
        if not name:
            raise exceptions.BadRequest(
                message="remote_name: required when uploading a numpy array"
            )
        buffer = io.BytesIO(encode_image(element, name))
    elif hasattr(element, "read") and hasattr(element, "seek"):
        buffer = element
    else:
        raise exceptions.BadRequest(
            message=(
                f"local_path: cannot upload a {type(element).__name__}; expected a file or folder "
                "path, a URL, bytes, a binary buffer, a numpy array, or a list of those"
            )
        )
    if name is None and not isinstance(getattr(buffer, "name", None), str):
        raise exceptions.BadRequest(
            message="remote_name: required for buffers without a file 'name'"
        )
    return buffer


def _is_ndarray(value: Any) -> bool:
    return type(value).__module__ == "numpy" and type(value).__name__ == "ndarray"


def encode_image(array: Any, remote_name: str) -> bytes:
    """Encode an RGB(A)/grayscale array as JPEG or PNG, chosen by ``remote_name``'s extension.

    Raises:
        BadRequest: the extension is not .jpg/.jpeg/.png, or the array is not an image.
    """
    import cv2

    ext = os.path.splitext(remote_name)[1].lower()
    if ext not in (".jpg", ".jpeg", ".png"):
        raise exceptions.BadRequest(
            message="remote_name: must end with .jpg, .jpeg or .png for numpy arrays"
        )
    image = array
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)  # callers pass RGB, as with PIL
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA)
    ok, encoded = cv2.imencode(".png" if ext == ".png" else ".jpg", image)
    if not ok:
        raise exceptions.BadRequest(
            message=f"local_path: array of shape {array.shape} is not an image"
        )
    return encoded.tobytes()


def _fetch_url(url: str) -> io.BytesIO:
    import requests

    try:
        response = requests.get(url, timeout=120)
        response.raise_for_status()
    except requests.RequestException as exc:
        raise exceptions.NotFound(message=f"local_path: cannot fetch {url!r}: {exc}") from exc
    buffer = io.BytesIO(response.content)
    buffer.name = os.path.basename(url.split("?", 1)[0].rstrip("/")) or "downloaded"
    return buffer
