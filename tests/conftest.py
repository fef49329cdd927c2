"""Fixtures: the app on SQLite or PostgreSQL, an in-process SMTP server, user factories.

`KIJANI_TEST_ON=postgres` (set by scripts/test.sh when KIJANI_TEST_DATABASE_URL and
KIJANI_TEST_REDIS_URL are set) runs the same suite on PostgreSQL with Redis; an
unreachable server fails the session instead of skipping anything.
"""

import os
import socket
import threading
import uuid
from email import message_from_bytes, policy

import pytest
import redis
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from kijani import create_app
from kijani.extensions import db, limiter

TARGET = os.environ.get("KIJANI_TEST_ON", "sqlite")
ON_POSTGRES = TARGET == "postgres"
DATABASE_URL = os.environ.get("KIJANI_TEST_DATABASE_URL") if ON_POSTGRES else None
REDIS_URL = os.environ.get("KIJANI_TEST_REDIS_URL") if ON_POSTGRES else None
PASSWORD = "a long enough passphrase"


def pytest_report_header(config):
    return f"kijani target: {TARGET} ({DATABASE_URL or 'sqlite temp file'}; redis: {REDIS_URL or 'none'})"


def pytest_sessionstart(session):
    if not ON_POSTGRES:
        return
    if not DATABASE_URL or not REDIS_URL:
        pytest.exit("KIJANI_TEST_ON=postgres needs KIJANI_TEST_DATABASE_URL and KIJANI_TEST_REDIS_URL",
                    returncode=1)
    try:
        with create_engine(DATABASE_URL).connect() as connection:
            connection.execute(text("SELECT 1"))
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # fail loudly: CI must never silently skip the real services
        pytest.exit(f"PostgreSQL/Redis unreachable for the test run: {exc}", returncode=1)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """Messages received by the in-process SMTP server."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("bounce"):  # lets tests provoke a permanent refusal
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def clear(self):
        with self.lock:
            self.messages.clear()

    def to(self, address):
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def text(message):
        return message.get_body(("plain",)).get_content()

    @staticmethod
    def html(message):
        return message.get_body(("html",)).get_content()


@pytest.fixture(scope="session")
def smtp_server():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


def base_config(tmp_path_factory, smtp_server, **overrides):
    """Test configuration: a database of the run's target, eager Celery, real SMTP."""
    if ON_POSTGRES:
        database_url = DATABASE_URL
    else:
        database_url = f"sqlite:///{tmp_path_factory.getbasetemp() / 'kijani-test.db'}"
    config = {
        "KIJANI_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "KIJANI_SMTP_HOST": "127.0.0.1",
        "KIJANI_SMTP_PORT": smtp_server.port,
        "KIJANI_MAIL_BACKEND": "smtp",
        "KIJANI_REQUIRE_EMAIL_VERIFICATION": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "REDIS_URL": REDIS_URL,
        "CELERY": {
            "broker_url": "memory://",
            "task_always_eager": True,
            "task_eager_propagates": True,
            "task_ignore_result": True,
        },
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def app(tmp_path_factory, smtp_server):
    app = create_app(base_config(tmp_path_factory, smtp_server))
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def clean_database(request):
    """Empty every table after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            db.session.execute(text(f"TRUNCATE {names} CASCADE"))
        else:
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
        db.session.commit()
    if limiter.enabled:
        limiter.reset()


@pytest.fixture
def worker_app(app, tmp_path_factory, smtp_server, tmp_path):
    """The app with a real broker for a real worker: Redis in the PostgreSQL run, the
    embedded SQLAlchemy transport otherwise (start it with celery's `start_worker`)."""
    broker = REDIS_URL or f"sqla+sqlite:///{tmp_path / 'broker.db'}"
    if REDIS_URL:
        redis.Redis.from_url(REDIS_URL).flushdb()
    celery = {"broker_url": broker, "task_always_eager": False, "task_ignore_result": True,
              "broker_connection_retry_on_startup": True}
    return create_app(base_config(tmp_path_factory, smtp_server, CELERY=celery))


@pytest.fixture
def mailbox(smtp_server):
    smtp_server.handler.clear()
    return smtp_server.handler


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create a user through the auth service; returns a dict with its id and credentials."""
    from kijani.auth import services

    def make(role="attendee", username=None, email=None, verified=True, password=PASSWORD):
        username = username or f"user{uuid.uuid4().hex[:10]}"
        email = email or f"{username}@example.org"
        with app.app_context():
            user = services.register_user(email, username, password, send_code=False)
            user.role, user.email_verified = role, verified
            db.session.commit()
            return {"id": str(user.id), "email": email, "username": username,
                    "password": password, "role": role}

    return make


@pytest.fixture
def login(client):
    """Sign a user in over HTTP; returns the token pair."""

    def do_login(user):
        response = client.post("/api/v1/auth/login",
                               json={"email": user["email"], "password": user["password"]})
        assert response.status_code == 200, response.json
        return response.json

    return do_login


@pytest.fixture
def auth_headers(login):
    """Authorization headers for a user (signs in over HTTP)."""

    def headers(user):
        return {"Authorization": f"Bearer {login(user)['access_token']}"}

    return headers


@pytest.fixture
def count_statements(app):
    """Context manager counting SQL statements: `with count_statements() as stmts: ...`."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting():
        statements = []

        def record(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting
