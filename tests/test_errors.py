"""Every status the app emits comes in the one JSON error shape."""

import pytest

from kijani import create_app
from tests.conftest import base_config
from tests.helpers import assert_error


def test_unknown_route_is_json_404(client):
    body = assert_error(client.get("/api/v1/nowhere"), 404)
    assert body["status"] == "Not Found"


def test_wrong_method_is_405_with_allow_header(client):
    response = client.delete("/api/v1/auth/login")
    assert_error(response, 405)
    assert "POST" in response.headers["Allow"]


def test_malformed_json_is_400(client):
    response = client.post("/api/v1/auth/login", data="{not json", content_type="application/json")
    body = assert_error(response, 400)
    assert "JSON" in body["message"]


def test_body_over_one_mib_is_413(client):
    response = client.post("/api/v1/auth/register", data=b"{" + b" " * (1024 * 1024 + 10) + b"}",
                           content_type="application/json")
    assert_error(response, 413)


def test_validation_error_is_422_with_field_errors(client):
    body = assert_error(client.post("/api/v1/auth/register", json={}), 422, "email")
    assert set(body["errors"]["json"]) == {"email", "username", "password"}


def test_json_array_body_is_422_not_500(client):
    assert_error(client.post("/api/v1/auth/login", json=[1, 2]), 422)


@pytest.fixture
def crashing_app(tmp_path_factory, smtp_server):
    app = create_app(base_config(tmp_path_factory, smtp_server))

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals /etc/passwd")

    return app


def test_crash_is_500_without_stack_trace(crashing_app):
    response = crashing_app.test_client().get("/boom")
    body = assert_error(response, 500)
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "secret internals" not in text
    assert body["message"] == "Internal server error."


def test_cors_exposes_pagination_headers(client):
    response = client.get("/health", headers={"Origin": "https://community.example"})
    exposed = response.headers["Access-Control-Expose-Headers"]
    assert "X-Pagination" in exposed and "Link" in exposed and "ETag" in exposed


def test_nul_characters_are_ordinary_input_not_a_crash(client, make_user, auth_headers):
    """PostgreSQL cannot hold NUL: it is replaced by U+FFFD before validation, on both databases."""
    login = client.post("/api/v1/auth/login", data='{"email": "\\u0000x@example.org", "password": "abcdefgh1"}',
                        content_type="application/json")
    assert_error(login, 401)
    admin = auth_headers(make_user(role="admin"))
    assert client.get("/api/v1/users?q=%00kamau", headers=admin).status_code == 200
    assert client.get("/api/v1/events?q=%00nairobi").status_code == 200
