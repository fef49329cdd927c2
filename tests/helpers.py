"""Assertions shared by the test modules."""


def assert_error(response, code, field=None):
    """Assert the standard error shape (and a field error when given)."""
    assert response.status_code == code, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/json"
    body = response.json
    assert body["code"] == code
    assert isinstance(body["status"], str) and body["status"]
    assert isinstance(body["message"], str) and body["message"]
    assert set(body) <= {"code", "status", "message", "errors"}
    if field is not None:
        location_errors = next(iter(body["errors"].values()))
        assert field in location_errors, body
    return body
