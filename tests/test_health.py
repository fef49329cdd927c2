"""GET /health."""

from sqlalchemy import create_engine

from kijani.extensions import db


def test_health_reports_database_and_broker_ok(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "broker": "ok"}


def test_health_is_503_when_database_is_down(app, client, monkeypatch):
    dead = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    with app.app_context():
        monkeypatch.setitem(db.engines, None, dead)
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json["database"] == "unavailable"
    assert response.json["status"] == "unavailable"


def test_health_reports_unreachable_broker(app, client, monkeypatch):
    celery = app.extensions["celery"]
    monkeypatch.setitem(celery.conf, "task_always_eager", False)
    monkeypatch.setitem(celery.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "broker": "unavailable"}
