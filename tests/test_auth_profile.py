"""Password reset, GET/PATCH/DELETE /auth/me."""

import re
import uuid

from sqlalchemy import select

from kijani.auth.models import User
from kijani.extensions import db
from tests.helpers import assert_error

ME = "/api/v1/auth/me"


def reset_code(mailbox, address):
    message = mailbox.to(address)[-1]
    assert message["Subject"] == "Reset your Kijani password"
    return re.search(r"\b(\d{6})\b", mailbox.text(message)).group(1)


def test_forgot_password_is_202_and_silent_for_unknown_email(client, mailbox):
    response = client.post("/api/v1/auth/password/forgot", json={"email": "ghost@example.org"})
    assert response.status_code == 202
    assert mailbox.messages == []


def test_password_reset_sets_the_password_and_revokes_tokens(client, make_user, login, mailbox):
    user = make_user()
    tokens = login(user)
    assert client.post("/api/v1/auth/password/forgot", json={"email": user["email"]}).status_code == 202
    code = reset_code(mailbox, user["email"])
    new_password = "a brand new passphrase"
    response = client.post("/api/v1/auth/password/reset",
                           json={"email": user["email"], "code": code, "new_password": new_password})
    assert response.status_code == 204
    assert_error(client.get(ME, headers={"Authorization": f"Bearer {tokens['access_token']}"}), 401)
    assert_error(client.post("/api/v1/auth/refresh",
                             headers={"Authorization": f"Bearer {tokens['refresh_token']}"}), 401)
    old = client.post("/api/v1/auth/login", json={"email": user["email"], "password": user["password"]})
    assert_error(old, 401)
    new = client.post("/api/v1/auth/login", json={"email": user["email"], "password": new_password})
    assert new.status_code == 200


def test_password_reset_rejects_wrong_code_and_weak_password(client, make_user, mailbox):
    user = make_user()
    client.post("/api/v1/auth/password/forgot", json={"email": user["email"]})
    code = reset_code(mailbox, user["email"])
    wrong = "000000" if code != "000000" else "999999"
    bad = client.post("/api/v1/auth/password/reset",
                      json={"email": user["email"], "code": wrong, "new_password": "a fine passphrase"})
    assert_error(bad, 422, "code")
    weak = client.post("/api/v1/auth/password/reset",
                       json={"email": user["email"], "code": code, "new_password": "12345678"})
    assert_error(weak, 422, "new_password")
    # the weak attempt did not burn the code
    ok = client.post("/api/v1/auth/password/reset",
                     json={"email": user["email"], "code": code, "new_password": "a fine passphrase"})
    assert ok.status_code == 204


def test_get_me_returns_own_profile_with_etag(client, make_user, auth_headers):
    user = make_user(role="organizer")
    headers = auth_headers(user)
    response = client.get(ME, headers=headers)
    assert response.status_code == 200
    assert set(response.json) == {"id", "email", "username", "role", "display_name", "bio",
                                  "email_verified", "email_notifications", "created_at"}
    assert response.json["role"] == "organizer"
    etag = response.headers["ETag"]
    cached = client.get(ME, headers={**headers, "If-None-Match": etag})
    assert cached.status_code == 304


def test_patch_me_edits_profile_fields(client, make_user, auth_headers, app):
    user = make_user()
    response = client.patch(ME, headers=auth_headers(user),
                            json={"display_name": "Amina W.", "bio": "Organizer of things",
                                  "email_notifications": False})
    assert response.status_code == 200
    assert response.json["display_name"] == "Amina W."
    assert response.json["email_notifications"] is False
    with app.app_context():
        stored = db.session.get(User, uuid.UUID(user["id"]))
        assert (stored.display_name, stored.bio, stored.email_notifications) == \
            ("Amina W.", "Organizer of things", False)


def test_patch_me_cannot_change_role_or_email(client, make_user, auth_headers, app):
    user = make_user()
    headers = auth_headers(user)
    assert_error(client.patch(ME, headers=headers, json={"role": "admin"}), 422, "role")
    assert_error(client.patch(ME, headers=headers, json={"email": "x@example.org"}), 422, "email")
    with app.app_context():
        assert db.session.get(User, uuid.UUID(user["id"])).role == "attendee"


def test_password_change_needs_the_current_password(client, make_user, auth_headers):
    user = make_user()
    headers = auth_headers(user)
    assert_error(client.patch(ME, headers=headers, json={"password": "new passphrase 1"}),
                 422, "current_password")
    assert_error(client.patch(ME, headers=headers,
                              json={"password": "new passphrase 1", "current_password": "wrong one!"}),
                 422, "current_password")
    assert_error(client.patch(ME, headers=headers,
                              json={"password": "1234567890", "current_password": user["password"]}),
                 422, "password")
    ok = client.patch(ME, headers=headers,
                      json={"password": "new passphrase 1", "current_password": user["password"]})
    assert ok.status_code == 200
    login = client.post("/api/v1/auth/login", json={"email": user["email"], "password": "new passphrase 1"})
    assert login.status_code == 200


def test_delete_me_removes_the_account(client, make_user, auth_headers, app):
    user = make_user()
    headers = auth_headers(user)
    assert client.delete(ME, headers=headers).status_code == 204
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == user["email"])) is None
    assert_error(client.get(ME, headers=headers), 401)


def test_password_reset_does_not_reveal_whether_the_account_exists(client, make_user):
    user = make_user()
    body = {"code": "123456", "new_password": "password123"}
    known = client.post("/api/v1/auth/password/reset", json={"email": user["email"], **body})
    unknown = client.post("/api/v1/auth/password/reset", json={"email": "ghost@example.org", **body})
    assert known.status_code == unknown.status_code == 422
    assert known.json == unknown.json


def test_parallel_wrong_codes_cannot_outrun_the_attempt_limit(app, client, make_user, mailbox):
    from concurrent.futures import ThreadPoolExecutor

    user = make_user()
    client.post("/api/v1/auth/password/forgot", json={"email": user["email"]})
    code = reset_code(mailbox, user["email"])
    wrong = "000000" if code != "000000" else "999999"

    def guess(_):
        return app.test_client().post("/api/v1/auth/password/reset", json={
            "email": user["email"], "code": wrong, "new_password": "a fine passphrase"}).json

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(guess, range(30)))
    judged = [a for a in answers if a["errors"]["json"]["code"] == ["Invalid or expired code: request a new one."]]
    assert len(judged) <= 5
    final = client.post("/api/v1/auth/password/reset",
                        json={"email": user["email"], "code": code, "new_password": "a fine passphrase"})
    assert_error(final, 422, "code")
