"""The verified-token cache answers exactly as a fresh verification would."""

from __future__ import annotations

import time

import pytest

from conveyor_runner.control.auth import issue_token, new_signing_key, verify_token
from conveyor_runner.errors import AuthenticationError


def test_a_cached_token_is_refused_once_it_expires():
    key = new_signing_key()
    token = issue_token("u1", "a@b.c", key, ttl_seconds=1)
    assert verify_token(token, key).user_id == "u1"
    assert verify_token(token, key).email == "a@b.c"  # now from the cache
    time.sleep(2.1)  # exp has one-second resolution
    with pytest.raises(AuthenticationError, match="expired"):
        verify_token(token, key)


def test_a_token_cached_under_one_key_is_not_valid_under_another():
    key, other = new_signing_key(), new_signing_key()
    token = issue_token("u1", "a@b.c", key, ttl_seconds=60)
    verify_token(token, key)
    with pytest.raises(AuthenticationError, match="invalid"):
        verify_token(token, other)
