"""Waitlist promotion by a real Celery worker after a cancel commits."""

import time
import uuid

from celery.contrib.testing.worker import start_worker
from sqlalchemy import select

from kijani.extensions import db
from kijani.registrations.models import Registration
from tests.factories import create_event


def status_of(app, registration_id):
    with app.app_context():
        return db.session.scalar(select(Registration.status).where(Registration.id == uuid.UUID(registration_id)))


def test_worker_promotes_the_waitlist_after_a_cancel(worker_app, make_user, auth_headers, mailbox):
    client = worker_app.test_client()
    organizer = make_user(role="organizer")
    event_id = create_event(worker_app, organizer, capacity=1)
    holder_headers = auth_headers(make_user())
    waiting = make_user()
    held = client.post(f"/api/v1/events/{event_id}/registrations", json={"quantity": 1},
                       headers=holder_headers).json
    queued = client.post(f"/api/v1/events/{event_id}/registrations", json={"quantity": 1},
                         headers=auth_headers(waiting)).json
    assert queued["status"] == "waitlisted"
    with start_worker(worker_app.extensions["celery"], pool="solo", perform_ping_check=False,
                      shutdown_timeout=20):
        cancelled = client.post(f"/api/v1/registrations/{held['id']}/cancel", headers=holder_headers)
        assert cancelled.json["status"] == "cancelled"
        deadline = time.monotonic() + 30
        while status_of(worker_app, queued["id"]) != "confirmed" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert status_of(worker_app, queued["id"]) == "confirmed"
        while not mailbox.to(waiting["email"]) and time.monotonic() < deadline:
            time.sleep(0.2)
    assert any(m["Subject"].startswith("A seat opened up") for m in mailbox.to(waiting["email"]))
