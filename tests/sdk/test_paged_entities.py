"""PagedEntities builds dtlpy's requests: keyset on id for items/annotations, offsets otherwise."""

import pytest

import conveyor as dl
from tests.sdk.http_stub import Reply, client, stub  # noqa: F401

DATASET_ID = "5f00000000000000000000d1"


def item_json(n: int) -> dict:
    return {
        "id": f"{n:024x}",
        "datasetId": DATASET_ID,
        "filename": f"/f{n:03d}.txt",
        "name": f"f{n:03d}.txt",
        "type": "file",
        "hidden": False,
        "metadata": {},
    }


def serve_items(stub, count: int) -> list[dict]:  # noqa: F811
    """A tiny DQL evaluator: equality clauses, id $gt/$lt, sort on one field, page/pageSize."""
    rows = [item_json(n) for n in range(1, count + 1)]

    def matches(row, clause):
        ((field, cond),) = clause.items()
        if isinstance(cond, dict):
            ((op, value),) = cond.items()
            return {"$gt": row[field] > value, "$lt": row[field] < value}[op]
        return row.get(field) == cond

    def query(req, _m):
        body = req.json
        hits = [r for r in rows if all(matches(r, c) for c in body["filter"].get("$and", []))]
        ((field, direction),) = (body.get("sort") or {"id": "ascending"}).items()
        hits.sort(key=lambda r: r[field], reverse=direction == "descending")
        size, page = body["pageSize"], body["page"]
        chunk = hits[page * size : (page + 1) * size]
        return Reply(
            200,
            {
                "items": chunk,
                "totalItemsCount": len(hits),
                "totalPagesCount": -(-len(hits) // size),
                "hasNextPage": (page + 1) * size < len(hits),
            },
        )

    stub.route("POST", f"/api/v1/datasets/{DATASET_ID}/query", query)
    return rows


@pytest.fixture
def items_repo(client):  # noqa: F811
    return dl.Items(client_api=client, dataset_id=DATASET_ID)


def bodies(stub):  # noqa: F811
    return [r.json for r in stub.sent("POST")]


def test_items_iterate_with_an_id_cursor_and_page_0(stub, items_repo):  # noqa: F811
    rows = serve_items(stub, 25)
    pages = items_repo.list(page_size=10)
    assert len(pages) == 25 and pages.has_next_page and len(pages.items) == 10
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [i.id for i in pages.all()] == [r["id"] for r in rows]
    sent = bodies(stub)[1:4]  # list() fetched page 0 once; iteration starts over
    for body in sent:
        assert body["page"] == 0 and body["pageSize"] == 10 and body["resource"] == "items"
        assert body["sort"] == {"id": "ascending"}
        assert {"hidden": False} in body["filter"]["$and"]
        assert {"type": "file"} in body["filter"]["$and"]
    cursors = [[c for c in b["filter"]["$and"] if "id" in c] for b in sent]
    assert cursors == [[], [{"id": {"$gt": rows[9]["id"]}}], [{"id": {"$gt": rows[19]["id"]}}]]
    assert pages.items_count == 25  # totals of the first page are kept


def test_descending_id_sort_uses_lt_cursors(stub, items_repo):  # noqa: F811
    rows = serve_items(stub, 5)
    filters = dl.Filters()
    filters.sort_by("id", dl.FiltersOrderByDirection.DESCENDING)
    pages = items_repo.list(filters=filters, page_size=2)
    assert [i.id for i in pages.all()] == [r["id"] for r in reversed(rows)]
    last = bodies(stub)[-1]
    assert last["sort"] == {"id": "descending"}
    assert {"id": {"$lt": rows[1]["id"]}} in last["filter"]["$and"]


def test_created_at_sort_keeps_keyset_with_id_as_tie_breaker(items_repo):
    filters = dl.Filters()
    filters.sort_by("createdAt")
    pages = dl.PagedEntities(items_repo._client_api, 0, 50, filters, items_repo)
    pages.last_seen_id = "00000000000000000000000a"
    body = pages.build_request()
    assert body["sort"] == {"createdAt": "ascending", "id": "ascending"}
    assert {"id": {"$gt": "00000000000000000000000a"}} in body["filter"]["$and"]
    assert body.prepare() == dict(body)  # repositories may call prepare() on it


def test_other_sorts_page_by_offset(stub, items_repo):  # noqa: F811
    serve_items(stub, 5)
    filters = dl.Filters()
    filters.sort_by("name")
    pages = items_repo.list(filters=filters, page_size=2)
    assert [len(p) for p in pages] == [2, 2, 1]
    sent = bodies(stub)[1:]
    assert [b["page"] for b in sent] == [0, 1, 2]
    assert all("id" not in c for b in sent for c in b["filter"]["$and"])


def test_custom_filters_page_by_offset(stub, items_repo):  # noqa: F811
    serve_items(stub, 3)
    pages = items_repo.list(filters={"filter": {"$and": [{"type": "file"}]}}, page_size=2)
    assert [len(p) for p in pages] == [2, 1]
    assert [b["page"] for b in bodies(stub)[1:]] == [0, 1]


def test_page_offset_given_means_offset_paging(stub, items_repo):  # noqa: F811
    rows = serve_items(stub, 7)
    pages = items_repo.list(page_offset=1, page_size=3)
    assert [i.id for i in pages.items] == [r["id"] for r in rows[3:6]]
    assert bodies(stub)[0]["page"] == 1
    pages.next_page()
    assert [i.id for i in pages.items] == [rows[6]["id"]]


def test_a_rejected_query_yields_an_empty_page(stub, items_repo):  # noqa: F811
    stub.route(
        "POST",
        f"/api/v1/datasets/{DATASET_ID}/query",
        Reply(400, {"message": "bad field", "field": "filter"}),
    )
    pages = items_repo.list()
    assert pages.items == [] and list(pages) == []


def test_non_keyset_resources_use_offsets(client):  # noqa: F811
    class Repo:
        def __init__(self):
            self.bodies = []

        def _list(self, filters):
            self.bodies.append(filters.prepare())
            page = filters["page"]
            return {"items": [{"id": page}], "hasNextPage": page < 2, "totalItemsCount": 3}

        def _build_entities_from_response(self, response_items):
            return response_items

    repo = Repo()
    pages = dl.PagedEntities(client, 0, 1, dl.Filters(resource=dl.FiltersResource.EXECUTION), repo)
    assert [p[0]["id"] for p in pages] == [0, 1, 2]
    assert [b["page"] for b in repo.bodies] == [0, 1, 2]
    assert all("sort" not in b for b in repo.bodies)


def test_page_size_zero_asks_for_the_count_only():
    from conveyor.entities.filters import Filters
    from conveyor.entities.paged_entities import PagedEntities

    filters = Filters()
    filters.page_size = 0
    pages = PagedEntities(client_api=None, page_offset=0, page_size=None, filters=filters,
                          items_repository=None)
    assert pages.page_size == 0
