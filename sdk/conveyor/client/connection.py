"""Which server and which token: explicit settings > environment > login file.

Resolution happens lazily (first request), never at import. Rules:

* URL: ``dl.setenv(url)`` > ``CONVEYOR_URL`` > the login file's ``url`` > ``http://127.0.0.1:7979``.
* Token: ``dl.login_token``/``dl.login`` > ``CONVEYOR_TOKEN`` > the login file's ``token``,
  the last only when the file's ``url`` is the resolved server (or the file has no url).
* Credentials for renewing an expiring token: those given to ``dl.login`` or, when the
  token came from the login file, the file's ``email``/``password``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .login_file import LoginFile
from .urls import DEFAULT_URL, normalise_root, same_server

#: where a resolved value came from (useful in error messages and dl.info())
SOURCE_EXPLICIT = "explicit"
SOURCE_ENV = "environment"
SOURCE_LOGIN_FILE = "login file"
SOURCE_DEFAULT = "default"


@dataclass
class Connection:
    """A resolved connection; mutable only through ``ApiClient`` (token renewal)."""

    root_url: str
    url_source: str
    token: str | None = None
    token_source: str | None = None
    email: str | None = None
    password: str | None = None
    login_file: LoginFile | None = None

    @property
    def can_renew(self) -> bool:
        """True when email and password are known, so ``POST /token`` can renew."""
        return bool(self.email and self.password)


@dataclass
class ExplicitSettings:
    """What the user set in this process (``dl.setenv``, ``dl.login*``, ``dl.logout``)."""

    url: str | None = None
    token: str | None = None
    email: str | None = None
    password: str | None = None
    #: after dl.logout(): ignore environment and login-file tokens until the next login
    logged_out: bool = False


def resolve(explicit: ExplicitSettings) -> Connection:
    """Build the connection from explicit settings, the environment and the login file.

    Raises:
        ValueError: ``CONVEYOR_URL`` or the login file holds an invalid URL, or the
            login file is not a JSON object.
    """
    login = _read_login_file()
    root, url_source = _resolve_root(explicit, login)
    conn = Connection(root_url=root, url_source=url_source)
    if explicit.token or (explicit.email and explicit.password):
        conn.token, conn.token_source = explicit.token, SOURCE_EXPLICIT
        conn.email, conn.password = explicit.email, explicit.password
        return conn
    if explicit.logged_out:
        return conn
    env_token = os.environ.get("CONVEYOR_TOKEN")
    if env_token:
        conn.token, conn.token_source = env_token.strip(), SOURCE_ENV
        return conn
    if login is not None and (login.url is None or same_server(login.url, root)):
        conn.token, conn.token_source = login.token, SOURCE_LOGIN_FILE
        conn.email, conn.password, conn.login_file = login.email, login.password, login
    return conn


def _read_login_file() -> LoginFile | None:
    return LoginFile.read()


def _resolve_root(explicit: ExplicitSettings, login: LoginFile | None) -> tuple[str, str]:
    if explicit.url:
        return normalise_root(explicit.url), SOURCE_EXPLICIT
    env_url = os.environ.get("CONVEYOR_URL")
    if env_url:
        try:
            return normalise_root(env_url), SOURCE_ENV
        except ValueError as exc:
            raise ValueError(f"CONVEYOR_URL: {exc}") from exc
    if login is not None and login.url:
        try:
            return normalise_root(login.url), SOURCE_LOGIN_FILE
        except ValueError as exc:
            raise ValueError(f"login file {login.path}: {exc}") from exc
    return normalise_root(DEFAULT_URL), SOURCE_DEFAULT
