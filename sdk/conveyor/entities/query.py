"""DQL bodies as plain dicts: what repositories send to the ``/query`` endpoints.

``Filters`` (``conveyor.entities.filters``) is the user-facing builder; the pager and the
repositories only rely on its ``prepare()``, ``resource``, ``page_size``, ``sort`` and
``custom_filter``. ``RawQuery`` offers exactly that surface over a literal DQL dict, for
internal queries (``items.get(filepath=...)``) and for users who pass a dict.
"""

from __future__ import annotations

import copy
import enum
from typing import Any

#: default clauses dtlpy's Filters adds for items (visible files only)
ITEM_DEFAULT_CLAUSES = ({"hidden": False}, {"type": "file"})


def enum_value(value: Any) -> Any:
    """``value.value`` for enums (``str(Enum)`` is not the value on Python 3.11+)."""
    return value.value if isinstance(value, enum.Enum) else value


class PreparedQuery(dict):
    """A prepared DQL body (a ``dict``) that also answers ``prepare()`` and ``resource``.

    ``PagedEntities`` passes one to the list function, so repositories may treat it as
    the JSON body directly or call ``prepare()`` on it as they would on ``Filters``.
    """

    def prepare(self, *args: Any, **kwargs: Any) -> dict:
        """Return a deep copy of the body as a plain dict (arguments are ignored)."""
        return copy.deepcopy(dict(self))

    @property
    def resource(self) -> Any:
        """The body's ``resource``."""
        return self.get("resource")

    @property
    def custom_filter(self) -> None:
        """Always None: the body is final."""
        return None


class RawQuery:
    """Filters-like wrapper of a literal DQL dict.

    Args:
        dql: body with at least ``filter`` (clauses ``{"$and": [...], "$or": [...]}``);
            ``sort``, ``join``, ``context``, ``systemSpace`` are kept.
        resource: the resource queried (``items``, ``annotations``, ``datasets`` ...).
        page_size: default page size.
        custom: treat as a user's custom filter (disables keyset paging, like dtlpy).
    """

    def __init__(
        self,
        dql: dict | None = None,
        resource: str = "items",
        page_size: int | None = None,
        custom: bool = False,
    ):
        body = copy.deepcopy(dql) if dql else {}
        if (
            "filter" not in body
            and body
            and not {"sort", "page", "pageSize", "resource"} & set(body)
        ):
            body = {"filter": body}  # a bare clause dict, as dtlpy wraps custom filters
        body.setdefault("filter", {})
        self.resource = enum_value(body.get("resource", resource))
        self.page_size = page_size if page_size is not None else body.get("pageSize")
        self.page = body.get("page", 0)
        self.sort: dict = dict(body.get("sort") or {})
        self._body = body
        self.custom_filter = body if custom else None

    @classmethod
    def items(cls, *clauses: dict, defaults: bool = True, **kwargs: Any) -> RawQuery:
        """Item query with ``clauses`` ANDed (plus dtlpy's defaults unless ``defaults=False``)."""
        extra = list(ITEM_DEFAULT_CLAUSES) if defaults else []
        wanted = [c for c in extra if next(iter(c)) not in {next(iter(x)) for x in clauses}]
        return cls({"filter": {"$and": [*wanted, *clauses]}}, resource="items", **kwargs)

    @classmethod
    def of(cls, filters: Any, resource: str) -> Any:
        """``filters`` itself when it is Filters-like, a ``RawQuery`` for a dict, else defaults.

        Raises:
            TypeError: ``filters`` is neither None, a dict, nor has ``prepare()``.
        """
        if filters is None:
            return cls.items() if resource == "items" else cls({}, resource=resource)
        if isinstance(filters, dict):
            return cls(filters, resource=resource, custom=True)
        if callable(getattr(filters, "prepare", None)):
            return filters
        raise TypeError(f"filters: expected dl.Filters or a DQL dict, got {type(filters).__name__}")

    def prepare(self, *args: Any, **kwargs: Any) -> dict:
        """The DQL body with ``resource``, ``page``, ``pageSize`` and ``sort`` filled in."""
        body = copy.deepcopy(self._body)
        body["resource"] = self.resource
        body["page"] = self.page
        if self.page_size is not None:
            body["pageSize"] = self.page_size
        if self.sort:
            body["sort"] = dict(self.sort)
        return body


def add_and_clause(body: dict, clause: dict) -> dict:
    """Append ``clause`` to ``body['filter']['$and']`` (created when missing); returns body."""
    flt = body.setdefault("filter", {})
    if not isinstance(flt, dict):
        raise TypeError("filter: expected a DQL object")
    flt.setdefault("$and", []).append(clause)
    return body


def drop_clauses(body: dict, field: str) -> dict:
    """Remove top-level ``$and`` clauses on ``field`` (e.g. the ``hidden`` default)."""
    flt = body.get("filter") or {}
    if isinstance(flt.get("$and"), list):
        flt["$and"] = [c for c in flt["$and"] if not (isinstance(c, dict) and field in c)]
        if not flt["$and"]:
            del flt["$and"]
    return body


def prepare_query(filters: Any) -> dict:
    """``filters.prepare()`` as a deep-copied plain dict (works for Filters and RawQuery)."""
    body = filters.prepare()
    return copy.deepcopy(dict(body))
