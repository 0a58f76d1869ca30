"""Compile the DQL AST of ``control.dql`` into SQLAlchemy expressions (SQLite, PostgreSQL).

The semantics are exactly those of :func:`conveyor_runner.control.dql.matches`;
``tests/runner/test_dql_parity.py`` runs the same queries on both databases and in Python.

How each kind of field is compiled, and why:

* Plain columns (``FieldRef(column=...)``) become ordinary, index-friendly SQL. Every
  predicate is two-valued (``col IS NOT NULL AND col = v``), so ``$ne``/``$nin``, compiled
  as ``NOT``, stay right on NULLs. A value of another type than the column's (a string
  against a Boolean column) compiles to FALSE. A column counts as always present:
  ``$exists: true`` is TRUE, equality with null is ``IS NULL``.
* JSON paths (``FieldRef(json=(col, path))``) need "any element of a list matches", which
  plain JSON extraction cannot express. PostgreSQL: a jsonpath in lax mode, whose list
  unwrapping and type-strict comparisons are the semantics ``dql`` adopts, queried with
  ``col @? '<jsonpath>'`` (indexable by a GIN ``jsonb_path_ops`` index; the column must be
  JSONB). Values are embedded as JSON literals, so nothing is spliced unescaped. SQLite has
  no jsonpath: the function ``conveyor_dql_json(col, spec)``, registered by
  :func:`install_sqlite_functions`, calls ``dql.compare`` in Python. That is a scan, fine
  for the embedded single-node mode, and agrees with Python by construction.
* Globs on columns: a ``LIKE`` prefilter (lets PostgreSQL use a prefix index) AND a regex
  that tells ``*`` from ``**`` (``~`` on PostgreSQL, ``REGEXP`` on SQLite, which calls the
  Python function :func:`install_sqlite_functions` registers).
* Strings order by code point in Python and in SQLite (BINARY). On PostgreSQL the
  column's collation decides: declare string columns that are sorted or range-compared
  (id, createdAt, name) with ``COLLATE "C"`` to get the same order and keep indexes usable.
"""

from __future__ import annotations

import json
import operator
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import UserDefinedType

from conveyor_runner.control.dql import (
    NEGATIONS,
    And,
    Node,
    Or,
    compare,
    glob_to_like,
    glob_to_regex,
)

_SQL_COMPARISONS = {"$eq": operator.eq, "$gt": operator.gt, "$lt": operator.lt,
                    "$gte": operator.ge, "$lte": operator.le}
_JSONPATH_COMPARISONS = {"$eq": "==", "$gt": ">", "$lt": "<", "$gte": ">=", "$lte": "<="}
SQLITE_JSON_FUNCTION = "conveyor_dql_json"


@dataclass(frozen=True)
class FieldRef:
    """Where a DQL field lives: exactly one of ``column`` or ``json`` is set.

    Attributes:
        column: a typed column or SQL expression (String, Boolean, Integer/Float/Numeric).
        json: ``(json_column, path)``; an empty path is the whole document. The column is
            ``JSON().with_variant(JSONB(), "postgresql")``.
    """

    column: Any = None
    json: tuple[Any, tuple[str, ...]] | None = None

    def __post_init__(self) -> None:
        if (self.column is None) == (self.json is None):
            raise TypeError("FieldRef needs exactly one of column= or json=")


Resolver = Callable[[str], FieldRef]


def compile_filter(node: Node, resolve: Resolver) -> ColumnElement[bool]:
    """The filter as a two-valued SQL condition (never NULL).

    Args:
        node: a parsed filter (``Query.filter`` or ``Join.filter``).
        resolve: maps a DQL field to its :class:`FieldRef`; it raises ``DqlError`` for a
            field the resource does not have.
    """
    if isinstance(node, And):
        return sa.and_(sa.true(), *(compile_filter(child, resolve) for child in node.children))
    if isinstance(node, Or):
        return sa.or_(sa.false(), *(compile_filter(child, resolve) for child in node.children))
    ref = resolve(node.field)
    if ref.json is not None:
        column, path = ref.json
        return JsonCompare(column, tuple(path), node.op, node.value)
    return _column_compare(ref.column, node.op, node.value)


