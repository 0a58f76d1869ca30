"""DQL, the Dataloop query language: parse a request body into an immutable AST, evaluate it.

One evaluator serves every query route and every event trigger. ``store.dql_sql`` compiles
the same AST to SQL with exactly the semantics of :func:`matches`, defined here once:

* Paths are dotted (``metadata.user.x``). Walking a path, a list met on the way is
  unwrapped one level (``a.b`` reaches ``1`` and ``2`` in ``{"a": [{"b": 1}, {"b": 2}]}``);
  at the end of the path lists are unwrapped up to two levels before comparing. This is
  PostgreSQL jsonpath "lax" mode, which the SQL side uses, and MongoDB's "any element
  matches" for the usual one-level case.
* Comparisons are type-strict: null, bool, number, string. A value of another type (a
  string against ``$gt: 5``, ``true`` against ``1``) never matches and never raises.
  Strings compare by code point.
* ``$exists: true`` holds when the path reaches anything, ``null`` and ``[]`` included.
* Equality with ``null`` (also inside ``$in``) holds when the path is missing or reaches a
  null. ``$ne`` and ``$nin`` are the exact negations of ``$eq`` and ``$in``.
* ``$match`` and a plain string containing ``*`` or ``?`` on ``filename``/``dir`` are globs
  over the whole string: ``*`` any run of characters except ``/``, ``**`` any run including
  ``/``, ``?`` one character except ``/``, ``\\`` makes the next character literal. ``$eq``
  is always exact. Non-strings never match a glob.
* Empty ``$and``/``$or`` lists add no constraint; an empty filter matches everything.

Errors: :class:`DqlError` (an ``InvalidInputError``, hence HTTP 400, and a ``ValueError``);
its message starts with the location of the offending part, e.g.
``filter.$and[2]: unknown operator "$foo" on field "metadata.user.x"``.
"""

from __future__ import annotations

import copy
import json
import math
import operator
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from conveyor_runner.errors import InvalidInputError

COMPARISONS = {"$eq": operator.eq, "$gt": operator.gt, "$lt": operator.lt,
               "$gte": operator.ge, "$lte": operator.le}
NEGATIONS = {"$ne": "$eq", "$nin": "$in"}
OPERATORS = frozenset(COMPARISONS) | frozenset(NEGATIONS) | {"$in", "$exists", "$match"}
GLOB_FIELDS = frozenset({"filename", "dir"})
DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 1000
_DIRECTIONS = {"ascending": "ascending", "asc": "ascending", "1": "ascending",
               "descending": "descending", "desc": "descending", "-1": "descending"}
_JOIN_DEFAULTS = {"items": ("annotations", "itemId", "id"),
                  "annotations": ("items", "id", "itemId")}


class DqlError(InvalidInputError, ValueError):
    """A DQL body is malformed; ``field`` is the location (``filter.$and[2]``, ``sort``)."""


@dataclass(frozen=True)
class Compare:
    """``field op value``; ``value`` is a tuple for ``$in``/``$nin``, a bool for ``$exists``."""

    field: str
    op: str
    value: Any

    @property
    def path(self) -> tuple[str, ...]:
        """The field split on dots."""
        return tuple(self.field.split("."))


@dataclass(frozen=True)
class And:
    """True when every child is; ``And(())`` matches everything."""

    children: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Or:
    """True when any child is (never built empty)."""

    children: tuple[Node, ...]


Node = And | Or | Compare


@dataclass(frozen=True)
class Join:
    """Keep rows with a related ``resource`` row where ``local`` (of the joined resource)
    equals ``foreign`` (of the queried resource) and ``filter`` holds on the joined row."""

    resource: str
    local: str
    foreign: str
    filter: Node


@dataclass(frozen=True)
class Query:
    """A validated DQL body. ``context`` and ``update`` are private copies of the body's."""

    filter: Node
    resource: str
    sort: tuple[tuple[str, str], ...] = ()
    page: int = 0
    page_size: int = DEFAULT_PAGE_SIZE
    join: Join | None = None
    context: Mapping[str, Any] | None = None
    system_space: bool = False
    update: Mapping[str, Any] | None = None
    delete: bool = False


@dataclass(frozen=True)
class _Scope:
    """The fields a resource may be queried on: exact names or ``prefix.*``; None = any."""

    resource: str
    allowed: frozenset[str] | None

    def check(self, name: Any, where: str) -> str:
        if not isinstance(name, str) or not name or "" in name.split("."):
            raise DqlError(f"{where}: invalid field name {_show(name)}", where)
        if self.allowed is None or name in self.allowed or any(
            name == p[:-2] or name.startswith(p[:-1]) for p in self.allowed if p.endswith(".*")
        ):
            return name
        raise DqlError(f'{where}: unknown field "{name}" for resource "{self.resource}"', where)


