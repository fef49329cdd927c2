"""The email outbox: delivery over SMTP, broker outages, retries and permanent failures."""

import time
import uuid
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from sqlalchemy import select, update

from kijani import create_app
from kijani.common.models import utcnow
from kijani.extensions import db
from kijani.mail import services
from kijani.mail.models import OutboxEmail
from tests.conftest import PASSWORD, base_config, free_port


def sign_up(client, email="amina@example.org", username="amina"):
    response = client.post("/api/v1/auth/register",
                           json={"email": email, "username": username, "password": PASSWORD})
    assert response.status_code == 201, response.json
    return response


def outbox(app):
    with app.app_context():
        rows = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.created_at)).all()
        db.session.expunge_all()
        return rows


def test_mail_is_multipart_and_marked_sent(client, app, mailbox):
    sign_up(client)
    [message] = mailbox.to("amina@example.org")
    assert message.get_content_type() == "multipart/alternative"
    assert "verification code" in mailbox.text(message)
    assert "<html" in mailbox.html(message)
    [row] = outbox(app)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert row.sent_at is not None


@pytest.fixture
def dead_broker_app(app, tmp_path_factory, smtp_server):
    celery = {"broker_url": "redis://127.0.0.1:1/0", "task_always_eager": False,
              "broker_connection_timeout": 1, "broker_connection_retry": False,
              "task_publish_retry_policy": {"max_retries": 0}}
    return create_app(base_config(tmp_path_factory, smtp_server, CELERY=celery))


def test_broker_outage_loses_nothing_and_drain_delivers_once(dead_broker_app, mailbox):
    client = dead_broker_app.test_client()
    started = time.monotonic()
    sign_up(client)
    sign_up(client, "kofi@example.org", "kofi")
    assert time.monotonic() - started < 10, "a dead broker must not hang the request"
    assert mailbox.messages == []
    assert [row.status for row in outbox(dead_broker_app)] == ["pending", "pending"]
    with dead_broker_app.app_context():
        assert services.drain_outbox() == 2
        assert services.drain_outbox() == 0
    assert len(mailbox.to("amina@example.org")) == 1
    assert len(mailbox.to("kofi@example.org")) == 1
    assert {row.status for row in outbox(dead_broker_app)} == {"sent"}


def test_delivering_twice_sends_once(client, app, mailbox):
    sign_up(client)
    [row] = outbox(app)
    with app.app_context():
        assert services.deliver_email(row.id) == "sent"
    assert len(mailbox.to("amina@example.org")) == 1


def test_permanent_refusal_is_recorded_not_retried(client, app, mailbox):
    sign_up(client, email="bounce@example.org", username="bouncer")
    [row] = outbox(app)
    assert row.status == "failed"
    assert "550" in row.last_error
    with app.app_context():
        assert services.drain_outbox() == 0
    assert outbox(app)[0].attempts == 1


def test_transient_failure_backs_off_then_succeeds(client, app, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "KIJANI_SMTP_PORT", free_port())  # nothing listens there
    sign_up(client)
    [row] = outbox(app)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at > utcnow() + timedelta(seconds=20)
    assert "Connection" in row.last_error or "refused" in row.last_error.lower()
    monkeypatch.undo()
    with app.app_context():
        assert services.drain_outbox() == 0  # not due yet: backoff
        db.session.execute(update(OutboxEmail).values(next_attempt_at=utcnow()))
        db.session.commit()
        assert services.drain_outbox() == 1
    assert len(mailbox.to("amina@example.org")) == 1


def test_a_mail_that_keeps_failing_gives_up(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "KIJANI_SMTP_PORT", free_port())
    sign_up(client)
    with app.app_context():
        for _ in range(services.MAX_ATTEMPTS):
            db.session.execute(update(OutboxEmail).values(next_attempt_at=utcnow()))
            db.session.commit()
            services.drain_outbox()
    [row] = outbox(app)
    assert (row.status, row.attempts) == ("failed", services.MAX_ATTEMPTS)


def test_an_expired_claim_is_taken_over(app, mailbox):
    """A worker that died while sending leaves a claim; once it expires the drain sends."""
    with app.app_context():
        email = OutboxEmail(to_address="late@example.org", subject="s", text_body="t", status="sending",
                            locked_until=utcnow() + timedelta(minutes=5), attempts=1)
        db.session.add(email)
        db.session.commit()
        email_id = email.id
        assert services.drain_outbox() == 0
        db.session.execute(update(OutboxEmail).values(locked_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        assert services.drain_outbox() == 1
        assert db.session.get(OutboxEmail, email_id).attempts == 2
    assert len(mailbox.to("late@example.org")) == 1




def test_real_worker_delivers_the_verification_mail(worker_app, mailbox):
    """A real Celery worker (Redis in the PostgreSQL run, the embedded broker otherwise)."""
    celery_app = worker_app.extensions["celery"]
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        sign_up(worker_app.test_client())
        deadline = time.monotonic() + 30
        while not mailbox.to("amina@example.org") and time.monotonic() < deadline:
            time.sleep(0.2)
    [message] = mailbox.to("amina@example.org")
    assert "verification code" in mailbox.text(message)
    assert [row.status for row in outbox(worker_app)] == ["sent"]


def test_deliver_unknown_id_is_harmless(app):
    with app.app_context():
        assert services.deliver_email(uuid.uuid4()) == "missing"


def test_registrations_and_cancellations_survive_a_dead_broker(dead_broker_app, make_user, auth_headers, mailbox):
    """Nothing is lost: the outbox holds the mails and the sweep does the lost promotion."""
    from kijani.registrations.services import sweep_waitlists
    from tests.factories import create_event

    client = dead_broker_app.test_client()
    organizer = make_user(role="organizer")
    event_id = create_event(dead_broker_app, organizer, capacity=1)
    holder, waiting = make_user(), make_user()
    held = client.post(f"/api/v1/events/{event_id}/registrations", json={"quantity": 1},
                       headers=auth_headers(holder))
    queued = client.post(f"/api/v1/events/{event_id}/registrations", json={"quantity": 1},
                         headers=auth_headers(waiting))
    assert (held.status_code, queued.json["status"]) == (201, "waitlisted")
    cancel = client.post(f"/api/v1/registrations/{held.json['id']}/cancel", headers=auth_headers(holder))
    assert cancel.status_code == 200
    assert mailbox.messages == []
    with dead_broker_app.app_context():
        assert sweep_waitlists() == 1  # the promotion task never reached a worker
        assert services.drain_outbox() == 3  # confirmed, waitlisted, promoted
        assert services.drain_outbox() == 0
    assert [m["Subject"].split(":")[0] for m in mailbox.to(waiting["email"])] == \
        ["You're on the waitlist", "A seat opened up, you're in"]
    assert len(mailbox.to(holder["email"])) == 1
