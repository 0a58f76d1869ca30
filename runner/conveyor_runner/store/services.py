"""Services and the replicas they report."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from conveyor_runner.errors import ConflictError, NotFoundError
from conveyor_runner.ids import new_id, now_iso
from conveyor_runner.store.query import FieldMap
from conveyor_runner.store.tables import MemberRow, ReplicaRow, ServiceRow

SERVICE_FIELDS = FieldMap(
    columns={
        "id": ServiceRow.id,
        "name": ServiceRow.name,
        "projectId": ServiceRow.project_id,
        "packageId": ServiceRow.package_id,
        "packageRevision": ServiceRow.package_revision,
        "moduleName": ServiceRow.module_name,
        "active": ServiceRow.active,
        "creator": ServiceRow.creator,
        "createdAt": ServiceRow.created_at,
        "updatedAt": ServiceRow.updated_at,
    },
    json_roots={},
    fallback=ServiceRow.doc,
)


def visible_service(session: Session, service_id: str, user_id: str) -> ServiceRow:
    """The service if the user is a member of its project, else ``NotFoundError``."""
    row = session.scalar(
        select(ServiceRow)
        .join(MemberRow, MemberRow.project_id == ServiceRow.project_id)
        .where(ServiceRow.id == service_id, MemberRow.user_id == user_id)
    )
    if row is None:
        raise NotFoundError(f"service {service_id} not found")
    return row


def create(session: Session, **fields) -> ServiceRow:
    """Insert a service. ``ConflictError`` if the project has one with that name."""
    if session.scalar(select(ServiceRow.id).where(
            ServiceRow.project_id == fields["project_id"], ServiceRow.name == fields["name"])):
        raise ConflictError(f"name: the project already has a service named "
                            f"{fields['name']!r}", "name")
    stamp = now_iso()
    row = ServiceRow(id=new_id(), created_at=stamp, updated_at=stamp, revision=1, status={},
                     **fields)
    session.add(row)
    session.flush()
    return row


def all_services(session: Session) -> list[ServiceRow]:
    """Every service (the reconciler's view)."""
    return list(session.scalars(select(ServiceRow).order_by(ServiceRow.id)))


def get(session: Session, service_id: str) -> ServiceRow | None:
    """The service by id, without access checks (internal use)."""
    return session.get(ServiceRow, service_id)


def record_replica(session: Session, service_id: str, replica_id: str, revision: int,
                   state: str, busy: int, info: dict) -> ReplicaRow:
    """Insert or refresh a replica's self-report."""
    stamp = now_iso()
    row = session.get(ReplicaRow, replica_id)
    if row is None:
        row = ReplicaRow(id=replica_id, service_id=service_id, revision=revision, state=state,
                         busy=busy, started_at=stamp, heartbeat_at=stamp, info=info)
        session.add(row)
    else:
        row.revision, row.state, row.busy, row.info = revision, state, busy, info
        row.heartbeat_at = stamp
    return row


def replicas(session: Session, service_id: str) -> list[ReplicaRow]:
    """Replicas that reported for the service, oldest first."""
    return list(session.scalars(select(ReplicaRow).where(
        ReplicaRow.service_id == service_id).order_by(ReplicaRow.started_at)))


def forget_replicas(session: Session, service_id: str, keep: set[str] | None = None) -> None:
    """Drop replica reports of the service, except those in ``keep``."""
    statement = delete(ReplicaRow).where(ReplicaRow.service_id == service_id)
    if keep:
        statement = statement.where(ReplicaRow.id.not_in(keep))
    session.execute(statement)


def delete_service(session: Session, row: ServiceRow) -> None:
    """Delete the service and its replica reports (executions stay in the ledger)."""
    forget_replicas(session, row.id)
    session.delete(row)


def replica(session: Session, replica_id: str) -> ReplicaRow | None:
    """A replica's latest self-report, or None if it never reported."""
    return session.get(ReplicaRow, replica_id)
