"""{{package_name}}: a Conveyor package that counts the items of a dataset matching a DQL filter."""

import logging

import conveyor as dl

logger = logging.getLogger(__name__)


class ServiceRunner(dl.BaseServiceRunner):
    """The functions of the ``default_module`` declared in package.json.

    Conveyor creates one instance per replica and calls one method per execution. Up to
    ``runtime.concurrency`` executions run at a time, in threads.
    """

    def run(self, dataset: dl.Dataset, progress: dl.Progress, query: dict | None = None) -> int:
        """Count the items of ``dataset`` that match ``query``.

        The method only reads; it changes nothing on the server.

        Args:
            dataset: The dataset to count in. Conveyor fetches it from the id in the
                execution input, for example ``{"dataset": "<dataset id>"}``.
            progress: Injected by Conveyor. Its updates appear on the execution.
            query: A DQL filter, for example ``{"$and": [{"dir": "/cats"}]}``, or a full
                DQL body ``{"filter": {...}, "join": {...}}``. It is used exactly as given,
                so folders match too unless the filter says ``{"type": "file"}``. Without
                a query (the input is optional because of the default), every file is
                counted except hidden ones.

        Returns:
            The number of matching items. This is the execution's output.
        """
        filters = dl.Filters() if query is None else dl.Filters(custom_filter=query)
        progress.update(progress=10, message=f"counting items of {dataset.name}")
        count = dataset.items.list(filters=filters).items_count
        logger.info("dataset %s: %d item(s) match %s", dataset.id, count, query)
        return count
