"""flask-limiter on the auth endpoints: per IP and per account, 429 with Retry-After."""

import pytest
import redis

from kijani import create_app
from kijani.extensions import limiter
from tests.conftest import REDIS_URL, base_config
from tests.helpers import assert_error


@pytest.fixture
def limited_app(app, tmp_path_factory, smtp_server):
    overrides = {"RATELIMIT_ENABLED": True, "KIJANI_RATELIMIT_AUTH_IP": "8 per minute",
                 "KIJANI_RATELIMIT_AUTH_ACCOUNT": "3 per minute"}
    if REDIS_URL:
        overrides["RATELIMIT_STORAGE_URI"] = REDIS_URL
        redis.Redis.from_url(REDIS_URL).flushdb()
    limited = create_app(base_config(tmp_path_factory, smtp_server, **overrides))
    yield limited
    limiter.reset()


def test_failed_logins_per_account_hit_429_with_retry_after(limited_app, make_user):
    client = limited_app.test_client()
    user = make_user()
    for _ in range(3):
        assert_error(client.post("/api/v1/auth/login", json={"email": user["email"], "password": "wrong-pass!"}),
                     401)
    response = client.post("/api/v1/auth/login", json={"email": user["email"], "password": user["password"]})
    body = assert_error(response, 429)
    assert int(response.headers["Retry-After"]) > 0
    assert "Retry-After" in body["message"]
    # another account from the same IP is still allowed (the IP budget is larger)
    other = make_user()
    ok = client.post("/api/v1/auth/login", json={"email": other["email"], "password": other["password"]})
    assert ok.status_code == 200


def test_successful_logins_do_not_use_the_account_budget(limited_app, make_user):
    client = limited_app.test_client()
    user = make_user()
    for _ in range(5):
        ok = client.post("/api/v1/auth/login", json={"email": user["email"], "password": user["password"]})
        assert ok.status_code == 200


def test_per_ip_limit_spans_accounts(limited_app):
    client = limited_app.test_client()
    statuses = [client.post("/api/v1/auth/password/forgot", json={"email": f"n{i}@example.org"}).status_code
                for i in range(10)]
    assert statuses[:8] == [202] * 8
    assert statuses[8:] == [429, 429]


def test_register_is_limited_per_account(limited_app):
    client = limited_app.test_client()
    body = {"email": "same@example.org", "username": "same", "password": "x"}
    statuses = [client.post("/api/v1/auth/register", json=body).status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]


def test_limits_are_off_when_disabled(client, make_user):
    user = make_user()
    for _ in range(12):
        response = client.post("/api/v1/auth/login", json={"email": user["email"], "password": "wrong-pass!"})
        assert response.status_code == 401


@pytest.mark.skipif(not REDIS_URL, reason="Redis storage is exercised in the PostgreSQL + Redis run")
def test_limits_are_stored_in_redis(limited_app):
    client = limited_app.test_client()
    client.post("/api/v1/auth/password/forgot", json={"email": "r@example.org"})
    keys = redis.Redis.from_url(REDIS_URL).keys("*kijani*")
    assert keys, "expected rate-limit counters in Redis"
