"""Every router of the API: ``gate_router`` at the host root, ``api_router`` under /api/v1."""

from fastapi import APIRouter

from conveyor_runner.api.routes import (
    annotations,
    auth,
    bots,
    commands,
    dataset_query,
    datasets,
    executions,
    faas_query,
    items,
    packages,
    projects,
    queues,
    replicas,
    services,
    triggers,
)

gate_router = auth.gate_router

api_router = APIRouter()
for _module in (auth, projects, bots, datasets, dataset_query, items, annotations, commands,
                packages, services, triggers, faas_query, executions, replicas, queues):
    api_router.include_router(_module.router)
