"""In-app notifications, the mails that go with them, and the one-click unsubscribe."""

import json
import uuid
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from kijani.auth.models import User
from kijani.common.models import utcnow
from kijani.extensions import db
from kijani.mail.models import OutboxEmail
from kijani.notifications.models import Notification
from tests.factories import create_event
from tests.helpers import assert_error


@pytest.fixture
def organizer(make_user):
    return make_user(role="organizer")


def register(client, headers, event_id, quantity=1):
    response = client.post(f"/api/v1/events/{event_id}/registrations", json={"quantity": quantity},
                           headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def kinds(client, headers, **params):
    return [n["kind"] for n in client.get("/api/v1/notifications", headers=headers, query_string=params).json]


def test_registration_notifications_are_created_with_the_change(client, app, organizer, make_user,
                                                                auth_headers):
    event_id = create_event(app, organizer, capacity=1, title="Kampala Book Club")
    first, second = make_user(), make_user()
    first_headers, second_headers = auth_headers(first), auth_headers(second)
    held = register(client, first_headers, event_id)
    register(client, second_headers, event_id)
    assert kinds(client, first_headers) == ["registration_confirmed"]
    assert kinds(client, second_headers) == ["registration_waitlisted"]
    client.post(f"/api/v1/registrations/{held['id']}/cancel", headers=first_headers)
    assert kinds(client, second_headers) == ["registration_promoted", "registration_waitlisted"]
    [promoted, _] = client.get("/api/v1/notifications", headers=second_headers).json
    assert promoted["title"] == "A seat opened up, you're in: Kampala Book Club"
    assert promoted["event_id"] == event_id and promoted["read"] is False


def test_event_change_and_cancellation_notify_every_registrant(client, app, organizer, make_user, auth_headers,
                                                               mailbox):
    event_id = create_event(app, organizer, capacity=1, starts_at=utcnow() + timedelta(days=5))
    attendee, waiting = make_user(), make_user()
    register(client, auth_headers(attendee), event_id)
    register(client, auth_headers(waiting), event_id)
    org = auth_headers(organizer)
    moved = (utcnow() + timedelta(days=6)).replace(microsecond=0).isoformat()
    assert client.patch(f"/api/v1/events/{event_id}", json={"starts_at": moved, "location": "Kigali"},
                        headers=org).status_code == 200
    for user in (attendee, waiting):
        assert kinds(client, auth_headers(user))[0] == "event_changed"
    [change_mail] = [m for m in mailbox.to(attendee["email"]) if m["Subject"].startswith("Changed")]
    assert "place and time" in mailbox.text(change_mail) and "Kigali" in mailbox.text(change_mail)
    # a description edit is not a change of time or place
    client.patch(f"/api/v1/events/{event_id}", json={"description": "Bring a friend"}, headers=org)
    assert kinds(client, auth_headers(attendee)).count("event_changed") == 1
    client.post(f"/api/v1/events/{event_id}/cancel", headers=org)
    client.post(f"/api/v1/events/{event_id}/cancel", headers=org)
    for user in (attendee, waiting):
        assert kinds(client, auth_headers(user)).count("event_cancelled") == 1


def test_inbox_filters_counts_and_marks_read(client, app, organizer, make_user, auth_headers):
    user = make_user()
    headers = auth_headers(user)
    for _ in range(3):
        register(client, headers, create_event(app, organizer))
    assert client.get("/api/v1/notifications/unread-count", headers=headers).json == {"unread": 3}
    first = client.get("/api/v1/notifications", headers=headers).json[0]
    read = client.post(f"/api/v1/notifications/{first['id']}/read", headers=headers)
    assert read.status_code == 200 and read.json["read"] is True and read.json["read_at"]
    again = client.post(f"/api/v1/notifications/{first['id']}/read", headers=headers)
    assert again.json["read_at"] == read.json["read_at"]
    assert client.get("/api/v1/notifications/unread-count", headers=headers).json == {"unread": 2}
    assert len(client.get("/api/v1/notifications?unread=true", headers=headers).json) == 2
    response = client.post("/api/v1/notifications/read-all", headers=headers)
    assert response.json == {"marked_read": 2}
    assert client.get("/api/v1/notifications/unread-count", headers=headers).json == {"unread": 0}


def test_inbox_is_paginated_newest_first(client, app, organizer, make_user, auth_headers):
    user = make_user()
    headers = auth_headers(user)
    for _ in range(3):
        register(client, headers, create_event(app, organizer))
    response = client.get("/api/v1/notifications?page_size=2", headers=headers)
    assert len(response.json) == 2
    assert json.loads(response.headers["X-Pagination"])["total"] == 3
    stamps = [n["created_at"] for n in client.get("/api/v1/notifications", headers=headers).json]
    assert stamps == sorted(stamps, reverse=True)
    etag = response.headers["ETag"]
    assert client.get("/api/v1/notifications?page_size=2", headers={**headers, "If-None-Match": etag}
                      ).status_code == 304


def test_another_users_notification_is_404(client, app, organizer, make_user, auth_headers):
    owner = auth_headers(make_user())
    register(client, owner, create_event(app, organizer))
    [mine] = client.get("/api/v1/notifications", headers=owner).json
    stranger = auth_headers(make_user())
    assert_error(client.post(f"/api/v1/notifications/{mine['id']}/read", headers=stranger), 404)
    assert client.get("/api/v1/notifications", headers=stranger).json == []
    assert_error(client.get("/api/v1/notifications"), 401)
    assert_error(client.post(f"/api/v1/notifications/{uuid.uuid4()}/read", headers=owner), 404)


def test_confirmation_mail_carries_the_event_calendar(client, app, organizer, make_user, auth_headers, mailbox):
    event_id = create_event(app, organizer, title="Accra Makers Night", timezone="Africa/Nairobi")
    user = make_user()
    registration = register(client, auth_headers(user), event_id, 2)
    [mail] = mailbox.to(user["email"])
    assert mail["Subject"] == "You're in: Accra Makers Night"
    text, html = mailbox.text(mail), mailbox.html(mail)
    for code in (t["code"] for t in registration["tickets"]):
        assert code in text and code in html
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "event.ics"
    assert attachment.get_content_type() == "text/calendar"
    calendar = Calendar.from_ical(attachment.get_content())
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["summary"]) == "Accra Makers Night"
    assert str(vevent["uid"]) == f"{event_id}@kijani"
    assert vevent["dtstart"].params["TZID"] == "Africa/Nairobi"


def test_users_without_email_notifications_get_in_app_only(client, app, organizer, make_user, auth_headers,
                                                           mailbox):
    user = make_user()
    headers = auth_headers(user)
    client.patch("/api/v1/auth/me", json={"email_notifications": False}, headers=headers)
    register(client, headers, create_event(app, organizer))
    assert kinds(client, headers) == ["registration_confirmed"]
    assert mailbox.to(user["email"]) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxEmail)
                                 .where(OutboxEmail.to_address == user["email"])) == 0


def test_one_click_unsubscribe(client, app, organizer, make_user, auth_headers, mailbox):
    user = make_user()
    headers = auth_headers(user)
    register(client, headers, create_event(app, organizer))
    [mail] = mailbox.to(user["email"])
    link = mail["List-Unsubscribe"].strip("<>")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in mailbox.text(mail)
    assert link in mailbox.html(mail)
    path = link.split("localhost:5000", 1)[1]
    response = client.post(path)  # what a mail client does: no login
    assert response.status_code == 200 and response.json["email_notifications"] is False
    with app.app_context():
        assert db.session.get(User, uuid.UUID(user["id"])).email_notifications is False
    assert client.get(path).status_code == 200  # idempotent, and GET works from a browser
    register(client, headers, create_event(app, organizer))
    assert len(mailbox.to(user["email"])) == 1
    assert kinds(client, headers).count("registration_confirmed") == 2


def test_tampered_unsubscribe_token_is_422(client, make_user, app):
    from kijani.notifications.services import unsubscribe_url

    user = make_user()
    with app.app_context():
        link = unsubscribe_url(db.session.get(User, uuid.UUID(user["id"])))
    token = link.split("token=")[1]
    assert_error(client.get(f"/api/v1/notifications/unsubscribe?token={token[:-2]}xx"), 422, "token")
    assert_error(client.get("/api/v1/notifications/unsubscribe"), 422, "token")
    with app.app_context():
        assert db.session.get(User, uuid.UUID(user["id"])).email_notifications is True


def test_notification_is_written_in_the_same_transaction(client, app, organizer, make_user, auth_headers,
                                                         monkeypatch):
    """A registration that fails leaves no notification behind."""
    from kijani.registrations import services

    event_id = create_event(app, organizer)
    headers = auth_headers(make_user())

    def explode(registration, render_kind):
        raise RuntimeError("mail template exploded")

    monkeypatch.setattr(services, "_announce", explode)
    response = client.post(f"/api/v1/events/{event_id}/registrations", json={"quantity": 1}, headers=headers)
    assert_error(response, 500)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
        from kijani.registrations.models import Registration

        assert db.session.scalar(select(func.count()).select_from(Registration)) == 0