# ---------------------------------------------------------------------------- parsing


def parse_query(
    body: Any,
    *,
    resource_fields: Mapping[str, Collection[str]] | None = None,
    default_resource: str | None = None,
    max_page_size: int = MAX_PAGE_SIZE,
) -> Query:
    """Validate a DQL request body into a :class:`Query`; unknown top-level keys are ignored.

    Args:
        body: the decoded JSON body.
        resource_fields: resource -> queryable fields (exact, or ``"metadata.*"`` for any
            path below). When given, the resource, filter, sort and join fields must be in
            it. None accepts any resource and field.
        default_resource: used when the body has no ``resource``.
        max_page_size: largest accepted ``pageSize``.

    Raises:
        DqlError: naming the offending key, clause, field, operator or value.
    """
    if not isinstance(body, Mapping):
        raise DqlError(f"query: expected a JSON object, got {_show(body)}", "query")
    resource = body.get("resource")
    scope = _scope(default_resource if resource is None else resource, "resource",
                   resource_fields)
    return Query(
        filter=_clauses(_or_empty(body.get("filter")), "filter", scope),
        resource=scope.resource,
        sort=_parse_sort(body.get("sort"), scope),
        page=_parse_int(body, "page", 0, None),
        page_size=_parse_int(body, "pageSize", DEFAULT_PAGE_SIZE, max_page_size),
        join=_parse_join(body.get("join"), scope, resource_fields),
        context=_parse_object(body, "context"),
        system_space=_parse_flag(body, "systemSpace"),
        update=_parse_object(body, "update"),
        delete=_parse_flag(body, "delete"),
    )


def parse_filter(
    raw: Any, *, fields: Collection[str] | None = None, where: str = "filter"
) -> Node:
    """Validate a filter object (``{"$and": [...], "$or": [...], field: value, ...}``).

    Used alone for trigger filters and pipeline conditions. All keys of one object are
    ANDed. ``fields`` restricts the field names as in :func:`parse_query`.

    Raises:
        DqlError: naming ``where`` and the offending part.
    """
    scope = _Scope("", None if fields is None else frozenset(fields))
    return _clauses(raw, where, scope)


def _clauses(raw: Any, where: str, scope: _Scope) -> Node:
    if not isinstance(raw, Mapping):
        raise DqlError(f"{where}: expected an object of clauses, got {_show(raw)}", where)
    parts: list[Node] = []
    for key, value in raw.items():
        if key in ("$and", "$or"):
            parts.extend(_group(key, value, where, scope))
        elif isinstance(key, str) and key.startswith("$"):
            raise DqlError(f'{where}: unknown operator "{key}"; use $and or $or', where)
        else:
            parts.extend(_field_clause(scope.check(key, where), value, where))
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _group(key: str, items: Any, where: str, scope: _Scope) -> list[Node]:
    if not isinstance(items, list):
        raise DqlError(f'{where}: "{key}" must be a list of clauses, got {_show(items)}', where)
    children = [_clauses(item, f"{where}.{key}[{i}]", scope)
                for i, item in enumerate(items)]
    if not children:
        return []
    if len(children) == 1:
        return children
    return [And(tuple(children)) if key == "$and" else Or(tuple(children))]


def _field_clause(name: str, value: Any, where: str) -> list[Compare]:
    if isinstance(value, Mapping):
        if not value:
            raise DqlError(f'{where}: empty operator object on field "{name}"', where)
        return [_operator(name, op, arg, where) for op, arg in value.items()]
    if isinstance(value, str) and name in GLOB_FIELDS and ("*" in value or "?" in value):
        return [Compare(name, "$match", value)]
    if isinstance(value, list):
        raise DqlError(f'{where}: field "{name}" got a list; use {{"$in": [...]}}', where)
    return [Compare(name, "$eq", _scalar(value, name, "$eq", where))]


