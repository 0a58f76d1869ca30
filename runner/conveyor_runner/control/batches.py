"""Batch operations run as Commands: one execution per entity a DQL query selects, and
reruns of the executions a query selects."""

from __future__ import annotations

from sqlalchemy import select

from conveyor_runner.control import executions as ledger
from conveyor_runner.control.auth import Principal
from conveyor_runner.control.background import run_command
from conveyor_runner.control.dql import parse_query
from conveyor_runner.control.package_spec import find_function
from conveyor_runner.errors import InvalidInputError
from conveyor_runner.store import commands, executions, packages, services
from conveyor_runner.store.annotations import ANNOTATION_FIELDS
from conveyor_runner.store.executions import EXECUTION_FIELDS
from conveyor_runner.store.items import ITEM_FIELDS
from conveyor_runner.store.query import all_matching
from conveyor_runner.store.tables import (
    AnnotationRow,
    DatasetRow,
    ExecutionRow,
    ItemRow,
    MemberRow,
    ServiceRow,
)

CHUNK = 500
_TARGETS = {"items": ("Item", ItemRow, ITEM_FIELDS, "item_id"),
            "annotations": ("Annotation", AnnotationRow, ANNOTATION_FIELDS, "annotation_id")}


def entity_input(session, service: ServiceRow, function_name: str, resource: str) -> str:
    """The function's input that receives each selected entity.

    Raises:
        InvalidInputError: unknown function, unsupported resource, or no input of that type.
    """
    if resource not in _TARGETS:
        raise InvalidInputError("batch.query.resource: must be 'items' or 'annotations'",
                                "batch.query.resource")
    modules = packages.revision(session, service.package_id, service.package_revision).doc.get(
        "modules", [])
    function = find_function(modules, service.module_name, function_name)
    if function is None:
        raise InvalidInputError(f"functionName: service {service.name} has no function "
                                f"{function_name!r}", "functionName")
    kind = _TARGETS[resource][0]
    for io in function.get("input", []):
        if io["type"] == kind:
            return io["name"]
    raise InvalidInputError(f"batch: function {function_name!r} has no {kind} input",
                            "batch.query")


def start_batch(state, principal: Principal, service_id: str, function_name: str,
                batch: dict):
    """Validate the batch and start it; returns the Command row (``in-progress``)."""
    if not isinstance(batch, dict) or not isinstance(batch.get("query"), dict):
        raise InvalidInputError("batch.query: a DQL object is required", "batch.query")
    query = parse_query({**batch["query"], "resource": batch["query"].get("resource", "items")})
    args = batch.get("args") or {}
    if not isinstance(args, dict):
        raise InvalidInputError("batch.args: must be an object", "batch.args")
    with state.db.transaction() as session:
        service = services.visible_service(session, service_id, principal.user_id)
        input_name = entity_input(session, service, function_name, query.resource)
        command = commands.create(session, principal.user_id, "execution-batch",
                                  {"serviceId": service_id, "functionName": function_name},
                                  status="in-progress")
    run_command(state.db, command.id, lambda: {"executionCount": _create_all(
        state, principal, service_id, function_name, query, input_name, args)})
    return command


def _create_all(state, principal, service_id, function_name, query, input_name, args) -> int:
    _, table, fields, key = _TARGETS[query.resource]
    with state.db.transaction() as session:
        service = services.visible_service(session, service_id, principal.user_id)
        base = select(table).join(DatasetRow, DatasetRow.id == table.dataset_id).where(
            DatasetRow.project_id == service.project_id)
        if query.resource == "items":
            base = base.where(ItemRow.type == "file")
        ids = [row.id for row in all_matching(session, base, query, fields)]
    created = 0
    for start in range(0, len(ids), CHUNK):
        # One INSERT per chunk, as the API's intake writes a group of creations. Each
        # entity was selected in the service's project, which the caller is a member of:
        # it is not looked up again, one query per execution.
        with state.db.transaction() as session:
            target = services.visible_target(session, service_id, principal.user_id)
            rows = executions.insert_new(session, [
                ledger.new_for_target(session, target, principal.user_id, principal.email,
                                      function_name, args,
                                      trusted={input_name: {key: entity_id}})
                for entity_id in ids[start:start + CHUNK]])
        state.plane.dispatcher.publish(rows)
        created += len(rows)
    return created


def start_rerun(state, principal: Principal, raw_filter: object):
    """Rerun every finished execution the filter selects (in the caller's projects), as a
    Command; executions still queued or running are left alone."""
    if raw_filter is not None and not isinstance(raw_filter, dict):
        raise InvalidInputError("query: must be a DQL filter object", "query")
    query = parse_query({"filter": raw_filter or {}, "resource": "executions"})
    with state.db.transaction() as session:
        command = commands.create(session, principal.user_id, "execution-rerun", {},
                                  status="in-progress")
    run_command(state.db, command.id,
                lambda: {"rerunCount": _rerun_all(state, principal, query)})
    return command


def _rerun_all(state, principal: Principal, query) -> int:
    with state.db.transaction(exclusive=True) as session:
        base = select(ExecutionRow).join(
            MemberRow, MemberRow.project_id == ExecutionRow.project_id).where(
            MemberRow.user_id == principal.user_id)
        rows = [row for row in all_matching(session, base, query, EXECUTION_FIELDS)
                if row.status in ledger.TERMINAL]
        for row in rows:
            ledger.rerun(row)
    state.plane.dispatcher.publish(rows)
    state.plane.waiters.notify()
    return len(rows)
