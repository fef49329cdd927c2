"""Feedback: attendees rate an event once it has ended, once; counters on the event stay exact."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from kijani.common.models import utcnow
from kijani.events.models import Event
from kijani.extensions import db
from tests.factories import create_event
from tests.helpers import assert_error


@pytest.fixture
def ended_event(app, client, make_user, auth_headers):
    """An event that has ended, with one attendee (confirmed) and a stranger."""
    organizer = make_user(role="organizer")
    start = utcnow() + timedelta(days=1)
    event_id = create_event(app, organizer, starts_at=start, ends_at=start + timedelta(hours=2))
    attendee = make_user(username="fatuma")
    headers = auth_headers(attendee)
    client.post(f"/api/v1/events/{event_id}/registrations", json={"quantity": 1}, headers=headers)
    with app.app_context():  # time passes: the event happened
        db.session.execute(update(Event).where(Event.id == uuid.UUID(event_id)).values(
            starts_at=utcnow() - timedelta(hours=3), ends_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
    return {"event_id": event_id, "headers": headers, "organizer": organizer,
            "url": f"/api/v1/events/{event_id}/feedback"}


def test_attendee_rates_an_ended_event(client, ended_event):
    response = client.post(ended_event["url"], json={"rating": 5, "comment": "Karibu tena!"},
                           headers=ended_event["headers"])
    assert response.status_code == 201
    body = response.json
    assert (body["rating"], body["comment"], body["user"]["username"]) == (5, "Karibu tena!", "fatuma")
    event = client.get(f"/api/v1/events/{ended_event['event_id']}?").json
    assert (event["average_rating"], event["feedback_count"]) == (5.0, 1)
    listed = client.get(ended_event["url"])  # public
    assert listed.status_code == 200 and [f["id"] for f in listed.json] == [body["id"]]


def test_feedback_before_the_end_is_409(client, app, make_user, auth_headers):
    organizer = make_user(role="organizer")
    start = utcnow() + timedelta(days=1)
    event_id = create_event(app, organizer, starts_at=start, ends_at=start + timedelta(hours=2))
    headers = auth_headers(make_user())
    client.post(f"/api/v1/events/{event_id}/registrations", json={"quantity": 1}, headers=headers)
    with app.app_context():  # started an hour ago, ends in an hour
        db.session.execute(update(Event).values(starts_at=utcnow() - timedelta(hours=1),
                                                ends_at=utcnow() + timedelta(hours=1)))
        db.session.commit()
    body = assert_error(client.post(f"/api/v1/events/{event_id}/feedback", json={"rating": 4},
                                    headers=headers), 409)
    assert "ended" in body["message"]
    with app.app_context():  # one second after the end it opens
        db.session.execute(update(Event).values(ends_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert client.post(f"/api/v1/events/{event_id}/feedback", json={"rating": 4},
                       headers=headers).status_code == 201


def test_event_without_end_opens_two_hours_after_start(client, app, make_user, auth_headers):
    organizer = make_user(role="organizer")
    event_id = create_event(app, organizer, starts_at=utcnow() + timedelta(days=1))
    headers = auth_headers(make_user())
    client.post(f"/api/v1/events/{event_id}/registrations", json={"quantity": 1}, headers=headers)
    with app.app_context():
        db.session.execute(update(Event).values(starts_at=utcnow() - timedelta(minutes=110)))
        db.session.commit()
    assert_error(client.post(f"/api/v1/events/{event_id}/feedback", json={"rating": 3}, headers=headers), 409)
    with app.app_context():
        db.session.execute(update(Event).values(starts_at=utcnow() - timedelta(minutes=121)))
        db.session.commit()
    assert client.post(f"/api/v1/events/{event_id}/feedback", json={"rating": 3},
                       headers=headers).status_code == 201


def test_non_attendee_is_403(client, ended_event, make_user, auth_headers):
    stranger = auth_headers(make_user())
    body = assert_error(client.post(ended_event["url"], json={"rating": 3}, headers=stranger), 403)
    assert "attendees" in body["message"]
    organizer = auth_headers(ended_event["organizer"])
    assert_error(client.post(ended_event["url"], json={"rating": 5}, headers=organizer), 403)
    assert_error(client.post(ended_event["url"], json={"rating": 3}), 401)


def test_cancelled_registration_cannot_rate(client, app, make_user, auth_headers):
    organizer = make_user(role="organizer")
    event_id = create_event(app, organizer, starts_at=utcnow() + timedelta(days=1))
    headers = auth_headers(make_user())
    registration = client.post(f"/api/v1/events/{event_id}/registrations", json={"quantity": 1},
                               headers=headers).json
    client.post(f"/api/v1/registrations/{registration['id']}/cancel", headers=headers)
    with app.app_context():
        db.session.execute(update(Event).values(starts_at=utcnow() - timedelta(hours=5)))
        db.session.commit()
    assert_error(client.post(f"/api/v1/events/{event_id}/feedback", json={"rating": 3}, headers=headers), 403)


def test_second_feedback_is_409(client, ended_event):
    assert client.post(ended_event["url"], json={"rating": 4}, headers=ended_event["headers"]).status_code == 201
    body = assert_error(client.post(ended_event["url"], json={"rating": 2}, headers=ended_event["headers"]), 409)
    assert "PATCH" in body["message"]
    assert client.get(f"/api/v1/events/{ended_event['event_id']}").json["feedback_count"] == 1


@pytest.mark.parametrize("rating", [0, 6, -1, "five", None])
def test_rating_outside_1_to_5_is_422(client, ended_event, rating):
    assert_error(client.post(ended_event["url"], json={"rating": rating}, headers=ended_event["headers"]),
                 422, "rating")


@pytest.mark.parametrize("rating", [1, 5])
def test_rating_bounds_are_accepted(client, ended_event, rating):
    assert client.post(ended_event["url"], json={"rating": rating},
                       headers=ended_event["headers"]).status_code == 201


def test_author_edits_and_deletes_others_cannot(client, ended_event, make_user, auth_headers):
    feedback = client.post(ended_event["url"], json={"rating": 2, "comment": "Too long"},
                           headers=ended_event["headers"]).json
    url = f"/api/v1/feedback/{feedback['id']}"
    stranger = auth_headers(make_user())
    assert_error(client.patch(url, json={"rating": 1}, headers=stranger), 403)
    assert_error(client.delete(url, headers=stranger), 403)
    edited = client.patch(url, json={"rating": 4}, headers=ended_event["headers"])
    assert edited.status_code == 200 and (edited.json["rating"], edited.json["comment"]) == (4, "Too long")
    assert client.get(f"/api/v1/events/{ended_event['event_id']}").json["average_rating"] == 4.0
    assert client.delete(url, headers=ended_event["headers"]).status_code == 204
    event = client.get(f"/api/v1/events/{ended_event['event_id']}").json
    assert (event["average_rating"], event["feedback_count"]) == (None, 0)
    assert_error(client.patch(url, json={"rating": 3}, headers=ended_event["headers"]), 404)


def test_only_the_author_may_delete_even_for_admins(client, ended_event, make_user, auth_headers):
    """SPEC: delete with DELETE, owner only."""
    feedback = client.post(ended_event["url"], json={"rating": 1, "comment": "spam"},
                           headers=ended_event["headers"]).json
    admin = auth_headers(make_user(role="admin"))
    assert_error(client.delete(f"/api/v1/feedback/{feedback['id']}", headers=admin), 403)


def test_parallel_edits_keep_the_average_exact(app, client, ended_event):
    from concurrent.futures import ThreadPoolExecutor

    feedback = client.post(ended_event["url"], json={"rating": 3}, headers=ended_event["headers"]).json
    url = f"/api/v1/feedback/{feedback['id']}"

    def edit(rating):
        return app.test_client().patch(url, json={"rating": rating}, headers=ended_event["headers"]).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert set(pool.map(edit, [1, 5, 2, 4, 5, 1, 3, 2])) == {200}
    stored = client.get(ended_event["url"]).json[0]["rating"]
    event = client.get(f"/api/v1/events/{ended_event['event_id']}").json
    assert (event["average_rating"], event["feedback_count"]) == (float(stored), 1)


def test_deleting_the_account_takes_its_rating_out(client, ended_event, make_user, auth_headers, app):
    client.post(ended_event["url"], json={"rating": 1}, headers=ended_event["headers"])
    other = make_user()
    with app.app_context():
        from kijani.registrations.models import Registration

        db.session.add(Registration(user_id=uuid.UUID(other["id"]), event_id=uuid.UUID(ended_event["event_id"]),
                                    quantity=1, status="confirmed"))
        db.session.commit()
    client.post(ended_event["url"], json={"rating": 5}, headers=auth_headers(other))
    assert client.delete("/api/v1/auth/me", headers=ended_event["headers"]).status_code == 204
    event = client.get(f"/api/v1/events/{ended_event['event_id']}").json
    assert (event["average_rating"], event["feedback_count"]) == (5.0, 1)


def test_feedback_list_is_newest_first_and_paginated(client, app, ended_event, make_user, auth_headers):
    ids = []
    for _ in range(3):
        headers = auth_headers(make_user())
        with app.app_context():  # let them register although the event is over: direct rows
            from kijani.auth.models import User
            from kijani.registrations.models import Registration

            user = db.session.scalars(db.select(User).order_by(User.created_at.desc())).first()
            db.session.add(Registration(user_id=user.id, event_id=uuid.UUID(ended_event["event_id"]),
                                        quantity=1, status="confirmed"))
            db.session.commit()
        ids.append(client.post(ended_event["url"], json={"rating": 5}, headers=headers).json["id"])
    listed = client.get(f"{ended_event['url']}?page_size=2")
    assert [f["id"] for f in listed.json] == ids[::-1][:2]
    assert "X-Pagination" in listed.headers


def test_event_lists_show_ratings_without_extra_queries(client, app, ended_event, count_statements):
    client.post(ended_event["url"], json={"rating": 4}, headers=ended_event["headers"])
    with count_statements() as statements:
        listed = client.get("/api/v1/events?include_past=true")
    [event] = [e for e in listed.json if e["id"] == ended_event["event_id"]]
    assert (event["average_rating"], event["feedback_count"]) == (4.0, 1)
    assert not any("from feedback" in s.lower() for s in statements)  # read from the counters
