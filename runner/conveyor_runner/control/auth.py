"""Passwords and tokens: scrypt password hashes and HS256-signed JWTs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import jwt

from conveyor_runner.errors import AuthenticationError

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
ISSUER = "conveyor"


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of ``password`` in ``scrypt$<salt>$<digest>`` form."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    """True if ``password`` matches the ``stored`` hash; constant-time comparison."""
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, salt_b64, digest_b64 = stored.split("$", 2)
    digest = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt_b64), **_SCRYPT)
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


def new_signing_key() -> str:
    """A fresh random key for signing tokens."""
    return secrets.token_urlsafe(48)


def new_password() -> str:
    """A random password for generated logins (admin, bots)."""
    return secrets.token_urlsafe(18)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the verified claims of a token."""

    user_id: str
    email: str


def issue_token(user_id: str, email: str, key: str, ttl_seconds: int) -> str:
    """A JWT with ``sub``, ``email``, ``iat`` and ``exp`` that :func:`verify_token` accepts."""
    now = int(time.time())
    claims = {
        "sub": user_id,
        "email": email,
        "iss": ISSUER,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, key, algorithm="HS256")


def verify_token(token: str, key: str) -> Principal:
    """Check a token's signature and expiry and return its principal.

    A token verified before is answered from a bounded cache until its ``exp``: a token
    is immutable, so the same string with the same key verifies the same way until then
    (the signature check and claim parsing were a large share of a small request's cost).

    Raises:
        AuthenticationError: malformed, wrongly signed or expired token.
    """
    cached = _verified.get(token, key)
    if cached is not None:
        return cached
    try:
        claims = jwt.decode(
            token, key, algorithms=["HS256"], issuer=ISSUER,
            options={"require": ["exp", "sub", "email"]},
        )
    except jwt.ExpiredSignatureError:
        raise AuthenticationError("token expired: log in again (conveyor token)") from None
    except jwt.PyJWTError as exc:
        raise AuthenticationError(f"invalid token: {exc}") from None
    principal = Principal(user_id=claims["sub"], email=claims["email"])
    _verified.put(token, key, principal, claims["exp"])
    return principal


class _VerifiedTokens:
    """Least-recently-used map of (token, key) -> (principal, exp) of verified tokens."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[str, str], tuple[Principal, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str, key: str) -> Principal | None:
        """The principal if the token was verified with ``key`` and is not expired yet."""
        with self._lock:
            entry = self._entries.get((token, key))
            if entry is None:
                return None
            if time.time() >= entry[1]:  # expired (PyJWT: exp <= now): verify again, fail
                del self._entries[(token, key)]
                return None
            self._entries.move_to_end((token, key))
            return entry[0]

    def put(self, token: str, key: str, principal: Principal, exp: object) -> None:
        """Remember a verified token (a non-numeric ``exp`` is not cached)."""
        if isinstance(exp, bool) or not isinstance(exp, (int, float)):
            return
        with self._lock:
            self._entries[(token, key)] = (principal, int(exp))  # PyJWT compares int(exp)
            self._entries.move_to_end((token, key))
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


_verified = _VerifiedTokens(size=4096)
