"""The execution intake: creations that arrive together are written and published together,
and each request still gets its own answer."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.exc import StatementError

from conveyor_runner.control.intake import Creation, ExecutionIntake
from conveyor_runner.errors import InvalidInputError, NotFoundError
from conveyor_runner.settings import Settings
from conveyor_runner.store.db import Database
from conveyor_runner.store.tables import ExecutionRow
from tests.runner.api.faas import MODULES, deploy, push

JSON_MODULES = [{**MODULES[0], "functions": [
    {"name": "take", "input": [{"name": "value", "type": "Json"}], "output": []}]}]
JSON_MAIN = """
import conveyor as dl


class ServiceRunner(dl.BaseServiceRunner):
    def take(self, value):
        return value
"""


def test_concurrent_creations_each_get_their_own_answer(api, project):
    service = deploy(api, push(api, project["id"]).json())

    def create(index: int):
        text = index if index % 5 == 0 else f"text-{index}"  # every fifth: not a String
        return index, api.call("post", f"/executions/{service['id']}", json={
            "functionName": "echo", "input": {"text": text}})

    with ThreadPoolExecutor(16) as pool:
        replies = list(pool.map(create, range(80)))
    created = {}
    for index, reply in replies:
        if index % 5 == 0:
            assert reply.status_code == 400, reply.text
            assert "text" in reply.json()["message"]
        else:
            assert reply.status_code == 200, reply.text
            body = reply.json()
            assert body["input"] == {"text": f"text-{index}"}
            assert body["latestStatus"]["status"] == "created"
            created[body["id"]] = index
    assert len(created) == 64
    listed = api.ok("post", "/query/faas", json={
        "resource": "executions", "filter": {"$and": [{"serviceId": service["id"]}]},
        "page": 0, "pageSize": 1000})
    assert {e["id"] for e in listed["items"]} == set(created), (
        "exactly the accepted creations are recorded; the refused ones wrote nothing")
    for execution_id, index in list(created.items())[:5]:
        assert api.ok("get", f"/executions/{execution_id}")["input"] == {"text": f"text-{index}"}


def test_a_creation_for_an_invisible_service_is_404_and_others_pass(api, other_api, project):
    service = deploy(api, push(api, project["id"]).json())

    def create(caller):
        return caller.call("post", f"/executions/{service['id']}", json={
            "functionName": "echo", "input": {"text": "x"}}).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(create, [api, other_api] * 8))
    assert codes == [200, 404] * 8


@pytest.fixture
def intake_database(request, conveyor_server):
    """The running server's database, through a connection of the test's own."""
    url = (request.getfixturevalue("fresh_postgres_database")
           if conveyor_server.database == "postgres" else None)
    database = Database(Settings.load(data_dir=conveyor_server.data_dir,
                                      database_url=url).database_url)
    yield database
    database.dispose()


def test_a_group_that_fails_as_a_whole_is_written_one_by_one(api, project, intake_database):
    """A value that passed the checks but cannot be stored fails the group's transaction;
    the intake then writes each creation alone: only that one fails."""
    package = push(api, project["id"], modules=JSON_MODULES,
                   files={"main.py": JSON_MAIN}).json()
    service = deploy(api, package)
    user_id = api.ok("get", "/users/me")["id"]
    published = []
    intake = ExecutionIntake(intake_database, published.extend)

    def creation(value) -> Creation:
        return Creation(user_id, "me@example.com", service["id"], "take", {"value": value})

    async def create_all():
        # Submitted before the intake starts, so they leave as one group.
        creations = [creation({"a": 1}), creation({"b": object()}), creation([1, 2]),
                     Creation(user_id, "me@example.com", service["id"], "missing", {})]
        tasks = [asyncio.ensure_future(intake.create(c)) for c in creations]
        await asyncio.sleep(0.05)
        intake.start()
        return await asyncio.gather(*tasks, return_exceptions=True)

    try:
        first, broken, second, refused = asyncio.run(create_all())
    finally:
        intake.stop()
    assert isinstance(first.id, str) and isinstance(second.id, str)
    # The driver's refusal (PostgreSQL's raises TypeError itself; SQLAlchemy wraps SQLite's).
    assert isinstance(broken, (TypeError, StatementError)), broken
    assert "not JSON serializable" in str(broken)
    assert isinstance(refused, InvalidInputError) and "missing" in str(refused)
    assert [row.id for row in published] == [first.id, second.id]
    with intake_database.transaction() as session:
        stored = {row.id: row.input for row in session.query(ExecutionRow).filter(
            ExecutionRow.service_id == service["id"])}
    assert stored == {first.id: {"value": {"a": 1}}, second.id: {"value": [1, 2]}}


def test_an_unknown_service_is_refused_without_writing(api, intake_database):
    user_id = api.ok("get", "/users/me")["id"]
    intake = ExecutionIntake(intake_database, lambda rows: None)
    intake.start()
    try:
        with pytest.raises(NotFoundError):
            asyncio.run(intake.create(Creation(user_id, "me@example.com", "0" * 24, "run", {})))
    finally:
        intake.stop()
