"""PagedEntities: pages of a query result, with dtlpy's keyset paging for items/annotations.

Contract with the repository that feeds it (``items_repository``):

* ``items_repository._list(filters=body)`` (or ``list_function(filters=body)`` when given)
  receives a ``PreparedQuery`` — the final DQL dict (``page``, ``pageSize``, ``sort`` and
  any keyset clause already in it; it also has ``prepare()`` returning itself) — sends
  it, and returns the paging envelope ``{items, totalItemsCount, totalPagesCount,
  hasNextPage, ...}``.
* ``items_repository._build_entities_from_response(response_items=[...])`` turns the
  envelope's ``items`` into entities.

Keyset mode (resources ``items``, ``annotations``, ``feature_vectors``; page 0; no custom
filter; no sort other than ``id``/``createdAt``): every request asks for ``page: 0``
sorted by ``id`` (ascending unless the requested direction is descending) and, after the
first page, adds ``{"id": {"$gt": <last id>}}`` (``$lt`` when descending) to ``$and``.
Otherwise pages are fetched by offset.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from .. import exceptions
from .query import PreparedQuery, add_and_clause, enum_value, prepare_query

logger = logging.getLogger("conveyor")

KEYSET_RESOURCES = frozenset({"items", "annotations", "feature_vectors"})
DEFAULT_PAGE_SIZE = 1000


class PagedEntities:
    """Pages of entities; ``items`` holds the current page.

    Iterating yields pages (lists) from the first page on; ``all()`` yields entities.
    ``len(pages)`` and ``items_count`` are the total number of matching entities as
    reported by the first page of the current scan.
    """

    def __init__(
        self,
        client_api: Any,
        page_offset: int,
        page_size: int | None,
        filters: Any,
        items_repository: Any,
        has_next_page: bool = False,
        total_pages_count: int = 0,
        items_count: int = 0,
        service_id: Any = None,
        project_id: Any = None,
        order_by_type: Any = None,
        order_by_direction: Any = None,
        execution_status: Any = None,
        execution_resource_type: Any = None,
        execution_resource_id: Any = None,
        execution_function_name: Any = None,
        list_function: Callable[..., dict] | None = None,
        items: list | None = None,
    ):
        self._client_api = client_api
        self.page_offset = page_offset or 0
        if page_size is None:
            page_size = getattr(filters, "page_size", None)
        # 0 is a real page size: count only (the server answers no entities, only totals).
        self.page_size = DEFAULT_PAGE_SIZE if page_size is None else page_size
        self.filters = filters
        self.items_repository = items_repository
        self.has_next_page = has_next_page
        self.total_pages_count = total_pages_count
        self.items_count = items_count
        self._list_function = list_function
        self.items: list = list(items) if items else []
        #: True while the current scan uses keyset (id cursor) paging
        self.use_id_based_paging = False
        #: id of the last entity of the current keyset page
        self.last_seen_id: Any = None
        # kept for dtlpy compatibility (execution listing filters); unused by the pager
        self._service_id, self._project_id = service_id, project_id
        self._order_by = (order_by_type, order_by_direction)
        self._execution = (
            execution_status,
            execution_resource_type,
            execution_resource_id,
            execution_function_name,
        )

    # --------------------------------------------------------------- requests
    def _keyset_possible(self) -> bool:
        if self.page_offset != 0 or self.filters is None:
            return False
        if getattr(self.filters, "custom_filter", None) is not None:
            return False
        if enum_value(getattr(self.filters, "resource", None)) not in KEYSET_RESOURCES:
            return False
        sort = self._requested_sort()
        return not sort or next(iter(sort)) in ("id", "createdAt")

    def _requested_sort(self) -> dict:
        sort = prepare_query(self.filters).get("sort") or getattr(self.filters, "sort", None) or {}
        return dict(sort) if isinstance(sort, dict) else {}

    def build_request(self) -> PreparedQuery:
        """The DQL body the next ``get_page()`` sends (pure: no request, no state change)."""
        if self.filters is None:
            raise ValueError("filters: cannot fetch a page without filters")
        body = prepare_query(self.filters)
        body["pageSize"] = self.page_size
        if self._keyset_possible():
            sort = self._requested_sort()
            order = enum_value(next(iter(sort.values()), "ascending")) if sort else "ascending"
            sort["id"] = order
            body["sort"] = {k: enum_value(v) for k, v in sort.items()}
            body["page"] = 0
            if self.last_seen_id is not None:
                op = "$lt" if order == "descending" else "$gt"
                add_and_clause(body, {"id": {op: self.last_seen_id}})
        else:
            body["page"] = self.page_offset
        return PreparedQuery(body)

    def _fetch(self, body: PreparedQuery) -> dict:
        if self._list_function is not None:
            return self._list_function(filters=body) or {}
        return self.items_repository._list(filters=body) or {}

    def process_result(self, result: dict) -> list:
        """Update counters from a paging envelope and return its entities."""
        keyset_continuation = self.use_id_based_paging and self.last_seen_id is not None
        if not self.use_id_based_paging and "page_offset" in result:
            self.page_offset = result["page_offset"]
        if "page_size" in result and result["page_size"]:
            self.page_size = result["page_size"]
        if "hasNextPage" in result:
            self.has_next_page = bool(result["hasNextPage"])
        # keyset continuations count only what is left; keep the totals of the first page
        if not keyset_continuation:
            self.items_count = result.get("totalItemsCount", self.items_count)
            self.total_pages_count = result.get("totalPagesCount", self.total_pages_count)
        raw = result.get("items") or []
        return list(self.items_repository._build_entities_from_response(response_items=raw))

    def return_page(self, page_offset: int | None = None, page_size: int | None = None) -> list:
        """Fetch one page and return its entities (also advances the keyset cursor)."""
        if page_size is not None:
            self.page_size = page_size
        if page_offset is not None:
            self.page_offset = page_offset
        self.use_id_based_paging = self._keyset_possible()
        items = self.process_result(self._fetch(self.build_request()))
        if self.use_id_based_paging:
            self.last_seen_id = getattr(items[-1], "id", None) if items else None
        return items

    def get_page(self, page_offset: int | None = None, page_size: int | None = None) -> None:
        """Fetch a page into ``items``. A ``BadRequest`` yields an empty page (as dtlpy), logged."""
        try:
            self.items = self.return_page(page_offset=page_offset, page_size=page_size)
        except exceptions.BadRequest as exc:
            logger.warning("query rejected, returning an empty page: %s", exc)
            self.items = []
            self.has_next_page = False

    # -------------------------------------------------------------- navigation
    def next_page(self) -> None:
        """Fetch the page after the current one."""
        if not self.use_id_based_paging:
            self.page_offset += 1
        self.get_page()

    def prev_page(self) -> None:
        """Fetch the page before the current one (offset paging only).

        Raises:
            NotImplementedError: the current scan uses keyset paging.
        """
        if self.use_id_based_paging:
            raise NotImplementedError("prev_page is not supported with keyset paging")
        self.page_offset -= 1
        self.get_page()

    def go_to_page(self, page: int = 0) -> None:
        """Fetch page ``page`` (page 0 restarts a keyset scan)."""
        if page == 0:
            self.last_seen_id = None
        self.page_offset = page
        self.get_page()

    def __iter__(self) -> Iterator[list]:
        self.page_offset, self.last_seen_id, self.has_next_page = 0, None, True
        self.get_page()
        while self.items:
            yield self.items
            if not self.has_next_page:
                return
            self.next_page()

    def __reversed__(self) -> Iterator[list]:
        self.last_seen_id = None
        for offset in range(self.total_pages_count - 1, -1, -1):
            self.page_offset = offset
            self.use_id_based_paging = False
            self.items = self.process_result(self._fetch(self._offset_request()))
            yield self.items

    def _offset_request(self) -> PreparedQuery:
        body = prepare_query(self.filters)
        body["page"], body["pageSize"] = self.page_offset, self.page_size
        return PreparedQuery(body)

    def __getitem__(self, page: int) -> list:
        if page != self.page_offset:
            self.go_to_page(page)
        return self.items

    def __len__(self) -> int:
        return self.items_count or 0

    def all(self) -> Iterator[Any]:
        """Yield every entity of every page, from the first page on."""
        for page in self:
            yield from page

    def __repr__(self) -> str:
        return (
            f"PagedEntities(items_count={self.items_count}, page_offset={self.page_offset}, "
            f"page_size={self.page_size}, has_next_page={self.has_next_page})"
        )
