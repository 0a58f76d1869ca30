"""ApiClient: the one HTTP client of the SDK (auth, retries, error translation, login).

Every repository talks to the server through ``ApiClient.request``/``ApiClient.json``;
nothing else in the SDK imports ``requests`` for API calls.
"""

from __future__ import annotations

import logging
import platform
import threading
import time
from typing import Any

import requests
from urllib3.util.retry import Retry

from .. import exceptions
from . import tokens
from .adapter import KeepAliveAdapter
from .connection import SOURCE_LOGIN_FILE, Connection, ExplicitSettings, resolve
from .http_session import HttpSession
from .login_file import LoginFile
from .settings import CheckoutState, Verbose
from .urls import api_base, normalise_root

logger = logging.getLogger("conveyor")

#: statuses retried (idempotent methods only) — gateway hiccups, never plain 500
RETRY_STATUSES = (502, 503, 504)
DEFAULT_TIMEOUT = 120.0


class ApiClient:
    """HTTP client bound to one Conveyor server; thread-safe; resolves lazily.

    Args:
        url: server root or API base; overrides ``CONVEYOR_URL`` and the login file.
        token: JWT; overrides ``CONVEYOR_TOKEN`` and the login file.
        retries: attempts after a connection failure (any method, request not yet sent)
            or a 502/503/504 answer (idempotent methods only).
        backoff_factor: urllib3 backoff between retries (0, 2x, 4x ... seconds).
        timeout: default per-request timeout in seconds.

    Nothing is read or sent until the first request.
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        retries: int = 3,
        backoff_factor: float = 0.5,
        timeout: float = DEFAULT_TIMEOUT,
    ):
        self._explicit = ExplicitSettings(url=normalise_root(url) if url else None, token=token)
        self._retries = retries
        self._backoff_factor = backoff_factor
        self.timeout = timeout
        self._lock = threading.RLock()
        self._conn: Connection | None = None
        self._session: requests.Session | None = None
        #: output switches (`dl.verbose`)
        self.verbose = Verbose()
        #: checked-out project/dataset (`project.checkout()`)
        self.state = CheckoutState()

    # ----------------------------------------------------------------- connection
    def _connection(self) -> Connection:
        with self._lock:
            if self._conn is None:
                self._conn = resolve(self._explicit)
            return self._conn

    def _reset(self) -> None:
        with self._lock:
            self._conn = None

    @property
    def root_url(self) -> str:
        """Host root, e.g. ``http://127.0.0.1:7979`` (resolved on first use)."""
        return self._connection().root_url

    @property
    def base_url(self) -> str:
        """REST API base, e.g. ``http://127.0.0.1:7979/api/v1``."""
        return api_base(self.root_url)

    @property
    def environment(self) -> str:
        """dtlpy name of ``base_url``."""
        return self.base_url

    @property
    def token(self) -> str | None:
        """The current JWT (not renewed by reading this), or ``None``."""
        return self._connection().token

    @property
    def email(self) -> str | None:
        """E-mail of the logged-in user: the token's ``email`` claim, else the login e-mail."""
        conn = self._connection()
        return tokens.token_email(conn.token) or conn.email

    # ------------------------------------------------------------------- session
    def _get_session(self) -> requests.Session:
        with self._lock:
            if self._session is None:
                session = HttpSession()
                retry = Retry(
                    total=self._retries,
                    connect=self._retries,
                    read=self._retries,
                    status=self._retries,
                    other=0,
                    redirect=3,
                    backoff_factor=self._backoff_factor,
                    status_forcelist=RETRY_STATUSES,
                    allowed_methods=Retry.DEFAULT_ALLOWED_METHODS,
                    raise_on_status=False,
                    respect_retry_after_header=True,
                )
                adapter = KeepAliveAdapter(max_retries=retry, pool_maxsize=16)
                session.mount("http://", adapter)
                session.mount("https://", adapter)
                session.headers["User-Agent"] = _user_agent()
                self._session = session
            return self._session

    # ------------------------------------------------------------------ requests
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        data: Any = None,
        files: Any = None,
        headers: dict | None = None,
        stream: bool = False,
        timeout: float | None = None,
    ) -> requests.Response:
        """Send ``method`` to ``base_url + path`` with the bearer token; return a 2xx response.

        ``path`` is relative to ``base_url`` (``/items/{id}``); an absolute ``http(s)://``
        URL is used as is (the token is sent only if it is on this server). An expiring
        token is renewed first when credentials are known.

        Raises:
            PlatformException: (subclass by status) for any non-2xx answer, with the
                body's ``message``.
            TokenExpired: the token expired and cannot be renewed; nothing was sent.
            ServerUnreachable: the server could not be reached or did not answer in time.
        """
        url, own = self._url_for(path)
        token = self._token_for_request() if own else None
        send = {
            "json": json,
            "params": params,
            "data": data,
            "files": files,
            "headers": headers,
            "stream": stream,
            "timeout": timeout,
        }
        response = self._send(method, url, token, **send)
        if response.status_code == 401 and own and _replayable(data, files):
            fresh = self._reload_login_file_token(token)
            if fresh is not None:
                response = self._send(method, url, fresh, **send)
        if not response.ok:
            raise exceptions.PlatformException(response)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Like ``request`` but return the parsed JSON body (``None`` for an empty body)."""
        response = self.request(method, path, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise exceptions.UnknownException(
                str(response.status_code), f"{method} {path}: response is not JSON"
            ) from exc

    def _url_for(self, path: str) -> tuple[str, bool]:
        if path.startswith(("http://", "https://")):
            try:
                target, root = normalise_root(path), self.root_url
            except ValueError:
                return path, False
            return path, target == root or target.startswith(root + "/")
        return self.base_url + ("" if path.startswith("/") else "/") + path, True

    def _send(
        self,
        method: str,
        url: str,
        token: str | None,
        *,
        headers: dict | None,
        timeout: float | None,
        **kwargs: Any,
    ) -> requests.Response:
        merged = dict(headers or {})
        if token:
            merged["authorization"] = f"Bearer {token}"
        wait = self.timeout if timeout is None else timeout
        try:
            return self._get_session().request(
                method.upper(), url, headers=merged, timeout=wait, **kwargs
            )
        except requests.exceptions.ConnectionError as exc:
            raise exceptions.ServerUnreachable(url, _reason(exc)) from exc
        except requests.exceptions.Timeout as exc:
            raise exceptions.ServerUnreachable(url, f"no answer within {wait:g} s") from exc

    # -------------------------------------------------------------------- tokens
    def _token_for_request(self) -> str | None:
        with self._lock:
            conn = self._connection()
            if conn.token and not tokens.is_expired(conn.token):
                return conn.token
            if conn.can_renew:
                return self._renew(conn)
            exp = tokens.expires_at(conn.token)
            if exp is not None and time.time() >= exp:
                raise exceptions.TokenExpired(
                    message=(
                        f"Token ({conn.token_source}) expired; log in again with "
                        "dl.login_token(token) "
                        "or dl.login(email, password), or restart `conveyor up`."
                    )
                )
            return conn.token

    def _renew(self, conn: Connection) -> str:
        token = self._post_token(conn.root_url, conn.email or "", conn.password or "")
        conn.token = token
        if conn.token_source == SOURCE_LOGIN_FILE and conn.login_file is not None:
            conn.login_file.save_token(token)
        logger.debug("renewed token for %s", conn.email)
        return token

    def _post_token(self, root: str, email: str, password: str) -> str:
        body = {"username": email, "password": password, "type": "user_credentials"}
        response = self._send("POST", root + "/token", None, json=body, headers=None, timeout=None)
        if not response.ok:
            raise exceptions.PlatformException(response)
        token = (response.json() or {}).get("id_token")
        if not token:
            raise exceptions.UnknownException(
                str(response.status_code), "POST /token: response has no 'id_token'"
            )
        return token

    def _reload_login_file_token(self, used: str | None) -> str | None:
        """After a 401: if the login file now holds another token (server restarted), use it."""
        with self._lock:
            conn = self._connection()
            if conn.token_source != SOURCE_LOGIN_FILE or conn.login_file is None:
                return None
            fresh = LoginFile.read(conn.login_file.path)
            if fresh is None or not fresh.token or fresh.token == used:
                return None
            conn.token, conn.login_file = fresh.token, fresh
            conn.email, conn.password = fresh.email, fresh.password
            return fresh.token

    # --------------------------------------------------------------- public login
    def setenv(self, url: str) -> None:
        """Use the server at ``url`` (root or API base) from now on.

        Switching to another server forgets the token and credentials set in this process.

        Raises:
            ValueError: ``url`` is not an http(s) URL.
        """
        root = normalise_root(url)
        with self._lock:
            if self._explicit.url != root:
                self._explicit.token = self._explicit.email = self._explicit.password = None
            self._explicit.url = root
            self._reset()

    def login_token(self, token: str) -> bool:
        """Use ``token`` after verifying it with ``GET /users/me``; return True.

        On failure the previous settings are restored.

        Raises:
            ValueError: the token is empty or the server rejected it (message has the reason).
            ServerUnreachable: the server could not be reached (previous settings restored).
        """
        if not isinstance(token, str) or not token.strip():
            raise ValueError("token: expected a non-empty JWT string")
        previous = ExplicitSettings(**vars(self._explicit))
        with self._lock:
            self._explicit.token, self._explicit.email, self._explicit.password = (
                token.strip(),
                None,
                None,
            )
            self._explicit.logged_out = False
            self._reset()
        try:
            self.request("GET", "/users/me")
        except exceptions.ConveyorError as exc:
            with self._lock:
                self._explicit = previous
                self._reset()
            if isinstance(exc, exceptions.ServerUnreachable):
                raise
            raise ValueError(f"Invalid token provided. Error: {exc}") from exc
        return True

    def login(self, email: str, password: str) -> bool:
        """Obtain a token with ``POST <root>/token`` and keep the credentials to renew it.

        Raises:
            ValueError: email or password missing.
            Unauthorized: the server rejected the credentials (previous settings kept).
        """
        if not email or not password:
            raise ValueError("email and password: both are required")
        token = self._post_token(self.root_url, email, password)
        with self._lock:
            self._explicit.token, self._explicit.email, self._explicit.password = (
                token,
                email,
                password,
            )
            self._explicit.logged_out = False
            self._reset()
        return True

    def login_m2m(
        self,
        email: str,
        password: str,
        client_id: str | None = None,
        client_secret: str | None = None,
        force: bool = False,
    ) -> bool:
        """dtlpy's machine login: reuse a valid token of the same user unless ``force``.

        ``client_id``/``client_secret`` are accepted for compatibility and ignored.
        """
        conn = self._connection()
        if (
            not force
            and conn.token
            and tokens.token_email(conn.token) == email
            and not tokens.is_expired(conn.token)
        ):
            self.request("GET", "/users/me")
            return True
        return self.login(email, password)

    def logout(self) -> bool:
        """Forget every token in this process (login file and environment included)."""
        with self._lock:
            url = self._explicit.url
            self._explicit = ExplicitSettings(url=url, logged_out=True)
            self._reset()
        return True

    def token_expired(self) -> bool:
        """Local check: True without a token, or when it is within 60 s of ``exp``."""
        return tokens.is_expired(self.token)

    def info(self, with_token: bool = True) -> dict:
        """Local summary ``{environment, user_email[, token]}``; sends no request."""
        result = {"environment": self.base_url, "user_email": self.email}
        if with_token:
            result["token"] = self.token
        return result

    def __repr__(self) -> str:
        where = self._conn.root_url if self._conn else "<unresolved>"
        return f"ApiClient({where})"


def _replayable(data: Any, files: Any) -> bool:
    return files is None and not hasattr(data, "read") and not hasattr(data, "__next__")


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in (
        "Connection refused",
        "Name or service not known",
        "timed out",
        "Connection reset",
        "Remote end closed",
    ):
        if marker in text:
            return marker.lower()
    return type(exc).__name__


def _user_agent() -> str:
    from .. import __version__

    return (
        f"conveyor/{__version__} {platform.python_implementation()}/"
        f"{platform.python_version()} {platform.system()}/{platform.release()}"
    )
