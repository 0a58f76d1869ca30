"""conveyor.runtime.invocation without a server: scalars, errors, injection, output."""

import pytest

import conveyor as dl
from conveyor.annotations import Annotation, AnnotationCollection
from conveyor.runtime import invocation
from conveyor.runtime.invocation import InputError, OutputError

DECLARED = [
    {"name": "text", "type": "String"},
    {"name": "count", "type": "Integer"},
    {"name": "ratio", "type": "Float"},
    {"name": "flag", "type": "Boolean"},
    {"name": "config", "type": "Json"},
    {"name": "numbers", "type": "Number[]"},
]


def test_scalars_are_type_checked_and_passed_through():
    values = {"text": "hi", "count": 3, "ratio": 1, "flag": False, "config": {"a": [1]},
              "numbers": [1, 2.5], "undeclared": "ignored"}
    kwargs = invocation.resolve_inputs(DECLARED, values, client_api=None)
    assert kwargs == {"text": "hi", "count": 3, "ratio": 1, "flag": False,
                      "config": {"a": [1]}, "numbers": [1, 2.5]}


def test_absent_and_null_inputs_are_left_to_python_defaults():
    kwargs = invocation.resolve_inputs(DECLARED, {"text": "x", "count": None}, None)
    assert kwargs == {"text": "x"}
    assert invocation.resolve_inputs(DECLARED, None, None) == {}


def test_function_io_objects_are_accepted_as_declarations():
    declared = [dl.FunctionIO(type=dl.PackageInputType.STRING, name="text")]
    assert invocation.resolve_inputs(declared, {"text": "a"}, None) == {"text": "a"}


@pytest.mark.parametrize("declared, values, named", [
    ([{"name": "count", "type": "Integer"}], {"count": "3"}, "input.count"),
    ([{"name": "count", "type": "Integer"}], {"count": True}, "input.count"),
    ([{"name": "flag", "type": "Boolean"}], {"flag": 1}, "input.flag"),
    ([{"name": "text", "type": "String"}], {"text": 5}, "input.text"),
    ([{"name": "xs", "type": "Integer[]"}], {"xs": 5}, "input.xs"),
    ([{"name": "xs", "type": "Integer[]"}], {"xs": [1, "2"]}, "input.xs"),
    ([{"name": "weird", "type": "Banana"}], {"weird": 1}, "input.weird"),
    ([{"name": "item", "type": "Item"}], {"item": {"dataset_id": "d"}}, "input.item"),
    ([{"name": "item", "type": "Item"}], {"item": 42}, "input.item"),
])
def test_bad_values_raise_input_error_naming_the_input(declared, values, named):
    with pytest.raises(InputError) as caught:
        invocation.resolve_inputs(declared, values, client_api=None)
    assert str(caught.value).startswith(named)
    assert caught.value.input_name == named.split(".", 1)[1]
    assert isinstance(caught.value, ValueError)


def test_a_non_dict_input_is_refused():
    with pytest.raises(InputError, match="^input: expected an object"):
        invocation.resolve_inputs(DECLARED, ["text"], None)


def test_pass_through_entity_types_are_not_fetched():
    declared = [{"name": "task", "type": "Task"}, {"name": "recipes", "type": "Recipe[]"}]
    values = {"task": {"task_id": "t1"}, "recipes": ["r1", "r2"]}
    assert invocation.resolve_inputs(declared, values, None) == values


def test_entity_id_forms():
    assert invocation.entity_id_of("Item", "abc") == "abc"
    assert invocation.entity_id_of("Item", {"item_id": "a", "dataset_id": None}) == "a"
    assert invocation.entity_id_of("Item", {"itemId": "b"}) == "b"
    assert invocation.entity_id_of("Item", {"id": "c"}) == "c"
    assert invocation.entity_id_of("Item", {"dataset_id": "d"}) is None
    assert invocation.entity_id_of("Item", "") is None


# --------------------------------------------------------------------------- injection
class Runner:
    def with_both(self, x, progress, context):
        return x, progress, context

    def with_progress_default(self, x, progress=None):
        return x, progress

    def plain(self, x):
        return x

    def with_context(self, context=None):
        return context


def test_progress_and_context_are_injected_only_when_declared():
    runner, progress, context = Runner(), dl.Progress(), object()
    assert invocation.call_function(runner.with_both, {"x": 1}, progress=progress,
                                    context=context) == (1, progress, context)
    assert invocation.call_function(runner.plain, {"x": 2}, progress=progress,
                                    context=context) == 2


