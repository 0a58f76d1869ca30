"""Health probes at the host root: ``GET /healthz`` (liveness) and ``GET /readyz`` (readiness).

Both are unauthenticated on purpose: the kubelet, a load balancer or ``curl`` probe them
without a token. They reveal nothing about users' data -- only whether this process
answers and whether its database does.
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response

from conveyor_runner.api.deps import DbDep
from conveyor_runner.api.responses import json_response
from conveyor_runner.store.db import Database

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> Response:
    """Liveness: always 200 ``{"status": "ok"}`` while the process serves requests.

    It touches no dependency, so a database outage never makes the kubelet restart a
    control plane that would come back in the same state.
    """
    return json_response({"status": "ok"})


@router.get("/readyz")
def readyz(db: DbDep) -> Response:
    """Readiness: 200 when the database answers ``SELECT 1``, else 503 naming what failed.

    The 503 body has the API's error shape plus ``checks``:
    ``{"message": "database: <cause>", "status": 503, "checks": {"database": "<cause>"}}``.
    A plain ``def`` route: the query blocks, so it runs in a worker thread.
    """
    problem = _database_problem(db)
    if problem is None:
        return json_response({"status": "ok", "checks": {"database": "ok"}})
    return json_response({"message": f"database: {problem}", "status": 503,
                          "checks": {"database": problem}}, status_code=503)


def _database_problem(db: Database) -> str | None:
    """``None`` when a fresh pooled connection runs ``SELECT 1``; else the cause, one line."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        # The driver's own message (``orig``) names the cause without SQLAlchemy's
        # boilerplate; only its first line, so no statement or URL details follow it.
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return cause[0] if cause else type(exc).__name__
    return None
