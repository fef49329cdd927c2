"""Liveness and dependency check: GET /health."""

import marshmallow as ma
from flask import current_app
from sqlalchemy import text

from kijani.common.api import Blueprint
from kijani.extensions import db

blp = Blueprint("health", __name__, description="Service health.")


class HealthSchema(ma.Schema):
    status = ma.fields.String(metadata={"example": "ok"})
    database = ma.fields.String(metadata={"example": "ok"})
    broker = ma.fields.String(metadata={"example": "ok", "description": "ok or unavailable"})


def database_ok():
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:
        db.session.rollback()
        return False


def broker_ok():
    celery = current_app.extensions["celery"]
    if celery.conf.task_always_eager:
        return True
    try:
        with celery.connection_for_write(connect_timeout=2) as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


@blp.route("/health")
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="The database is unreachable")
def health():
    """Report whether the API, its database and its broker are reachable."""
    db_ok = database_ok()
    body = {
        "status": "ok" if db_ok else "unavailable",
        "database": "ok" if db_ok else "unavailable",
        "broker": "ok" if broker_ok() else "unavailable",
    }
    return body, 200 if db_ok else 503
