"""The reminder sweep: 24 h / 1 h reminders, organizer digests, feedback invitations, once each."""

import threading
import time
import uuid
from datetime import timedelta

import pytest
from celery.beat import EmbeddedService
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from sqlalchemy import func, select, update

from kijani.common.models import utcnow
from kijani.events.models import Event
from kijani.extensions import db
from kijani.notifications import services
from kijani.notifications.models import Notification, ScheduledDelivery
from tests.factories import create_event


@pytest.fixture
def organizer(make_user):
    return make_user(role="organizer")


def attend(client, auth_headers, user, event_id, quantity=1):
    response = client.post(f"/api/v1/events/{event_id}/registrations", json={"quantity": quantity},
                           headers=auth_headers(user))
    assert response.status_code == 201
    return response.json


def reminders_to(mailbox, user):
    return [m for m in mailbox.to(user["email"]) if m["Subject"].startswith("Reminder")]


def sweep(app, now=None):
    with app.app_context():
        return services.send_reminders(now)


def move_event(app, event_id, starts_at):
    with app.app_context():
        db.session.execute(update(Event).where(Event.id == uuid.UUID(event_id)).values(starts_at=starts_at))
        db.session.commit()


def test_one_hour_reminder_goes_out_once_per_attendee(client, app, organizer, make_user, auth_headers,
                                                      mailbox):
    event_id = create_event(app, organizer, starts_at=utcnow() + timedelta(minutes=50), title="Lagos Devs")
    attendees = [make_user() for _ in range(3)]
    for user in attendees:
        attend(client, auth_headers, user, event_id)
    waiting_free = make_user()  # cancelled registrations get nothing
    gone = attend(client, auth_headers, waiting_free, event_id)
    client.post(f"/api/v1/registrations/{gone['id']}/cancel", headers=auth_headers(waiting_free))
    first = sweep(app)
    second = sweep(app)
    assert first["reminder_1h"] == 3 and first["organizer_digest"] == 1
    assert second == {"reminder_24h": 0, "reminder_1h": 0, "organizer_digest": 0, "feedback_invitation": 0}
    for user in attendees:
        [mail] = reminders_to(mailbox, user)
        assert mail["Subject"] == "Reminder: Lagos Devs starts in 1 hour"
    assert reminders_to(mailbox, waiting_free) == []
    [digest] = [m for m in mailbox.to(organizer["email"]) if m["Subject"].startswith("Tomorrow")]
    assert "3 of 50" in mailbox.text(digest)


def test_24_hour_reminder_then_1_hour_reminder(client, app, organizer, make_user, auth_headers, mailbox):
    start = utcnow() + timedelta(hours=20)
    event_id = create_event(app, organizer, starts_at=start)
    user = make_user()
    attend(client, auth_headers, user, event_id)
    assert sweep(app)["reminder_24h"] == 1
    assert sweep(app, now=start - timedelta(hours=3))["reminder_1h"] == 0
    assert sweep(app, now=start - timedelta(minutes=59))["reminder_1h"] == 1
    assert sweep(app, now=start - timedelta(minutes=30))["reminder_1h"] == 0
    subjects = [m["Subject"] for m in reminders_to(mailbox, user)]
    assert [s.rsplit(" in ", 1)[1] for s in subjects] == ["24 hours", "1 hour"]


def test_no_24_hour_reminder_when_the_1_hour_one_is_due(client, app, organizer, make_user, auth_headers,
                                                        mailbox):
    event_id = create_event(app, organizer, starts_at=utcnow() + timedelta(minutes=40))
    user = make_user()
    attend(client, auth_headers, user, event_id)
    sent = sweep(app)
    assert (sent["reminder_24h"], sent["reminder_1h"]) == (0, 1)
    assert len(reminders_to(mailbox, user)) == 1


def test_never_two_reminders_in_the_same_hour(client, app, organizer, make_user, auth_headers, mailbox):
    start = utcnow() + timedelta(minutes=65)
    event_id = create_event(app, organizer, starts_at=start)
    user = make_user()
    attend(client, auth_headers, user, event_id)
    assert sweep(app)["reminder_24h"] == 1
    assert sweep(app, now=start - timedelta(minutes=55))["reminder_1h"] == 0
    assert len(reminders_to(mailbox, user)) == 1


def test_moved_event_gets_a_new_reminder_at_the_new_time(client, app, organizer, make_user, auth_headers,
                                                         mailbox):
    start = utcnow() + timedelta(minutes=50)
    event_id = create_event(app, organizer, starts_at=start)
    user = make_user()
    attend(client, auth_headers, user, event_id)
    assert sweep(app)["reminder_1h"] == 1
    new_start = start + timedelta(hours=3)
    move_event(app, event_id, new_start)
    assert sweep(app)["reminder_1h"] == 0  # not due yet at the new time
    assert sweep(app, now=new_start - timedelta(minutes=50))["reminder_1h"] == 1
    first, second = reminders_to(mailbox, user)
    assert "has moved" in mailbox.text(second) and "has moved" not in mailbox.text(first)


def test_small_moves_do_not_repeat_a_reminder(client, app, organizer, make_user, auth_headers, mailbox):
    start = utcnow() + timedelta(minutes=50)
    event_id = create_event(app, organizer, starts_at=start)
    user = make_user()
    attend(client, auth_headers, user, event_id)
    sweep(app)
    move_event(app, event_id, start + timedelta(minutes=30))
    assert sweep(app, now=start - timedelta(minutes=10))["reminder_1h"] == 0
    assert len(reminders_to(mailbox, user)) == 1


