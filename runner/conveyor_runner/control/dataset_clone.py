"""Dataset clone: copy the items a DQL filter selects (binaries, metadata, annotations)."""

from __future__ import annotations

from conveyor_runner.control.auth import Principal
from conveyor_runner.control.dql import Query
from conveyor_runner.control.items import clone_item
from conveyor_runner.errors import InvalidInputError
from conveyor_runner.storage.driver import StorageDriver
from conveyor_runner.store import dataset_queries, datasets
from conveyor_runner.store.db import Database

CHUNK = 200


def prepare_target(session, principal: Principal, source_id: str, body: dict) -> str:
    """The dataset to clone into: ``cloneDatasetParams.targetDatasetId`` or a new one named
    ``name`` in the source's project. Raises ``InvalidInputError`` when neither is usable."""
    source = datasets.visible_dataset(session, source_id, principal.user_id)
    params = body.get("cloneDatasetParams") or {}
    if params.get("targetDatasetId"):
        return datasets.visible_dataset(session, params["targetDatasetId"], principal.user_id).id
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError("name: the clone needs a name (or a targetDatasetId)", "name")
    return datasets.create_dataset(session, source.project_id, name, principal.email,
                                   metadata={"system": {"clonedFrom": source.id}}).id


def clone_items(db: Database, storage: StorageDriver, principal: Principal, source_id: str,
                target_id: str, query: Query, params: dict) -> int:
    """Clone every file the query selects into the target, under ``targetDirectory``."""
    with db.transaction() as session:
        ids = [row.id for row in dataset_queries.all_items(session, source_id, query)
               if row.type == "file"]
    prefix = (params.get("targetDirectory") or "").rstrip("/")
    options = {"targetDatasetId": target_id, "cloneDatasetParams": {
        "withItemsAnnotations": params.get("withItemsAnnotations", True),
        "withMetadata": params.get("withMetadata", True)}}
    for start in range(0, len(ids), CHUNK):
        with db.transaction() as session:
            for item_id in ids[start:start + CHUNK]:
                source = dataset_queries.item(session, item_id)
                clone_item(session, storage, principal, source,
                           {**options, "remoteFileName": prefix + source.filename})
    return len(ids)
