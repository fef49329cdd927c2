"""Capacity and waitlist rules under real parallel requests through the HTTP layer.

A threaded WSGI server serves the app on a loopback port; a pool of client threads,
released together by a barrier, hits it at once. On PostgreSQL this exercises
SELECT … FOR UPDATE; on SQLite the write lock taken at the start of the transaction.
"""

import contextlib
import json
import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from kijani import create_app
from kijani.auth import services as auth_services
from kijani.auth.models import User
from kijani.events.models import Event
from kijani.extensions import db
from kijani.registrations import services
from kijani.registrations.models import Registration, Ticket
from tests.conftest import base_config
from tests.factories import create_event


@pytest.fixture
def server(app, tmp_path_factory, smtp_server):
    """The app on a threaded server. Tasks go to an in-memory broker nobody consumes (a real
    deployment's web process never runs tasks itself); the sweep then does their work."""
    celery = {"broker_url": "memory://", "task_always_eager": False, "task_ignore_result": True}
    served = create_app(base_config(tmp_path_factory, smtp_server, CELERY=celery))
    httpd = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()
    thread.join(timeout=10)


def make_users(app, count):
    """`count` attendees with access tokens, created directly (sign-up is tested elsewhere)."""
    users = []
    with app.app_context():
        password_hash = auth_services.hash_password("a long enough passphrase")
        rows = [User(email=f"storm{i}-{uuid.uuid4().hex[:6]}@example.org", username=f"s{uuid.uuid4().hex[:12]}",
                     password_hash=password_hash, email_verified=True) for i in range(count)]
        db.session.add_all(rows)
        db.session.commit()
        for user in rows:
            users.append({"id": str(user.id), "token": auth_services.issue_tokens(user)["access_token"]})
    return users


def call(port, method, path, token, body=None):
    connection = HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, json.loads(payload) if payload else None


def run_together(jobs, workers):
    """Run the callables at the same moment (a barrier releases them together)."""
    barrier = threading.Barrier(min(workers, len(jobs)))

    def start(job):
        with contextlib.suppress(threading.BrokenBarrierError):  # start anyway, just later
            barrier.wait(timeout=60)
        return job()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(start, jobs))


def check_invariants(app, event_id):
    """Counters match the rows, capacity holds, and nothing that fits is left waiting."""
    with app.app_context():
        event = db.session.get(Event, uuid.UUID(event_id))
        rows = db.session.scalars(select(Registration).where(Registration.event_id == event.id)).all()
        seated = sum(r.quantity for r in rows if r.status in ("confirmed", "offered"))
        waiting = [r for r in rows if r.status == "waitlisted"]
        confirmed_seats = sum(r.quantity for r in rows if r.status == "confirmed")
        tickets = db.session.scalar(
            select(func.count()).select_from(Ticket).join(Registration)
            .where(Registration.event_id == event.id, Registration.status == "confirmed"))
        assert seated <= event.capacity
        assert event.seats_taken == seated
        assert event.waitlist_count == len(waiting)
        assert tickets == confirmed_seats
        free = event.capacity - seated
        assert all(r.quantity > free for r in waiting), "a waitlisted registration that fits was left behind"
        active = [(r.user_id) for r in rows if r.status in ("confirmed", "waitlisted", "offered")]
        assert len(active) == len(set(active)), "two active registrations for one user"
        return event, rows


def test_200_parallel_registrations_never_oversell(app, server, make_user):
    organizer = make_user(role="organizer")
    event_id = create_event(app, organizer, capacity=50)
    users = make_users(app, 200)
    path = f"/api/v1/events/{event_id}/registrations"
    results = run_together([lambda u=u: call(server, "POST", path, u["token"], {"quantity": 1}) for u in users],
                           workers=200)
    assert [status for status, _ in results] == [201] * 200
    outcome = [body["status"] for _, body in results]
    assert outcome.count("confirmed") == 50 and outcome.count("waitlisted") == 150
    event, rows = check_invariants(app, event_id)
    assert (event.seats_taken, event.waitlist_count) == (50, 150)
    # in order of arrival: every confirmed registration got the lock before every waitlisted one
    confirmed = [r.queued_at for r in rows if r.status == "confirmed"]
    waitlisted = sorted(r.queued_at for r in rows if r.status == "waitlisted")
    assert max(confirmed) < min(waitlisted)
    positions = sorted(body["waitlist_position"] for _, body in results if body["status"] == "waitlisted")
    assert positions == list(range(1, 151))


def test_parallel_double_submit_creates_one_registration(app, server, make_user):
    organizer = make_user(role="organizer")
    event_id = create_event(app, organizer, capacity=5)
    [user] = make_users(app, 1)
    path = f"/api/v1/events/{event_id}/registrations"
    results = run_together([lambda: call(server, "POST", path, user["token"], {"quantity": 1})] * 10, workers=10)
    assert sorted(status for status, _ in results) == [201] + [409] * 9
    check_invariants(app, event_id)


def test_mixed_storm_keeps_capacity_and_promotes_as_far_as_seats_allow(app, server, make_user):
    rng = random.Random(2026)
    organizer = make_user(role="organizer")
    event_id = create_event(app, organizer, capacity=50, max_tickets_per_registration=4)
    path = f"/api/v1/events/{event_id}/registrations"
    settled = make_users(app, 60)
    registrations = []
    for user in settled:  # the starting crowd: 50 seats, a waitlist behind them
        status, body = call(server, "POST", path, user["token"], {"quantity": rng.randint(1, 3)})
        assert status == 201
        registrations.append((user, body))
    newcomers = make_users(app, 60)
    jobs = []
    for user, body in registrations[:30]:
        jobs.append(lambda u=user, b=body: call(server, "POST", f"/api/v1/registrations/{b['id']}/cancel",
                                                u["token"]))
    for user, body in registrations[30:]:
        quantity = rng.randint(1, 4)
        jobs.append(lambda u=user, b=body, q=quantity: call(server, "PATCH", f"/api/v1/registrations/{b['id']}",
                                                            u["token"], {"quantity": q}))
    for user in newcomers:
        quantity = rng.randint(1, 3)
        jobs.append(lambda u=user, q=quantity: call(server, "POST", path, u["token"], {"quantity": q}))
    rng.shuffle(jobs)
    results = run_together(jobs, workers=len(jobs))
    assert all(status in (200, 201, 409) for status, _ in results), [s for s, _ in results]
    assert sum(status == 200 for status, _ in results) >= 30  # every cancellation succeeded
    with app.app_context():
        event = db.session.get(Event, uuid.UUID(event_id))
        assert event.seats_taken <= event.capacity
    with app.app_context():
        # what the queued promotion tasks do, done by the same service as the beat sweep
        services.sweep_waitlists()
        assert services.sweep_waitlists() == 0
    event, _ = check_invariants(app, event_id)
    assert event.seats_taken <= 50
