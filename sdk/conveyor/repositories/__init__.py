"""SDK repositories: all I/O for one entity kind each, through the ``ApiClient``."""

from .bots import Bots
from .commands import Commands
from .datasets import Datasets
from .items import Items
from .projects import Projects
from .users import Users

__all__ = ["Bots", "Commands", "Datasets", "Items", "Projects", "Users"]
