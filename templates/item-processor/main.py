"""{{package_name}}: a Conveyor package that classifies items and marks them as processed."""

import logging

import conveyor as dl

logger = logging.getLogger(__name__)

#: the value written to ``metadata.user.processedBy`` of every item this package processes
PROCESSOR = "{{package_name}}"


class ServiceRunner(dl.BaseServiceRunner):
    """The functions of the ``default_module`` declared in package.json.

    Conveyor creates one instance per replica with the service's ``initParams`` and calls
    one method per execution. Up to ``runtime.concurrency`` executions run at a time, in
    threads.

    Args:
        label: The label of the classification that ``run`` adds. It is declared as an
            init input in package.json and set by the service's ``initParams``.
    """

    def __init__(self, label: str = "processed"):
        self.label = label

    def run(self, item: dl.Item, progress: dl.Progress) -> dl.Item:
        """Classify ``item`` with ``self.label`` and mark it as processed.

        After it returns, the item on the server has one more ``Classification``
        annotation, and its ``metadata.user.processedBy`` is this package's name.

        Args:
            item: The item to process. Conveyor fetches it from the id in the execution
                input, for example ``{"item": "<item id>"}``.
            progress: Injected by Conveyor. Its updates appear on the execution.

        Returns:
            The updated item. The execution's output is ``{"item_id": "<id>"}``.
        """
        progress.update(progress=10, message=f"classifying {item.filename} as {self.label}")
        builder = item.annotations.builder()
        builder.add(annotation_definition=dl.Classification(label=self.label))
        builder.upload()
        progress.update(progress=60, message="annotation uploaded")
        item.metadata.setdefault("user", {})["processedBy"] = PROCESSOR
        item = item.update()
        logger.info("item %s classified as %s", item.id, self.label)
        return item
