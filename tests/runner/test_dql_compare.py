"""One comparison on a path without lists (the evaluator's short way) means what the general
any-element way means: the same value wrapped in a one-element list compares the same."""

from __future__ import annotations

import itertools

import pytest

from conveyor_runner.control.dql import COMPARISONS, compare

LEAVES = [0, 1, 2.5, -3, True, False, "a", "b", "", "1", {"k": 1}, None]
VALUES = [0, 1, 2.5, True, False, "a", "b", "1", {"k": 1}]


@pytest.mark.parametrize("op", sorted(COMPARISONS))
def test_a_scalar_compares_as_its_one_element_list(op):
    for leaf, value in itertools.product(LEAVES, VALUES):
        short = compare({"m": {"x": leaf}}, ("m", "x"), op, value)
        general = compare({"m": {"x": [leaf]}}, ("m", "x"), op, value)
        assert short == general, (leaf, op, value)


@pytest.mark.parametrize("doc", [{}, {"m": 1}, {"m": "text"}, {"m": {}}, None, "plain"])
def test_a_missing_path_never_matches(doc):
    for op, value in itertools.product(sorted(COMPARISONS), VALUES):
        assert compare(doc, ("m", "x"), op, value) is False
        assert compare(doc, ("m", "x"), "$ne", value) is True
