"""Package slots: UI entry points that call a module function (kept for dtlpy compatibility).

Conveyor has no UI; slots are stored with the package and echoed back unchanged.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from .package_function import load_ios
from .spec import Spec, SpecField


class SlotPostActionType(str, Enum):
    """What the UI does with a slot function's output."""

    DOWNLOAD = "download"
    DRAW_ANNOTATION = "drawAnnotation"
    NO_ACTION = "noAction"


class SlotDisplayScopeResource(str, Enum):
    """Where a slot is offered."""

    ANNOTATION = "annotation"
    ITEM = "item"
    DATASET = "dataset"
    DATASET_QUERY = "datasetQuery"
    TASK = "task"


class UiBindingPanel(str, Enum):
    """UI panels a slot binds to."""

    BROWSER = "browser"
    STUDIO = "studio"
    TABLE = "table"
    ALL = "all"


class SlotPostAction(Spec):
    """``postAction`` of a slot: ``{type}`` (default ``noAction``)."""

    type = SpecField("type", SlotPostActionType.NO_ACTION.value, always=True)


def _filter_json(value: Any) -> Any:
    prepare = getattr(value, "prepare", None)
    return prepare(query_only=True)["filter"] if callable(prepare) else value


class SlotDisplayScope(Spec):
    """Where a slot shows: a resource, an optional DQL ``filter`` and a panel."""

    resource = SpecField("resource")
    filters = SpecField("filter", load=_filter_json)
    panel = SpecField("panel", UiBindingPanel.ALL.value, always=True)


def _load_scopes(scopes: Any) -> list:
    return [SlotDisplayScope.from_json(s) if isinstance(s, dict) else s
            for s in (scopes if isinstance(scopes, list) else [scopes])]


def _load_post_action(action: Any) -> Any:
    return SlotPostAction.from_json(action) if isinstance(action, dict) else action


class PackageSlot(Spec):
    """A slot: a named UI action bound to ``module_name``/``function_name``.

    Attributes:
        display_name, display_icon: how the slot is shown.
        display_scopes: ``SlotDisplayScope`` list.
        module_name: default ``default_module``; function_name: default ``run``.
        post_action: ``SlotPostAction`` (default no action).
        default_inputs, input_options: ``FunctionIO`` lists.
    """

    display_name = SpecField("displayName")
    display_scopes = SpecField("displayScopes", load=_load_scopes)
    module_name = SpecField("moduleName", "default_module", always=True)
    function_name = SpecField("functionName", "run", always=True)
    display_icon = SpecField("displayIcon")
    post_action = SpecField("postAction", factory=lambda _: SlotPostAction(),
                            load=_load_post_action, always=True)
    default_inputs = SpecField("defaultInputs", load=load_ios)
    input_options = SpecField("inputOptions", load=load_ios)
