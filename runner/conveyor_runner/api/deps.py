"""Dependencies routes declare: the server state, the database and the calling principal.

Every dependency is ``async def`` although none awaits: FastAPI runs a plain ``def``
dependency in the worker thread pool, one thread hand-off per dependency per request,
which cost more than the lookups themselves.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from conveyor_runner.api.state import ServerState
from conveyor_runner.control.auth import Principal, verify_token
from conveyor_runner.errors import AuthenticationError
from conveyor_runner.storage.driver import StorageDriver
from conveyor_runner.store.db import Database
from conveyor_runner.store.events import acting_user


async def get_state(request: Request) -> ServerState:
    """The process's ServerState."""
    return request.app.state.conveyor


async def get_db(request: Request) -> Database:
    """The database; routes open their own transaction with ``db.transaction()``."""
    return request.app.state.conveyor.db


async def get_storage(request: Request) -> StorageDriver:
    """The storage driver holding item binaries."""
    return request.app.state.conveyor.storage


async def get_principal(request: Request) -> Principal:
    """The verified caller. Raises ``AuthenticationError`` (401) without a valid token.

    Also records the caller as the acting user of the request's changes (the ``userId`` of
    the events they emit). It is ``async`` so that the context variable it sets reaches the
    route, including the worker threads routes run in (they copy the request's context).
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("missing token: send 'authorization: Bearer <token>'")
    principal = verify_token(token.strip(), request.app.state.conveyor.signing_key)
    acting_user.set(principal.user_id)
    return principal


async def api_base(request: Request) -> str:
    """The API base URL as the caller addressed it (used in ``url`` fields)."""
    scope = request.scope
    # Starlette builds (and parses) a URL object for ``base_url``; the answer depends on
    # these parts of the request alone, and a server sees few distinct combinations.
    key = (scope.get("scheme"), scope.get("server"), request.headers.get("host"),
           scope.get("app_root_path", scope.get("root_path", "")))
    base = _BASES.get(key)
    if base is None:
        if len(_BASES) >= 256:
            _BASES.clear()
        base = _BASES[key] = str(request.base_url).rstrip("/") + "/api/v1"
    return base


_BASES: dict[tuple, str] = {}


StateDep = Annotated[ServerState, Depends(get_state)]
DbDep = Annotated[Database, Depends(get_db)]
StorageDep = Annotated[StorageDriver, Depends(get_storage)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
BaseUrlDep = Annotated[str, Depends(api_base)]
