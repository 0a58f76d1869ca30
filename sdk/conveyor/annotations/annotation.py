"""``Annotation``: one annotation of an item — a definition plus identity, metadata and frames."""

from __future__ import annotations

from typing import Any

from conveyor import exceptions
from conveyor.annotations import annotation_json, annotation_view
from conveyor.annotations.annotation_platform import AnnotationPlatformMixin
from conveyor.annotations.definitions import BaseAnnotationDefinition
from conveyor.annotations.frames import FrameAnnotation, FrameTrack
from conveyor.annotations.rendering import DEFAULT_RGB


def _delegate(name: str, doc: str, settable: bool = False) -> property:
    """A property that reads (and optionally writes) ``annotation_definition.<name>``."""
    def fget(self):
        return getattr(self.annotation_definition, name, None)

    def fset(self, value):
        setattr(self.annotation_definition, name, value)

    return property(fget, fset if settable else None, doc=doc)


class Annotation(AnnotationPlatformMixin):
    """An annotation on an item.

    Build one with :meth:`new` (to upload) or :meth:`from_json` (from the server); the
    constructor mirrors dtlpy's and is not meant to be called directly. Geometry
    properties (``label``, ``coordinates``, ``left`` ...) read the current frame's
    definition. Platform calls (``upload``, ``update``, ``delete``) go through the
    item's Annotations repository, so they need ``item`` (or a client and dataset).
    """

    def __init__(self, id, url, item_url, item, item_id, creator, created_at, updated_by,
                 updated_at, type, source, dataset_url, platform_dict, metadata, fps, hash=None,
                 dataset_id=None, status=None, object_id=None, automated=None, item_height=None,
                 item_width=None, label_suggestions=None,
                 annotation_definition: BaseAnnotationDefinition | None = None, frames=None,
                 current_frame=0, end_frame=0, end_time=0, start_frame=0, start_time=0,
                 dataset=None, datasets=None, annotations=None, Annotation__client_api=None,
                 items=None, recipe_2_attributes=None, client_api=None) -> None:
        """Store every field as given (see :meth:`new` and :meth:`from_json`)."""
        self.id, self.url, self.item_url, self._item = id, url, item_url, item
        self.item_id, self.creator, self.created_at = item_id, creator, created_at
        self.updated_by, self.updated_at, self.type = updated_by, updated_at, type
        self.source, self.dataset_url, self.dataset_id = source, dataset_url, dataset_id
        self._platform_dict = platform_dict if platform_dict is not None else {}
        self.metadata = metadata if metadata is not None else {}
        self.fps, self.hash, self.status, self.object_id = fps, hash, status, object_id
        self.automated, self.item_height, self.item_width = automated, item_height, item_width
        self.label_suggestions = label_suggestions
        self.annotation_definition = annotation_definition
        self.frames = frames if frames is not None else FrameTrack()
        self.current_frame = current_frame
        self.start_frame, self.end_frame = start_frame, end_frame
        self.start_time, self.end_time = start_time, end_time
        self._dataset, self._annotations = dataset, annotations
        self._client_api = client_api if client_api is not None else Annotation__client_api
        self._legacy_attributes = recipe_2_attributes

    # -- construction --------------------------------------------------------------------

    @classmethod
    def new(cls, item=None, annotation_definition=None, object_id=None, automated=True,
            metadata=None, frame_num=None, parent_id=None, start_time=None, item_height=None,
            item_width=None, end_time=None, dataset=None, height=None, width=None) -> Annotation:
        """Create an annotation that is not on the server yet (``id`` is None).

        Args:
            item: The item it annotates (gives item id, dataset id and the client).
            annotation_definition: ``Box``, ``Polygon``, ... (sets ``type`` and label).
            object_id: A numeric id (int or digit string) tying annotations together.
            automated: Sent as ``metadata.system.automated``.
            metadata: Metadata dict (``user``/``system``); it is used, not copied.
            frame_num: First video frame (default 0).
            parent_id: Stored as ``metadata.system.parentId``.
            start_time: Start in seconds (default ``frame_num / fps``, else 0).
            item_height: Height used when drawing without an image.
            item_width: Width used when drawing without an image.
            end_time: End in seconds (default ``start_time``).
            dataset: The item's dataset, when known.
            height: Alias of ``item_height``.
            width: Alias of ``item_width``.

        Raises:
            ValueError: ``object_id`` is not an int or a string of digits.
        """
        if object_id is not None:
            if isinstance(object_id, bool) or not str(object_id).isdigit():
                raise ValueError("object_id: must be an int or a string of digits, "
                                 f"got {object_id!r}")
            object_id = str(object_id)
        metadata = {} if metadata is None else metadata
        if parent_id is not None:
            metadata.setdefault("system", {})["parentId"] = parent_id
        if annotation_definition is not None and annotation_definition.type == "note":
            metadata.setdefault("system", {})["status"] = annotation_definition.status
        frame_num = 0 if frame_num is None else frame_num
        fps = annotation_view.item_fps(item)
        if start_time is None:
            start_time = frame_num / fps if fps else 0
        return cls(id=None, url=None, item_url=None, item=item, item_id=None, creator=None,
                   created_at=None, updated_by=None, updated_at=None,
                   type=getattr(annotation_definition, "type", None), source="sdk",
                   dataset_url=getattr(item, "dataset_url", None), platform_dict={},
                   metadata=metadata, fps=fps, dataset_id=getattr(item, "dataset_id", None),
                   object_id=object_id, automated=automated,
                   item_height=item_height if item_height is not None else height,
                   item_width=item_width if item_width is not None else width,
                   annotation_definition=annotation_definition, start_frame=frame_num,
                   end_frame=frame_num, start_time=start_time,
                   end_time=start_time if end_time is None else end_time, dataset=dataset)

    @classmethod
    def from_json(cls, _json, item=None, client_api=None, annotations=None, is_video=None,
                  fps=None, item_metadata=None, dataset=None, is_audio=None) -> Annotation:
        """Build an annotation from the server's JSON.

        The received JSON is kept; :meth:`update` sends only what changed since.
        Video annotations get one frame state per snapshot (``metadata.system.snapshots_``).
        ``is_video``/``is_audio`` are accepted for dtlpy compatibility; the video range is
        read from ``metadata.system`` whatever they say.

        Raises:
            ValueError: ``_json`` is not a dict, or its coordinates are malformed.
        """
        if not isinstance(_json, dict):
            raise ValueError(f"_json: expected an annotation dict, got {type(_json).__name__}")
        args = annotation_json.constructor_args(_json, item, dataset, fps, item_metadata)
        inst = cls(annotations=annotations, client_api=client_api, **args)
        inst.annotation_definition = annotation_json.first_definition(_json)
        annotation_json.load_frames(inst, _json, item)
        return inst

    def to_json(self) -> dict:
        """Return the platform JSON (the upload shape of dtlpy-contract §3.4).

        Always has ``id``, ``url``, ``creator``, ``metadata`` (with ``system.attributes``),
        ``hash``, ``itemId``, ``item``, ``label``, ``dataset``, ``createdAt``,
        ``updatedBy``, ``updatedAt``, ``source``, ``datasetId``, ``type``, ``attributes``;
        ``coordinates`` except for classifications; video range keys when it spans frames.
        """
        return annotation_json.to_json(self)

    # -- definition and frames -------------------------------------------------------------

    label = _delegate("label", "The label of the current frame.", settable=True)
    attributes = _delegate("attributes", "Named attributes (dict) of the current frame.",
                           settable=True)
    geo = _delegate("geo", "Geometry of the current frame (see the definition's ``geo``).")
    x = _delegate("x", "x coordinate(s) of the current frame's geometry.")
    y = _delegate("y", "y coordinate(s) of the current frame's geometry.")
    left = _delegate("left", "Smallest x of the current geometry.", settable=True)
    top = _delegate("top", "Smallest y of the current geometry.", settable=True)
    right = _delegate("right", "Largest x of the current geometry.", settable=True)
    bottom = _delegate("bottom", "Largest y of the current geometry.", settable=True)
    messages = _delegate("messages", "Note messages (notes only, else None).", settable=True)
    rx = _delegate("rx", "x radius (ellipses only, else None).")
    ry = _delegate("ry", "y radius (ellipses only, else None).")
    angle = _delegate("angle", "Rotation in degrees (boxes, ellipses, cubes; else None).")

    @property
    def description(self) -> str | None:
        """Free-text description of the current frame's definition."""
        return getattr(self.annotation_definition, "description", None)

    @description.setter
    def description(self, value: str | None) -> None:
        if value is not None and not isinstance(value, str):
            raise ValueError(f"description: must be a string, got {type(value).__name__}")
        self.annotation_definition.description = value

    @property
    def first_definition(self) -> BaseAnnotationDefinition:
        """The definition of the first frame (what ``to_json`` sends at top level)."""
        first = self.frames.state_at(self.start_frame) if len(self.frames) else None
        return first.annotation_definition if first is not None else self.annotation_definition

    @property
    def color(self) -> tuple:
        """RGB color used for MASK drawing and mask PNGs: the mask's own color, else white."""
        own = getattr(self.annotation_definition, "color", None) if self.type == "binary" \
            else None
        return tuple(own) if own else DEFAULT_RGB

    @color.setter
    def color(self, color: tuple) -> None:
        if self.type != "binary":
            raise exceptions.PlatformException(
                "400", "color: only binary (segmentation) annotations store a color")
        if not isinstance(color, tuple) or len(color) != 3:
            raise ValueError(f"color: expected an (r, g, b) tuple, got {color!r}")
        self.annotation_definition.color = color

    def coordinates_of(self, definition: BaseAnnotationDefinition) -> Any:
        """Wire coordinates of ``definition`` (masks are encoded with this annotation's color)."""
        color = self.color if self.type == "binary" else None
        return definition.to_coordinates(color=color)

    @property
    def coordinates(self) -> Any:
        """Wire coordinates of the current frame's definition."""
        return self.coordinates_of(self.annotation_definition)

    @property
    def is_video(self) -> bool:
        """True when the annotation has per-frame states."""
        return len(self.frames) > 0

    @property
    def frame_num(self) -> int:
        """The current frame (the first frame for single-frame annotations)."""
        return self.current_frame if self.is_video else self.start_frame

    @property
    def parent_id(self) -> str | None:
        """``metadata.system.parentId``, or None."""
        return ((self.metadata or {}).get("system") or {}).get("parentId")

    @parent_id.setter
    def parent_id(self, parent_id: str | None) -> None:
        self.metadata.setdefault("system", {})["parentId"] = parent_id

    @property
    def last_frame(self) -> int:
        """The last frame with a state of its own (0 without frames)."""
        keys = self.frames.actual_keys()
        return keys[-1] if keys else 0

    def set_frame(self, frame) -> bool:
        """Show ``frame``'s state; return False (and change nothing) when out of range."""
        state = self.frames.state_at(frame)
        if state is None or frame > self.end_frame:
            return False
        self.current_frame = frame
        self.annotation_definition = state.annotation_definition
        return True

    def add_frame(self, annotation_definition, frame_num=None, fixed=True, object_visible=True):
        """Set the state on ``frame_num`` (default: after the last frame); extend the range.

        Raises:
            ValueError: the definition's type differs from the annotation's.
        """
        if self.annotation_definition is not None and not isinstance(
                annotation_definition, type(self.annotation_definition)):
            raise ValueError("annotation_definition: all frames must have the same type")
        if not self.is_video and self.annotation_definition is not None:
            self.frames.add(FrameAnnotation(self, self.annotation_definition, self.start_frame,
                                            fixed=True, object_visible=True))
        frame_num = self.last_frame + 1 if frame_num is None else frame_num
        if self.annotation_definition is None:
            self.annotation_definition = annotation_definition
            self.type = annotation_definition.type
            self.start_frame = frame_num
        self.start_frame = min(self.start_frame, frame_num)
        self.frames.add(FrameAnnotation(self, annotation_definition, frame_num, fixed,
                                        object_visible))
        self.end_frame = max(self.end_frame or 0, frame_num)
        return True

    def add_frames(self, annotation_definition, frame_num=None, end_frame_num=None,
                   start_time=None, end_time=None, fixed=True, object_visible=True):
        """Set the state on ``frame_num``..``end_frame_num`` (times convert with ``fps``).

        Raises:
            ValueError: a time was given but the annotation has no ``fps``.
        """
        if frame_num is None or (end_frame_num is None and end_time is not None):
            if not self.fps:
                raise ValueError("fps: the annotation needs fps to convert times to frames")
        if frame_num is None:
            frame_num = round(start_time * self.fps)
        if end_frame_num is None:
            end_frame_num = round(end_time * self.fps) if end_time is not None else frame_num
        for frame in range(frame_num, end_frame_num + 1):
            self.add_frame(annotation_definition, frame, fixed=fixed,
                           object_visible=object_visible)
        return True

    def __repr__(self) -> str:
        return (f"Annotation(id={self.id!r}, type={self.type!r}, label={self.label!r}, "
                f"item_id={self.item_id!r})")
