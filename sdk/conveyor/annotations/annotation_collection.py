"""``AnnotationCollection``: the annotations of one item, built, drawn and sent together."""

from __future__ import annotations

import json
import logging

import numpy as np

from conveyor import exceptions
from conveyor.annotations import annotation_view
from conveyor.annotations.annotation import Annotation
from conveyor.annotations.definitions import Segmentation, Subtitle
from conveyor.annotations.enums import ViewAnnotationOptions

logger = logging.getLogger("conveyor")


def _model_metadata(metadata: dict | None, model_info: dict) -> dict:
    """``metadata`` with ``user.model = {confidence, name, model_id}`` from ``model_info``."""
    if not isinstance(model_info, dict) or "confidence" not in model_info:
        raise ValueError('model_info: must be a dict with key "confidence"')
    confidence = float(model_info["confidence"])
    if not 0 <= confidence <= 1:
        raise ValueError(f"model_info: confidence must be between 0 and 1, got {confidence}")
    metadata = {} if metadata is None else metadata
    metadata.setdefault("user", {})["model"] = {
        "confidence": confidence, "name": model_info.get("name"),
        "model_id": model_info.get("model_id")}
    return metadata


class AnnotationCollection:
    """An ordered list of Annotations of one item (the "builder").

    Iterating, ``len`` and indexing work on ``annotations``. ``upload``/``update``/
    ``delete`` need ``item``.

    Attributes:
        item: The annotated Item, or None.
        annotations: The Annotation list.
    """

    def __init__(self, item=None, annotations=None, dataset=None, colors=None) -> None:
        """Create a collection; ``colors`` maps label -> RGB for MASK drawing."""
        self.item = item
        self.annotations: list[Annotation] = list(annotations) if annotations else []
        self._dataset = dataset
        self._colors = colors

    @property
    def dataset(self):
        """The dataset given, else the item's (None when unknown)."""
        if self._dataset is None and self.item is not None:
            self._dataset = getattr(self.item, "dataset", None)
        return self._dataset

    def __iter__(self):
        return iter(self.annotations)

    def __getitem__(self, index: int) -> Annotation:
        return self.annotations[index]

    def __len__(self) -> int:
        return len(self.annotations)

    def __repr__(self) -> str:
        return f"AnnotationCollection(item={getattr(self.item, 'id', None)!r}, n={len(self)})"

    def add(self, annotation_definition, object_id=None, frame_num=None, end_frame_num=None,
            start_time=None, end_time=None, automated=True, fixed=True, object_visible=True,
            metadata=None, parent_id=None, prompt_id=None, model_info=None) -> None:
        """Add one annotation per definition (a definition or a list of them).

        On a video (``frame_num`` or ``start_time`` given, item not audio) the definition
        becomes a frame state of the annotation with the same ``object_id``, created on
        first use; ``object_id`` is then required.

        Args:
            annotation_definition: ``Box``, ``Polygon``, ... or a list of them.
            object_id: Numeric id linking the frames of one object.
            frame_num: First video frame.
            end_frame_num: Last video frame of this state.
            start_time: Video start (s).
            end_time: Video end (s).
            automated: Sent as ``metadata.system.automated``.
            fixed: Video only: mark the frames as key frames.
            object_visible: Video only: the object is visible.
            metadata: Metadata of the new annotations.
            parent_id: Parent annotation id.
            prompt_id: Stored as ``metadata.system.promptId``.
            model_info: ``{"confidence": 0..1, "name"?, "model_id"?}`` -> ``metadata.user.model``.

        Raises:
            ValueError: bad ``model_info``/``object_id``, or a video frame without object id.
        """
        if model_info is not None:
            metadata = _model_metadata(metadata, model_info)
        if prompt_id is not None:
            metadata = {} if metadata is None else metadata
            metadata.setdefault("system", {})["promptId"] = prompt_id
        definitions = annotation_definition if isinstance(annotation_definition, list) \
            else [annotation_definition]
        for definition in definitions:
            annotation = Annotation.new(item=self.item, annotation_definition=definition,
                                        frame_num=frame_num, automated=automated,
                                        metadata=metadata, object_id=object_id,
                                        parent_id=parent_id, start_time=start_time,
                                        end_time=end_time, dataset=self._dataset)
            if (frame_num is None and start_time is None) or self._is_audio():
                self.annotations.append(annotation)
                continue
            if object_id is None:
                raise ValueError("object_id: required for video annotations")
            target = self._by_object_id(annotation.object_id, annotation)
            target.add_frames(definition, frame_num=frame_num, end_frame_num=end_frame_num,
                              start_time=start_time, end_time=end_time, fixed=fixed,
                              object_visible=object_visible)

    def _is_audio(self) -> bool:
        return "audio" in (getattr(self.item, "mimetype", None) or "")

    def _by_object_id(self, object_id: str, new: Annotation) -> Annotation:
        matches = [a for a in self.annotations if a.object_id == object_id]
        if len(matches) > 1:
            raise exceptions.PlatformException(
                "400", f"object_id: more than one annotation with object id {object_id}")
        if matches:
            return matches[0]
        self.annotations.append(new)
        return new

    def from_instance_mask(self, mask, instance_map=None) -> None:
        """Add one Segmentation per label whose instance id occurs in ``mask``.

        Args:
            mask: 2-D array of instance ids.
            instance_map: label -> instance id (default: the dataset's ``instance_map``).

        Raises:
            ValueError: no ``instance_map`` given and the dataset has none.
        """
        if instance_map is None:
            instance_map = getattr(self.dataset, "instance_map", None)
        if instance_map is None:
            raise ValueError("instance_map: required (the dataset has no instance map)")
        for label, instance_id in instance_map.items():
            region = np.asarray(mask) == instance_id
            if region.any():
                self.add(annotation_definition=Segmentation(geo=region, label=label))

    def from_vtt_file(self, filepath) -> None:
        """Add one ``Subtitle`` (label ``Text``) per caption of a WebVTT file."""
        for start, end, text in annotation_view.read_vtt(filepath):
            self.annotations.append(Annotation.new(
                item=self.item, annotation_definition=Subtitle(text=text, label="Text"),
                start_time=start, end_time=end, dataset=self._dataset))

    def get_frame(self, frame_num) -> AnnotationCollection:
        """Return a collection of the annotations present on ``frame_num``, set to that frame."""
        frame = AnnotationCollection(item=self.item, dataset=self._dataset, colors=self._colors)
        for annotation in self.annotations:
            if annotation.set_frame(frame_num):
                frame.annotations.append(annotation)
        return frame

    # -- drawing -------------------------------------------------------------------------

    def show(self, image=None, thickness=None, with_text=False, height=None, width=None,
             annotation_format: ViewAnnotationOptions = ViewAnnotationOptions.MASK,
             label_instance_dict=None, color=None, alpha=1.0, frame_num=None):
        """Draw every annotation on one canvas and return it.

        Masks (``binary``) are drawn first so that outlines stay visible on top of them.
        Labels found in ``colors`` use that RGB on MASK canvases. See ``Annotation.show``.

        Raises:
            ValueError: missing size or image, unknown format, alpha outside [0, 1].
        """
        ordered = sorted(self.annotations, key=lambda a: a.type != "binary")
        if not ordered:
            height, width = self._size(image, height, width)
            return annotation_view.rendering.prepare_canvas(image, annotation_format, height,
                                                            width, label_instance_dict)
        for annotation in ordered:
            image = annotation.show(image=image, thickness=thickness, with_text=with_text,
                                    height=height, width=width,
                                    annotation_format=annotation_format,
                                    color=self._color_for(annotation, annotation_format, color,
                                                          alpha),
                                    label_instance_dict=label_instance_dict, alpha=alpha,
                                    frame_num=frame_num)
        return image

    def _size(self, image, height, width) -> tuple:
        height = height if height is not None else getattr(self.item, "height", None)
        width = width if width is not None else getattr(self.item, "width", None)
        if image is not None:
            return image.shape[0], image.shape[1]
        return height, width

    def _color_for(self, annotation, annotation_format, color, alpha):
        if color is not None or not self._colors or annotation.label not in self._colors:
            return color
        if ViewAnnotationOptions(annotation_format) in annotation_view.rendering.ID_FORMATS:
            return None
        return (*tuple(self._colors[annotation.label])[:3], int(alpha * 255))

    def download(self, filepath, img_filepath=None,
                 annotation_format: ViewAnnotationOptions = ViewAnnotationOptions.JSON,
                 height=None, width=None, thickness=1, with_text=False, orientation=0,
                 alpha=1) -> str:
        """Write the collection to ``filepath`` and return the path written.

        JSON: ``{"_id", "filename", "annotations": [...], "metadata"}`` of the item.
        MASK/INSTANCE/OBJECT_ID: the ``show`` canvas as PNG. ANNOTATION_ON_IMAGE: drawn
        on ``img_filepath`` (default: the item's pixels). VTT: the subtitles. A path without
        extension is a folder; the file is named after the item. ``orientation`` (EXIF) is
        accepted for dtlpy compatibility and not applied.

        Raises:
            ValueError: unknown format or missing size/image.
        """
        return annotation_view.download_collection(
            self, filepath, img_filepath=img_filepath, annotation_format=annotation_format,
            height=height, width=width, thickness=thickness, with_text=with_text, alpha=alpha)

    # -- wire ----------------------------------------------------------------------------

    @classmethod
    def from_json(cls, _json, item=None, is_video=None, fps=25, height=None, width=None,
                  client_api=None, is_audio=None) -> AnnotationCollection:
        """Build from a list of annotation JSONs, or ``{"annotations": [...], ...}``.

        Annotations that fail to parse are skipped with a warning. The result is sorted by
        first frame for videos, else by label.
        """
        if isinstance(_json, dict):
            _json = _json.get("annotations", [])
        item_metadata = {"fps": getattr(item, "fps", None) or fps,
                         "height": getattr(item, "height", None) or height,
                         "width": getattr(item, "width", None) or width}
        annotations = []
        for single in _json:
            try:
                annotations.append(Annotation.from_json(
                    single, item=item, client_api=client_api, fps=item_metadata["fps"],
                    item_metadata=item_metadata))
            except (KeyError, TypeError, ValueError) as exc:
                logger.warning("Skipping an annotation that cannot be read: %r", exc)
        if any(a.is_video for a in annotations):
            annotations.sort(key=lambda a: a.start_frame)
        else:
            annotations.sort(key=lambda a: str(a.label))
        return cls(item=item, annotations=annotations)

    @classmethod
    def from_json_file(cls, filepath, item=None) -> AnnotationCollection:
        """Read :meth:`from_json` input from a JSON file."""
        with open(filepath, encoding="utf-8") as f:
            return cls.from_json(json.load(f), item=item)

    def to_json(self) -> dict:
        """Return ``{"_id": item id, "filename": item filename, "annotations": [...]}``."""
        return {"_id": getattr(self.item, "id", None),
                "filename": getattr(self.item, "filename", None),
                "annotations": [a.to_json() for a in self.annotations]}

    def print(self, to_return=False, columns=None):
        """Print (or return, with ``to_return``) a table of id, label, type, object id."""
        columns = columns or ["id", "label", "type", "object_id", "item_id"]
        rows = [[str(getattr(a, c, "")) for c in columns] for a in self.annotations]
        widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(columns)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
        lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
        text = "\n".join(lines)
        if to_return:
            return text
        print(text)
        return None

    # -- platform ------------------------------------------------------------------------

    def _repository(self):
        if self.item is None:
            raise exceptions.PlatformException("400", "item: the collection has no item")
        return self.item.annotations

    def upload(self) -> AnnotationCollection:
        """Create every annotation on the item; return the created ones."""
        return self._repository().upload(self.annotations)

    def update(self, system_metadata=True) -> list:
        """Send each annotation's changes (PUT diff); return the updated annotations."""
        return self._repository().update(annotations=self.annotations,
                                         system_metadata=system_metadata)

    def delete(self) -> list:
        """Delete every annotation on the server; return one result per annotation."""
        repository = self._repository()
        return [repository.delete(annotation_id=a.id) for a in self.annotations]
