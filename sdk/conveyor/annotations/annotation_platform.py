"""Relations, server calls and drawing of an ``Annotation`` (a mixin, to keep modules small)."""

from __future__ import annotations

from conveyor import exceptions
from conveyor.annotations import annotation_view
from conveyor.annotations.enums import AnnotationStatus, ViewAnnotationOptions


class AnnotationPlatformMixin:
    """What an Annotation does with its item, its repository and pixels.

    Expects the host class to define ``_item``, ``_dataset``, ``_client_api``,
    ``_annotations``, ``id``, ``dataset_id`` and the timestamps.
    """
    # -- relations -----------------------------------------------------------------------

    @property
    def item(self):
        """The annotated Item, or None."""
        return self._item

    @property
    def dataset(self):
        """The dataset given at construction, else the item's dataset (None when unknown)."""
        if self._dataset is None and self._item is not None:
            self._dataset = getattr(self._item, "dataset", None)
        return self._dataset

    @property
    def client_api(self):
        """The ApiClient: given at construction, else the item's.

        Raises:
            BadRequest: neither a client nor an item is known.
        """
        if self._client_api is None and self._item is not None:
            self._client_api = getattr(self._item, "client_api", None) or getattr(
                self._item, "_client_api", None)
        if self._client_api is None:
            raise exceptions.PlatformException(
                "400", "item: this action needs an item (or a client); set annotation.item")
        return self._client_api

    @property
    def annotations(self):
        """The Annotations repository of this annotation's item/dataset."""
        if self._annotations is None:
            from conveyor.repositories.annotations import Annotations  # noqa: PLC0415 - cycle

            self._annotations = Annotations(client_api=self.client_api, item=self._item,
                                            dataset=self._dataset, dataset_id=self.dataset_id)
        return self._annotations

    @property
    def createdAt(self):  # noqa: N802 - dtlpy name
        """Alias of ``created_at``."""
        return self.created_at

    @property
    def updatedAt(self):  # noqa: N802 - dtlpy name
        """Alias of ``updated_at``."""
        return self.updated_at

    @property
    def updatedBy(self):  # noqa: N802 - dtlpy name
        """Alias of ``updated_by``."""
        return self.updated_by

    # -- platform ------------------------------------------------------------------------

    def upload(self):
        """Create this annotation on the server; return the created Annotation."""
        return self.annotations.upload(annotations=self)[0]

    def update(self, system_metadata=False):
        """Send what changed since it was received (PUT diff); return the server's version.

        Args:
            system_metadata: Allow changes to ``metadata.system`` (``?system=true``).
        """
        return self.annotations.update(annotations=self, system_metadata=system_metadata)[0]

    def delete(self) -> bool:
        """Delete this annotation on the server.

        Raises:
            BadRequest: the annotation has no id (it was never uploaded).
        """
        if self.id is None:
            raise exceptions.PlatformException(
                "400", "id: cannot delete an annotation that was not fetched from the server")
        return self.annotations.delete(annotation_id=self.id)

    def update_status(self, status: AnnotationStatus = AnnotationStatus.ISSUE):
        """Set the review status (CLEAR removes it) and update with system metadata.

        Raises:
            ValueError: ``status`` is not an ``AnnotationStatus``.
        """
        return self.annotations.update_status(annotation=self, status=status)

    # -- rendering -----------------------------------------------------------------------

    def show(self, image=None, thickness=None, with_text=False, height=None, width=None,
             annotation_format: ViewAnnotationOptions = ViewAnnotationOptions.MASK, color=None,
             label_instance_dict=None, alpha=1, frame_num=None):
        """Draw this annotation and return the canvas; see ``annotation_view.show``."""
        return annotation_view.show(self, image=image, thickness=thickness,
                                    with_text=with_text, height=height, width=width,
                                    annotation_format=annotation_format, color=color,
                                    label_instance_dict=label_instance_dict, alpha=alpha,
                                    frame_num=frame_num)

    def download(self, filepath: str,
                 annotation_format: ViewAnnotationOptions = ViewAnnotationOptions.JSON,
                 height: float | None = None, width: float | None = None, thickness: int = 1,
                 with_text: bool = False, alpha: float = 1) -> str:
        """Write this annotation to ``filepath``; see ``annotation_view.download``."""
        return annotation_view.download(self, filepath, annotation_format, height=height,
                                        width=width, thickness=thickness, with_text=with_text,
                                        alpha=alpha)
