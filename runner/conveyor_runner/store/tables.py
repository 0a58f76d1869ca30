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