def compile_sort(sort: tuple[tuple[str, str], ...], resolve: Resolver) -> list:
    """ORDER BY clauses for ``Query.sort``, ending with ``id`` so that order is total.

    The tie-breaker takes the direction of the last key (ascending if none), which keeps
    keyset paging (``id $gt``/``$lt`` the last id) coherent with a descending sort. NULL and
    missing values come first when ascending and last when descending. How values of
    different JSON types order among themselves differs between databases.
    """
    clauses, direction = [], "ascending"
    for field, direction in sort:
        clauses.append(_order(resolve(field), direction))
    if "id" not in {field for field, _ in sort}:
        clauses.append(_order(resolve("id"), direction))
    return clauses


def _order(ref: FieldRef, direction: str) -> Any:
    key = ref.column if ref.column is not None else JsonSortKey(ref.json[0], tuple(ref.json[1]))
    ordered = key.asc() if direction == "ascending" else key.desc()
    if not getattr(key, "nullable", True):
        return ordered  # a NOT NULL column: no NULLS clause, so its index serves the sort
    return ordered.nulls_first() if direction == "ascending" else ordered.nulls_last()


# ---------------------------------------------------------------------------- columns


def _column_compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op in NEGATIONS:
        return sa.not_(_column_compare(column, NEGATIONS[op], value))
    if op == "$exists":
        return sa.true() if value else sa.false()
    kind = _column_kind(column)
    if op == "$in":
        wanted = [v for v in value if v is not None and _kind(v) == kind]
        parts = [_present(column, column.in_(wanted))] if wanted else []
        if any(v is None for v in value):
            parts.append(column.is_(None))
        return sa.or_(sa.false(), *parts)
    if value is None:
        return column.is_(None)
    if op == "$match":
        return _column_glob(column, value) if kind == "str" else sa.false()
    if _kind(value) != kind:
        return sa.false()
    return _present(column, _SQL_COMPARISONS[op](column, value))


def _column_glob(column: Any, glob: str) -> ColumnElement[bool]:
    return _present(column, sa.and_(
        column.like(glob_to_like(glob), escape="\\"),
        column.regexp_match(glob_to_regex(glob)),
    ))


def _present(column: Any, condition: Any) -> ColumnElement[bool]:
    return sa.and_(column.is_not(None), condition)


def _column_kind(column: Any) -> str:
    column_type = column.type
    if isinstance(column_type, sa.Boolean):
        return "bool"
    if isinstance(column_type, (sa.Integer, sa.Numeric)):
        return "number"
    if isinstance(column_type, sa.String):
        return "str"
    raise TypeError(f"DQL cannot compare column {column} of type {column_type}; "
                    "map JSON columns with FieldRef(json=...)")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, (int, float)) else "str"


# ---------------------------------------------------------------------------- JSON paths


class JsonCompare(ColumnElement[bool]):
    """One DQL comparison on a path of a JSON column, rendered per dialect."""

    type = sa.Boolean()
    # Values are bound while compiling, so a cached statement would reuse stale ones.
    inherit_cache = False

    def __init__(self, column: Any, path: tuple[str, ...], op: str, value: Any) -> None:
        self.column, self.path, self.op, self.value = column, path, op, value


class JsonSortKey(ColumnElement[Any]):
    """The value at a JSON path, for ORDER BY (jsonb on PostgreSQL, SQL value on SQLite)."""

    inherit_cache = False

    def __init__(self, column: Any, path: tuple[str, ...]) -> None:
        self.column, self.path = column, path
        self.type = sa.JSON()


