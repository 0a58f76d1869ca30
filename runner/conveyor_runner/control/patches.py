"""JSON merge patches (RFC 7396), the way dtlpy's partial PATCH bodies are applied."""

from __future__ import annotations

import copy


def merge_patch(target: object, patch: object) -> object:
    """Return ``target`` with ``patch`` applied; neither argument is modified.

    Dicts merge recursively, a ``None`` value removes the key, anything else replaces.
    """
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result
