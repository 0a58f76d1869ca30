"""Services and the replicas they report."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, delete, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from conveyor_runner.errors import ConflictError, NotFoundError
from conveyor_runner.ids import new_id, now_iso
from conveyor_runner.store.packages import REVISION_TEXT, modules_of
from conveyor_runner.store.query import FieldMap
from conveyor_runner.store.tables import (
    MemberRow,
    PackageRevisionRow,
    PackageRow,
    ReplicaRow,
    ServiceRow,
)

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


@dataclass(frozen=True)
class ExecutionTarget:
    """What creating an execution of a service needs to know about it.

    ``package_name`` is None when the caller may not see the service's package;
    ``modules`` is None when the service's package revision was never recorded.
    """

    service_id: str
    service_name: str
    project_id: str
    package_id: str
    package_revision: str
    module_name: str
    revision: int
    doc: dict
    package_name: str | None
    modules: list[dict] | None

    @classmethod
    def of(cls, row: ServiceRow, package_name: str | None,
           modules: list[dict] | None) -> ExecutionTarget:
        """The target of a service row already loaded."""
        return cls(row.id, row.name, row.project_id, row.package_id, row.package_revision,
                   row.module_name, row.revision, row.doc, package_name, modules)


def _target_query():
    # Core, on the tables: an ORM-enabled select adds its compile and loading machinery.
    service, package = ServiceRow.__table__.c, PackageRow.__table__.c
    revision = PackageRevisionRow.__table__.c
    service_member = MemberRow.__table__.alias("service_member")
    package_member = MemberRow.__table__.alias("package_member")
    user_id = bindparam("user_id")
    return (
        select(service.id, service.name, service.project_id, service.package_id,
               service.package_revision, service.module_name, service.revision, service.doc,
               package.name, package_member.c.user_id, REVISION_TEXT)
        .select_from(ServiceRow.__table__)
        .join(service_member, and_(service_member.c.project_id == service.project_id,
                                   service_member.c.user_id == user_id))
        .outerjoin(PackageRow.__table__, package.id == service.package_id)
        .outerjoin(package_member, and_(package_member.c.project_id == package.project_id,
                                        package_member.c.user_id == user_id))
        .outerjoin(PackageRevisionRow.__table__, and_(
            revision.package_id == service.package_id,
            revision.version == service.package_revision))
        .where(service.id == bindparam("service_id"))
    )


#: Built once: constructing the aliases and joins cost more than running the query.
_TARGET = _target_query()


def visible_target(session: Session, service_id: str, user_id: str) -> ExecutionTarget:
    """The service as an execution target if the user is a member of its project, else
    ``NotFoundError`` -- in one query with its package's name (if the user is a member of
    the package's project too) and its revision's modules (see ``packages.modules_of``)."""
    row = session.execute(_TARGET, {"service_id": service_id, "user_id": user_id}).first()
    if row is None:
        raise NotFoundError(f"service {service_id} not found")
    *fields, package_name, package_visible, text = row
    return ExecutionTarget(*fields, package_name if package_visible else None,
                           None if text is None else modules_of(text))


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


def settings(session: Session, service_id: str):
    """The service's ``id`` and ``doc`` (its settings: onReset, maxAttempts, ...) as a row
    with those attributes, or None; without access checks (internal use).

    One Core query: the decisions on a batch of claims need no more than this, and loading
    the whole ORM row (with its observed ``status``) cost a third of such a batch.
    """
    return session.execute(_SETTINGS, {"service_id": service_id}).first()


_SETTINGS = (select(ServiceRow.__table__.c.id, ServiceRow.__table__.c.doc)
             .where(ServiceRow.__table__.c.id == bindparam("service_id")))


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


def replica_report(session: Session | Connection, replica_id: str):
    """A replica's latest self-report as a read-only row (``heartbeat_at``, ``info``, ...),
    or None; one Core query (a session or a connection will do)."""
    return session.execute(_REPLICA, {"replica_id": replica_id}).first()


_REPLICA = select(ReplicaRow.__table__).where(
    ReplicaRow.__table__.c.id == bindparam("replica_id"))


def is_visible(session: Session | Connection, service_id: str, user_id: str) -> bool:
    """Whether the user is a member of the service's project; one Core query."""
    return session.execute(_VISIBLE, {"service_id": service_id,
                                      "user_id": user_id}).first() is not None


_VISIBLE = (select(ServiceRow.__table__.c.id)
            .join(MemberRow.__table__,
                  MemberRow.__table__.c.project_id == ServiceRow.__table__.c.project_id)
            .where(ServiceRow.__table__.c.id == bindparam("service_id"),
                   MemberRow.__table__.c.user_id == bindparam("user_id")))