class _JsonPathType(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "JSONPATH"


@compiles(JsonCompare)
@compiles(JsonSortKey)
def _unsupported(element: Any, compiler: Any, **_kw: Any) -> str:
    raise CompileError(f"DQL on JSON fields supports SQLite and PostgreSQL, "
                       f"not {compiler.dialect.name}")


@compiles(JsonCompare, "sqlite")
def _json_compare_sqlite(element: JsonCompare, compiler: Any, **kw: Any) -> str:
    spec = json.dumps([list(element.path), element.op, element.value])
    call = getattr(sa.func, SQLITE_JSON_FUNCTION)(element.column, spec)
    return compiler.process(call, **kw)


@compiles(JsonCompare, "postgresql")
def _json_compare_postgresql(element: JsonCompare, compiler: Any, **kw: Any) -> str:
    # Parenthesised: the condition may be an OR, and the enclosing AND cannot see inside.
    return f"({compiler.process(_jsonpath_condition(element), **kw)})"


def _jsonpath_condition(element: JsonCompare) -> ColumnElement[bool]:
    column, path, op, value = element.column, _jsonpath(element.path), element.op, element.value
    if op in NEGATIONS:
        return sa.not_(_jsonpath_condition(JsonCompare(column, element.path, NEGATIONS[op], value)))
    if op == "$exists":
        found = _has(column, path)
        return found if value else sa.not_(found)
    values = value if op == "$in" else (value,)
    test = "$eq" if op == "$in" else op
    predicates = [_jsonpath_predicate(test, v) for v in values if v is not None]
    parts = [_has(column, f"{path} ? ({' || '.join(predicates)})")] if predicates else []
    if any(v is None for v in values):  # missing, or reaches a null
        parts.append(sa.or_(sa.not_(_has(column, path)), _has(column, f"{path} ? (@ == null)")))
    return sa.or_(sa.false(), *parts)


def _jsonpath_predicate(op: str, value: Any) -> str:
    if op == "$match":
        return f"@ like_regex {json.dumps(glob_to_regex(value))}"
    return f"@ {_JSONPATH_COMPARISONS[op]} {json.dumps(value)}"


def _jsonpath(path: tuple[str, ...]) -> str:
    return "$" + "".join(f".{json.dumps(key)}" for key in path)


def _has(column: Any, jsonpath: str) -> ColumnElement[bool]:
    """``column @? jsonpath``, FALSE (not NULL) for a NULL column."""
    path = sa.cast(sa.literal(jsonpath, sa.Text()), _JsonPathType())
    return _present(column, column.op("@?", is_comparison=True)(path))


@compiles(JsonSortKey, "postgresql")
def _json_sort_key_postgresql(element: JsonSortKey, compiler: Any, **kw: Any) -> str:
    if not element.path:
        return compiler.process(element.column, **kw)
    return compiler.process(element.column[element.path], **kw)


@compiles(JsonSortKey, "sqlite")
def _json_sort_key_sqlite(element: JsonSortKey, compiler: Any, **kw: Any) -> str:
    path = "$" + "".join(f'."{key}"' for key in element.path)
    return compiler.process(sa.func.json_extract(element.column, path), **kw)


# ---------------------------------------------------------------------------- SQLite functions


def install_sqlite_functions(dbapi_connection: sqlite3.Connection) -> None:
    """Register ``REGEXP`` and ``conveyor_dql_json`` on a raw sqlite3 connection.

    Call it from the engine's ``connect`` event; compiled DQL needs both on SQLite.
    """
    dbapi_connection.create_function("regexp", 2, _regexp, deterministic=True)
    dbapi_connection.create_function(SQLITE_JSON_FUNCTION, 2, _json_compare,
                                     deterministic=True)


def _regexp(pattern: str, value: Any) -> int:
    return int(isinstance(value, str) and _compiled(pattern).search(value) is not None)


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _json_compare(document: Any, spec: str) -> int:
    path, op, value = _spec(spec)
    return int(compare(_document(document), path, op, value))


@lru_cache(maxsize=512)
def _spec(spec: str) -> tuple[tuple[str, ...], str, Any]:
    path, op, value = json.loads(spec)
    return tuple(path), op, tuple(value) if isinstance(value, list) else value


@lru_cache(maxsize=4096)
def _document(document: Any) -> Any:
    # Several predicates of one row, and the count query before the page query, read the
    # same documents: parse each once (a page is at most 1,000 rows).
    return None if document is None else json.loads(document)
