"""The login file `conveyor up` writes: ``$CONVEYOR_HOME/login.json`` (mode 0600).

Shape: ``{"url": "http://127.0.0.1:7979", "email": "...", "password": "...", "token": "<jwt>"}``.
The SDK reads it when nothing else configures the connection, and rewrites only its
``token`` after renewing an expired one.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


def conveyor_home() -> Path:
    """``$CONVEYOR_HOME`` or ``~/.conveyor`` (not created)."""
    home = os.environ.get("CONVEYOR_HOME")
    return Path(home).expanduser() if home else Path.home() / ".conveyor"


def login_file_path() -> Path:
    """Where the login file lives for the current environment."""
    return conveyor_home() / "login.json"


@dataclass
class LoginFile:
    """Contents of a login file; every field may be missing (``None``)."""

    path: Path
    url: str | None = None
    email: str | None = None
    password: str | None = None
    token: str | None = None

    @classmethod
    def read(cls, path: Path | None = None) -> LoginFile | None:
        """Load the file; ``None`` when it does not exist.

        Raises:
            ValueError: the file exists but is not a JSON object (names the path).
        """
        target = path or login_file_path()
        try:
            text = target.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"login file {target} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ValueError(f"login file {target} must hold a JSON object")
        fields = {
            k: data.get(k) if isinstance(data.get(k), str) else None
            for k in ("url", "email", "password", "token")
        }
        return cls(path=target, **fields)

    def write(self) -> None:
        """Write every field to ``path`` atomically with mode 0600 (``conveyor up`` does this).

        Keys of an existing file that this class does not model are preserved; fields that
        are ``None`` are omitted.
        """
        data = self._existing()
        for key in ("url", "email", "password", "token"):
            value = getattr(self, key)
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        self._replace(data)

    def save_token(self, token: str) -> None:
        """Rewrite only ``token`` in the file, atomically and with mode 0600.

        Other keys (including ones this SDK does not know) are preserved.
        """
        self.token = token
        data = self._existing()
        data["token"] = token
        self._replace(data)

    def _existing(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _replace(self, data: dict) -> None:
        # write a private temp file next to the target, then rename: readers never see a
        # partial file and the password is never world-readable, even briefly
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".login.", dir=str(self.path.parent))
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2)
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
