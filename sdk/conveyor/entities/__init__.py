"""SDK entities: data plus thin delegation to repositories."""

from .base import BaseEntity, Field
from .bot import Bot
from .command import Command, CommandsStatus
from .dataset import Dataset, ExpirationOptions, IndexDriver
from .directory_tree import DirectoryTree, SingleDirectory
from .item import ExportMetadata, Item, ItemStatus
from .paged_entities import PagedEntities
from .project import MemberRole, Project
from .query import PreparedQuery, RawQuery
from .user import User

__all__ = [
    "BaseEntity",
    "Bot",
    "Command",
    "CommandsStatus",
    "Dataset",
    "DirectoryTree",
    "ExpirationOptions",
    "ExportMetadata",
    "Field",
    "IndexDriver",
    "Item",
    "ItemStatus",
    "MemberRole",
    "PagedEntities",
    "PreparedQuery",
    "Project",
    "RawQuery",
    "SingleDirectory",
    "User",
]
