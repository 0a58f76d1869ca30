"""Filters.prepare() produces the DQL body of dtlpy-contract §2.3, key for key.

Every expected dict below was checked once against dtlpy 1.126.5's own ``Filters`` (same
construction, same ``prepare`` arguments); the test itself needs no dtlpy.
"""

import copy
import types

import pytest

from conveyor.entities import filters as filters_module
from conveyor.entities.filters import (
    Filters,
    FiltersMethod,
    FiltersOperations,
    FiltersOrderByDirection,
    FiltersResource,
)

ANNOTATION_TYPES_BUT_NOTE = [
    "box", "cube", "cube_3d", "class", "comparison", "ellipse", "point", "segment", "polyline",
    "pose", "binary", "subtitle", "text_mark", "gis", "ref_semantic_3d", "polyline_3d", "text",
    "ref_image",
]

dl = types.SimpleNamespace(
    Filters=Filters,
    FiltersResource=FiltersResource,
    FiltersOperations=FiltersOperations,
    FiltersMethod=FiltersMethod,
    FiltersOrderByDirection=FiltersOrderByDirection,
)


def _cases(dl):
    F, R, Op = dl.Filters, dl.FiltersResource, dl.FiltersOperations
    M, D = dl.FiltersMethod, dl.FiltersOrderByDirection
    out = []

    def case(name, f, **kw):
        out.append((name, f.prepare(**kw)))

    case("items_default", F())
    case("items_no_defaults", F(use_defaults=False))
    case("annotations_default", F(resource=R.ANNOTATION))
    case("services_default", F(resource=R.SERVICE))
    case("packages_default", F(resource=R.PACKAGE))
    case("executions_default", F(resource=R.EXECUTION))
    case("pipeline_state_default", F(resource=R.PIPELINE_EXECUTION))
    case("dpks_default", F(resource=R.DPK))
    case("datasets_default", F(resource=R.DATASET))
    case("models_default", F(resource=R.MODEL))
    f = F(field="filename", values="/dir")
    case("filename_folder_recursive", f)
    f = F(field="filename", values="/dir/")
    case("filename_folder_slash", f)
    f = F(field="filename", values="/dir/a.jpg")
    case("filename_with_ext", f)
    f = F(field="filename", values="/dir/*.jpg")
    case("filename_glob", f)
    f = F(field="filename", values=["/a", "/b/c.png"], operator=Op.IN)
    case("filename_list_in", f)
    f = F(field="filename", values="/dir")
    f.recursive = False
    case("filename_not_recursive", f)
    f = F(field="dir", values="/dir")
    case("dir_eq", f)
    f = F(resource=R.ANNOTATION, field="filename", values="/dir")
    case("annotation_filename_not_recursive", f)
    f = F(field="metadata.user.x", values=5, operator=Op.GREATER_THAN)
    case("gt", f)
    f = F()
    f.add("a", 1, Op.LESS_THAN)
    f.add("b", 2, Op.GREATER_THAN_OR_EQUAL)
    f.add("c", 3, Op.LESS_THAN_OR_EQUAL)
    f.add("d", 4, Op.NOT_EQUAL)
    f.add("e", [1, 2], Op.NIN)
    f.add("g", True, Op.EXISTS)
    f.add("h", "ab.*", Op.MATCH)
    f.add("i", 7, Op.EQUAL)
    case("all_ops", f)
    f = F()
    f.add("metadata.user.a", 1, method=M.OR)
    f.add("metadata.user.b", 2, method=M.OR)
    case("or_clauses", f)
    f = F()
    f.add("type", "dir")
    case("override_unique_type", f)
    f = F()
    f.add("hidden", True)
    case("override_unique_hidden", f)
    f = F()
    f.add("name", "a")
    f.add("name", "b")
    case("duplicate_non_unique", f)
    f = F(resource=R.ANNOTATION)
    f.add("type", "box")
    case("annotation_type_override", f)
    f = F(resource=R.ANNOTATION, field="itemId", values="abc")
    case("annotation_item_id", f)
    f = F(resource=R.SERVICE)
    f.add("global", True)
    case("service_global_override", f)
    f = F()
    f.sort_by("createdAt", D.DESCENDING)
    f.sort_by("name")
    case("sort", f)
    f = F()
    f.page = 3
    f.page_size = 50
    case("paging", f)
    f = F(page_size=20)
    case("page_size_ctor", f)
    f = F(resource=R.EXECUTION, page_size=500)
    case("executions_page_clamp", f)
    f = F(page_size=5000)
    case("items_page_clamp", f)
    f = F()
    f.add_join("label", "car")
    case("join_items", f)
    f = F()
    f.add_join("label", ["car", "dog"], Op.IN)
    f.add_join("type", "box", method=M.OR)
    case("join_items_or", f)
    f = F(resource=R.ANNOTATION)
    f.add_join("dir", "/x")
    case("join_annotations", f)
    f = F()
    f.add_join("label", "car")
    f.add_join("type", "box")
    f.pop_join("label")
    case("pop_join", f)
    f = F()
    f.add("name", "a")
    f.pop("name")
    case("pop", f)
    f = F()
    f.add("a", 1, method=M.OR)
    f.add("a", 2)
    f.pop("a")
    case("pop_both", f)
    f = F(resource=R.DATASET, field="name", values="Binaries", context={"projects": ["p1"]})
    f.system_space = True
    case("binaries_lookup", f)
    f = F()
    case("query_only", f, query_only=True)
    f = F()
    f.sort_by("id")
    f.add_join("label", "x")
    case("query_only_join", f, query_only=True)
    f = F()
    f.sort_by("id")
    case("delete_items", f, operation="delete")
    f = F(resource=R.ANNOTATION)
    f.sort_by("id")
    case("delete_annotations", f, operation="delete")
    f = F()
    case("update_user", f, operation="update", update={"a": 1})
    f = F()
    case("update_empty", f, operation="update")
    f = F()
    case("update_system", f, operation="update", update={"a": 1},
         system_update={"tags": {"train": True}}, system_metadata=True)
    f = F()
    case("update_system_no_flag", f, operation="update", update={"a": 1}, system_update={"x": 1})
    f = F()
    case("update_system_only", f, operation="update", system_update={"x": 1}, system_metadata=True)
    f = F(custom_filter={"$and": [{"name": "x"}]})
    case("custom_no_filter_key", f)
    f = F(custom_filter={"filter": {"$and": [{"id": {"$gt": "a"}}]}, "page": 2, "pageSize": 7,
                         "resource": "items", "sort": {"id": "ascending"}})
    case("custom_full", f)
    f = F(custom_filter={"filter": {}, "join": {"filter": {"$and": [{"label": "a"}]}}})
    case("custom_join_no_on", f)
    f = F(resource=R.ANNOTATION,
          custom_filter={"filter": {}, "join": {"filter": {"$and": [{"dir": "/a"}]}}})
    case("custom_annotation_join_no_on", f)
    f = F(custom_filter={"filter": {}})
    f.add_join("label", "c")
    case("custom_with_join_attr", f)
    f = F(resource=R.EXECUTION, field="latestStatus.status", values=["success", "failed"],
          operator=Op.IN, context={"datasets": ["d1"]})
    case("executions_context", f)
    f = F(resource=R.SERVICE, field="packageId", values="pk")
    f.sort_by("createdAt", D.DESCENDING)
    case("services_sort", f)
    f = F(use_defaults=False, resource=R.ANNOTATION)
    case("annotations_no_defaults", f)
    f = F()
    f.resource = R.ANNOTATION
    case("resource_setter", f)
    f = F(page_size=10)
    f.resource = R.SERVICE
    case("resource_setter_resets_page_size", f)
    f = F(resource="items")
    case("resource_as_string", f)
    f = F(field="a", values=1, method=M.OR)
    case("ctor_or", f)
    f = F()
    f.method = M.OR
    f.add("x", 1)
    case("method_attr_or", f)
    f = F()
    f.system_space = False
    case("system_space_false", f)
    return out


