"""Login, refresh rotation with reuse detection, logout and every kind of bad token."""

import base64
import json
from datetime import timedelta

import jwt as pyjwt
import pytest
from flask_jwt_extended import create_access_token
from sqlalchemy import select

from kijani.auth.models import TokenFamily
from kijani.extensions import db
from tests.helpers import assert_error

LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"
REFRESH = "/api/v1/auth/refresh"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_login_by_email_returns_token_pair(client, make_user, app):
    user = make_user()
    response = client.post(LOGIN, json={"email": user["email"], "password": user["password"]})
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    assert client.get(ME, headers=bearer(body["access_token"])).json["id"] == user["id"]
    claims = pyjwt.decode(body["access_token"], app.config["JWT_SECRET_KEY"], algorithms=["HS256"])
    assert claims["sub"] == user["id"] and claims["type"] == "access"


def test_login_by_username_case_insensitive(client, make_user):
    user = make_user(username="wanjiru")
    response = client.post(LOGIN, json={"username": "Wanjiru", "password": user["password"]})
    assert response.status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_401(client, make_user):
    user = make_user()
    wrong = assert_error(client.post(LOGIN, json={"email": user["email"], "password": "nope-nope-nope"}), 401)
    unknown = assert_error(client.post(LOGIN, json={"email": "ghost@example.org", "password": "x" * 10}), 401)
    assert wrong == unknown


def test_login_needs_email_or_username(client):
    assert_error(client.post(LOGIN, json={"password": "whatever-123"}), 422, "email")


def test_login_with_both_uses_the_email(client, make_user):
    user = make_user()
    both = {"email": user["email"], "username": "someone-else", "password": user["password"]}
    assert client.post(LOGIN, json=both).status_code == 200


def test_deactivated_user_cannot_log_in(client, make_user, app):
    from kijani.auth.models import User

    user = make_user()
    with app.app_context():
        db.session.get(User, __import__("uuid").UUID(user["id"])).is_active = False
        db.session.commit()
    assert_error(client.post(LOGIN, json={"email": user["email"], "password": user["password"]}), 401)


def test_refresh_rotates_both_tokens(client, make_user, login):
    tokens = login(make_user())
    response = client.post(REFRESH, headers=bearer(tokens["refresh_token"]))
    assert response.status_code == 200
    new = response.json
    assert new["access_token"] != tokens["access_token"]
    assert new["refresh_token"] != tokens["refresh_token"]
    assert client.get(ME, headers=bearer(new["access_token"])).status_code == 200
    assert client.post(REFRESH, headers=bearer(new["refresh_token"])).status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_family(client, make_user, login, app):
    tokens = login(make_user())
    rotated = client.post(REFRESH, headers=bearer(tokens["refresh_token"])).json
    body = assert_error(client.post(REFRESH, headers=bearer(tokens["refresh_token"])), 401)
    assert "already used" in body["message"]
    # every token of that sign-in is dead now, including the ones issued by the rotation
    assert_error(client.post(REFRESH, headers=bearer(rotated["refresh_token"])), 401)
    assert_error(client.get(ME, headers=bearer(rotated["access_token"])), 401)
    assert_error(client.get(ME, headers=bearer(tokens["access_token"])), 401)
    with app.app_context():
        family = db.session.scalars(select(TokenFamily)).one()
        assert family.revoked_reason == "refresh_reuse"


def test_reuse_does_not_touch_other_sign_ins(client, make_user, login):
    user = make_user()
    phone, laptop = login(user), login(user)
    client.post(REFRESH, headers=bearer(phone["refresh_token"]))
    client.post(REFRESH, headers=bearer(phone["refresh_token"]))
    assert client.get(ME, headers=bearer(laptop["access_token"])).status_code == 200


def test_refresh_token_used_as_access_token_is_401(client, make_user, login):
    tokens = login(make_user())
    body = assert_error(client.get(ME, headers=bearer(tokens["refresh_token"])), 401)
    assert "refresh" in body["message"].lower()


def test_access_token_used_to_refresh_is_401(client, make_user, login):
    tokens = login(make_user())
    assert_error(client.post(REFRESH, headers=bearer(tokens["access_token"])), 401)


def test_logout_revokes_access_and_refresh(client, make_user, login):
    tokens = login(make_user())
    response = client.post("/api/v1/auth/logout", headers=bearer(tokens["access_token"]))
    assert response.status_code == 204
    assert_error(client.get(ME, headers=bearer(tokens["access_token"])), 401)
    assert_error(client.post(REFRESH, headers=bearer(tokens["refresh_token"])), 401)


def test_logout_needs_a_token(client):
    assert_error(client.post("/api/v1/auth/logout"), 401)


def _tamper(token):
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "00000000-0000-0000-0000-000000000000"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _alg_none(token, secret):
    claims = pyjwt.decode(token, secret, algorithms=["HS256"])
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}."


@pytest.mark.parametrize("kind", ["tampered", "alg_none", "expired", "wrong_secret", "garbage",
                                  "no_family", "unknown_user"])
def test_bad_tokens_are_401_in_the_error_shape(client, make_user, login, app, kind):
    user = make_user()
    token = login(user)["access_token"]
    secret = app.config["JWT_SECRET_KEY"]
    claims = pyjwt.decode(token, secret, algorithms=["HS256"])
    if kind == "tampered":
        token = _tamper(token)
    elif kind == "alg_none":
        token = _alg_none(token, secret)
    elif kind == "expired":
        with app.app_context():
            token = create_access_token(user["id"], expires_delta=timedelta(seconds=-1),
                                        additional_claims={"fam": claims["fam"]})
    elif kind == "wrong_secret":
        token = pyjwt.encode(claims, "another-secret-entirely-32-bytes!", algorithm="HS256")
    elif kind == "garbage":
        token = "not.a.jwt"
    elif kind == "no_family":
        with app.app_context():
            token = create_access_token(user["id"])
    elif kind == "unknown_user":
        with app.app_context():
            token = create_access_token("8d7f1a1e-0000-4000-8000-000000000000",
                                        additional_claims={"fam": claims["fam"]})
    response = client.get(ME, headers=bearer(token))
    assert_error(response, 401)
    assert response.headers.get("WWW-Authenticate") == "Bearer"


def test_missing_and_malformed_authorization_header_are_401(client):
    assert_error(client.get(ME), 401)
    assert_error(client.get(ME, headers={"Authorization": "Token abc"}), 401)
    assert_error(client.get(ME, headers={"Authorization": "Bearer"}), 401)
