"""Every mail template renders (text and HTML) with the content it promises."""

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from flask import render_template

USER = SimpleNamespace(username="zawadi", display_name="Zawadi Njeri", email="zawadi@example.org")
EVENT = SimpleNamespace(id=uuid.UUID("8d7f1a1e-1111-4000-8000-000000000001"), title="Dar es Salaam Data Meetup",
                        starts_at=datetime(2027, 3, 4, 15, 0, tzinfo=UTC), timezone="Africa/Dar_es_Salaam",
                        location="Buni Hub, Dar es Salaam")
TICKETS = [SimpleNamespace(code="KJ-7F3K-9QXA"), SimpleNamespace(code="KJ-M4PB-2ZRT")]
REGISTRATION = SimpleNamespace(id=uuid.UUID("8d7f1a1e-2222-4000-8000-000000000002"), quantity=2, tickets=TICKETS,
                               offer_expires_at=datetime(2027, 3, 3, 15, 0, tzinfo=UTC))
UNSUBSCRIBE = "http://localhost:5000/api/v1/notifications/unsubscribe?token=abc"

CASES = {
    "verify_email": ({"code": "042317", "minutes": 15}, ["042317", "15 minutes"]),
    "password_reset": ({"code": "901234", "minutes": 15}, ["901234", "password"]),
    "registration_confirmed": ({}, ["confirmed", "KJ-7F3K-9QXA", "KJ-M4PB-2ZRT", "Buni Hub"]),
    "registration_waitlisted": ({}, ["waitlist", "2 seats"]),
    "registration_promoted": ({}, ["now confirmed", "KJ-7F3K-9QXA"]),
    "registration_offered": ({}, ["holding 2", "03 March 2027", "/accept"]),
    "registration_offer_expired": ({}, ["expired", "next person"]),
    "registration_event_cancelled": ({}, ["cancelled this event", "no longer valid"]),
    "event_changed": ({"what": "time", "changes": {"starts_at": (datetime(2027, 3, 4, 15, 0, tzinfo=UTC),
                                                                 datetime(2027, 3, 5, 16, 0, tzinfo=UTC))}},
                      ["changed the", "time", "05 March 2027"]),
    "reminder": ({"hours": "1 hour", "moved_from": None}, ["starts in", "1 hour", "KJ-7F3K-9QXA"]),
    "feedback_invitation": ({}, ["How was it", "Dar es Salaam Data Meetup"]),
    "organizer_digest": ({"seats_taken": 40, "capacity": 50, "confirmed": 31, "waitlist_count": 7, "offered": 2,
                          "cancelled": 3}, ["40", "of 50", "Waitlist", "attendees?format=csv"]),
}


@pytest.mark.parametrize("template", sorted(CASES))
def test_template_renders_text_and_html(app, template):
    context, expected = CASES[template]
    values = {"user": USER, "event": EVENT, "registration": REGISTRATION, "public_url": "http://localhost:5000",
              "unsubscribe_url": UNSUBSCRIBE, **context}
    with app.test_request_context():
        text = render_template(f"mail/{template}.txt", **values)
        html = render_template(f"mail/{template}.html", **values)
    assert "Zawadi Njeri" in text and "Zawadi Njeri" in html
    assert html.lstrip().startswith("<!doctype html>") and "Kijani" in html
    for fragment in expected:
        assert fragment in text, (template, fragment)
    if template not in ("verify_email", "password_reset"):
        assert UNSUBSCRIBE in text and UNSUBSCRIBE in html
    assert "{{" not in text + html and "{%" not in text + html


def test_moved_reminder_says_so(app):
    values = {"user": USER, "event": EVENT, "registration": REGISTRATION, "public_url": "http://x",
              "unsubscribe_url": None, "hours": "1 hour",
              "moved_from": datetime(2027, 3, 4, 12, 0, tzinfo=UTC)}
    with app.test_request_context():
        text = render_template("mail/reminder.txt", **values)
        html = render_template("mail/reminder.html", **values)
    assert "has moved" in text and "12:00 UTC" in text and "has moved" in html
