"""Fuzz every documented endpoint with schemathesis: no 500, responses match the schema.

Runs in-process over WSGI against the app's own /api/openapi.json, signed in as an
admin so protected operations are reached, with every check (including ignored_auth)
except response_headers_conformance: X-Pagination is a JSON string in a header.
"""

import os
import re
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance, response_headers_conformance

# Where a schema-valid body can still be a documented 422 because the rule depends on
# something OpenAPI cannot express: a mailed secret code or signed token (no generator can guess it), the
# clock (a start in the past), or the database (an unknown category slug), or a relation
# between fields (ends_at after starts_at, a password equal to the username).
RULES_OPENAPI_CANNOT_STATE = {
    ("POST", "/api/v1/auth/verify-email"), ("POST", "/api/v1/auth/password/reset"),
    ("POST", "/api/v1/auth/register"), ("PATCH", "/api/v1/auth/me"),
    ("POST", "/api/v1/events"), ("PUT", "/api/v1/events/{event_id}"),
    ("PATCH", "/api/v1/events/{event_id}"),
    ("GET", "/api/v1/notifications/unsubscribe"), ("POST", "/api/v1/notifications/unsubscribe"),
}
# Operations that end the session of the token they are sent with.
ENDS_THE_SESSION = {("DELETE", "/api/v1/auth/me"), ("POST", "/api/v1/auth/logout")}
EXAMPLES = int(os.environ.get("KIJANI_FUZZ_EXAMPLES", "30"))


@pytest.fixture
def admin_headers(make_user, auth_headers):
    return auth_headers(make_user(role="admin", username="fuzzadmin"))


def throwaway_headers(app):
    """A fresh account's token, for operations that end the session that sends them."""
    from kijani.auth import services
    from kijani.extensions import db

    with app.app_context():
        name = f"gone{uuid.uuid4().hex[:12]}"
        user = services.register_user(f"{name}@example.org", name, "a long enough passphrase", send_code=False)
        user.role = "admin"
        db.session.commit()
        return {"Authorization": f"Bearer {services.issue_tokens(user)['access_token']}"}


def test_every_operation_honours_its_schema(app, admin_headers):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):
            excluded = [response_headers_conformance]
            if (case.method.upper(), case.operation.path) in RULES_OPENAPI_CANNOT_STATE:
                excluded.append(positive_data_acceptance)
            ends_session = (case.method.upper(), case.operation.path) in ENDS_THE_SESSION
            headers = throwaway_headers(app) if ends_session else admin_headers
            case.call_and_validate(headers=headers, excluded_checks=excluded)

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as exc:  # collect every failure, report them all
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_openapi_declares_bearer_auth_and_error_responses(client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.0")
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    me = spec["paths"]["/api/v1/auth/me"]["get"]
    assert me["security"] == [{"bearerAuth": []}]
    assert "401" in me["responses"]
    register = spec["paths"]["/api/v1/auth/register"]["post"]
    assert {"201", "409", "422", "429"} <= set(register["responses"])


def test_swagger_ui_is_served_from_the_app(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/api/docs/assets/swagger-ui-bundle.js" in html
    # Offline: every script and stylesheet the page loads is one of the app's own paths.
    references = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert references and all(ref.startswith("/") and not ref.startswith("//") for ref in references)
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        response = client.get(f"/api/docs/assets/{asset}")
        assert response.status_code == 200 and len(response.data) > 1000
