"""parse_query/parse_filter: what dtlpy sends becomes the AST; bad input names its location."""

from __future__ import annotations

import dataclasses
import re

import pytest

from conveyor_runner.control.dql import (
    And,
    Compare,
    DqlError,
    Join,
    Or,
    glob_to_like,
    glob_to_regex,
    matches,
    parse_filter,
    parse_query,
)
from conveyor_runner.errors import InvalidInputError

ITEM_FIELDS = {
    "items": ["id", "filename", "dir", "name", "hidden", "type", "createdAt", "metadata.*"],
    "annotations": ["id", "itemId", "type", "label", "metadata.*"],
}


def test_dtlpy_items_list_body():
    # As dtlpy's Filters.prepare() sends it for dataset.items.list(filters) with a join.
    body = {
        "filter": {"$and": [{"hidden": False}, {"type": "file"}, {"filename": "/dir/**"}],
                   "$or": [{"metadata.user.x": {"$gt": 3}}, {"dir": "/folder/*"}]},
        "sort": {"id": "ascending"},
        "page": 2, "pageSize": 100, "resource": "items",
        "join": {"on": {"resource": "annotations", "local": "itemId", "forigen": "id"},
                 "filter": {"$and": [{"label": "cat"}]}},
        "context": {"datasets": ["d1"]}, "systemSpace": True, "userQuery": True,
    }
    query = parse_query(body, resource_fields=ITEM_FIELDS)
    assert query.filter == And((
        And((Compare("hidden", "$eq", False), Compare("type", "$eq", "file"),
             Compare("filename", "$match", "/dir/**"))),
        Or((Compare("metadata.user.x", "$gt", 3), Compare("dir", "$match", "/folder/*"))),
    ))
    assert (query.sort, query.page, query.page_size) == ((("id", "ascending"),), 2, 100)
    assert query.join == Join("annotations", "itemId", "id", Compare("label", "$eq", "cat"))
    assert query.context == {"datasets": ["d1"]} and query.system_space is True
    assert (query.resource, query.update, query.delete) == ("items", None, False)


def test_defaults_and_bulk_operations():
    query = parse_query({"filter": {}, "update": {"metadata": {"user": {"a": 1}}},
                         "delete": True}, default_resource="items")
    assert query.filter == And(()) and query.resource == "items"
    assert (query.page, query.page_size, query.sort, query.join) == (0, 1000, (), None)
    assert query.update == {"metadata": {"user": {"a": 1}}} and query.delete is True
    assert parse_query({"resource": "items", "pageSize": 0}).page_size == 0


def test_query_is_immutable_and_owns_its_payloads():
    body = {"resource": "items", "update": {"metadata": {"user": {"a": 1}}}}
    query = parse_query(body)
    body["update"]["metadata"]["user"]["a"] = 2
    assert query.update == {"metadata": {"user": {"a": 1}}}
    with pytest.raises(dataclasses.FrozenInstanceError):
        query.page = 3  # type: ignore[misc]


def test_join_on_defaults_to_the_dtlpy_pairing_and_accepts_foreign():
    items = parse_query({"resource": "items", "join": {"filter": {"label": "dog"}}})
    assert (items.join.resource, items.join.local, items.join.foreign) == (
        "annotations", "itemId", "id")
    annotations = parse_query({"resource": "annotations", "join": {
        "on": {"resource": "items", "local": "id", "foreign": "itemId"}}})
    assert annotations.join == Join("items", "id", "itemId", And(()))


@pytest.mark.parametrize("raw, expected", [
    ({"filename": "/dir/**"}, Compare("filename", "$match", "/dir/**")),
    ({"dir": "/a/?"}, Compare("dir", "$match", "/a/?")),
    ({"filename": "/dir/a.jpg"}, Compare("filename", "$eq", "/dir/a.jpg")),
    ({"filename": {"$eq": "/dir/*"}}, Compare("filename", "$eq", "/dir/*")),
    ({"name": "a*"}, Compare("name", "$eq", "a*")),
    ({"x": {"$gt": 1, "$lte": 5}}, And((Compare("x", "$gt", 1), Compare("x", "$lte", 5)))),
    ({"x": {"$in": [1, "a", None]}}, Compare("x", "$in", (1, "a", None))),
    ({"x": {"$exists": False}}, Compare("x", "$exists", False)),
    ({"$and": [{"a": 1}], "$or": []}, Compare("a", "$eq", 1)),
    ({"$or": [{"a": 1, "b": 2}, {"$and": [{"c": 3}, {"d": None}]}]},
     Or((And((Compare("a", "$eq", 1), Compare("b", "$eq", 2))),
         And((Compare("c", "$eq", 3), Compare("d", "$eq", None)))))),
])
def test_filter_shapes(raw, expected):
    assert parse_filter(raw) == expected


