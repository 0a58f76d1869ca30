"""Validation of annotation bodies: known types, and coordinates of the right shape."""

from __future__ import annotations

from conveyor_runner.control.patches import merge_patch
from conveyor_runner.errors import InvalidInputError
from conveyor_runner.ids import now_iso
from conveyor_runner.store.annotations import SERVER_KEYS

TYPES = frozenset({
    "box", "cube", "cube_3d", "class", "comparison", "ellipse", "note", "point", "segment",
    "polyline", "pose", "binary", "subtitle", "text_mark", "gis", "ref_semantic_3d",
    "polyline_3d", "text", "ref_image",
})


def validate_annotation(body: object, where: str) -> dict:
    """Check one annotation body; return it unchanged.

    Args:
        body: the JSON object a client sent.
        where: field prefix for messages, e.g. ``[3]`` for the fourth of a list.

    Raises:
        InvalidInputError: not an object, unknown ``type``, missing ``label`` where one is
            needed, or ``coordinates`` that do not fit the type.
    """
    if not isinstance(body, dict):
        raise InvalidInputError(f"{where}: an annotation must be a JSON object", where)
    kind = body.get("type")
    if kind not in TYPES:
        raise InvalidInputError(
            f"{where}.type: unknown annotation type {kind!r}; one of {', '.join(sorted(TYPES))}",
            f"{where}.type",
        )
    label = body.get("label")
    if label is not None and not isinstance(label, str):
        raise InvalidInputError(f"{where}.label: must be a string", f"{where}.label")
    checker = _COORDINATE_CHECKS.get(kind)
    if checker is not None and not checker(body.get("coordinates")):
        raise InvalidInputError(
            f"{where}.coordinates: not valid for a {kind!r} annotation", f"{where}.coordinates"
        )
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidInputError(f"{where}.metadata: must be an object", f"{where}.metadata")
    return body


def _is_point(value: object) -> bool:
    return (isinstance(value, dict) and _is_number(value.get("x"))
            and _is_number(value.get("y")))


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _box(value: object) -> bool:
    return isinstance(value, list) and len(value) >= 2 and all(map(_is_point, value[:2]))


def _polygon(value: object) -> bool:
    return (isinstance(value, list) and len(value) > 0
            and all(isinstance(ring, list) and all(map(_is_point, ring)) for ring in value))


def _binary(value: object) -> bool:
    return isinstance(value, str) and value.startswith("data:image/png;base64,")


def _classification(value: object) -> bool:
    return value in (None, [], {}) or isinstance(value, (list, dict))


_COORDINATE_CHECKS = {
    "box": _box,
    "point": _is_point,
    "segment": _polygon,
    "polyline": _polygon,
    "binary": _binary,
    "class": _classification,
}


def apply_update(row, patch: dict, actor: str, *, system: bool) -> None:
    """Apply a dtlpy annotation diff: label, coordinates, type, metadata and other keys.

    ``metadata.system`` changes only when ``system`` is true; nulls of server-owned keys are
    ignored; the merged result is validated before anything is changed.

    Raises:
        InvalidInputError: the updated annotation would not be valid.
    """
    if not isinstance(patch, dict):
        raise InvalidInputError("body: expected a JSON object", field="body")
    merged = {"type": row.type, "label": row.label, "coordinates": row.coordinates,
              "metadata": row.metadata_}
    for key in ("type", "label", "coordinates"):
        if patch.get(key) is not None:
            merged[key] = patch[key]
    metadata = patch.get("metadata")
    if isinstance(metadata, dict):
        if not system:
            metadata = {k: v for k, v in metadata.items() if k != "system"}
        merged["metadata"] = merge_patch(row.metadata_, metadata)
    validate_annotation(merged, "body")
    extra = {k: v for k, v in patch.items() if k not in SERVER_KEYS}
    row.type, row.label, row.coordinates = merged["type"], merged["label"], merged["coordinates"]
    row.metadata_ = merged["metadata"]
    row.doc = merge_patch(row.doc, extra)
    row.updated_at, row.updated_by = now_iso(), actor
