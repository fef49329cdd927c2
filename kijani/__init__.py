"""Kijani Event API: the application factory."""

import logging
import os

from dotenv import load_dotenv
from flask import Blueprint, Flask

from config import BASE_DIR, config_for

EXPOSED_HEADERS = ["X-Pagination", "Link", "ETag", "Retry-After", "Location"]


def create_app(config=None):
    """Build the app: config → extensions → blueprints → errors → CLI.

    `config` is a KIJANI_ENV name or a dict of overrides (tests); the environment and an
    optional `.env` beside config.py provide everything else.
    """
    load_dotenv(BASE_DIR / ".env")
    overrides = dict(config) if isinstance(config, dict) else {}
    env_name = config if isinstance(config, str) else overrides.get("KIJANI_ENV")

    app = Flask(__name__, instance_path=str(BASE_DIR / "instance"))
    app.config.from_object(config_for(env_name))
    app.config.update(overrides)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a JSON 500, never a debugger page
    app.json.sort_keys = False
    _check_required_settings(app)
    os.makedirs(app.instance_path, exist_ok=True)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kijani").setLevel(logging.INFO)

    _init_extensions(app)
    _register_blueprints(app)
    if app.config["KIJANI_BENCH_CEILING"]:
        _register_bench_ceiling(app)

    from kijani.errors import register_error_handlers

    register_error_handlers(app)

    from kijani.cli import register_cli

    register_cli(app)
    return app


def _check_required_settings(app):
    """Refuse to start in production without real secrets."""
    if app.config["ENV_NAME"] != "production":
        return
    missing = [name for name in ("SECRET_KEY", "JWT_SECRET_KEY") if not app.config.get(name)]
    if missing:
        raise RuntimeError(f"Production needs {', '.join(missing)} set in the environment.")


def _register_bench_ceiling(app):
    """GET /bench/ceiling: the cheapest JSON answer this app can give (benchmarks only).

    Registered only with KIJANI_BENCH_CEILING=1, on the Flask app rather than the API, so
    it never appears in the OpenAPI document. `make bench` compares every endpoint to it.
    """
    app.add_url_rule("/bench/ceiling", "bench_ceiling", lambda: {"ok": True})


def _init_extensions(app):
    from kijani.auth import services as auth_services
    from kijani.celery import celery_init_app
    from kijani.common.models import init_database_hooks
    from kijani.common.tasks import init_session_hooks
    from kijani.extensions import api, cors, db, jwt, limiter, migrate

    init_database_hooks()
    db.init_app(app)
    init_session_hooks(db.session)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), compare_type=True,
                     render_as_batch=True)
    jwt.init_app(app)
    jwt.token_in_blocklist_loader(lambda header, payload: auth_services.is_token_revoked(payload))
    jwt.user_lookup_loader(lambda header, payload: auth_services.load_user(payload))
    origins = [o.strip() for o in app.config["KIJANI_CORS_ORIGINS"].split(",")]
    cors.init_app(app, resources={r"/api/*": {"origins": origins}, r"/health": {"origins": origins}},
                  expose_headers=EXPOSED_HEADERS)
    limiter.init_app(app)
    api.init_app(app)
    celery_init_app(app)


def _register_blueprints(app):
    from swagger_ui_bundle import swagger_ui_path

    from kijani import health
    from kijani.auth.routes import blp as auth_blp
    from kijani.auth.routes import users_blp
    from kijani.auth.schemas import document_login_alternatives
    from kijani.events import init_app as init_events
    from kijani.events.routes import blp as events_blp
    from kijani.events.routes import categories_blp
    from kijani.extensions import api
    from kijani.feedback import init_app as init_feedback
    from kijani.feedback.routes import blp as feedback_blp
    from kijani.mail import tasks as mail_tasks  # noqa: F401  (registers the Celery tasks)
    from kijani.notifications import init_app as init_notifications
    from kijani.notifications import tasks as notification_tasks  # noqa: F401
    from kijani.notifications.routes import blp as notifications_blp
    from kijani.registrations import init_app as init_registrations
    from kijani.registrations import tasks as registration_tasks  # noqa: F401
    from kijani.registrations.routes import blp as registrations_blp

    # Swagger UI's JS and CSS come from the swagger-ui-bundle package: no CDN, works offline.
    app.register_blueprint(Blueprint("swagger_ui_assets", __name__, static_folder=swagger_ui_path,
                                     static_url_path="/api/docs/assets"))
    for blp in (health.blp, auth_blp, users_blp, categories_blp, events_blp, registrations_blp,
                feedback_blp, notifications_blp):
        api.register_blueprint(blp)
    init_events(app)
    init_registrations(app)
    init_notifications(app)
    init_feedback(app)
    document_login_alternatives(api.spec)