def test_concurrent_sweeps_send_each_reminder_once(client, app, organizer, make_user, auth_headers, mailbox):
    event_id = create_event(app, organizer, starts_at=utcnow() + timedelta(minutes=30))
    users = [make_user() for _ in range(5)]
    for user in users:
        attend(client, auth_headers, user, event_id)
    barrier = threading.Barrier(4)
    totals, errors = [], []

    def run():
        try:
            barrier.wait()
            totals.append(sweep(app)["reminder_1h"])
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(totals) == 5
    for user in users:
        assert len(reminders_to(mailbox, user)) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScheduledDelivery)
                                 .where(ScheduledDelivery.kind == "reminder_1h")) == 5


def test_feedback_invitation_after_the_event(client, app, organizer, make_user, auth_headers, mailbox):
    start = utcnow() + timedelta(minutes=30)
    event_id = create_event(app, organizer, starts_at=start, ends_at=start + timedelta(hours=2))
    user = make_user()
    attend(client, auth_headers, user, event_id)
    assert sweep(app, now=start + timedelta(hours=1))["feedback_invitation"] == 0  # still going on
    assert sweep(app, now=start + timedelta(hours=2, minutes=1))["feedback_invitation"] == 1
    assert sweep(app, now=start + timedelta(hours=3))["feedback_invitation"] == 0
    [invitation] = [m for m in mailbox.to(user["email"]) if m["Subject"].startswith("How was")]
    assert f"/api/v1/events/{event_id}/feedback" in mailbox.text(invitation)
    with app.app_context():
        kinds = set(db.session.scalars(select(Notification.kind).where(Notification.user_id == uuid.UUID(user["id"]))))
    assert "feedback_invitation" in kinds


def test_opted_out_attendees_get_in_app_reminders_only(client, app, organizer, make_user, auth_headers, mailbox):
    event_id = create_event(app, organizer, starts_at=utcnow() + timedelta(minutes=45))
    user = make_user()
    headers = auth_headers(user)
    client.patch("/api/v1/auth/me", json={"email_notifications": False}, headers=headers)
    attend(client, auth_headers, user, event_id)
    assert sweep(app)["reminder_1h"] == 1
    assert mailbox.to(user["email"]) == []
    kinds = [n["kind"] for n in client.get("/api/v1/notifications", headers=headers).json]
    assert kinds[0] == "reminder"


def test_send_reminders_command(runner, client, app, organizer, make_user, auth_headers):
    event_id = create_event(app, organizer, starts_at=utcnow() + timedelta(hours=5))
    attend(client, auth_headers, make_user(), event_id)
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "1 reminder 24h" in result.output and "1 organizer digest" in result.output
    again = runner.invoke(args=["send-reminders"])
    assert "0 reminder 24h" in again.output




def test_real_worker_and_beat_send_each_reminder_once(worker_app, make_user, auth_headers, mailbox, tmp_path):
    """Celery beat (embedded, ticking every second) and a real worker on a real broker
    (Redis in the PostgreSQL run): several sweeps, one reminder per attendee, one digest."""
    client = worker_app.test_client()
    organizer = make_user(role="organizer")
    event_id = create_event(worker_app, organizer, starts_at=utcnow() + timedelta(minutes=50))
    attendees = [make_user() for _ in range(2)]
    for user in attendees:
        client.post(f"/api/v1/events/{event_id}/registrations", json={"quantity": 1}, headers=auth_headers(user))
    runs = []

    def count_sweeps(sender=None, **kwargs):
        if sender is not None and sender.name == "kijani.notifications.tasks.send_reminders":
            runs.append(1)

    task_postrun.connect(count_sweeps, weak=False)
    celery_app = worker_app.extensions["celery"]
    celery_app.conf.beat_schedule = {
        "send-reminders": {"task": "kijani.notifications.tasks.send_reminders", "schedule": 1.0}}
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        beat = EmbeddedService(celery_app, thread=True, schedule_filename=str(tmp_path / "beat-schedule"))
        beat.start()
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not all(reminders_to(mailbox, u) for u in attendees):
                time.sleep(0.2)
            time.sleep(3)  # more beats: room for a duplicate to show up, if there were one
        finally:
            beat.stop()
            task_postrun.disconnect(count_sweeps)
    assert len(runs) >= 3, "beat should have run the sweep several times"
    with worker_app.app_context():
        sweeps = db.session.scalar(select(func.count()).select_from(ScheduledDelivery))
    assert sweeps == 3  # two reminders and one digest in the ledger
    for user in attendees:
        assert len(reminders_to(mailbox, user)) == 1
    assert len([m for m in mailbox.to(organizer["email"]) if m["Subject"].startswith("Tomorrow")]) == 1


def test_an_idle_sweep_costs_the_same_whatever_the_attendance(client, app, organizer, make_user, auth_headers,
                                                              count_statements):
    counts = []
    for attendance in (2, 10):
        event_id = create_event(app, organizer, starts_at=utcnow() + timedelta(hours=20))
        for _ in range(attendance):
            attend(client, auth_headers, make_user(), event_id)
        sweep(app)
        with count_statements() as statements:
            assert sweep(app)["reminder_24h"] == 0
        counts.append(len(statements))
        with app.app_context():
            db.session.execute(update(Event).values(status="cancelled"))  # out of the next round
            db.session.commit()
    assert counts[0] == counts[1] <= 6
