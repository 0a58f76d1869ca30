"""Passwords and tokens: scrypt password hashes and HS256-signed JWTs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
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

    Raises:
        AuthenticationError: malformed, wrongly signed or expired token.
    """
    try:
        claims = jwt.decode(
            token, key, algorithms=["HS256"], issuer=ISSUER,
            options={"require": ["exp", "sub", "email"]},
        )
    except jwt.ExpiredSignatureError:
        raise AuthenticationError("token expired: log in again (conveyor token)") from None
    except jwt.PyJWTError as exc:
        raise AuthenticationError(f"invalid token: {exc}") from None
    return Principal(user_id=claims["sub"], email=claims["email"])
