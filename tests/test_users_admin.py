"""Admin user management: /users and /users/{id}."""

import json
import uuid

from kijani.auth.models import User
from kijani.extensions import db
from tests.helpers import assert_error


def test_users_requires_admin(client, make_user, auth_headers):
    assert_error(client.get("/api/v1/users"), 401)
    for role in ("attendee", "organizer"):
        body = assert_error(client.get("/api/v1/users", headers=auth_headers(make_user(role=role))), 403)
        assert "admin" in body["message"]


def test_admin_lists_users_with_search_and_pagination(client, make_user, auth_headers):
    admin = make_user(role="admin", username="boss")
    for i in range(5):
        make_user(username=f"kamau{i}")
    make_user(username="otieno")
    headers = auth_headers(admin)
    response = client.get("/api/v1/users?q=KAMAU&page_size=2&page=2", headers=headers)
    assert response.status_code == 200
    assert [u["username"] for u in response.json] == ["kamau2", "kamau3"]
    meta = json.loads(response.headers["X-Pagination"])
    assert meta == {"total": 5, "total_pages": 3, "first_page": 1, "last_page": 3, "page": 2,
                    "previous_page": 1, "next_page": 3}
    link = response.headers["Link"]
    assert 'rel="next"' in link and "page=3" in link and 'rel="prev"' in link
    assert "q=KAMAU" in link
    all_users = client.get("/api/v1/users?role=admin", headers=headers).json
    assert [u["username"] for u in all_users] == ["boss"]


def test_page_size_over_100_is_422(client, make_user, auth_headers):
    headers = auth_headers(make_user(role="admin"))
    assert_error(client.get("/api/v1/users?page_size=101", headers=headers), 422, "page_size")


def test_admin_gets_one_user_or_404(client, make_user, auth_headers):
    headers = auth_headers(make_user(role="admin"))
    other = make_user()
    response = client.get(f"/api/v1/users/{other['id']}", headers=headers)
    assert response.status_code == 200
    assert response.json["email"] == other["email"] and response.json["is_active"] is True
    assert_error(client.get(f"/api/v1/users/{uuid.uuid4()}", headers=headers), 404)


def test_admin_changes_role(client, make_user, auth_headers, app):
    headers = auth_headers(make_user(role="admin"))
    other = make_user()
    response = client.patch(f"/api/v1/users/{other['id']}", headers=headers, json={"role": "organizer"})
    assert response.status_code == 200 and response.json["role"] == "organizer"
    with app.app_context():
        assert db.session.get(User, uuid.UUID(other["id"])).role == "organizer"
    assert_error(client.patch(f"/api/v1/users/{other['id']}", headers=headers, json={"role": "god"}),
                 422, "role")


def test_deactivation_revokes_tokens_and_blocks_login(client, make_user, auth_headers, login):
    headers = auth_headers(make_user(role="admin"))
    other = make_user()
    tokens = login(other)
    assert client.delete(f"/api/v1/users/{other['id']}", headers=headers).status_code == 204
    assert_error(client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}),
                 401)
    assert_error(client.post("/api/v1/auth/login", json={"email": other["email"], "password": other["password"]}),
                 401)
    shown = client.get(f"/api/v1/users/{other['id']}", headers=headers).json
    assert shown["is_active"] is False


def test_last_admin_cannot_be_demoted_or_deactivated(client, make_user, auth_headers):
    admin = make_user(role="admin")
    headers = auth_headers(admin)
    assert_error(client.patch(f"/api/v1/users/{admin['id']}", headers=headers, json={"role": "attendee"}), 409)
    assert_error(client.delete(f"/api/v1/users/{admin['id']}", headers=headers), 409)
    second = make_user(role="admin")
    ok = client.patch(f"/api/v1/users/{second['id']}", headers=headers, json={"role": "organizer"})
    assert ok.status_code == 200


def test_non_admin_responses_never_carry_another_users_email(client, make_user, auth_headers):
    me = make_user()
    other = make_user()
    response = client.get(f"/api/v1/users/{other['id']}", headers=auth_headers(me))
    assert response.status_code == 403
    assert other["email"] not in response.get_data(as_text=True)
