"""DQL means the same thing in Python, on SQLite and on PostgreSQL.

One table of ~70 varied rows is loaded into a SQLite file and into a uniquely named
PostgreSQL table, dropped afterwards (the server comes from the ``postgres_url`` fixture:
``CONVEYOR_TEST_POSTGRES_URL``; skipped without a server, failed under ``CI=true``). Each
query of QUERIES must select the same ids in all three; about forty also carry the expected
ids written by hand (or as an independent Python predicate over the rows).
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from conveyor_runner.control.dql import matches, parse_filter, parse_query
from conveyor_runner.store.dql_sql import (
    FieldRef,
    compile_filter,
    compile_sort,
    install_sqlite_functions,
)

TEXT = sa.String().with_variant(sa.String(collation="C"), "postgresql")
COLUMNS = {"id": "id", "filename": "filename", "dir": "dir", "name": "name",
           "hidden": "hidden", "type": "type", "createdAt": "created_at", "size": "size"}
SQL_NULL = object()  # a doc stored as SQL NULL rather than JSON null


def special(rid, doc, *, dir="/s", name=None, **columns):
    name = name if name is not None else f"{rid}.jpg"
    return {"id": rid, "dir": dir, "name": name, "doc": doc, **columns}


def user(**fields):
    return {"metadata": {"user": fields}}


SPECIALS = [
    special("s01", user(x=5, tags=["train", "val"])),
    special("s02", user(x="5", tags=[])),
    special("s03", user(x=True, tags="train")),
    special("s04", user(x=None, tags=[None])),
    special("s05", user()),
    special("s06", {}),
    special("s07", SQL_NULL),
    special("s08", None),
    special("s09", user(x=5.0, tags=[["train"]])),
    special("s10", user(x=7.5, tags=[1, "1", True])),
    special("s11", user(x=-3, tags=["TRAIN"])),
    special("s12", user(x=10**20 + 1)),
    special("s13", user(x=[5, 6])),
    special("s14", user(x={"nested": 5})),
    special("s15", {"objects": [{"label": "cat", "score": 0.9}, {"label": "dog", "score": 0.4}]}),
    special("s16", {"objects": [{"label": "cat"}]}),
    special("s17", {"objects": [{"score": 0.95}, {"label": None}]}),
    special("s18", {"objects": {"label": "cat", "score": 0.5}}),
    special("s19", {"objects": [[{"label": "cat"}]]}),
    special("s20", user(s="B")),
    special("s21", user(s="a")),
    special("s22", user(s="_")),
    special("s23", user(s="é")),
    special("s24", user(s="😀")),
    special("s25", user(s="line1\nline2")),
    special("s26", {}, dir="/a", name="UPPER.JPG"),
    special("s27", {}, dir="/a/b", name="star*name.jpg"),
    special("s28", {}, dir="/a/b/c", name="q?.png"),
    special("s29", {}, dir="/x", name="percent%_x.txt"),
    special("s30", {}, dir="/x", name="", hidden=True),
    special("s31", {}, dir="/x", name="new\nline.txt"),
    special("s32", {}, dir="/x", name="back\\slash.txt"),
    special("s33", {"metadata": {"system": {"refs": [{"type": "task", "id": "t1"},
                                                      {"type": "assignment", "id": "a1"}]}}}),
    special("s34", user(x="abc", flag=False)),
    special("s35", {"latestStatus": {"status": "failed"}, "global": True}),
    special("s36", {"global": False}),
    special("s37", {"metadata": {"user": {'we"ird\\key': 1, "s": 'q"uo\\te'}}}),
    special("s38", {"metadata": {"user": {"s": "weird (1) [x].{y}+$^|.png"}}}, dir="/w",
            name="weird (1) [x].{y}+$^|.png"),
]
S_IDS = {row["id"] for row in SPECIALS if row["dir"] == "/s"}
GEN_DIRS = ["/", "/a", "/a/b", "/a/b/c", "/x", "/x/y z"]


def generated(i):
    user_meta = {"x": i % 6 if i % 4 else str(i % 6), "score": i / 10,
                 "tags": [["train", "val", "test"][i % 3]] + (["extra"] if i % 2 else [])}
    doc = {"metadata": {"user": user_meta, "system": {"tags": {"train": True} if i % 3 == 0
                                                      else {}}}}
    if i % 4 == 1:
        doc["objects"] = [{"label": ["cat", "dog"][i % 2], "score": (i % 10) / 10}]
    extension = ["jpg", "png", "txt", "json"][i % 4]
    return {"id": f"g{i:02d}", "dir": GEN_DIRS[i % 6], "name": f"g{i:02d}.{extension}",
            "hidden": i % 7 == 0, "type": "dir" if i % 9 == 0 else "file",
            "size": None if i % 5 == 0 else i * 10, "doc": doc,
            "created_at": f"2026-0{1 + i % 9}-{10 + i:02d}T00:00:00.000Z"}


def build_rows():
    rows = []
    for n, row in enumerate(SPECIALS + [generated(i) for i in range(30)]):
        row = {"hidden": False, "type": "file", "size": None,
               "created_at": f"2026-01-01T00:00:{n % 60:02d}.000Z", **row}
        if row["name"] == "":
            row["name"], row["filename"] = None, f"{row['dir']}/noname"
        else:
            row["filename"] = f"{row['dir'].rstrip('/')}/{row['name']}"
        rows.append(row)
    return rows


ROWS = build_rows()
ALL_IDS = {row["id"] for row in ROWS}


def as_document(row):
    """The wire JSON of a row: every column key present, plus the JSON document."""
    document = {wire: row[column] for wire, column in COLUMNS.items()}
    if isinstance(row["doc"], dict):
        document.update(row["doc"])
    return document


DOCUMENTS = [as_document(row) for row in ROWS]


def where(predicate):
    """Expected ids by an independent Python predicate over the wire documents."""
    return {d["id"] for d in DOCUMENTS if predicate(d)}


def in_s(*ids):
    return set(ids)


MISSING_X = S_IDS - in_s("s01", "s02", "s03", "s04", "s09", "s10", "s11", "s12", "s13", "s14",
                         "s34")
NULL_X = MISSING_X | in_s("s04")
X_EQ_5 = in_s("s01", "s09", "s13")
S = {"dir": "/s"}

# (label, filter, expected ids or None). Expected sets are written by hand.
QUERIES = [
    ("everything", {}, ALL_IDS),
    ("x == 5 (int, float, list)", {"$and": [S, {"metadata.user.x": 5}]}, X_EQ_5),
    ("x == '5' string", {"$and": [S, {"metadata.user.x": "5"}]}, in_s("s02")),
    ("x == true", {"$and": [S, {"metadata.user.x": True}]}, in_s("s03")),
    ("x == null is null or missing", {"$and": [S, {"metadata.user.x": None}]}, NULL_X),
    ("x exists incl. null", {"$and": [S, {"metadata.user.x": {"$exists": True}}]},
     S_IDS - MISSING_X),
    ("x > 5 numbers only", {"$and": [S, {"metadata.user.x": {"$gt": 5}}]},
     in_s("s10", "s12", "s13")),
    ("x >= '5' strings only", {"$and": [S, {"metadata.user.x": {"$gte": "5"}}]},
     in_s("s02", "s34")),
    ("x != 5", {"$and": [S, {"metadata.user.x": {"$ne": 5}}]}, S_IDS - X_EQ_5),
    ("x in [5, '5', null]", {"$and": [S, {"metadata.user.x": {"$in": [5, "5", None]}}]},
     X_EQ_5 | NULL_X | in_s("s02")),
    ("x nin [5, true]", {"$and": [S, {"metadata.user.x": {"$nin": [5, True]}}]},
     S_IDS - X_EQ_5 - in_s("s03")),
    ("tags == 'train' through lists", {"$and": [S, {"metadata.user.tags": "train"}]},
     in_s("s01", "s03", "s09")),
    ("tags exists incl. [] and [null]",
     {"$and": [S, {"metadata.user.tags": {"$exists": True}}]},
     in_s("s01", "s02", "s03", "s04", "s09", "s10", "s11")),
    ("objects.label == cat", {"$and": [S, {"objects.label": "cat"}]},
     in_s("s15", "s16", "s18")),
    ("objects.label == null", {"$and": [S, {"objects.label": None}]},
     S_IDS - in_s("s15", "s16", "s18")),
    ("objects.score > 0.8", {"$and": [S, {"objects.score": {"$gt": 0.8}}]},
     in_s("s15", "s17")),
    ("s < 'a' by code point", {"$and": [S, {"metadata.user.s": {"$lt": "a"}}]},
     in_s("s20", "s22")),
    ("s > 'z' non-ASCII", {"$and": [S, {"metadata.user.s": {"$gt": "z"}}]},
     in_s("s23", "s24")),
    ("s == emoji", {"metadata.user.s": "😀"}, in_s("s24")),
    ("refs.id == t1", {"metadata.system.refs.id": "t1"}, in_s("s33")),
    ("nested and/or", {"$and": [S, {"$or": [
        {"metadata.user.x": {"$gt": 0, "$lt": 6}},
        {"$and": [{"objects.label": "cat"}, {"objects.score": {"$gte": 0.5}}]}]}]},
     in_s("s01", "s09", "s13", "s15", "s18")),
    ("filename /a/** recursive", {"filename": "/a/**"},
     where(lambda d: d["filename"].startswith("/a/"))),
    ("filename /a/* direct children", {"filename": "/a/*"},
     where(lambda d: d["filename"].startswith("/a/") and d["filename"].count("/") == 2)),
    ("dir /a/* one level below", {"dir": "/a/*"}, where(lambda d: d["dir"] == "/a/b")),
    ("filename /* root files", {"filename": "/*"}, where(lambda d: d["dir"] == "/")),
    ("name $match *.JPG is case-sensitive", {"name": {"$match": "*.JPG"}}, in_s("s26")),
    ("filename $eq is exact", {"filename": {"$eq": "/a/b/star*name.jpg"}}, in_s("s27")),
    ("glob with escaped star", {"filename": "/a/b/star\\*name.jpg"}, in_s("s27")),
    ("glob ? matches '?'", {"filename": "/a/b/c/q?.png"}, in_s("s28")),
    ("name '?' is not a glob field", {"name": "q?.png"}, in_s("s28")),
    ("LIKE wildcards are literal", {"name": {"$match": "percent%_*"}}, in_s("s29")),
    ("* crosses a newline", {"name": {"$match": "new*"}}, in_s("s31")),
    ("escaped backslash", {"name": {"$match": "back\\\\slash.txt"}}, in_s("s32")),
    ("hidden == 'true' is a type mismatch", {"hidden": "true"}, set()),
    ("name == null", {"name": None}, in_s("s30")),
    ("name exists false: columns always exist", {"name": {"$exists": False}}, set()),
    ("x = bigint", {"metadata.user.x": 10**20 + 1}, in_s("s12")),
    ("metadata missing", {"metadata": {"$exists": False}},
     in_s("s06", "s07", "s08", "s15", "s16", "s17", "s18", "s19", "s26", "s27", "s28",
          "s29", "s30", "s31", "s32", "s35", "s36")),
    ("global != true", {"$and": [S, {"global": {"$ne": True}}]}, S_IDS - in_s("s35")),
    ("id > s30", {"$and": [S, {"id": {"$gt": "s30"}}]},
     in_s("s33", "s34", "s35", "s36", "s37")),
    ("key with quote and backslash", {'metadata.user.we"ird\\key': 1}, in_s("s37")),
    ("value with quote and backslash", {"metadata.user.s": 'q"uo\\te'}, in_s("s37")),
    ("regex characters are literal (column)", {"name": {"$match": "weird (1) [x].{y}+$^|.*"}},
     in_s("s38")),
    ("regex characters are literal (json)",
     {"metadata.user.s": {"$match": "weird (1) [x].{y}+$^|.*"}}, in_s("s38")),
    ("regex dot is literal", {"metadata.user.s": {"$match": "weird (1) [x].{y}+$^|.pn."}}, set()),
    # Parity only.
    ("hidden", {"hidden": True}, None),
    ("size > 100", {"size": {"$gt": 100}}, None),
    ("size == null", {"size": None}, None),
    ("size in mixed", {"size": {"$in": [10, "10", None, True, 20.0]}}, None),
    ("size nin mixed", {"size": {"$nin": [10, "x", None]}}, None),
    ("name != null", {"name": {"$ne": None}}, None),
    ("type dir and not hidden", {"type": "dir", "hidden": False}, None),
    ("createdAt range", {"createdAt": {"$gte": "2026-03-01", "$lt": "2026-07-01"}}, None),
    ("or of columns and json", {"$or": [{"metadata.user.x": 5},
                                        {"metadata.user.tags": "TRAIN"}, {"hidden": True}]},
     None),
    ("system tag train", {"metadata.system.tags.train": True}, None),
    ("tags in [val, 1]", {"metadata.user.tags": {"$in": ["val", 1]}}, None),
    ("tags nin [train]", {"metadata.user.tags": {"$nin": ["train"]}}, None),
    ("metadata.user exists", {"metadata.user": {"$exists": True}}, None),
    ("x $match a*", {"metadata.user.x": {"$match": "a*"}}, None),
    ("s $match line1**", {"metadata.user.s": {"$match": "line1**"}}, None),
    ("x <= -3", {"metadata.user.x": {"$lte": -3}}, None),
    ("x > 1e20", {"metadata.user.x": {"$gt": 1e20}}, None),
    ("score between", {"metadata.user.score": {"$gt": 0.5, "$lte": 2.0}}, None),
    ("x exists and not null", {"metadata.user.x": {"$exists": True, "$ne": None}}, None),
    ("dir in", {"dir": {"$in": ["/a", "/a/b", "/x/y z"]}}, None),
    ("filename in", {"filename": {"$in": ["/a/UPPER.JPG", "/nope"]}}, None),
    ("dir with space glob", {"dir": "/x/*"}, None),
    ("whole document path", {"objects": {"$exists": True}}, None),
    ("objects.label in with null", {"objects.label": {"$in": ["dog", None]}}, None),
    ("dtlpy item defaults", {"$and": [{"hidden": False}, {"type": "file"}],
                             "$or": [{"dir": "/a"}, {"dir": "/a/*"}]}, None),
]


def resolver(table):
    def resolve(field):
        if field in COLUMNS:
            return FieldRef(column=table.c[COLUMNS[field]])
        return FieldRef(json=(table.c.doc, tuple(field.split("."))))

    return resolve


def make_table(name):
    return sa.Table(
        name, sa.MetaData(),
        sa.Column("id", TEXT, primary_key=True),
        sa.Column("filename", TEXT), sa.Column("dir", TEXT), sa.Column("name", TEXT),
        sa.Column("hidden", sa.Boolean), sa.Column("type", TEXT),
        sa.Column("created_at", TEXT), sa.Column("size", sa.Integer),
        sa.Column("doc", sa.JSON().with_variant(JSONB(), "postgresql")),
    )


def load(engine, table):
    table.metadata.create_all(engine)
    rows = [{**row, "doc": sa.null() if row["doc"] is SQL_NULL else row["doc"]}
            for row in ROWS]
    with engine.begin() as connection:
        for row in rows:  # one by one: sa.null() differs per row
            connection.execute(table.insert().values(**row))


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory):
    engine = sa.create_engine(f"sqlite:///{tmp_path_factory.mktemp('dql')}/parity.db")
    sa.event.listen(engine, "connect", lambda conn, _record: install_sqlite_functions(conn))
    table = make_table("dql_parity")
    load(engine, table)
    yield engine, table
    engine.dispose()


@pytest.fixture(scope="module")
def postgresql_db(postgres_url):
    # postgres_url (conveyor's pytest plugin) skips, or fails under CI, without a server.
    engine = sa.create_engine(postgres_url)
    table = make_table(f"dql_parity_{uuid.uuid4().hex[:12]}")
    try:
        load(engine, table)
        yield engine, table
    finally:
        table.drop(engine, checkfirst=True)
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request):
    return request.getfixturevalue(f"{request.param}_db")


def select_ids(database, node, sort=()):
    engine, table = database
    resolve = resolver(table)
    statement = sa.select(table.c.id).where(compile_filter(node, resolve))
    statement = statement.order_by(*compile_sort(sort, resolve))
    with engine.connect() as connection:
        return list(connection.scalars(statement))


@pytest.mark.parametrize("label, raw, expected", QUERIES, ids=[q[0] for q in QUERIES])
def test_sql_selects_what_python_matches(database, label, raw, expected):
    node = parse_filter(raw)
    in_python = {d["id"] for d in DOCUMENTS if matches(node, d)}
    in_sql = select_ids(database, node)
    assert len(in_sql) == len(set(in_sql))
    assert set(in_sql) == in_python, label
    if expected is not None:
        assert in_python == expected, label


def test_queries_discriminate():
    # Guard against a table of queries that all select everything or nothing.
    sizes = [sum(matches(parse_filter(raw), d) for d in DOCUMENTS) for _, raw, _ in QUERIES]
    telling = [s for s in sizes if 0 < s < len(DOCUMENTS)]
    assert len(QUERIES) >= 50 and len(telling) >= len(QUERIES) - 4


def code_point_order(values, descending=False):
    present = sorted(v for v in values if v is not None)
    nulls = [None] * (len(values) - len(present))
    return present[::-1] + nulls if descending else nulls + present


@pytest.mark.parametrize("direction", ["ascending", "descending"])
def test_sort_is_code_point_order_with_nulls_first_then_id(database, direction):
    query = parse_query({"resource": "items", "filter": {"dir": "/x"},
                         "sort": {"name": direction}})
    ids = select_ids(database, query.filter, query.sort)
    names = {d["id"]: d["name"] for d in DOCUMENTS}
    got = [names[i] for i in ids]
    assert got == code_point_order(got, descending=direction == "descending")
    assert got[0 if direction == "ascending" else -1] is None
    assert len(got) == len(where(lambda d: d["dir"] == "/x"))


def test_sort_breaks_ties_by_id_in_the_last_direction(database):
    query = parse_query({"resource": "items", "sort": {"hidden": "descending"}})
    ids = select_ids(database, query.filter, query.sort)
    hidden = {d["id"]: d["hidden"] for d in DOCUMENTS}
    expected = sorted(ALL_IDS, key=lambda i: (hidden[i], i), reverse=True)
    assert ids == expected


def test_keyset_paging_visits_every_row_once(database):
    seen, last = [], None
    while True:
        clauses = [{"hidden": False}] + ([{"id": {"$gt": last}}] if last else [])
        query = parse_query({"resource": "items", "filter": {"$and": clauses},
                             "sort": {"id": "ascending"}, "pageSize": 7})
        page = select_ids(database, query.filter, query.sort)[: query.page_size]
        if not page:
            break
        seen.extend(page)
        last = page[-1]
    assert seen == sorted(where(lambda d: d["hidden"] is False))


def test_json_sort_orders_numbers_numerically(database):
    query = parse_query({"resource": "items", "filter": {"dir": "/a/b/c"},
                         "sort": {"metadata.user.score": "ascending"}})
    ids = select_ids(database, query.filter, query.sort)
    scores = {d["id"]: d.get("metadata", {}).get("user", {}).get("score") for d in DOCUMENTS}
    got = [scores[i] for i in ids]
    assert got == code_point_order(got) and len(got) >= 5
