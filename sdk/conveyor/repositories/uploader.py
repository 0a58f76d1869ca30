"""Item upload: multipart POST per file, size-verified, 5 in parallel, retried when transient.

Wire: ``POST /datasets/{id}/items?mode=skip|overwrite``, multipart fields ``type=file``,
``path`` (full remote path), ``size`` (declared byte count; the server verifies it),
``metadata`` (JSON string, optional), ``description`` (optional), then ``file``. The
reply is the Item JSON plus header ``x-item-op`` (``created``/``overwrite``/``skip``).
A created or overwritten item whose ``metadata.system.size`` differs from the bytes sent
is deleted and the upload retried.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import tqdm

from .. import exceptions
from ..client.multipart import MultipartBody
from ..entities.item import ExportMetadata, Item
from .upload_sources import UploadJob

logger = logging.getLogger("conveyor")

#: attempts per file; only transient failures (transport, 5xx, size mismatch) are retried
NUM_TRIES = 5
#: parallel uploads
MAX_WORKERS = 5
#: first pause between attempts of one file (doubles each time)
RETRY_BACKOFF_SECONDS = 0.3


@dataclass
class UploadResult:
    """Outcome of one job: ``status`` is the server's ``x-item-op`` or ``'error'``."""

    job: UploadJob
    status: str
    item: Item | None = None
    error: Exception | None = None


class Uploader:
    """Runs upload jobs for one dataset through ``items`` (an ``Items`` repository)."""

    def __init__(self, items: Any):
        self._items = items
        self._client_api = items._client_api

    def run(
        self,
        jobs: list[UploadJob],
        overwrite: bool,
        item_metadata: Any,
        item_description: str | None,
    ) -> list[UploadResult]:
        """Upload every job; results come back in job order, failures included."""
        mode = "overwrite" if overwrite else "skip"
        bar = tqdm.tqdm(
            total=len(jobs),
            disable=self._client_api.verbose.disable_progress_bar,
            file=sys.stdout,
            desc="Upload Items",
        )
        try:
            with ThreadPoolExecutor(max_workers=MAX_WORKERS) as pool:
                futures = [
                    pool.submit(self._run_one, job, mode, item_metadata, item_description, bar)
                    for job in jobs
                ]
                return [f.result() for f in futures]
        finally:
            bar.close()

    def _run_one(
        self, job: UploadJob, mode: str, item_metadata: Any, description: str | None, bar: tqdm.tqdm
    ) -> UploadResult:
        error: Exception | None = None
        for attempt in range(NUM_TRIES):
            try:
                status, item = self._upload(
                    job, mode, _metadata_for(job, item_metadata), description
                )
                self._upload_annotations(job, status, item)
                bar.update()
                return UploadResult(job=job, status=status, item=item)
            except Exception as exc:  # noqa: BLE001 - recorded per file, reported in the summary
                error = exc
                if not _transient(exc) or attempt == NUM_TRIES - 1:
                    break
                logger.debug("upload %s: attempt %d failed: %s", job.display_name, attempt + 1, exc)
                time.sleep(RETRY_BACKOFF_SECONDS * 2**attempt)
        bar.update()
        return UploadResult(job=job, status="error", error=error)

    def _upload(
        self, job: UploadJob, mode: str, metadata: dict | None, description: str | None
    ) -> tuple[str, Item]:
        stream, owned = _open(job.source)
        try:
            size = stream.seek(0, os.SEEK_END)
            stream.seek(0)
            fields = [("type", "file"), ("path", job.remote_filepath), ("size", str(size))]
            if metadata is not None:
                fields.append(("metadata", json.dumps(metadata)))
            if description is not None:
                fields.append(("description", description))
            name = os.path.basename(job.remote_filepath)
            body = MultipartBody(
                fields,
                "file",
                name,
                stream,
                size,
                mimetypes.guess_type(name)[0] or "application/octet-stream",
            )
            response = self._client_api.request(
                "POST",
                f"/datasets/{self._items.dataset_id}/items",
                params={"mode": mode},
                data=body,
                headers={"Content-Type": body.content_type},
            )
        finally:
            if owned:
                stream.close()
        status = response.headers.get("x-item-op", "created")
        item_json = response.json()
        received = ((item_json.get("metadata") or {}).get("system") or {}).get("size")
        if status != "skip" and received != size:
            # never keep a corrupted binary; the retry uploads it again
            self._items.delete(item_id=item_json["id"])
            raise exceptions.InternalServerError(
                message=(
                    f"uploaded file is corrupted: {job.remote_filepath} sent {size} bytes, "
                    f"server stored {received}"
                )
            )
        return status, self._items._entity(item_json)

    @staticmethod
    def _upload_annotations(job: UploadJob, status: str, item: Item) -> None:
        if job.annotations_file is None or status not in ("created", "overwrite"):
            return
        if not os.path.isfile(job.annotations_file):
            logger.debug("no annotations file %s for %s", job.annotations_file, job.remote_filepath)
            return
        with open(job.annotations_file, encoding="utf-8") as handle:
            data = json.load(handle)
        annotations = data.get("annotations", []) if isinstance(data, dict) else data
        if annotations:
            item.annotations.upload(annotations=annotations)


def _open(source: Any) -> tuple[Any, bool]:
    if isinstance(source, str):
        return open(source, "rb"), True
    return source, False


def _metadata_for(job: UploadJob, item_metadata: Any) -> dict | None:
    if item_metadata == ExportMetadata.FROM_JSON:
        if job.annotations_file and os.path.isfile(job.annotations_file):
            with open(job.annotations_file, encoding="utf-8") as handle:
                data = json.load(handle)
            return data.get("metadata") if isinstance(data, dict) else None
        return None
    return item_metadata


def _transient(exc: Exception) -> bool:
    if isinstance(exc, exceptions.ServerUnreachable):
        return True
    return isinstance(exc, exceptions.PlatformException) and (exc.status or 0) >= 500


def summarise(results: list[UploadResult], raise_on_error: bool, print_all: bool) -> None:
    """Log per-status counts and errors; raise ``BadRequest`` listing errors if asked."""
    failed = [r for r in results if r.status == "error"]
    for status in sorted({r.status for r in results}):
        logger.info("files %s: %d", status, sum(1 for r in results if r.status == status))
    if not failed:
        return
    shown = failed if print_all else failed[:5]
    text = " | ".join(f"{r.job.display_name}: {r.error}" for r in shown)
    message = f"Errors in {len(failed)} of {len(results)} files. Errors: {text}"
    if raise_on_error:
        raise exceptions.BadRequest(message=message)
    logger.warning(message)
