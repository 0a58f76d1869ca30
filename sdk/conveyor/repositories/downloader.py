"""Item download orchestration: which items, where on disk, in parallel, plus annotation files.

Local layout (as dtlpy): ``<local_path>/items/<remote path>`` (``to_items_folder``), or
``<local_path>/<remote path>``; a ``local_path`` with the item's extension is the file
itself when one item is downloaded. Annotation renderings go to
``<local_path>/<option>/<remote path>`` and the JSON to ``<local_path>/json/...``.
"""

from __future__ import annotations

import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import tqdm

from .. import exceptions
from ..client.login_file import conveyor_home
from ..entities.query import enum_value
from . import transfer

logger = logging.getLogger("conveyor")

ANNOTATION_OPTIONS = ("json", "mask", "instance", "img_mask", "vtt", "object_id")
MAX_WORKERS = 5


class Downloader:
    """Downloads items of one ``Items`` repository."""

    def __init__(self, items: Any):
        self._items = items
        self._client_api = items._client_api

    def download(
        self,
        items: list,
        count: int,
        local_path: str | None,
        save_locally: bool,
        to_array: bool,
        options: dict,
    ) -> Any:
        """Download ``items`` (an iterable of pages or of items, ``count`` in total).

        Returns:
            For one item: its path, ``BytesIO`` or array; otherwise a list of those.
        """
        if count == 0:
            logger.warning("No items found! Nothing was downloaded")
            return []
        local_path = local_path or self._default_local_path()
        is_folder = self._is_folder(local_path, count, items, save_locally)
        bar = tqdm.tqdm(
            total=count,
            disable=self._client_api.verbose.disable_progress_bar,
            file=sys.stdout,
            desc="Download Items",
        )
        try:
            with ThreadPoolExecutor(max_workers=MAX_WORKERS) as pool:
                futures = [
                    pool.submit(
                        self._one, item, local_path, is_folder, save_locally, to_array, options, bar
                    )
                    for item in _flatten(items)
                    if item.type != "dir"
                ]
                results = [f.result() for f in futures]
        finally:
            bar.close()
        return _finish(results, options.get("raise_on_error", False))

    def _default_local_path(self) -> str:
        dataset_id = self._items.dataset_id
        sub = os.path.join("datasets", dataset_id) if dataset_id else "items"
        return str(conveyor_home() / sub)

    @staticmethod
    def _is_folder(local_path: str, count: int, pages: Any, save_locally: bool) -> bool:
        if os.path.isdir(local_path):
            return True
        folder = count > 1
        if not folder:
            loaded = getattr(pages, "items", None)  # a PagedEntities already holds page 0
            first = (
                loaded[0] if isinstance(loaded, list) and loaded else next(_flatten(pages), None)
            )
            ext = os.path.splitext(local_path)[1]
            folder = first is None or os.path.splitext(first.name or "")[1] != ext or not ext
        if folder and save_locally:
            os.makedirs(local_path.rstrip("*"), exist_ok=True)
        return folder

    def _one(
        self,
        item: Any,
        local_path: str,
        is_folder: bool,
        save_locally: bool,
        to_array: bool,
        options: dict,
        bar: tqdm.tqdm,
    ) -> tuple[Any, Exception | None]:
        try:
            if not save_locally:
                buffer = transfer.download_to_buffer(self._client_api, item)
                return (transfer.decode_image(buffer, item) if to_array else buffer), None
            item_dir, filepath = _local_filepath(
                local_path,
                item,
                options["to_items_folder"],
                options.get("without_relative_path"),
                is_folder,
            )
            if not os.path.isfile(filepath) or options["overwrite"]:
                transfer.download_to_file(self._client_api, item, filepath)
            if options["annotation_options"] and item.annotated:
                self._annotations(item, filepath, item_dir, options)
            return filepath, None
        except Exception as exc:  # noqa: BLE001 - per-item failures are reported together
            return None, exc
        finally:
            bar.update()

    def _annotations(self, item: Any, img_filepath: str, local_path: str, options: dict) -> None:
        root = local_path
        if os.path.splitext(root)[1]:
            root = os.path.dirname(root)
        if os.path.basename(os.path.normpath(root)) == "items":
            root = os.path.dirname(os.path.normpath(root))
        rel = os.path.join(os.path.dirname(item.filename[1:]), os.path.basename(img_filepath))
        v1 = enum_value(options["export_version"]) != "V2"
        stem = os.path.splitext(rel)[0] if v1 else rel
        collection = item.annotations.list(filters=options["annotation_filters"])
        height, width = item.height, item.width
        for option in options["annotation_options"]:
            if option == "json":
                target = os.path.join(root, "json", stem + ".json")
                extra: dict = {}
            else:
                ext = (
                    ".vtt"
                    if option == "vtt"
                    else (".mp4" if "video" in (item.mimetype or "") else ".png")
                )
                target = os.path.join(root, option, stem + ext)
                extra = {
                    "img_filepath": img_filepath,
                    "thickness": options["thickness"],
                    "with_text": options["with_text"],
                    "alpha": options["alpha"],
                }
            if os.path.isfile(target) and not options["overwrite"]:
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            collection.download(
                filepath=target, annotation_format=option, height=height, width=width, **extra
            )


def normalise_annotation_options(annotation_options: Any) -> list[str]:
    """List of option values; raises ``BadRequest`` naming an unknown option."""
    if annotation_options is None:
        return []
    values = annotation_options if isinstance(annotation_options, list) else [annotation_options]
    out = [enum_value(v) for v in values]
    for value in out:
        if value not in ANNOTATION_OPTIONS:
            raise exceptions.BadRequest(
                message=(
                    f"annotation_options: unknown option {value!r}; "
                    f"choose from {list(ANNOTATION_OPTIONS)}"
                )
            )
    return out


def _local_filepath(
    local_path: str, item: Any, to_items_folder: bool, without_relative_path: Any, is_folder: bool
) -> tuple[str, str]:
    if os.path.splitext(local_path)[1] and not is_folder:
        return os.path.dirname(local_path), local_path
    folder = os.path.join(local_path, "items") if to_items_folder else local_path
    name = (
        item.name if without_relative_path is not None else (item.filename or "/" + item.name)[1:]
    )
    return folder, os.path.join(folder, name)


def _flatten(pages: Any):
    for entry in pages:
        if isinstance(entry, list):
            yield from entry
        else:
            yield entry


def _finish(results: list, raise_on_error: bool) -> Any:
    errors = [exc for _, exc in results if exc is not None]
    outputs = [value for value, exc in results if exc is None]
    if errors:
        text = " | ".join(str(e) for e in errors[:5])
        message = f"Errors in {len(errors)} of {len(results)} items. Errors: {text}"
        if raise_on_error or len(results) == 1:
            if len(results) == 1:
                raise errors[0]
            raise exceptions.BadRequest(message=message)
        logger.warning(message)
    if len(results) == 1:
        return outputs[0]
    return outputs
