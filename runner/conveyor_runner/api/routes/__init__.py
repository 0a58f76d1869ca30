"""Every route of the API: the login gate and the health probes at the host root, the
module routers under /api/v1.

``install`` adds each module's routes to the application's own router, flat and with the
prefix applied, instead of including the routers: an included router is matched level by
level (each level walks its routes again, twice per request), which cost more than many a
route's own work. The router tries routes in order, so the modules that serve every
execution (the agent's endpoints, the queue gateway, executions) come first; no path of
one module is matched by a route of another, so the order changes no answer.
"""

from fastapi import FastAPI
from fastapi.routing import APIRoute

from conveyor_runner.api.routes import (
    annotations,
    auth,
    bots,
    commands,
    dataset_query,
    datasets,
    executions,
    faas_query,
    health,
    items,
    packages,
    projects,
    queues,
    replicas,
    services,
    triggers,
)

API_PREFIX = "/api/v1"
gate_router = auth.gate_router
#: Routers served at the host root, outside /api/v1: the login gate and the probes
#: (``health`` declares no principal dependency, so its routes stay unauthenticated).
ROOT_ROUTERS = (gate_router, health.router)
#: Hot modules first (see the module docstring); within a module, its own order is kept.
API_MODULES = (replicas, queues, executions, auth, projects, bots, datasets, dataset_query,
               items, annotations, commands, packages, services, triggers, faas_query)
#: The routes every execution (and every item upload) passes through, dispatched by
#: ``api.fast_path``.
HOT_ENDPOINTS = (executions.create_execution, executions.get_execution, replicas.exchange,
                 queues.receive, items.upload_item)
#: The APIRoute settings our routes use; ``install`` copies them onto the flat route.
_COPIED = ("response_model", "status_code", "tags", "dependencies", "summary", "description",
           "responses", "deprecated", "methods", "operation_id", "include_in_schema",
           "response_class", "name")


def install(app: FastAPI) -> None:
    """Add the root routes and every module's routes (under ``/api/v1``) to ``app``."""
    for root_router in ROOT_ROUTERS:
        for route in root_router.routes:
            _add(app, "", route)
    for module in API_MODULES:
        for route in module.router.routes:
            _add(app, API_PREFIX, route)


def _add(app: FastAPI, prefix: str, route) -> None:
    if not isinstance(route, APIRoute):
        raise TypeError(f"only API routes can be installed flat, not {route!r}")
    app.router.add_api_route(prefix + route.path, route.endpoint,
                             **{key: getattr(route, key) for key in _COPIED})
