"""Server URL normalisation and JWT expiry decisions (no verification, 60 s leeway)."""

import time

import pytest

from conveyor.client import tokens
from conveyor.client.urls import api_base, normalise_root, same_server
from tests.sdk.http_stub import make_token


@pytest.mark.parametrize(
    "given, root",
    [
        ("http://127.0.0.1:7979", "http://127.0.0.1:7979"),
        ("http://127.0.0.1:7979/", "http://127.0.0.1:7979"),
        ("http://127.0.0.1:7979/api/v1", "http://127.0.0.1:7979"),
        ("http://127.0.0.1:7979/api/v1/", "http://127.0.0.1:7979"),
        ("127.0.0.1:7979", "http://127.0.0.1:7979"),
        ("HTTPS://conveyor.example.com/prefix/api/v1?x=1", "https://conveyor.example.com/prefix"),
        ("  http://h:1  ", "http://h:1"),
    ],
)
def test_normalise_root_accepts_every_spelling(given, root):
    assert normalise_root(given) == root
    assert api_base(normalise_root(given)) == root + "/api/v1"


@pytest.mark.parametrize("bad", ["", "   ", "ftp://host", "http://", None, 7979])
def test_normalise_root_rejects_bad_urls_naming_the_field(bad):
    with pytest.raises(ValueError, match="url"):
        normalise_root(bad)


def test_same_server_compares_normalised_roots():
    assert same_server("http://h:1/api/v1", "h:1")
    assert not same_server("http://h:1", "http://h:2")
    assert not same_server(None, "http://h:1")


def test_token_expiry_uses_exp_with_a_60_second_leeway():
    now = time.time()
    assert not tokens.is_expired(make_token(ttl=3600), now=now)
    assert tokens.is_expired(make_token(ttl=30), now=now)  # inside the leeway
    assert tokens.is_expired(make_token(ttl=-5), now=now)
    assert not tokens.is_expired(make_token(ttl=30), leeway=0, now=now)


def test_tokens_without_exp_or_not_jwts_count_as_expired():
    assert tokens.is_expired(None)
    assert tokens.is_expired("not-a-jwt")
    no_exp = make_token()
    claims = tokens.decode_claims(no_exp)
    claims.pop("exp")
    import jwt

    assert tokens.is_expired(
        jwt.encode(claims, "conveyor-sdk-tests-signing-key-32bytes!", algorithm="HS256")
    )


def test_claims_are_read_without_the_signing_key():
    token = make_token(email="ada@example.com", ttl=100)
    assert tokens.token_email(token) == "ada@example.com"
    assert tokens.expires_at(token) == pytest.approx(time.time() + 100, abs=2)
    assert tokens.decode_claims("a.b.c") is None