@pytest.mark.parametrize("direction, expected", [
    ("ascending", "ascending"), ("descending", "descending"), ("ASC", "ascending"),
    ("desc", "descending"), (1, "ascending"), (-1, "descending"),
])
def test_sort_directions(direction, expected):
    query = parse_query({"resource": "items", "sort": {"createdAt": direction, "id": 1}})
    assert query.sort == (("createdAt", expected), ("id", "ascending"))


def test_resource_fields_accepts_prefixes_and_rejects_the_rest():
    query = parse_query({"resource": "items", "filter": {"metadata": {"$exists": True},
                                                          "metadata.user.x": 1}},
                        resource_fields=ITEM_FIELDS)
    assert len(query.filter.children) == 2
    with pytest.raises(DqlError, match='unknown field "metadataX" for resource "items"'):
        parse_query({"resource": "items", "filter": {"metadataX": 1}},
                    resource_fields=ITEM_FIELDS)


BAD = [
    ({"resource": "items", "filter": {"$and": [{"a": 1}, {"b": 2},
                                               {"metadata.user.x": {"$foo": 1}}]}},
     "filter.$and[2]", 'filter.$and[2]: unknown operator "$foo" on field "metadata.user.x"'),
    ({"resource": "items", "filter": {"$not": {"a": 1}}}, "filter", 'unknown operator "$not"'),
    ({"resource": "items", "filter": {"$or": {"a": 1}}}, "filter",
     '"$or" must be a list of clauses'),
    ({"resource": "items", "filter": {"$or": [{"a": 1}, 5]}}, "filter.$or[1]",
     "expected an object of clauses, got 5"),
    ({"resource": "items", "filter": {"$and": [{"$or": [{"x": {"bad": 1}}]}]}},
     "filter.$and[0].$or[0]", 'unknown operator "bad" on field "x"'),
    ({"resource": "items", "filter": {"x": {}}}, "filter", 'empty operator object on field "x"'),
    ({"resource": "items", "filter": {"tags": ["a", "b"]}}, "filter",
     'field "tags" got a list; use {"$in": [...]}'),
    ({"resource": "items", "filter": {"x": {"$in": "a"}}}, "filter",
     '$in on field "x" needs a list, got "a"'),
    ({"resource": "items", "filter": {"x": {"$nin": [1, {"a": 2}]}}}, "filter",
     '$nin on field "x" needs null, a boolean, a finite number or a string, got {"a": 2}'),
    ({"resource": "items", "filter": {"x": {"$exists": "yes"}}}, "filter",
     '$exists on field "x" needs true or false, got "yes"'),
    ({"resource": "items", "filter": {"x": {"$gt": True}}}, "filter",
     '$gt on field "x" needs a number or a string, got true'),
    ({"resource": "items", "filter": {"x": {"$lte": None}}}, "filter",
     '$lte on field "x" needs a number or a string, got null'),
    ({"resource": "items", "filter": {"x": {"$match": 5}}}, "filter",
     '$match on field "x" needs a string, got 5'),
    ({"resource": "items", "filter": {"x": float("inf")}}, "filter",
     '$eq on field "x" needs null, a boolean, a finite number or a string'),
    ({"resource": "items", "filter": {"a..b": 1}}, "filter", 'invalid field name "a..b"'),
    ({"resource": "items", "filter": {"": 1}}, "filter", 'invalid field name ""'),
    ({"resource": "items", "filter": []}, "filter", "expected an object of clauses, got []"),
    ({"filter": {}}, "resource", "resource: required"),
    ({"resource": 7}, "resource", "resource: required"),
    ({"resource": "items", "sort": ["id"]}, "sort", "sort: expected an object"),
    ({"resource": "items", "sort": {"id": "up"}}, "sort",
     'invalid direction "up" for field "id"'),
    ({"resource": "items", "sort": {"a..b": 1}}, "sort", 'invalid field name "a..b"'),
    ({"resource": "items", "page": -1}, "page", "page: expected an integer >= 0, got -1"),
    ({"resource": "items", "page": "1"}, "page", 'page: expected an integer >= 0, got "1"'),
    ({"resource": "items", "pageSize": 1001}, "pageSize",
     "pageSize: expected an integer 0..1000, got 1001"),
    ({"resource": "items", "pageSize": True}, "pageSize", "got true"),
    ({"resource": "items", "join": []}, "join", "join: expected an object"),
    ({"resource": "tasks", "join": {}}, "join.on", "join.on: expected an object"),
    ({"resource": "items", "join": {"on": {"resource": "datasets", "local": "a",
                                           "forigen": "b"}}},
     "join.on.resource", 'must be "annotations" or "items", got "datasets"'),
    ({"resource": "items", "join": {"on": {"resource": "annotations", "forigen": "id"}}},
     "join.on.local", "join.on.local: invalid field name null"),
    ({"resource": "items", "join": {"filter": {"label": {"$regex": "x"}}}}, "join.filter",
     'join.filter: unknown operator "$regex" on field "label"'),
    ({"resource": "items", "context": ["p1"]}, "context", "context: expected an object"),
    ({"resource": "items", "update": "x"}, "update", "update: expected an object"),
    ({"resource": "items", "systemSpace": "yes"}, "systemSpace",
     'systemSpace: expected true or false, got "yes"'),
    ({"resource": "items", "delete": 1}, "delete", "delete: expected true or false, got 1"),
    ("not a dict", "query", 'query: expected a JSON object, got "not a dict"'),
]


