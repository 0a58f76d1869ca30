"""Login (``POST /token`` at the host root), the caller's user and user administration."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from conveyor_runner.api.bodies import read_body, validate
from conveyor_runner.api.deps import DbDep, PrincipalDep, StateDep
from conveyor_runner.api.render import user_json
from conveyor_runner.control.auth import issue_token, verify_password, verify_token
from conveyor_runner.errors import AuthenticationError, InvalidInputError, PermissionDeniedError
from conveyor_runner.store import users

gate_router = APIRouter(tags=["auth"])
router = APIRouter(tags=["users"])


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str = "user_credentials"
    username: str | None = None
    password: str | None = None
    refresh_token: str | None = None


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: str = Field(min_length=3, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=8)
    firstName: str = ""
    lastName: str = ""
    admin: bool = False


@gate_router.post("/token")
async def login(request: Request, state: StateDep) -> dict:
    """Exchange credentials (or a still-valid token as refresh token) for a new JWT."""
    body = validate(TokenRequest, await read_body(request))
    if body.type == "refresh_token":
        principal = verify_token(body.refresh_token or "", state.signing_key)
        with state.db.transaction() as session:
            user = users.get_user(session, principal.user_id)
    elif body.type == "user_credentials":
        if not body.username or not body.password:
            raise InvalidInputError("username: username and password are required", "username")
        with state.db.transaction() as session:
            user = users.find_user_by_email(session, body.username)
            if user is None or not verify_password(body.password, user.password_hash):
                raise AuthenticationError("wrong email or password")
    else:
        raise InvalidInputError(
            "type: must be 'user_credentials' or 'refresh_token'", field="type"
        )
    token = issue_token(user.id, user.email, state.signing_key, state.settings.token_ttl_seconds)
    return {"id_token": token, "access_token": token, "refresh_token": token}


@router.get("/users/me")
def me(principal: PrincipalDep, db: DbDep) -> dict:
    """The calling user."""
    with db.transaction() as session:
        return user_json(users.get_user(session, principal.user_id))


@router.post("/users", status_code=201)
async def create_user(request: Request, principal: PrincipalDep, db: DbDep) -> dict:
    """Create a user (server administrators only)."""
    body = validate(UserCreate, await read_body(request))
    with db.transaction() as session:
        if not users.get_user(session, principal.user_id).is_admin:
            raise PermissionDeniedError("only a server administrator can create users")
        row = users.create_user(
            session, body.email, body.password, first_name=body.firstName,
            last_name=body.lastName, is_admin=body.admin,
        )
        return user_json(row)
