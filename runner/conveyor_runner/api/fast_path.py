"""FastPath: the routes every execution passes through, dispatched without FastAPI's layers.

Under load, FastAPI's per-request machinery -- five middleware layers, route matching
through every route, dependency solving -- cost the control plane about 0.25 ms of its
one Python thread per request, as much as creating an execution's record. The few routes
that carry every execution (create, the agent's claim and result batches, the queue
gateway's receive) are dispatched here instead; everything else goes through FastAPI.

Each hot route stays an ordinary FastAPI route, declared once: FastPath reads FastAPI's
own analysis of it (path pattern, path parameters, dependencies) and calls the same
endpoint with the same arguments, so the answer is the one FastAPI would give:

* a request goes to a hot route only if it is the first route of the application matching
  the path and method, exactly as FastAPI routes (an earlier route keeps precedence);
* errors go through the application's exception handlers (by the error's class, as
  Starlette looks them up); an unexpected error is logged and answered 500;
* a hot route must be ``async``, return a ``Response``, and take only path and query
  parameters, the ``Request`` and ``async`` dependencies of the request alone (checked at
  start-up); query parameters are validated by FastAPI's own function, and a bad one is
  the same ``RequestValidationError`` FastAPI raises.

With FastAPI's native telemetry enabled, every request takes FastAPI's path, traced.
"""

from __future__ import annotations

import copy
import inspect
import logging
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.dependencies.utils import request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import get_route_path
from starlette.types import Receive, Scope, Send

log = logging.getLogger(__name__)
#: Parameters FastAPI injects that FastPath does not provide.
_SPECIAL = ("response_param_name", "background_tasks_param_name",
            "http_connection_param_name", "websocket_param_name", "security_scopes_param_name")


@dataclass(frozen=True)
class _Hot:
    route: APIRoute
    #: (argument name, dependency function of the request) for each dependency.
    dependencies: tuple[tuple[str, object], ...]
    request_name: str | None
    #: FastAPI's fields of the query parameters (validated as FastAPI validates them).
    query_params: tuple = ()
    #: Their values when the request has no query string, if FastAPI would take their
    #: defaults unvalidated then (none required or validating its default), else None:
    #: most requests carry no query, and validating nothing cost 5% of a create.
    absent_query: dict | None = None


class FastPath:
    """Dispatches the hot routes of ``app`` (see the module docstring).

    Args:
        app: the application whose routes are all installed.
        endpoints: the endpoint functions of the hot routes.

    Raises:
        ValueError: an endpoint is not a route of ``app`` or does not qualify.
    """

    def __init__(self, app: FastAPI, endpoints: tuple) -> None:
        self.app = app
        routes = [r for r in app.router.routes if isinstance(r, APIRoute)]
        hot = {r.endpoint: r for r in routes if r.endpoint in endpoints}
        missing = [e.__name__ for e in endpoints if e not in hot]
        if missing:
            raise ValueError(f"not routes of the application: {', '.join(missing)}")
        last = max(routes.index(r) for r in hot.values())
        # Every route up to the last hot one, in the application's order: the first that
        # matches decides, as in FastAPI's own loop.
        self._routes = [(r, _qualify(r) if r.endpoint in endpoints else None)
                        for r in routes[:last + 1]]

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Serve the request if it is for a hot route; False if FastAPI must."""
        hot, params = self._match(scope)
        if hot is None:
            return False
        scope["app"] = self.app
        scope["path_params"] = params
        scope["endpoint"] = hot.route.endpoint
        request = Request(scope, receive)
        try:
            response = await self._call(hot, request, params)
        except Exception as exc:  # noqa: BLE001 - turned into the answer FastAPI would give
            response = await self._error(request, exc)
        await response(scope, receive, send)
        return True

    def _match(self, scope: Scope) -> tuple[_Hot | None, dict]:
        path, method = get_route_path(scope), scope["method"]
        for route, hot in self._routes:
            found = route.path_regex.match(path)
            if found is not None and method in route.methods:
                if hot is None:
                    return None, {}
                return hot, {key: route.param_convertors[key].convert(value)
                             for key, value in found.groupdict().items()}
        return None, {}

    @staticmethod
    async def _call(hot: _Hot, request: Request, params: dict) -> Response:
        arguments = dict(params)
        if hot.absent_query is not None and not request.scope.get("query_string"):
            arguments.update(copy.deepcopy(hot.absent_query))
        elif hot.query_params:
            values, errors = request_params_to_args(hot.query_params, request.query_params)
            if errors:
                raise RequestValidationError(errors)
            arguments.update(values)
        for name, dependency in hot.dependencies:
            arguments[name] = await dependency(request)
        if hot.request_name is not None:
            arguments[hot.request_name] = request
        return await hot.route.endpoint(**arguments)

    async def _error(self, request: Request, exc: Exception) -> Response:
        for cls in type(exc).__mro__:
            handler = self.app.exception_handlers.get(cls)
            if handler is not None and cls is not Exception:
                answer = handler(request, exc)
                return await answer if inspect.isawaitable(answer) else answer
        log.error("Exception in %s %s", request.method, request.url.path, exc_info=exc)
        return PlainTextResponse("Internal Server Error", status_code=500)


def _qualify(route: APIRoute) -> _Hot:
    """The dispatch plan of a hot route; ``ValueError`` if FastPath cannot call it alike."""
    dependant = route.dependant
    problems = []
    if not inspect.iscoroutinefunction(route.endpoint):
        problems.append("is not async")
    if dependant.header_params or dependant.cookie_params or dependant.body_params:
        problems.append("takes header, cookie or body parameters")
    if any(getattr(dependant, name) for name in _SPECIAL):
        problems.append("takes a response, background tasks, connection or security scopes")
    for sub in dependant.dependencies:
        parameters = list(inspect.signature(sub.call).parameters)
        if sub.dependencies or not inspect.iscoroutinefunction(sub.call) \
                or len(parameters) != 1 or sub.request_param_name != parameters[0]:
            problems.append(f"has dependency {sub.name!r} that is not async of the request")
    if inspect.signature(route.endpoint).return_annotation not in (Response, "Response"):
        problems.append("is not annotated to return a Response")
    if problems:
        raise ValueError(f"route {route.path} cannot take the fast path: it "
                         + "; ".join(problems))
    query = tuple(dependant.query_params)
    absent = None
    if not any(f.field_info.is_required() or f.field_info.validate_default for f in query):
        absent = {f.name: f.default for f in query}
    return _Hot(route, tuple((sub.name, sub.call) for sub in dependant.dependencies),
                dependant.request_param_name, query, absent)