def _operator(name: str, op: Any, arg: Any, where: str) -> Compare:
    if op not in OPERATORS:
        raise DqlError(f'{where}: unknown operator {_show(op)} on field "{name}"', where)
    if op in ("$in", "$nin"):
        if not isinstance(arg, list):
            raise DqlError(f'{where}: {op} on field "{name}" needs a list, got {_show(arg)}',
                           where)
        return Compare(name, op, tuple(_scalar(v, name, op, where) for v in arg))
    if op == "$exists" and not isinstance(arg, bool):
        raise DqlError(f'{where}: $exists on field "{name}" needs true or false, '
                       f"got {_show(arg)}", where)
    if op == "$match" and not isinstance(arg, str):
        raise DqlError(f'{where}: $match on field "{name}" needs a string, got {_show(arg)}',
                       where)
    if op in ("$gt", "$lt", "$gte", "$lte") and (arg is None or isinstance(arg, bool)):
        raise DqlError(f'{where}: {op} on field "{name}" needs a number or a string, '
                       f"got {_show(arg)}", where)
    return Compare(name, op, arg if op == "$exists" else _scalar(arg, name, op, where))


def _scalar(value: Any, name: str, op: str, where: str) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and math.isfinite(value):
        return value
    raise DqlError(f'{where}: {op} on field "{name}" needs null, a boolean, a finite '
                   f"number or a string, got {_show(value)}", where)


def _scope(resource: Any, where: str, resource_fields: Mapping | None) -> _Scope:
    if not isinstance(resource, str) or not resource:
        raise DqlError(f"{where}: required, a resource name like \"items\", got "
                       f"{_show(resource)}", where)
    if resource_fields is None:
        return _Scope(resource, None)
    if resource not in resource_fields:
        known = ", ".join(sorted(resource_fields))
        raise DqlError(f'{where}: unsupported resource "{resource}" (one of: {known})', where)
    return _Scope(resource, frozenset(resource_fields[resource]))


def _parse_sort(raw: Any, scope: _Scope) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise DqlError(f'sort: expected an object like {{"createdAt": "descending"}}, '
                       f"got {_show(raw)}", "sort")
    return tuple((scope.check(name, "sort"), _direction(name, d)) for name, d in raw.items())


def _direction(name: str, raw: Any) -> str:
    key = raw.lower() if isinstance(raw, str) else None
    if isinstance(raw, int) and not isinstance(raw, bool):
        key = str(raw)
    if key not in _DIRECTIONS:
        raise DqlError(f'sort: invalid direction {_show(raw)} for field "{name}"; '
                       'use "ascending" or "descending"', "sort")
    return _DIRECTIONS[key]


def _parse_join(raw: Any, scope: _Scope, resource_fields: Mapping | None) -> Join | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise DqlError(f"join: expected an object, got {_show(raw)}", "join")
    on = raw.get("on")
    if on is None and scope.resource in _JOIN_DEFAULTS:
        on = dict(zip(("resource", "local", "forigen"), _JOIN_DEFAULTS[scope.resource],
                      strict=True))
    if not isinstance(on, Mapping):
        raise DqlError(f"join.on: expected an object {{resource, local, forigen}}, "
                       f"got {_show(on)}", "join.on")
    if on.get("resource") not in ("annotations", "items"):
        raise DqlError(f'join.on.resource: must be "annotations" or "items", '
                       f"got {_show(on.get('resource'))}", "join.on.resource")
    joined = _scope(on["resource"], "join.on.resource", resource_fields)
    local = joined.check(on.get("local"), "join.on.local")
    foreign = scope.check(on.get("forigen", on.get("foreign")), "join.on.forigen")
    node = _clauses(_or_empty(raw.get("filter")), "join.filter", joined)
    return Join(joined.resource, local, foreign, node)


def _parse_int(body: Mapping, key: str, default: int, high: int | None) -> int:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0 and (
        high is None or value <= high
    ):
        return value
    bound = f"0..{high}" if high is not None else ">= 0"
    raise DqlError(f"{key}: expected an integer {bound}, got {_show(value)}", key)