def test_a_progress_parameter_gets_a_noop_progress_when_none_is_given():
    _, progress = invocation.call_function(Runner().with_progress_default, {"x": 1})
    assert isinstance(progress, dl.Progress) and progress.update(progress=50) is False


def test_context_from_the_inputs_wins_and_missing_context_keeps_the_default():
    runner = Runner()
    assert invocation.call_function(runner.with_context, {"context": "mine"},
                                    context="injected") == "mine"
    assert invocation.call_function(runner.with_context, {}) is None


def test_callables_of_every_kind_get_what_their_signature_names():
    class Counter:  # a callable instance, unhashable (it defines __eq__ only)
        def __eq__(self, other):
            return self is other

        def __call__(self, x, progress):
            return x, progress

    progress = dl.Progress()
    for _ in range(2):  # the second call answers from what the first worked out
        assert invocation.call_function(Counter(), {"x": 1}, progress=progress) == (1, progress)
        assert invocation.call_function(lambda x, context: (x, context), {"x": 2},
                                        context="c") == (2, "c")
        assert invocation.call_function(Runner().plain, {"x": 3}, progress=progress) == 3
    assert invocation.call_function(dict, {"a": 4}, progress=progress) == {"a": 4}  # no signature


def test_call_function_does_not_modify_kwargs_and_propagates_errors():
    kwargs = {"x": 1}
    invocation.call_function(Runner().with_progress_default, kwargs)
    assert kwargs == {"x": 1}

    def boom(x):
        raise KeyError(x)

    with pytest.raises(KeyError):
        invocation.call_function(boom, {"x": "k"})


# --------------------------------------------------------------------------- output
def test_entities_become_type_id_dicts():
    item = dl.Item.from_json({"id": "i1", "datasetId": "d1"}, client_api=None)
    dataset = dl.Dataset.from_json(project=None, _json={"id": "d1", "projects": ["p"]},
                                   client_api=None)
    execution = dl.Execution.from_json({"id": "e1"}, client_api=None)
    output = invocation.to_output({"items": [item, item], "pair": (dataset, execution)})
    assert output == {"items": [{"item_id": "i1"}, {"item_id": "i1"}],
                      "pair": [{"dataset_id": "d1"}, {"execution_id": "e1"}]}


def test_annotations_with_and_without_ids_and_collections():
    saved = Annotation.from_json({"id": "a1", "type": "class", "label": "cat",
                                  "coordinates": None, "metadata": {}})
    collection = AnnotationCollection()
    collection.add(annotation_definition=dl.Classification(label="dog"))
    output = invocation.to_output([saved, collection])
    assert output[0] == {"annotation_id": "a1"}
    assert isinstance(output[1], list) and output[1][0]["label"] == "dog"
    assert output[1][0]["type"] == "class"


def test_plain_json_stays_as_is_and_tuples_become_lists():
    assert invocation.to_output(None) is None
    assert invocation.to_output(("a", 1, 2.5, True, None)) == ["a", 1, 2.5, True, None]
    assert invocation.to_output({1: "x", "k": {"n": [1]}}) == {"1": "x", "k": {"n": [1]}}


@pytest.mark.parametrize("value, where", [
    ({1, 2}, "output: set"),
    ({"a": [b"x"]}, "output.a[0]: bytes"),
    (object(), "output: object"),
])
def test_non_json_output_names_the_type_and_place(value, where):
    with pytest.raises(OutputError) as caught:
        invocation.to_output(value)
    assert str(caught.value).startswith(where)
    assert isinstance(caught.value, ValueError)


def test_a_snapshot_stands_in_for_a_deleted_entity():
    from conveyor.runtime import invocation

    body = {"id": "a" * 24, "datasetId": "b" * 24, "filename": "/gone.txt", "name": "gone.txt",
            "dir": "/", "type": "file", "metadata": {"system": {"size": 3}}}
    kwargs = invocation.resolve_inputs([{"name": "item", "type": "Item"}],
                                       {"item": {"item_id": "a" * 24}}, client_api=None,
                                       snapshots={"a" * 24: body})
    assert kwargs["item"].filename == "/gone.txt" and kwargs["item"].id == "a" * 24
