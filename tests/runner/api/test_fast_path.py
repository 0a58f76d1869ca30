"""FastPath answers exactly as FastAPI would for the routes it dispatches."""

from __future__ import annotations

import json
from typing import Annotated

import anyio
import pytest
from fastapi import Depends, FastAPI, Header, Query, Request, Response

from conveyor_runner.api import errors
from conveyor_runner.api.fast_path import FastPath
from conveyor_runner.errors import InvalidInputError


async def caller(request: Request) -> str:
    return request.headers.get("x-caller", "nobody")


def build_app() -> tuple[FastAPI, dict]:
    app = FastAPI()
    errors.install(app)
    seen: dict = {}

    @app.get("/things/special")
    async def special() -> dict:
        seen["route"] = "special"
        return {"which": "special"}

    @app.get("/things/{thing_id}")
    async def hot(thing_id: str, request: Request, who: str = Depends(caller)) -> Response:
        seen["route"] = "hot"
        if thing_id == "bad":
            raise InvalidInputError("thingId: not a thing", "thingId")
        if thing_id == "boom":
            raise RuntimeError("unexpected")
        return Response(f"{thing_id} for {who} at {request.url.path}")

    @app.get("/waits/{thing_id}")
    async def waits(thing_id: str, wait: float = 0.0,
                    tags: Annotated[list[str] | None, Query()] = None) -> Response:
        seen["route"] = "waits"
        return Response(json.dumps({"thing": thing_id, "wait": wait, "tags": tags}))

    @app.get("/needs/{thing_id}")
    async def needs(thing_id: str, need: int) -> Response:
        seen["route"] = "needs"
        return Response(json.dumps({"need": need}))

    @app.post("/things/{thing_id}")
    async def not_hot(thing_id: str) -> dict:
        seen["route"] = "post"
        return {"posted": thing_id}

    return app, seen


class Dispatching:
    """An ASGI app that tries the fast path first, like the control plane's app."""

    def __init__(self, app: FastAPI, fast_path: FastPath) -> None:
        self.app, self.fast_path = app, fast_path

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and await self.fast_path.handle(scope, receive, send):
            return
        await self.app(scope, receive, send)


class Reply:
    def __init__(self, status_code: int, body: bytes) -> None:
        self.status_code, self.text = status_code, body.decode()

    def json(self):
        return json.loads(self.text)


class Client:
    """Sends one HTTP request at a time straight into an ASGI app."""

    def __init__(self, app) -> None:
        self.app = app

    def get(self, path: str, headers: dict | None = None) -> Reply:
        return anyio.run(self._call, "GET", path, headers or {})

    def post(self, path: str) -> Reply:
        return anyio.run(self._call, "POST", path, {})

    async def _call(self, method: str, target: str, headers: dict) -> Reply:
        path, _, query = target.partition("?")
        scope = {"type": "http", "http_version": "1.1", "method": method, "path": path,
                 "raw_path": path.encode(), "root_path": "", "scheme": "http",
                 "query_string": query.encode(), "server": ("test", 80), "client": ("test", 1),
                 "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
        sent: list[dict] = []

        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        start = next(m for m in sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return Reply(start["status"], body)


@pytest.fixture
def client_and_seen():
    app, seen = build_app()
    hot = tuple(r.endpoint for r in app.router.routes
                if getattr(r, "name", "") in ("hot", "waits", "needs"))
    return Client(Dispatching(app, FastPath(app, hot))), seen


def test_a_hot_route_gets_path_parameters_dependencies_and_the_request(client_and_seen):
    client, seen = client_and_seen
    reply = client.get("/things/t1", headers={"x-caller": "ann"})
    assert reply.status_code == 200 and reply.text == "t1 for ann at /things/t1"
    assert seen["route"] == "hot"


def test_an_earlier_route_matching_the_path_keeps_precedence(client_and_seen):
    client, seen = client_and_seen
    assert client.get("/things/special").json() == {"which": "special"}
    assert client.post("/things/t1").json() == {"posted": "t1"}  # other method: FastAPI's


def test_errors_go_through_the_applications_exception_handlers(client_and_seen):
    client, _ = client_and_seen
    reply = client.get("/things/bad")
    assert reply.status_code == 400
    assert reply.json() == {"message": "thingId: not a thing", "status": 400, "field": "thingId"}
    assert client.get("/things/boom").status_code == 500


@pytest.mark.parametrize("query", ["", "wait=2.5", "wait=1&tags=a&tags=b", "wait=soon",
                                   "wait=", "other=1"])
def test_query_parameters_are_converted_and_refused_as_fastapi_does(client_and_seen, query):
    client, seen = client_and_seen
    reply = client.get(f"/waits/w1?{query}")
    assert seen.get("route") == ("waits" if reply.status_code == 200 else None)
    plain_fastapi = Client(build_app()[0]).get(f"/waits/w1?{query}")
    assert (reply.status_code, reply.json()) == (plain_fastapi.status_code,
                                                 plain_fastapi.json())
    if query == "wait=soon":
        assert reply.status_code == 400 and "wait" in reply.text
    if query == "wait=1&tags=a&tags=b":
        assert reply.json() == {"thing": "w1", "wait": 1.0, "tags": ["a", "b"]}


@pytest.mark.parametrize("query", ["", "need=3", "need=x"])
def test_a_required_query_parameter_is_required_with_or_without_a_query(client_and_seen,
                                                                          query):
    client, _ = client_and_seen
    reply = client.get(f"/needs/n1?{query}")
    plain_fastapi = Client(build_app()[0]).get(f"/needs/n1?{query}")
    assert (reply.status_code, reply.json()) == (plain_fastapi.status_code,
                                                 plain_fastapi.json())
    assert reply.status_code == (200 if query == "need=3" else 400)


def test_a_route_that_cannot_take_the_fast_path_is_refused_at_start_up():
    app = FastAPI()

    @app.get("/sync/{x}")
    def plain(x: str, agent: str = Header("")) -> dict:
        return {}

    with pytest.raises(ValueError, match="is not async.*header"):
        FastPath(app, (plain,))
    with pytest.raises(ValueError, match="not routes of the application: build_app"):
        FastPath(app, (build_app,))
