"""``conveyor up``, ``conveyor token`` and ``conveyor user create``."""

from __future__ import annotations

import argparse

import requests

from conveyor.client.login_file import LoginFile, login_file_path
from conveyor_runner.cli.output import CliError
from conveyor_runner.errors import ConfigurationError, PluginError
from conveyor_runner.settings import DEFAULT_HOST, DEFAULT_PORT, Settings


def register(groups: argparse._SubParsersAction) -> None:
    """Add the server commands."""
    up = groups.add_parser("up", help="run the control plane (embedded default)")
    up.add_argument("--host", default=None, help=f"interface to bind (default {DEFAULT_HOST})")
    up.add_argument("--port", type=int, default=None, help=f"port (default {DEFAULT_PORT})")
    up.add_argument("--data-dir", default=None,
                    help="state folder (default $CONVEYOR_DATA_DIR or ~/.conveyor/data)")
    up.set_defaults(handler=run_up)

    token = groups.add_parser("token", help="print a fresh token for the stored login")
    token.set_defaults(handler=run_token)

    user = groups.add_parser("user", help="manage users (administrators)")
    user_commands = user.add_subparsers(dest="command", metavar="COMMAND", required=True)
    create = user_commands.add_parser("create", help="create a user")
    create.add_argument("email")
    create.add_argument("--password", required=True, help="at least 8 characters")
    create.add_argument("--admin", action="store_true", help="make the user an administrator")
    create.set_defaults(handler=run_user_create)


def run_up(args: argparse.Namespace) -> int:
    """Migrate, make sure the administrator can log in, store the login, serve."""
    from conveyor_runner import server

    try:
        settings = Settings.load(host=args.host, port=args.port, data_dir=args.data_dir)
        prepared = server.prepare(settings, server.known_login(settings))
    except (ConfigurationError, PluginError) as exc:
        raise CliError(str(exc)) from exc
    login_path = server.save_login(settings, prepared)

    def banner() -> None:
        print(f"Conveyor is running at {settings.public_url}  (API {settings.api_url})")
        print(f"data directory: {settings.data_dir}")
        print(f"login for {prepared.admin.email} stored in {login_path}")
        print("press Ctrl-C to stop", flush=True)

    try:
        server.serve(prepared, on_ready=banner)
    except SystemExit as exc:  # uvicorn exits when it cannot bind the port
        raise CliError(f"cannot listen on {settings.host}:{settings.port}; is another "
                       "server using it? choose one with --port") from exc
    print("Conveyor stopped", flush=True)
    return 0


def _stored_login() -> LoginFile:
    login = LoginFile.read()
    if login is None or not login.url:
        raise CliError(f"no login at {login_file_path()}: run 'conveyor up' first")
    return login


def run_token(_args: argparse.Namespace) -> int:
    """Print a new token obtained from the server with the stored credentials."""
    login = _stored_login()
    try:
        reply = requests.post(f"{login.url}/token", timeout=10, json={
            "username": login.email, "password": login.password, "type": "user_credentials"})
    except requests.ConnectionError:
        raise CliError(f"cannot reach {login.url}: is 'conveyor up' running?") from None
    if reply.status_code != 200:
        raise CliError(f"login refused by {login.url}: {reply.text}")
    token = reply.json()["id_token"]
    login.save_token(token)
    print(token)
    return 0


def run_user_create(args: argparse.Namespace) -> int:
    """Create a user through the API with the stored administrator login."""
    import conveyor as dl

    login = _stored_login()
    try:
        user = dl.client_api.json("post", "/users", json={
            "email": args.email, "password": args.password, "admin": args.admin})
    except dl.exceptions.PlatformException as exc:
        raise CliError(str(exc)) from exc
    print(f"created user {user['email']} (id {user['id']}) on {login.url}")
    return 0
