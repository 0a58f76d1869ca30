"""Project lifecycle decisions: what a new project contains and what deleting one removes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from conveyor_runner.store import datasets, projects
from conveyor_runner.store.tables import ProjectRow, UserRow


def create_project(session: Session, name: str, owner: UserRow) -> ProjectRow:
    """Create a project and its hidden ``Binaries`` dataset (codebases, artifacts live there)."""
    project = projects.create_project(session, name, owner)
    datasets.create_dataset(
        session, project.id, datasets.BINARIES, owner.email, system=True,
        metadata={"system": {"scope": "system"}},
    )
    return project


def delete_project(session: Session, project: ProjectRow) -> list[str]:
    """Delete the project and everything in it; returns the storage keys to delete.

    The caller deletes the returned binaries only after the transaction commits, so a
    rollback never leaves records whose files are gone.
    """
    keys = datasets.storage_keys(session, datasets.project_dataset_ids(session, project.id))
    projects.delete_project(session, project)
    return keys