@pytest.mark.parametrize("body, field, message", BAD, ids=[b[2][:60] for b in BAD])
def test_bad_input_names_its_location(body, field, message):
    with pytest.raises(DqlError) as caught:
        parse_query(body)
    assert caught.value.field == field
    assert message in str(caught.value)
    assert str(caught.value).startswith(field + ":")


@pytest.mark.parametrize("body, field, message", [
    ({"resource": "datasets"}, "resource", 'unsupported resource "datasets" (one of: '
                                           "annotations, items)"),
    ({"resource": "items", "sort": {"size": 1}}, "sort", 'unknown field "size"'),
    ({"resource": "items", "join": {"filter": {"filename": "x"}}}, "join.filter",
     'unknown field "filename" for resource "annotations"'),
    ({"resource": "items", "join": {"on": {"resource": "annotations", "local": "itemId",
                                           "forigen": "nope"}}},
     "join.on.forigen", 'unknown field "nope" for resource "items"'),
])
def test_bad_fields_for_the_resource(body, field, message):
    with pytest.raises(DqlError) as caught:
        parse_query(body, resource_fields=ITEM_FIELDS)
    assert caught.value.field == field and message in str(caught.value)


def test_dql_error_is_a_400_and_a_value_error():
    with pytest.raises(DqlError) as caught:
        parse_query({"resource": "items", "page": -1})
    error = caught.value
    assert isinstance(error, InvalidInputError) and isinstance(error, ValueError)
    assert error.status_code == 400 and error.message == str(error)


def test_parse_filter_alone_restricts_fields_and_names_where():
    with pytest.raises(DqlError) as caught:
        parse_filter({"$and": [{"secret": 1}]}, fields=["a"], where="spec.filter")
    assert caught.value.field == "spec.filter.$and[0]"
    assert 'unknown field "secret"' in str(caught.value)


@pytest.mark.parametrize("glob, regex, like", [
    ("/dir/**", r"(?s)\A(?:\/dir\/.*)\Z", "/dir/%"),
    ("/a/*.jpg", r"(?s)\A(?:\/a\/[^/]*\.jpg)\Z", "/a/%.jpg"),
    ("f?_%", r"(?s)\A(?:f[^/]\_\%)\Z", "f_\\_\\%"),
    ("a\\*b\\", r"(?s)\A(?:a\*b\\)\Z", "a*b\\\\"),
    ("é😀", r"(?s)\A(?:é😀)\Z", "é😀"),
])
def test_glob_translation(glob, regex, like):
    assert glob_to_regex(glob) == regex and glob_to_like(glob) == like


@pytest.mark.parametrize("glob, name, hit", [
    ("/dir/**", "/dir/a/b/c.jpg", True),
    ("/dir/**", "/dir2/a.jpg", False),
    ("/dir/*", "/dir/a/b.jpg", False),
    ("/dir/*", "/dir/a.jpg", True),
    ("/dir/?.jpg", "/dir/ab.jpg", False),
    ("/dir/?.jpg", "/dir//.jpg", False),
    ("*.JPG", "a.jpg", False),
    ("a\\*", "ab", False),
    ("a\\*", "a*", True),
])
def test_glob_matching(glob, name, hit):
    assert matches(parse_filter({"filename": {"$match": glob}}), {"filename": name}) is hit
    assert (re.search(glob_to_regex(glob), name) is not None) is hit


@pytest.mark.parametrize("raw, doc", [
    ({"x": {"$gt": "a"}}, {"x": 5}),
    ({"x": {"$lt": 5}}, {"x": {"y": 1}}),
    ({"x": {"$gte": 5}}, {"x": [[["deep"]]]}),
    ({"x.y.z": 1}, {"x": "scalar"}),
    ({"x": True}, {"x": 1}),
    ({"x": 1}, {"x": True}),
    ({"x": {"$match": "*"}}, {"x": 3}),
])
def test_type_mismatch_is_false_not_an_error(raw, doc):
    assert matches(parse_filter(raw), doc) is False
