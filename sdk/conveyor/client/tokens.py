"""JWT inspection without verification: the SDK only needs ``exp`` and ``email``.

The server verifies signatures; the client merely decides when to renew a token and
which user it belongs to, as dtlpy does (PyJWT with ``verify_signature`` off).
"""

from __future__ import annotations

import functools
import time

import jwt

#: a token this close to ``exp`` (seconds) counts as expired and is renewed first
EXPIRY_LEEWAY_SECONDS = 60


def decode_claims(token: str | None) -> dict | None:
    """Return the JWT payload of ``token``, or ``None`` if it is not a decodable JWT."""
    if not token or not isinstance(token, str):
        return None
    try:
        claims = jwt.decode(
            token,
            options={"verify_signature": False, "verify_exp": False, "verify_aud": False},
        )
    except jwt.PyJWTError:
        return None
    return claims if isinstance(claims, dict) else None


@functools.lru_cache(maxsize=64)  # asked before every request; decoding cost 7% of a call
def expires_at(token: str | None) -> float | None:
    """Epoch seconds of the token's ``exp`` claim, or ``None`` when absent/undecodable."""
    claims = decode_claims(token)
    if not claims:
        return None
    try:
        return float(claims["exp"])
    except (KeyError, TypeError, ValueError):
        return None


def is_expired(
    token: str | None, leeway: float = EXPIRY_LEEWAY_SECONDS, now: float | None = None
) -> bool:
    """True when missing, undecodable, without ``exp``, or within ``leeway`` s of it (dtlpy)."""
    exp = expires_at(token)
    if exp is None:
        return True
    current = time.time() if now is None else now
    return current >= exp - leeway


def token_email(token: str | None) -> str | None:
    """The ``email`` claim of the token, or ``None``."""
    claims = decode_claims(token) or {}
    email = claims.get("email")
    return email if isinstance(email, str) else None
