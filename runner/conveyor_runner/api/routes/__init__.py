"""Every router of the API: ``gate_router`` at the host root, ``api_router`` under /api/v1."""

from fastapi import APIRouter

from conveyor_runner.api.routes import (
    annotations,
    auth,
    bots,
    commands,
    dataset_query,
    datasets,
    items,
    projects,
)

gate_router = auth.gate_router

api_router = APIRouter()
for _module in (auth, projects, bots, datasets, dataset_query, items, annotations, commands):
    api_router.include_router(_module.router)
