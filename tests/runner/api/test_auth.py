"""Tokens: login, /users/me, and what missing or bad tokens get."""

from __future__ import annotations

import time

import jwt
import requests

from tests.runner.api.conftest import Api


def test_login_returns_a_jwt_with_exp_and_email(conveyor_server):
    token = conveyor_server.login(conveyor_server.admin_email, conveyor_server.admin_password)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["email"] == conveyor_server.admin_email
    assert claims["exp"] > time.time() + 3600


def test_me_returns_the_caller(api, conveyor_server):
    assert api.ok("get", "/users/me")["email"] == conveyor_server.admin_email


def test_wrong_password_is_401(conveyor_server):
    reply = requests.post(f"{conveyor_server.url}/token", json={
        "username": conveyor_server.admin_email, "password": "nope-nope",
        "type": "user_credentials"}, timeout=10)
    assert reply.status_code == 401
    assert "wrong email or password" in reply.json()["message"]


def test_missing_malformed_forged_and_expired_tokens_are_401(conveyor_server):
    forged = jwt.encode({"sub": "x", "email": "a@b.c", "exp": time.time() + 60,
                         "iss": "conveyor"}, "not-the-key", algorithm="HS256")
    expired = jwt.encode({"sub": "x", "email": "a@b.c", "exp": time.time() - 10,
                          "iss": "conveyor"}, "not-the-key", algorithm="HS256")
    for token in (None, "garbage", forged, expired):
        reply = Api(conveyor_server.api_url, token).call("get", "/projects")
        assert reply.status_code == 401, token
        assert reply.json()["message"]


def test_only_admins_create_users(conveyor_server, other_api):
    reply = other_api.call("post", "/users", json={"email": "x@y.z", "password": "12345678"})
    assert reply.status_code == 403


def test_user_creation_validates_fields(api):
    reply = api.call("post", "/users", json={"email": "not-an-email", "password": "12345678"})
    assert reply.status_code == 400
    assert reply.json()["field"] == "email"
    reply = api.call("post", "/users", json={"email": "short@pw.io", "password": "1"})
    assert reply.status_code == 400 and reply.json()["field"] == "password"