def _url_cases(dl):
    F = dl.Filters
    out = []
    f = F()
    f.add("metadata.user.a", ["x", "y"], dl.FiltersOperations.IN)
    out.append(("url_params", f.generate_url_query_params("http://h/api/v1/items")))
    f = F(use_defaults=False)
    out.append(("url_params_empty", f.generate_url_query_params("/x")))
    return out


EXPECTED = {
    'items_default': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
    },
    'items_no_defaults': {'filter': {}, 'page': 0, 'pageSize': 1000, 'resource': 'items'},
    'annotations_default': {
        'filter': {'$and': [{'type': {'$in': ANNOTATION_TYPES_BUT_NOTE}}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'annotations',
    },
    'services_default': {
        'filter': {'$and': [{'global': {'$ne': True}}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'services',
    },
    'packages_default': {
        'filter': {'$and': [{'global': {'$ne': True}}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'packages',
    },
    'executions_default': {'filter': {}, 'page': 0, 'pageSize': 100, 'resource': 'executions'},
    'pipeline_state_default': {
        'filter': {},
        'page': 0,
        'pageSize': 100,
        'resource': 'pipelineState',
    },
    'dpks_default': {'filter': {}, 'page': 0, 'pageSize': 100, 'resource': 'dpks'},
    'datasets_default': {'filter': {}, 'page': 0, 'pageSize': 1000, 'resource': 'datasets'},
    'models_default': {'filter': {}, 'page': 0, 'pageSize': 1000, 'resource': 'models'},
    'filename_folder_recursive': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}, {'filename': '/dir/**'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
    },
    'filename_folder_slash': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}, {'filename': '/dir/**'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
    },
    'filename_with_ext': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}, {'filename': '/dir/a.jpg'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
    },
    'filename_glob': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}, {'filename': '/dir/*.jpg'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
    },
    'filename_list_in': {
        'filter': {
            '$and': [
                {'hidden': False},
                {'type': 'file'},
                {'filename': {'$in': ['/a/**', '/b/c.png']}},
            ],
        },
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
    },
    'filename_not_recursive': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}, {'filename': '/dir'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
    },
    'dir_eq': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}, {'dir': '/dir'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
    },
    'annotation_filename_not_recursive': {
        'filter': {'$and': [{'type': {'$in': ANNOTATION_TYPES_BUT_NOTE}}, {'filename': '/dir'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'annotations',
    },
    'gt': {
        'filter': {
            '$and': [{'hidden': False}, {'type': 'file'}, {'metadata.user.x': {'$gt': 5}}],
        },
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
    },
    'all_ops': {
        'filter': {
            '$and': [
                {'hidden': False},
                {'type': 'file'},
                {'a': {'$lt': 1}},
                {'b': {'$gte': 2}},
                {'c': {'$lte': 3}},
                {'d': {'$ne': 4}},
                {'e': {'$nin': [1, 2]}},
                {'g': {'$exists': True}},
                {'h': {'$match': 'ab.*'}},
                {'i': {'$eq': 7}},
            ],
        },
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
    },
    'or_clauses': {
        'filter': {
            '$or': [{'metadata.user.a': 1}, {'metadata.user.b': 2}],
            '$and': [{'hidden': False}, {'type': 'file'}],
        },
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
    },
    'override_unique_type': {
        'filter': {'$and': [{'hidden': False}, {'type': 'dir'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
    },
    'override_unique_hidden': {
        'filter': {'$and': [{'type': 'file'}, {'hidden': True}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
    },
    'duplicate_non_unique': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}, {'name': 'a'}, {'name': 'b'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
    },
    'annotation_type_override': {
        'filter': {'$and': [{'type': 'box'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'annotations',
    },
    'annotation_item_id': {
        'filter': {'$and': [{'type': {'$in': ANNOTATION_TYPES_BUT_NOTE}}, {'itemId': 'abc'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'annotations',
    },
    'service_global_override': {
        'filter': {'$and': [{'global': True}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'services',
    },
    'sort': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}]},
        'sort': {'createdAt': 'descending', 'name': 'ascending'},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
    },
    'paging': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}]},
        'page': 3,
        'pageSize': 50,
        'resource': 'items',
    },
    'page_size_ctor': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}]},
        'page': 0,
        'pageSize': 20,
        'resource': 'items',
    },
    'executions_page_clamp': {'filter': {}, 'page': 0, 'pageSize': 100, 'resource': 'executions'},
    'items_page_clamp': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
    },
    'join_items': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
        'join': {
            'on': {'resource': 'annotations', 'local': 'itemId', 'forigen': 'id'},
            'filter': {'$and': [{'label': 'car'}]},
        },
    },
    'join_items_or': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
        'join': {
            'on': {'resource': 'annotations', 'local': 'itemId', 'forigen': 'id'},
            'filter': {'$and': [{'label': {'$in': ['car', 'dog']}}], '$or': [{'type': 'box'}]},
        },
    },
    'join_annotations': {
        'filter': {'$and': [{'type': {'$in': ANNOTATION_TYPES_BUT_NOTE}}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'annotations',
        'join': {
            'on': {'resource': 'items', 'local': 'id', 'forigen': 'itemId'},
            'filter': {'$and': [{'dir': '/x'}]},
        },
    },
    'pop_join': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
        'join': {
            'on': {'resource': 'annotations', 'local': 'itemId', 'forigen': 'id'},
            'filter': {'$and': [{'type': 'box'}]},
        },
    },
    'pop': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
    },
    'pop_both': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
    },
    'binaries_lookup': {
        'filter': {'$and': [{'name': 'Binaries'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'datasets',
        'context': {'projects': ['p1']},
        'systemSpace': True,
    },
    'query_only': {'filter': {'$and': [{'hidden': False}, {'type': 'file'}]}},
    'query_only_join': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}]},
        'join': {
            'on': {'resource': 'annotations', 'local': 'itemId', 'forigen': 'id'},
            'filter': {'$and': [{'label': 'x'}]},
        },
    },
    'delete_items': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}]},
        'resource': 'items',
        'delete': True,
    },
    'delete_annotations': {
        'filter': {'$and': [{'type': {'$in': ANNOTATION_TYPES_BUT_NOTE}}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'annotations',
        'delete': True,
    },
    'update_user': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
        'update': {'metadata': {'user': {'a': 1}}},
    },
    'update_empty': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
        'update': {},
    },
    'update_system': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
        'update': {'metadata': {'user': {'a': 1}, 'system': {'tags': {'train': True}}}},
        'systemSpace': True,
    },
    'update_system_no_flag': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
        'update': {'metadata': {'user': {'a': 1}}},
    },
    'update_system_only': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
        'update': {'metadata': {'system': {'x': 1}}},
        'systemSpace': True,
    },
    'custom_no_filter_key': {
        'filter': {'$and': [{'name': 'x'}]},
        'resource': 'items',
        'page': 0,
        'pageSize': 1000,
    },
    'custom_full': {
        'filter': {'$and': [{'id': {'$gt': 'a'}}]},
        'page': 2,
        'pageSize': 7,
        'resource': 'items',
        'sort': {'id': 'ascending'},
    },
    'custom_join_no_on': {
        'filter': {},
        'join': {
            'filter': {'$and': [{'label': 'a'}]},
            'on': {'resource': 'annotations', 'local': 'itemId', 'forigen': 'id'},
        },
        'resource': 'items',
        'page': 0,
        'pageSize': 1000,
    },
    'custom_annotation_join_no_on': {
        'filter': {},
        'join': {
            'filter': {'$and': [{'dir': '/a'}]},
            'on': {'resource': 'items', 'local': 'id', 'forigen': 'itemId'},
        },
        'resource': 'annotations',
        'page': 0,
        'pageSize': 1000,
    },
    'custom_with_join_attr': {
        'filter': {},
        'resource': 'items',
        'page': 0,
        'pageSize': 1000,
        'join': {
            'on': {'resource': 'annotations', 'local': 'itemId', 'forigen': 'id'},
            'filter': {'$and': [{'label': 'c'}]},
        },
    },
    'executions_context': {
        'filter': {'$and': [{'latestStatus.status': {'$in': ['success', 'failed']}}]},
        'page': 0,
        'pageSize': 100,
        'resource': 'executions',
        'context': {'datasets': ['d1']},
    },
    'services_sort': {
        'filter': {'$and': [{'global': {'$ne': True}}, {'packageId': 'pk'}]},
        'sort': {'createdAt': 'descending'},
        'page': 0,
        'pageSize': 1000,
        'resource': 'services',
    },
    'annotations_no_defaults': {
        'filter': {},
        'page': 0,
        'pageSize': 1000,
        'resource': 'annotations',
    },
    'resource_setter': {
        'filter': {'$and': [{'type': {'$in': ANNOTATION_TYPES_BUT_NOTE}}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'annotations',
    },
    'resource_setter_resets_page_size': {
        'filter': {'$and': [{'global': {'$ne': True}}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'services',
    },
    'resource_as_string': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
    },
    'ctor_or': {
        'filter': {'$or': [{'a': 1}], '$and': [{'hidden': False}, {'type': 'file'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
    },
    'method_attr_or': {
        'filter': {'$or': [{'x': 1}], '$and': [{'hidden': False}, {'type': 'file'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
    },
    'system_space_false': {
        'filter': {'$and': [{'hidden': False}, {'type': 'file'}]},
        'page': 0,
        'pageSize': 1000,
        'resource': 'items',
        'systemSpace': False,
    },
    'url_params': (
        'http://h/api/v1/items?hidden=False&type=file&metadata.user.a=x,y'
        '&&pageOffset=0&pageSize=1000'
    ),
    'url_params_empty': (
        '/x?&pageOffset=0&pageSize=1000'
    ),
}


BODIES = dict(_cases(dl) + _url_cases(dl))


def test_every_case_has_an_expectation():
    assert set(BODIES) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_prepare_matches_dtlpy(name):
    assert BODIES[name] == EXPECTED[name]
    if isinstance(EXPECTED[name], dict):
        # dtlpy emits keys in this order too; servers never depend on it, humans reading logs do
        assert list(BODIES[name]) == list(EXPECTED[name])


def test_prepare_returns_a_fresh_body():
    f = Filters()
    f.add_join("label", "car")
    body = f.prepare()
    body["filter"]["$and"].append({"x": 1})
    body["join"]["filter"]["$and"].append({"y": 2})
    assert f.prepare() == {
        "filter": {"$and": [{"hidden": False}, {"type": "file"}]},
        "page": 0,
        "pageSize": 1000,
        "resource": "items",
        "join": {
            "on": {"resource": "annotations", "local": "itemId", "forigen": "id"},
            "filter": {"$and": [{"label": "car"}]},
        },
    }


def test_custom_filter_dict_is_not_modified():
    custom = {"$and": [{"name": "x"}]}
    Filters(custom_filter=custom).prepare()
    assert custom == {"$and": [{"name": "x"}]}


def test_filename_values_are_not_rewritten_in_place():
    values = ["/a", "/b"]
    Filters(field="filename", values=values, operator=FiltersOperations.IN).prepare()
    assert values == ["/a", "/b"]


def test_glob_operator():
    f = Filters(field="filename", values="/x/*.jpg", operator=FiltersOperations.GLOB)
    assert f.prepare()["filter"]["$and"][-1] == {"filename": {"$glob": "/x/*.jpg"}}


def test_string_operator_and_method_are_accepted():
    f = Filters(use_defaults=False)
    f.add("a", 1, operator="gt", method="or")
    assert f.prepare()["filter"] == {"$or": [{"a": {"$gt": 1}}]}


def test_has_field_sees_and_and_or_clauses():
    f = Filters()
    f.add("x", 1, method=FiltersMethod.OR)
    assert f.has_field("x") and f.has_field("hidden")
    assert not f.has_field("y")


def test_filters_survive_deepcopy():
    f = Filters(resource=FiltersResource.ANNOTATION, field="itemId", values="i")
    clone = copy.deepcopy(f)
    clone.add("label", "dog")
    assert not f.has_field("label")
    assert clone.prepare()["filter"]["$and"][-2:] == [{"itemId": "i"}, {"label": "dog"}]


def test_resource_attributes():
    f = Filters(resource=FiltersResource.EXECUTION, context={"projects": ["p"]})
    assert f.resource == "executions" and isinstance(f.resource, str)
    assert (f.page, f.page_size, f.sort, f.custom_filter) == (0, 100, {}, None)
    assert f.context == {"projects": ["p"]} and f.system_space is None


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda f: f.add("a", 1, method="xor"), "method"),
        (lambda f: f.sort_by("a", "sideways"), "value"),
        (lambda f: f.prepare(operation="merge"), "operation"),
    ],
)
def test_bad_input_names_the_field(call, field):
    with pytest.raises(ValueError, match=field):
        call(Filters())


def test_join_is_only_for_items_and_annotations():
    with pytest.raises(ValueError, match="join"):
        Filters(resource=FiltersResource.SERVICE).add_join("a", 1)


@pytest.mark.parametrize("name", ["save", "load"])
def test_saved_filters_are_not_supported_yet(name):
    with pytest.raises(NotImplementedError, match="not supported by Conveyor yet"):
        getattr(Filters(), name)(None, "f")


def test_open_in_web_prints_and_returns_the_query_url(capsys):
    dataset = types.SimpleNamespace(id="d" * 24, url="http://127.0.0.1:7979/api/v1/datasets/d")
    url = Filters(field="dir", values="/a").open_in_web(dataset)
    assert url.startswith("http://127.0.0.1:7979/api/v1/datasets/d?view=icons&resource=items")
    assert "dqlFilter=" in url and "%22dir%22%3A+%22%2Fa%22" in url
    assert capsys.readouterr().out.strip() == url


def test_page_size_above_maximum_is_clamped_with_a_warning(caplog):
    f = Filters(resource=FiltersResource.EXECUTION, page_size=250)
    assert f.prepare()["pageSize"] == 100
    assert f.page_size == 100
    assert "greater than 100" in caplog.text


def test_module_exports():
    assert set(filters_module.__all__) == {
        "Filters", "FiltersKnownFields", "FiltersMethod", "FiltersOperations",
        "FiltersOrderByDirection", "FiltersResource",
    }
