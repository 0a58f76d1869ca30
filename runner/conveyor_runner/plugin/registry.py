"""Registry: the classes plugins registered for one role, looked up by name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

from conveyor_runner.errors import PluginConflictError, PluginNotFoundError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names (backend names, URL schemes, codebase types) to plugin classes.

    Args:
        role: human name of the role, used in error messages ("storage driver").
    """

    def __init__(self, role: str) -> None:
        self.role = role
        self._classes: dict[str, type[T]] = {}

    def add(self, name: str, cls: type[T]) -> None:
        """Register ``cls`` under ``name``.

        Raises:
            PluginConflictError: another class already holds the name.
        """
        existing = self._classes.get(name)
        if existing is not None and existing is not cls:
            raise PluginConflictError(
                f"two plugins register the {self.role} {name!r}: "
                f"{existing.__module__}.{existing.__qualname__} and "
                f"{cls.__module__}.{cls.__qualname__}"
            )
        self._classes[name] = cls

    def get(self, name: str) -> type[T]:
        """Return the class registered under ``name``.

        Raises:
            PluginNotFoundError: nothing is registered under ``name``; the message lists
                what is installed.
        """
        try:
            return self._classes[name]
        except KeyError:
            installed = ", ".join(sorted(self._classes)) or "none"
            raise PluginNotFoundError(
                f"unknown {self.role} {name!r}; installed: {installed}"
            ) from None

    def names(self) -> list[str]:
        """Every registered name, sorted."""
        return sorted(self._classes)

    def items(self) -> Iterable[tuple[str, type[T]]]:
        """``(name, class)`` pairs, sorted by name."""
        return sorted(self._classes.items())
