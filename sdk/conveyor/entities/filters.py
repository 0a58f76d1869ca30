"""DQL query builder: ``Filters`` turns clauses, sort, paging and joins into the query body.

The body produced by :meth:`Filters.prepare` is the wire format of ``POST
/datasets/{id}/query``, ``/query/faas`` and the other query endpoints (dtlpy-contract §2.3),
key for key, so a dtlpy client and a Conveyor client send the same JSON for the same filter.
"""

from __future__ import annotations

import copy
import json
import logging
import urllib.parse
from enum import Enum
from typing import Any

from conveyor.annotations.enums import AnnotationType
from conveyor.entities.filter_terms import (
    JOIN_ON,
    SMALL_PAGE_RESOURCES,
    Clause,
    FiltersKnownFields,
    FiltersMethod,
    FiltersOperations,
    FiltersOrderByDirection,
    FiltersResource,
)

logger = logging.getLogger("conveyor")

__all__ = [
    "Filters",
    "FiltersKnownFields",
    "FiltersMethod",
    "FiltersOperations",
    "FiltersOrderByDirection",
    "FiltersResource",
]


class Filters:
    """A DQL query: ``$and``/``$or`` clauses, sort, paging, join, context and operations.

    Resource defaults (unless ``use_defaults=False``): items get ``hidden: false`` and
    ``type: file``; services and packages get ``global $ne true``; annotations get
    ``type $in`` every annotation type except ``note``. Adding an ``and`` clause on a field
    that a default set replaces the default instead of adding a second clause.

    Attributes:
        page: Page offset sent as ``page`` (0-based).
        page_size: Page size sent as ``pageSize``; clamped to the resource maximum on prepare.
        sort: ``{field: "ascending" | "descending"}``, in insertion order.
        custom_filter: A raw DQL dict sent almost verbatim instead of the clauses, or None.
        context: Scope sent as ``context`` (e.g. ``{"projects": [project_id]}``), or None.
        recursive: When True, item ``filename`` folder values match the whole subtree.
        join: The join body (``on`` + ``filter``) or None; built by :meth:`add_join`.
    """

    def __init__(self, field=None, values=None, operator: FiltersOperations | None = None,
                 method: FiltersMethod | None = None, custom_filter=None,
                 resource: FiltersResource = FiltersResource.ITEM, use_defaults=True,
                 context=None, page_size=None) -> None:
        """Create a filter, optionally with one first clause ``field``/``values``/``operator``."""
        self._resource = resource
        self._use_defaults = use_defaults
        self._system_space = None
        self._user_query = "true"  # sent as the `user_query` header by the item/annotation repos
        self.reset()
        self.custom_filter = custom_filter
        if page_size is None:
            small = (*SMALL_PAGE_RESOURCES, FiltersResource.DPK)
            page_size = 100 if self.resource in small else 1000
        self.page_size = page_size
        self.context = context
        self._add_defaults()
        if field is not None:
            self.add(field=field, values=values, operator=operator, method=method)

    # -- state ---------------------------------------------------------------------------

    @property
    def resource(self) -> str:
        """The resource name as a plain string (e.g. ``"items"``)."""
        if isinstance(self._resource, Enum):
            return str(self._resource.value)
        return str(self._resource)

    @resource.setter
    def resource(self, resource) -> None:
        """Switch resource: clears every clause, sort and join, then adds the new defaults."""
        self._resource = resource
        self.reset()
        self._add_defaults()

    @property
    def system_space(self) -> bool | None:
        """When not None, sent as ``systemSpace`` (True includes hidden/system entities)."""
        return self._system_space

    @system_space.setter
    def system_space(self, value: bool | None) -> None:
        self._system_space = value

    def reset(self) -> None:
        """Forget every clause, the sort, the join and the custom filter; page back to 0."""
        self.or_filter_list: list[Clause] = []
        self.and_filter_list: list[Clause] = []
        self._unique_fields: list[str] = []
        self.custom_filter = None
        self.page = 0
        self.page_size = 1000
        self.method = FiltersMethod.AND
        self.sort: dict[str, str] = {}
        self.join: dict | None = None
        self.recursive = True

    def _add_defaults(self) -> None:
        if not self._use_defaults:
            return
        if self.resource == FiltersResource.ITEM:
            self._unique_fields = ["type", "hidden"]
            self.add(field="hidden", values=False, method=FiltersMethod.AND)
            self.add(field="type", values="file", method=FiltersMethod.AND)
        elif self.resource in (FiltersResource.SERVICE, FiltersResource.PACKAGE):
            self._unique_fields = ["global"]
            self.add(field="global", values=True, operator=FiltersOperations.NOT_EQUAL,
                     method=FiltersMethod.AND)
        elif self.resource == FiltersResource.ANNOTATION:
            self._unique_fields = ["type"]
            types = [t.value for t in AnnotationType if t is not AnnotationType.NOTE]
            self.add(field="type", values=types, operator=FiltersOperations.IN,
                     method=FiltersMethod.AND)

    # -- clauses -------------------------------------------------------------------------

    def add(self, field, values, operator: FiltersOperations | None = None,
            method: FiltersMethod | None = None) -> None:
        """Add a clause.

        Args:
            field: Dotted field path (``metadata.user.x``).
            values: The value compared against (a list for ``in``/``nin``).
            operator: None for equality, else a :class:`FiltersOperations` (or its string).
            method: ``and`` (default: ``self.method``) or ``or``.

        Raises:
            ValueError: ``method`` is neither ``and`` nor ``or``.
        """
        method = self.method if method is None else method
        if method == FiltersMethod.OR:
            self.or_filter_list.append(Clause(field, values, operator))
        elif method == FiltersMethod.AND:
            if field in self._unique_fields:
                self.and_filter_list = [c for c in self.and_filter_list if c.field != field]
            self.and_filter_list.append(Clause(field, values, operator))
        else:
            raise ValueError(f"Filters.add: method must be 'and' or 'or', got {method!r}")

    def has_field(self, field) -> bool:
        """Return True when an ``and`` or ``or`` clause uses ``field``."""
        return any(c.field == field for c in self.or_filter_list + self.and_filter_list)

    def pop(self, field) -> None:
        """Remove every ``and`` and ``or`` clause on ``field`` (no error if there is none)."""
        self.or_filter_list = [c for c in self.or_filter_list if c.field != field]
        self.and_filter_list = [c for c in self.and_filter_list if c.field != field]

    def add_join(self, field, values, operator: FiltersOperations | None = None,
                 method: FiltersMethod = FiltersMethod.AND) -> None:
        """Add a clause on the joined resource (annotations of items, or items of annotations).

        Raises:
            ValueError: the resource is neither items nor annotations.
        """
        if self.resource not in (FiltersResource.ITEM, FiltersResource.ANNOTATION):
            raise ValueError(f"Filters.add_join: cannot join to {self.resource} filters")
        if self.join is None:
            self.join = {}
        self.join.setdefault("on", dict(JOIN_ON[FiltersResource(self.resource)]))
        key = "$" + (method.value if isinstance(method, Enum) else str(method))
        self.join.setdefault("filter", {}).setdefault(key, []).append(
            Clause(field, values, operator).prepare())

    def pop_join(self, field) -> None:
        """Remove every ``$and`` join clause on ``field``."""
        if self.join is not None and "$and" in self.join.get("filter", {}):
            clauses = self.join["filter"]["$and"]
            self.join["filter"]["$and"] = [c for c in clauses if field not in c]

    def sort_by(self, field, value: FiltersOrderByDirection = FiltersOrderByDirection.ASCENDING):
        """Sort by ``field`` (later calls add secondary keys; same field overrides).

        Raises:
            ValueError: ``value`` is not ascending or descending.
        """
        if value not in (FiltersOrderByDirection.ASCENDING, FiltersOrderByDirection.DESCENDING):
            raise ValueError("Filters.sort_by: value must be ascending or descending, "
                             f"got {value!r}")
        self.sort[field] = FiltersOrderByDirection(value).value

    # -- output --------------------------------------------------------------------------

    def _max_page_size(self) -> int:
        return 100 if self.resource in SMALL_PAGE_RESOURCES else 1000

    def _query(self) -> dict:
        recursive = self.recursive and self.resource == FiltersResource.ITEM
        query: dict[str, list] = {}
        if self.or_filter_list:
            query["$or"] = [c.prepare(recursive=recursive) for c in self.or_filter_list]
        if self.and_filter_list:
            query["$and"] = [c.prepare(recursive=recursive) for c in self.and_filter_list]
        return query

    def _custom_query(self) -> dict:
        custom = copy.deepcopy(self.custom_filter)
        body = custom if "filter" in custom else {"filter": custom}
        body.setdefault("resource", self.resource)
        body.setdefault("page", self.page)
        body.setdefault("pageSize", self.page_size)
        if self.join is not None and "join" not in body:
            body["join"] = copy.deepcopy(self.join)
        if "join" in body and "on" not in body["join"]:
            on_key = FiltersResource.ITEM if self.resource == FiltersResource.ITEM \
                else FiltersResource.ANNOTATION
            body["join"]["on"] = dict(JOIN_ON[on_key])
        return body

    def prepare(self, operation=None, update=None, query_only=False, system_update=None,
                system_metadata=False) -> dict:
        """Return the DQL body (a fresh dict; later changes to the filter do not affect it).

        Args:
            operation: None, ``"update"`` (adds ``update``) or ``"delete"`` (adds ``delete: true``
                and drops ``sort``; for items also ``page``/``pageSize``).
            update: User metadata for an update, sent as ``{"metadata": {"user": update}}``.
            query_only: Send only ``filter`` (and ``join``/``context``): no sort, page, resource.
            system_update: System metadata for an update; sent only with ``system_metadata``.
            system_metadata: Allow ``system_update`` (adds ``systemSpace: true``).

        Returns:
            The body; with a ``custom_filter`` it is that dict completed with ``resource``,
            ``page``, ``pageSize`` and the join ``on``.

        Raises:
            ValueError: ``operation`` is not None, ``"update"`` or ``"delete"``.
        """
        if self.custom_filter is not None:
            return self._custom_query()
        body: dict[str, Any] = {"filter": self._query()}
        if not query_only:
            if self.sort:
                body["sort"] = dict(self.sort)
            if self.page_size > self._max_page_size():
                logger.warning("Cannot list %s with page size greater than %s; using %s.",
                               self.resource, self._max_page_size(), self._max_page_size())
                self.page_size = self._max_page_size()
            body.update(page=self.page, pageSize=self.page_size, resource=self.resource)
        if self.join is not None:
            body["join"] = copy.deepcopy(self.join)
        if operation is not None:
            self._add_operation(body, operation, update, system_update, system_metadata)
        if self.context is not None:
            body["context"] = copy.deepcopy(self.context)
        if self._system_space is not None:
            body["systemSpace"] = self._system_space
        return body

    def _add_operation(self, body, operation, update, system_update, system_metadata) -> None:
        if operation == "update":
            body["update"] = {"metadata": {"user": update}} if update else {}
            if system_metadata and system_update:
                body["systemSpace"] = True
                body["update"].setdefault("metadata", {})["system"] = system_update
        elif operation == "delete":
            body["delete"] = True
            body.pop("sort", None)
            if self.resource == FiltersResource.ITEM:
                body.pop("page", None)
                body.pop("pageSize", None)
        else:
            raise ValueError(f"Filters.prepare: unknown operation {operation!r}; "
                             "use 'update' or 'delete'")

    def print(self, indent=2) -> None:
        """Print the DQL body as indented JSON."""
        print(json.dumps(self.prepare(), indent=indent))

    def generate_url_query_params(self, url) -> str:
        """Return ``url`` with the ``and`` clauses, page and page size as query parameters.

        Each clause becomes ``field=value`` (list values comma-joined); the format matches
        dtlpy's, including the ``&&`` before ``pageOffset``.
        """
        url = f"{url}?"
        for clause in self.and_filter_list:
            if isinstance(clause.values, list):
                value = ",".join(str(v) for v in clause.values)
            else:
                value = clause.values
            url = f"{url}{clause.field}={value}&"
        return f"{url}&pageOffset={self.page}&pageSize={self.page_size}"

    def platform_url(self, resource) -> str:
        """Return a URL that carries this filter for ``resource`` (a Dataset).

        Conveyor has no web UI; the URL points at the dataset in the REST API and carries
        the query as ``dqlFilter`` so that it can be shared and reproduced.

        Raises:
            ValueError: ``resource`` has no ``id`` (it is not a Dataset-like entity).
        """
        dataset_id = getattr(resource, "id", None)
        if dataset_id is None:
            raise ValueError("Filters.platform_url: resource must be a Dataset entity")
        body = self.prepare()
        params = {
            "view": "icons",
            "resource": body["resource"],
            "dqlFilter": json.dumps({"filter": body["filter"], "join": body.get("join"),
                                     "sort": body.get("sort")}),
            "pageSize": 100,
            "page": body.get("page", 0),
        }
        base = getattr(resource, "url", None) or f"/datasets/{dataset_id}"
        return f"{base}?{urllib.parse.urlencode(params)}"

    def open_in_web(self, resource) -> str:
        """Print and return :meth:`platform_url` (Conveyor has no web UI to open)."""
        url = self.platform_url(resource)
        print(url)
        return url

    def save(self, project, filter_name: str):
        """Saving filters to a project is not supported by Conveyor yet.

        Raises:
            NotImplementedError: always.
        """
        raise NotImplementedError("Filters.save: saved filters are not supported by Conveyor yet")

    @classmethod
    def load(cls, project, filter_name: str) -> Filters:
        """Loading saved filters is not supported by Conveyor yet.

        Raises:
            NotImplementedError: always.
        """
        raise NotImplementedError("Filters.load: saved filters are not supported by Conveyor yet")

    @staticmethod
    def list(project) -> list:
        """Listing saved filters is not supported by Conveyor yet.

        Raises:
            NotImplementedError: always.
        """
        raise NotImplementedError("Filters.list: saved filters are not supported by Conveyor yet")