def _parse_flag(body: Mapping, key: str) -> bool:
    value = body.get(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    raise DqlError(f"{key}: expected true or false, got {_show(value)}", key)


def _parse_object(body: Mapping, key: str) -> dict | None:
    value = body.get(key)
    if value is None or isinstance(value, Mapping):
        return copy.deepcopy(dict(value)) if value is not None else None
    raise DqlError(f"{key}: expected an object, got {_show(value)}", key)


def _or_empty(value: Any) -> Any:
    return {} if value is None else value


def _show(value: Any) -> str:
    text = json.dumps(value, default=repr)
    return text if len(text) <= 80 else text[:77] + "..."


# ---------------------------------------------------------------------------- evaluation


def matches(node: Node, doc: Mapping[str, Any]) -> bool:
    """Whether the JSON document satisfies the filter (semantics in the module docstring).

    Column-backed fields must be present in ``doc`` (null allowed): SQL treats a column
    as always present.
    """
    if isinstance(node, And):
        return all(matches(child, doc) for child in node.children)
    if isinstance(node, Or):
        return any(matches(child, doc) for child in node.children)
    return compare(doc, node.path, node.op, node.value)


def compare(doc: Any, path: tuple[str, ...], op: str, value: Any) -> bool:
    """Evaluate one comparison at ``path`` of ``doc``; never raises on odd data."""
    if op in NEGATIONS:
        return not compare(doc, path, NEGATIONS[op], value)
    if value is not None and op in COMPARISONS:
        leaf = _single_value(doc, path)
        if leaf is not _LISTED:  # the common case: one value or none, no lists to search
            return leaf is not _MISSING and _holds(op, leaf, value)
    reached = _reach(doc, path)
    if op == "$exists":
        return bool(reached) == value
    items = list(_leaves(reached))
    if op == "$in":
        return any(_test("$eq", v, items, reached) for v in value)
    return _test(op, value, items, reached)


def _test(op: str, value: Any, items: list, reached: list) -> bool:
    if op == "$match":
        pattern = glob_pattern(value)
        return any(isinstance(i, str) and pattern.search(i) is not None for i in items)
    if value is None:
        return not reached or any(i is None for i in items)
    return any(_holds(op, i, value) for i in items)


def _holds(op: str, item: Any, value: Any) -> bool:
    """``item <op> value`` for values of one kind; objects and arrays have no order."""
    if _kind(item) != _kind(value):
        return False
    try:
        return COMPARISONS[op](item, value)
    except TypeError:
        return False


_MISSING, _LISTED = object(), object()


def _single_value(doc: Any, path: tuple[str, ...]) -> Any:
    """The value at ``path`` if no list lies on the way or at its end (then the general
    any-element comparison reduces to one test); ``_MISSING`` if the path does not exist,
    ``_LISTED`` if a list was met (the caller takes the general way)."""
    current = doc
    for key in path:
        if isinstance(current, list):
            return _LISTED
        if not isinstance(current, dict) or key not in current:
            return _MISSING
        current = current[key]
    return _LISTED if isinstance(current, list) else current


def _reach(doc: Any, path: tuple[str, ...]) -> list:
    current = [doc]
    for key in path:
        step = []
        for value in current:
            for holder in value if isinstance(value, list) else (value,):
                if isinstance(holder, dict) and key in holder:
                    step.append(holder[key])
        current = step
    return current


def _leaves(values: list) -> Iterator[Any]:
    for value in values:
        for inner in value if isinstance(value, list) else (value,):
            yield from inner if isinstance(inner, list) else (inner,)


def _kind(value: Any) -> str:
    if value is None or isinstance(value, (bool, str)):
        return type(value).__name__
    if isinstance(value, (int, float)):
        return "number"
    return "array" if isinstance(value, list) else "object"


# ---------------------------------------------------------------------------- globs


def _glob_tokens(glob: str) -> Iterator[tuple[str, str]]:
    i = 0
    while i < len(glob):
        if glob[i] == "\\" and i + 1 < len(glob):
            yield "literal", glob[i + 1]
            i += 2
        elif glob.startswith("**", i):
            yield "any", ""
            i += 2
        else:
            yield {"*": "segment", "?": "one"}.get(glob[i], "literal"), glob[i]
            i += 1


@lru_cache(maxsize=512)
def glob_to_regex(glob: str) -> str:
    """The glob as a whole-string regex valid in Python, PostgreSQL ``~`` and jsonpath.

    Only ASCII punctuation is escaped (a backslash before it is literal in both engines);
    ``(?s)`` makes ``.`` match newlines everywhere.
    """
    parts = {"any": ".*", "segment": "[^/]*", "one": "[^/]"}
    body = "".join(
        parts.get(kind) or (c if not c.isascii() or c.isalnum() else "\\" + c)
        for kind, c in _glob_tokens(glob)
    )
    return f"(?s)\\A(?:{body})\\Z"


def glob_to_like(glob: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching a superset of the glob."""
    parts = {"any": "%", "segment": "%", "one": "_"}
    return "".join(
        parts.get(kind) or ("\\" + c if c in "%_\\" else c) for kind, c in _glob_tokens(glob)
    )


@lru_cache(maxsize=512)
def glob_pattern(glob: str) -> re.Pattern[str]:
    """The compiled :func:`glob_to_regex`."""
    return re.compile(glob_to_regex(glob))
