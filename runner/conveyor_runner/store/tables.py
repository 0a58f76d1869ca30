"""Table definitions of the control plane's database (SQLAlchemy 2.0 declarative).

Fields the wire protocol filters or sorts on are real, indexed columns; the rest of each
entity's JSON lives in JSON columns (JSONB on PostgreSQL). Timestamps are stored as the
wire's ISO-8601 strings, which sort chronologically. Schema changes go through Alembic
(``store/migrations``); never edit a table here without adding a migration.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: JSON on SQLite, JSONB on PostgreSQL (indexable, compared structurally).
JsonDoc = JSON().with_variant(JSONB(), "postgresql")

ID = String(24)
STAMP = String(24)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class UserRow(Base):
    """A human user or a project bot."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    username: Mapped[str] = mapped_column(String(320))
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    #: "human" or "bot".
    type: Mapped[str] = mapped_column(String(16), default="human")
    password_hash: Mapped[str | None] = mapped_column(String(400))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Bots belong to one project; humans to none.
    project_id: Mapped[str | None] = mapped_column(ID, index=True)
    created_at: Mapped[str] = mapped_column(STAMP)
    updated_at: Mapped[str] = mapped_column(STAMP)


class ProjectRow(Base):
    """A project: the unit of ownership and isolation."""

    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("owner_id", "name", name="uq_projects_owner_name"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    creator: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[str] = mapped_column(STAMP)
    updated_at: Mapped[str] = mapped_column(STAMP)
    doc: Mapped[dict] = mapped_column(JsonDoc, default=dict)


class MemberRow(Base):
    """A user's role in a project; membership is what grants access."""

    __tablename__ = "project_members"

    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    #: owner, engineer (developer), annotationManager or annotator.
    role: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[str] = mapped_column(STAMP)


class DatasetRow(Base):
    """A dataset of one project; ``system`` datasets (Binaries) are hidden from listings."""

    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_datasets_project_name"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(400))
    system: Mapped[bool] = mapped_column(Boolean, default=False)
    creator: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[str] = mapped_column(STAMP)
    updated_at: Mapped[str] = mapped_column(STAMP)
    updated_by: Mapped[str | None] = mapped_column(String(320))
    metadata_: Mapped[dict] = mapped_column("metadata", JsonDoc, default=dict)
    doc: Mapped[dict] = mapped_column(JsonDoc, default=dict)


class ItemRow(Base):
    """A file or folder of a dataset; the binary lives in the storage driver at ``storage_key``."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("dataset_id", "filename", name="uq_items_dataset_filename"),
        Index("ix_items_dataset_dir", "dataset_id", "dir"),
        Index("ix_items_dataset_id", "dataset_id", "id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    #: Full remote path, starting with "/".
    filename: Mapped[str] = mapped_column(String(2000))
    dir: Mapped[str] = mapped_column(String(2000))
    name: Mapped[str] = mapped_column(String(1000))
    #: "file" or "dir".
    type: Mapped[str] = mapped_column(String(16))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    mimetype: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer, default=0)
    storage_key: Mapped[str | None] = mapped_column(String(200))
    annotations_count: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str | None] = mapped_column(Text)
    creator: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[str] = mapped_column(STAMP)
    updated_at: Mapped[str] = mapped_column(STAMP)
    updated_by: Mapped[str | None] = mapped_column(String(320))
    metadata_: Mapped[dict] = mapped_column("metadata", JsonDoc, default=dict)
    doc: Mapped[dict] = mapped_column(JsonDoc, default=dict)


class AnnotationRow(Base):
    """One annotation of an item."""

    __tablename__ = "annotations"
    __table_args__ = (
        Index("ix_annotations_item", "item_id"),
        Index("ix_annotations_dataset_id", "dataset_id", "id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    dataset_id: Mapped[str] = mapped_column(ID)
    type: Mapped[str] = mapped_column(String(32))
    label: Mapped[str | None] = mapped_column(String(1000))
    creator: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[str] = mapped_column(STAMP)
    updated_at: Mapped[str] = mapped_column(STAMP)
    updated_by: Mapped[str | None] = mapped_column(String(320))
    coordinates: Mapped[object] = mapped_column(JsonDoc, nullable=True)
    metadata_: Mapped[dict] = mapped_column("metadata", JsonDoc, default=dict)
    doc: Mapped[dict] = mapped_column(JsonDoc, default=dict)


class CommandRow(Base):
    """A long-running operation the caller can poll (clone, batch execute, export ...)."""

    __tablename__ = "commands"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    progress: Mapped[int] = mapped_column(Integer, default=0)
    owner_id: Mapped[str] = mapped_column(ID, index=True)
    created_at: Mapped[str] = mapped_column(STAMP)
    updated_at: Mapped[str] = mapped_column(STAMP)
    spec: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class SettingRow(Base):
    """Server-wide key/value settings (the JWT signing key lives here)."""

    __tablename__ = "server_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class PackageRow(Base):
    """A package: modules and functions, with a codebase; revisions keep every version."""

    __tablename__ = "packages"
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_packages_project_name"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16), default="faas")
    creator: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[str] = mapped_column(STAMP)
    updated_at: Mapped[str] = mapped_column(STAMP)
    #: modules, codebase, requirements, serviceConfig, slots, metadata, ... (wire keys).
    doc: Mapped[dict] = mapped_column(JsonDoc, default=dict)


class PackageRevisionRow(Base):
    """The package JSON as it was at one version."""

    __tablename__ = "package_revisions"
    __table_args__ = (
        UniqueConstraint("package_id", "version", name="uq_package_revisions_version"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    package_id: Mapped[str] = mapped_column(
        ForeignKey("packages.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(STAMP)
    doc: Mapped[dict] = mapped_column(JsonDoc, default=dict)


class ServiceRow(Base):
    """A deployed package module: desired replicas, runtime settings, its bot."""

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_services_project_name"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    package_id: Mapped[str] = mapped_column(ForeignKey("packages.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    package_revision: Mapped[str] = mapped_column(String(64))
    module_name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    bot_id: Mapped[str | None] = mapped_column(ID)
    #: Bumped whenever running replicas must be replaced (code or runtime change).
    revision: Mapped[int] = mapped_column(Integer, default=1)
    creator: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[str] = mapped_column(STAMP)
    updated_at: Mapped[str] = mapped_column(STAMP)
    updated_by: Mapped[str | None] = mapped_column(String(320))
    #: runtime, initParams, maxAttempts, executionTimeout, drainTime, onReset, ... (wire keys).
    doc: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    #: What the control plane observed: replica errors, crash loops, scaling decisions.
    status: Mapped[dict] = mapped_column(JsonDoc, default=dict)


class ExecutionRow(Base):
    """The ledger: one record per invocation, written before its message is published."""

    __tablename__ = "executions"
    __table_args__ = (
        Index("ix_executions_service_status", "service_id", "status"),
        Index("ix_executions_project_id", "project_id", "id"),
        Index("ix_executions_unpublished", "published"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE")
    )
    service_id: Mapped[str] = mapped_column(ID)
    function_name: Mapped[str] = mapped_column(String(200))
    #: The latest status: created, in-progress, success, failed, terminated, ...
    status: Mapped[str] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    to_terminate: Mapped[bool] = mapped_column(Boolean, default=False)
    #: False until the queue confirmed the message (the dispatcher retries the rest).
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Id of the current queue message; deliveries of older messages are stale duplicates.
    dispatch_id: Mapped[str] = mapped_column(ID)
    replica_id: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[str | None] = mapped_column(STAMP)
    creator: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[str] = mapped_column(STAMP)
    updated_at: Mapped[str] = mapped_column(STAMP)
    duration: Mapped[float | None] = mapped_column()
    input: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    output: Mapped[object] = mapped_column(JsonDoc, nullable=True)
    status_log: Mapped[list] = mapped_column(JsonDoc, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    #: trigger, pipeline, eventContext, package name/revision, ... (wire keys).
    doc: Mapped[dict] = mapped_column(JsonDoc, default=dict)


class ExecutionLogRow(Base):
    """One log line an execution (or its replica) wrote."""

    __tablename__ = "execution_logs"
    __table_args__ = (
        Index("ix_execution_logs_execution", "execution_id", "id"),
        Index("ix_execution_logs_service", "service_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    execution_id: Mapped[str | None] = mapped_column(ID)
    service_id: Mapped[str] = mapped_column(ID)
    replica_id: Mapped[str | None] = mapped_column(String(100))
    timestamp: Mapped[str] = mapped_column(STAMP)
    level: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)


class ReplicaRow(Base):
    """A replica as it reported itself: alive, busy, or failing to load its code."""

    __tablename__ = "replicas"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    service_id: Mapped[str] = mapped_column(ID, index=True)
    revision: Mapped[int] = mapped_column(Integer)
    #: starting, ready, draining, failed, exited.
    state: Mapped[str] = mapped_column(String(16))
    busy: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[str] = mapped_column(STAMP)
    heartbeat_at: Mapped[str] = mapped_column(STAMP)
    info: Mapped[dict] = mapped_column(JsonDoc, default=dict)


class TriggerRow(Base):
    """An event or cron trigger that creates executions of one service function."""

    __tablename__ = "triggers"
    __table_args__ = (
        Index("ix_triggers_project_id", "project_id", "id"),
        Index("ix_triggers_due", "type", "active", "next_fire_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    #: The target service; its deletion deletes the trigger.
    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: "Event" or "Cron".
    type: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    creator: Mapped[str] = mapped_column(String(320))
    creator_id: Mapped[str] = mapped_column(ID)
    created_at: Mapped[str] = mapped_column(STAMP)
    updated_at: Mapped[str] = mapped_column(STAMP)
    updated_by: Mapped[str | None] = mapped_column(String(320))
    #: Cron only: the slot the scheduler fires next (claimed with a conditional UPDATE).
    next_fire_at: Mapped[str | None] = mapped_column(STAMP)
    #: spec (filter, resource, actions, executionMode, cron, startAt, endAt, input,
    #: operation), scope, templateTriggerId, lastError (wire keys).
    doc: Mapped[dict] = mapped_column(JsonDoc, default=dict)


class TriggerFiredRow(Base):
    """An ``executionMode: Once`` trigger already ran for this resource."""

    __tablename__ = "trigger_fired"

    trigger_id: Mapped[str] = mapped_column(
        ForeignKey("triggers.id", ondelete="CASCADE"), primary_key=True)
    resource_id: Mapped[str] = mapped_column(ID, primary_key=True)
    created_at: Mapped[str] = mapped_column(STAMP)


class EventRow(Base):
    """The event outbox: one row per committed change to an item, dataset or annotation.

    Written in the transaction that made the change, so an event exists exactly when its
    change committed; the trigger engine deletes it in the transaction that records the
    executions it caused.
    """

    __tablename__ = "event_outbox"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    #: Item, Dataset or Annotation.
    resource: Mapped[str] = mapped_column(String(32))
    #: Created, Updated, Deleted or Clone.
    action: Mapped[str] = mapped_column(String(32))
    project_id: Mapped[str] = mapped_column(ID)
    dataset_id: Mapped[str | None] = mapped_column(ID)
    resource_id: Mapped[str] = mapped_column(ID)
    user_id: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[str] = mapped_column(STAMP)
    #: The row's columns as committed (for Deleted: as they were before the deletion).
    snapshot: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    #: Failed processing attempts; at the engine's limit the event is kept but skipped.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
