"""/api/v1/events: create, read, edit, delete, cancel, mine, stats, and who may do what."""

import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from kijani.auth.models import User
from kijani.events import services
from kijani.events.models import Event, EventTag
from kijani.extensions import db
from tests.factories import (
    create_category,
    create_event,
    event_payload,
    get_event_row,
    in_days,
    iso,
)
from tests.helpers import assert_error

URL = "/api/v1/events"


@pytest.fixture
def organizer(make_user):
    return make_user(role="organizer", username="wanjiru")


@pytest.fixture
def organizer_headers(organizer, auth_headers):
    return auth_headers(organizer)


@pytest.fixture
def other_organizer_headers(make_user, auth_headers):
    return auth_headers(make_user(role="organizer"))


@pytest.fixture
def admin_headers(make_user, auth_headers):
    return auth_headers(make_user(role="admin"))


@contextmanager
def received(signal):
    """Collect the keyword arguments of every send of a blinker signal."""
    calls = []

    def receiver(sender, **kwargs):
        calls.append(kwargs)

    signal.connect(receiver)
    try:
        yield calls
    finally:
        signal.disconnect(receiver)


# --- create ---------------------------------------------------------------------------

def test_organizer_creates_event_with_defaults(app, client, organizer, organizer_headers):
    response = client.post(URL, json=event_payload(), headers=organizer_headers)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["title"] == "Nairobi Python Meetup"
    assert body["organizer"] == {"id": organizer["id"], "username": "wanjiru"}
    assert (body["timezone"], body["status"], body["category"], body["tags"]) == ("UTC", "published", None, [])
    assert (body["max_tickets_per_registration"], body["waitlist_offer_hours"]) == (10, 0)
    assert (body["seats_taken"], body["seats_remaining"], body["waitlist_count"]) == (0, 50, 0)
    assert (body["is_full"], body["selling_out_soon"]) == (False, False)
    assert (body["average_rating"], body["feedback_count"], body["series_id"]) == (None, 0, None)
    assert body["description"] == "" and body["ends_at"] is None
    assert response.headers["Location"].endswith(f"{URL}/{body['id']}")
    stored = get_event_row(app, body["id"])
    assert (str(stored.organizer_id), stored.capacity) == (organizer["id"], 50)


def test_create_with_every_optional_field(app, client, organizer_headers):
    create_category(app, "tech")
    payload = event_payload(description="Talks and pizza.", ends_at=iso(in_days(30, hour=21)),
                            timezone="Africa/Nairobi", category="tech", tags=["Python", " async ", "python"],
                            max_tickets_per_registration=4, waitlist_offer_hours=12, status="draft")
    body = client.post(URL, json=payload, headers=organizer_headers).json
    assert body["category"] == "tech"
    assert body["tags"] == ["async", "python"]
    assert (body["timezone"], body["status"], body["description"]) == ("Africa/Nairobi", "draft", "Talks and pizza.")
    assert (body["max_tickets_per_registration"], body["waitlist_offer_hours"]) == (4, 12)
    with app.app_context():
        assert sorted(db.session.scalars(select(EventTag.tag))) == ["async", "python"]


def test_datetimes_are_returned_in_utc(client, organizer_headers):
    body = client.post(URL, json=event_payload(starts_at="2027-02-11T18:00:00+03:00",
                                               ends_at="2027-02-11T21:30:00+03:00"),
                       headers=organizer_headers).json
    assert body["starts_at"] == "2027-02-11T15:00:00+00:00"
    assert body["ends_at"] == "2027-02-11T18:30:00+00:00"
    assert body["created_at"].endswith("+00:00")


def test_output_never_contains_the_organizer_email(client, organizer, organizer_headers):
    response = client.post(URL, json=event_payload(), headers=organizer_headers)
    assert organizer["email"] not in response.get_data(as_text=True)


@pytest.mark.parametrize("overrides, field", [
    ({"starts_at": iso(in_days(-1))}, "starts_at"),
    ({"ends_at": iso(in_days(30, hour=17))}, "ends_at"),
    ({"ends_at": iso(in_days(30, hour=18))}, "ends_at"),
    ({"capacity": 0}, "capacity"),
    ({"capacity": "ten"}, "capacity"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"category": "no-such-category"}, "category"),
    ({"title": "   "}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"location": ""}, "location"),
    ({"location": "x" * 301}, "location"),
    ({"status": "cancelled"}, "status"),
    ({"tags": ["ok", ""]}, "tags"),
    ({"tags": [f"t{n}" for n in range(11)]}, "tags"),
    ({"max_tickets_per_registration": 0}, "max_tickets_per_registration"),
    ({"waitlist_offer_hours": -1}, "waitlist_offer_hours"),
    ({"organizer_id": "6f1c2a9e-3b7d-4c1e-9a55-0d2f8b7c4e11"}, "organizer_id"),
    ({"seats_taken": 3}, "seats_taken"),
    ({"series_id": "6f1c2a9e-3b7d-4c1e-9a55-0d2f8b7c4e11"}, "series_id"),
])
def test_invalid_event_is_422_naming_the_field(app, client, organizer_headers, overrides, field):
    assert_error(client.post(URL, json=event_payload(**overrides), headers=organizer_headers), 422, field)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 0


@pytest.mark.parametrize("missing", ["title", "starts_at", "location", "capacity"])
def test_required_fields(client, organizer_headers, missing):
    payload = event_payload()
    del payload[missing]
    assert_error(client.post(URL, json=payload, headers=organizer_headers), 422, missing)


def test_naive_datetime_is_422_asking_for_an_offset(client, organizer_headers):
    body = assert_error(client.post(URL, json=event_payload(starts_at="2027-02-11T18:00:00"),
                                    headers=organizer_headers), 422, "starts_at")
    assert "timezone offset" in body["errors"]["json"]["starts_at"][0]


def test_anonymous_create_is_401(client):
    assert_error(client.post(URL, json=event_payload()), 401)


def test_attendee_cannot_create(client, make_user, auth_headers):
    assert_error(client.post(URL, json=event_payload(), headers=auth_headers(make_user())), 403)


def test_admin_can_create(client, admin_headers):
    assert client.post(URL, json=event_payload(), headers=admin_headers).status_code == 201


# --- read -----------------------------------------------------------------------------

def test_detail_is_public(app, client, organizer):
    event_id = create_event(app, organizer, title="Accra Makers Night", tags=["makers"])
    response = client.get(f"{URL}/{event_id}")
    assert response.status_code == 200
    assert (response.json["id"], response.json["title"], response.json["tags"]) == (
        event_id, "Accra Makers Night", ["makers"])


def test_unknown_event_is_404(client):
    assert_error(client.get(f"{URL}/{uuid.uuid4()}"), 404)


def test_draft_is_404_for_anonymous_attendee_and_other_organizer(
        app, client, organizer, make_user, auth_headers, other_organizer_headers):
    event_id = create_event(app, organizer, status="draft")
    assert_error(client.get(f"{URL}/{event_id}"), 404)
    assert_error(client.get(f"{URL}/{event_id}", headers=auth_headers(make_user())), 404)
    assert_error(client.get(f"{URL}/{event_id}", headers=other_organizer_headers), 404)


def test_draft_is_visible_to_owner_and_admin(app, client, organizer, organizer_headers, admin_headers):
    event_id = create_event(app, organizer, status="draft")
    assert client.get(f"{URL}/{event_id}", headers=organizer_headers).json["status"] == "draft"
    assert client.get(f"{URL}/{event_id}", headers=admin_headers).status_code == 200


def test_cancelled_event_stays_readable(app, client, organizer):
    event_id = create_event(app, organizer, status="cancelled")
    assert client.get(f"{URL}/{event_id}").json["status"] == "cancelled"


def test_seat_figures_come_from_the_counters(app, client, organizer):
    event_id = create_event(app, organizer, capacity=100, seats_taken=92, waitlist_count=0)
    body = client.get(f"{URL}/{event_id}").json
    assert (body["seats_taken"], body["seats_remaining"]) == (92, 8)
    assert (body["is_full"], body["selling_out_soon"]) == (False, True)


def test_five_seats_left_is_selling_out_soon_even_for_a_big_room(app, client, organizer):
    body = client.get(f"{URL}/{create_event(app, organizer, capacity=500, seats_taken=495)}").json
    assert (body["seats_remaining"], body["selling_out_soon"]) == (5, True)


def test_eleven_percent_left_is_not_selling_out_soon(app, client, organizer):
    body = client.get(f"{URL}/{create_event(app, organizer, capacity=100, seats_taken=89)}").json
    assert body["selling_out_soon"] is False


def test_full_event(app, client, organizer):
    body = client.get(f"{URL}/{create_event(app, organizer, capacity=20, seats_taken=20, waitlist_count=3)}").json
    assert (body["seats_remaining"], body["is_full"], body["selling_out_soon"]) == (0, True, False)
    assert body["waitlist_count"] == 3


def test_average_rating_from_feedback_counters(app, client, organizer):
    rated = create_event(app, organizer, rating_sum=13, feedback_count=3)
    assert client.get(f"{URL}/{rated}").json["average_rating"] == 4.33
    assert client.get(f"{URL}/{create_event(app, organizer)}").json["average_rating"] is None


def test_detail_etag_and_304(app, client, organizer):
    event_id = create_event(app, organizer)
    first = client.get(f"{URL}/{event_id}")
    again = client.get(f"{URL}/{event_id}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_detail_runs_a_fixed_number_of_statements(app, client, organizer, count_statements):
    event_id = create_event(app, organizer, tags=["a", "b", "c"])
    with count_statements() as statements:
        assert client.get(f"{URL}/{event_id}").status_code == 200
    assert len(statements) <= 2, statements


# --- edit -----------------------------------------------------------------------------

def test_owner_patches_fields(app, client, organizer, organizer_headers):
    event_id = create_event(app, organizer)
    response = client.patch(f"{URL}/{event_id}", json={"title": "Renamed", "tags": ["New"]},
                            headers=organizer_headers)
    assert response.status_code == 200
    assert (response.json["title"], response.json["tags"]) == ("Renamed", ["new"])
    stored = get_event_row(app, event_id)
    assert (stored.title, stored.tags) == ("Renamed", ["new"])


def test_patch_replaces_the_tag_set(app, client, organizer, organizer_headers):
    event_id = create_event(app, organizer, tags=["python", "talks"])
    response = client.patch(f"{URL}/{event_id}", json={"tags": ["talks", "pizza"]}, headers=organizer_headers)
    assert response.json["tags"] == ["pizza", "talks"]


def test_other_organizer_cannot_patch(app, client, organizer, other_organizer_headers):
    event_id = create_event(app, organizer, title="Original")
    assert_error(client.patch(f"{URL}/{event_id}", json={"title": "Mine now"},
                              headers=other_organizer_headers), 403)
    assert get_event_row(app, event_id).title == "Original"


def test_attendee_cannot_patch(app, client, organizer, make_user, auth_headers):
    event_id = create_event(app, organizer)
    assert_error(client.patch(f"{URL}/{event_id}", json={"title": "x"}, headers=auth_headers(make_user())), 403)


def test_anonymous_patch_is_401(app, client, organizer):
    assert_error(client.patch(f"{URL}/{create_event(app, organizer)}", json={"title": "x"}), 401)


def test_patching_someone_elses_draft_is_404(app, client, organizer, other_organizer_headers):
    event_id = create_event(app, organizer, status="draft")
    assert_error(client.patch(f"{URL}/{event_id}", json={"title": "x"}, headers=other_organizer_headers), 404)


def test_admin_can_patch_any_event(app, client, organizer, admin_headers):
    event_id = create_event(app, organizer)
    assert client.patch(f"{URL}/{event_id}", json={"capacity": 70}, headers=admin_headers).json["capacity"] == 70


def test_lowering_capacity_below_seats_taken_is_409(app, client, organizer, organizer_headers):
    event_id = create_event(app, organizer, capacity=50, seats_taken=30)
    body = assert_error(client.patch(f"{URL}/{event_id}", json={"capacity": 29, "title": "Smaller"},
                                     headers=organizer_headers), 409)
    assert "capacity" in body["errors"]["json"]
    stored = get_event_row(app, event_id)
    assert (stored.capacity, stored.title) == (50, "Community Meetup")


def test_lowering_capacity_to_seats_taken_is_allowed(app, client, organizer, organizer_headers):
    event_id = create_event(app, organizer, capacity=50, seats_taken=30)
    response = client.patch(f"{URL}/{event_id}", json={"capacity": 30}, headers=organizer_headers)
    assert (response.status_code, response.json["is_full"]) == (200, True)


def test_raising_capacity_calls_the_waitlist_hook(app, client, organizer, organizer_headers):
    event_id = create_event(app, organizer, capacity=10, seats_taken=10, waitlist_count=2)
    with received(services.capacity_raised) as calls:
        client.patch(f"{URL}/{event_id}", json={"capacity": 15}, headers=organizer_headers)
    assert len(calls) == 1
    assert (str(calls[0]["event"].id), calls[0]["old_capacity"], calls[0]["event"].capacity) == (event_id, 10, 15)


def test_changing_place_calls_the_notify_hook(app, client, organizer, organizer_headers):
    event_id = create_event(app, organizer, location="Nairobi Garage")
    with received(services.schedule_changed) as calls:
        client.patch(f"{URL}/{event_id}", json={"location": "iHub", "title": "Same time"},
                     headers=organizer_headers)
    assert [call["changes"] for call in calls] == [{"location": ("Nairobi Garage", "iHub")}]


def test_changing_only_the_title_notifies_nobody(app, client, organizer, organizer_headers):
    event_id = create_event(app, organizer)
    with received(services.schedule_changed) as calls:
        client.patch(f"{URL}/{event_id}", json={"title": "New title"}, headers=organizer_headers)
    assert calls == []


def test_moving_the_start_into_the_past_is_422(app, client, organizer, organizer_headers):
    event_id = create_event(app, organizer)
    assert_error(client.patch(f"{URL}/{event_id}", json={"starts_at": iso(in_days(-2))},
                              headers=organizer_headers), 422, "starts_at")


def test_end_before_the_stored_start_is_422(app, client, organizer, organizer_headers):
    event_id = create_event(app, organizer, starts_at=in_days(10, hour=18))
    assert_error(client.patch(f"{URL}/{event_id}", json={"ends_at": iso(in_days(10, hour=17))},
                              headers=organizer_headers), 422, "ends_at")


def test_editing_a_past_event_without_moving_it_is_allowed(app, client, organizer, organizer_headers):
    event_id = create_event(app, organizer, starts_at=in_days(-3))
    response = client.patch(f"{URL}/{event_id}", json={"description": "Slides are online."},
                            headers=organizer_headers)
    assert response.status_code == 200


@pytest.mark.parametrize("body, field", [
    ({"seats_taken": 0}, "seats_taken"),
    ({"organizer_id": str(uuid.uuid4())}, "organizer_id"),
    ({"status": "cancelled"}, "status"),
    ({"recurrence": {"freq": "daily", "count": 2}}, "recurrence"),
    ({"capacity": 0}, "capacity"),
])
def test_patch_rejects_privileged_or_invalid_fields(app, client, organizer, organizer_headers, body, field):
    event_id = create_event(app, organizer)
    assert_error(client.patch(f"{URL}/{event_id}", json=body, headers=organizer_headers), 422, field)


def test_publishing_a_draft(app, client, organizer, organizer_headers):
    event_id = create_event(app, organizer, status="draft")
    assert client.patch(f"{URL}/{event_id}", json={"status": "published"},
                        headers=organizer_headers).json["status"] == "published"
    assert client.get(f"{URL}/{event_id}").status_code == 200


def test_unpublishing_an_event_with_registrations_is_409(app, client, organizer, organizer_headers):
    event_id = create_event(app, organizer, seats_taken=2)
    assert_error(client.patch(f"{URL}/{event_id}", json={"status": "draft"}, headers=organizer_headers), 409)


def test_cancelled_event_cannot_be_edited(app, client, organizer, organizer_headers):
    event_id = create_event(app, organizer, status="cancelled")
    assert_error(client.patch(f"{URL}/{event_id}", json={"title": "Back on"}, headers=organizer_headers), 409)


def test_put_replaces_the_event(app, client, organizer, organizer_headers):
    create_category(app, "tech")
    event_id = create_event(app, organizer, description="Old text", tags=["old"], category="tech",
                            status="draft", max_tickets_per_registration=2)
    replacement = event_payload(title="Replaced", capacity=70)
    response = client.put(f"{URL}/{event_id}", json=replacement, headers=organizer_headers)
    assert response.status_code == 200
    body = response.json
    assert (body["title"], body["capacity"], body["description"], body["tags"]) == ("Replaced", 70, "", [])
    assert (body["category"], body["max_tickets_per_registration"]) == (None, 10)
    assert body["status"] == "draft"  # status is a lifecycle state: PUT keeps it unless given


def test_put_needs_the_required_fields(app, client, organizer, organizer_headers):
    event_id = create_event(app, organizer)
    assert_error(client.put(f"{URL}/{event_id}", json={"title": "Only a title"}, headers=organizer_headers),
                 422, "starts_at")


def test_other_organizer_cannot_put(app, client, organizer, other_organizer_headers):
    event_id = create_event(app, organizer)
    assert_error(client.put(f"{URL}/{event_id}", json=event_payload(), headers=other_organizer_headers), 403)


# --- delete and cancel ----------------------------------------------------------------------

def test_owner_deletes_event_without_registrations(app, client, organizer, organizer_headers):
    event_id = create_event(app, organizer, tags=["gone"])
    response = client.delete(f"{URL}/{event_id}", headers=organizer_headers)
    assert (response.status_code, response.data) == (204, b"")
    assert get_event_row(app, event_id) is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EventTag)) == 0


@pytest.mark.parametrize("counters", [{"seats_taken": 1}, {"waitlist_count": 1}])
def test_deleting_an_event_with_registrations_is_409(app, client, organizer, organizer_headers, counters):
    event_id = create_event(app, organizer, **counters)
    assert_error(client.delete(f"{URL}/{event_id}", headers=organizer_headers), 409)
    assert get_event_row(app, event_id) is not None


def test_other_organizer_cannot_delete(app, client, organizer, other_organizer_headers):
    event_id = create_event(app, organizer)
    assert_error(client.delete(f"{URL}/{event_id}", headers=other_organizer_headers), 403)
    assert get_event_row(app, event_id) is not None


def test_admin_can_delete(app, client, organizer, admin_headers):
    assert client.delete(f"{URL}/{create_event(app, organizer)}", headers=admin_headers).status_code == 204


def test_cancel_sets_status_and_calls_the_hook_once(app, client, organizer, organizer_headers):
    event_id = create_event(app, organizer, seats_taken=4)
    with received(services.event_cancelled) as calls:
        first = client.post(f"{URL}/{event_id}/cancel", headers=organizer_headers)
        second = client.post(f"{URL}/{event_id}/cancel", headers=organizer_headers)
    assert (first.status_code, first.json["status"]) == (200, "cancelled")
    assert (second.status_code, second.json["status"]) == (200, "cancelled")
    assert len(calls) == 1
    assert get_event_row(app, event_id).status == "cancelled"


def test_other_organizer_cannot_cancel(app, client, organizer, other_organizer_headers):
    event_id = create_event(app, organizer)
    assert_error(client.post(f"{URL}/{event_id}/cancel", headers=other_organizer_headers), 403)
    assert get_event_row(app, event_id).status == "published"


def test_attendee_cannot_cancel(app, client, organizer, make_user, auth_headers):
    event_id = create_event(app, organizer)
    assert_error(client.post(f"{URL}/{event_id}/cancel", headers=auth_headers(make_user())), 403)


# --- mine and stats -------------------------------------------------------------------

def test_mine_lists_own_events_in_every_status(app, client, organizer, organizer_headers, make_user):
    own = {create_event(app, organizer, status=status, starts_at=in_days(days))
           for status, days in (("draft", 3), ("published", 1), ("cancelled", 2))}
    create_event(app, make_user(role="organizer"))
    response = client.get(f"{URL}/mine", headers=organizer_headers)
    assert response.status_code == 200
    assert {e["id"] for e in response.json} == own
    assert [e["status"] for e in response.json] == ["published", "cancelled", "draft"]
    assert all("checked_in_count" in e for e in response.json)


def test_mine_filters_by_status(app, client, organizer, organizer_headers):
    draft = create_event(app, organizer, status="draft")
    create_event(app, organizer)
    response = client.get(f"{URL}/mine?status=draft", headers=organizer_headers)
    assert [e["id"] for e in response.json] == [draft]


def test_mine_is_for_organizers(client, make_user, auth_headers):
    assert_error(client.get(f"{URL}/mine", headers=auth_headers(make_user())), 403)
    assert_error(client.get(f"{URL}/mine"), 401)


def test_stats_from_counters(app, client, organizer, organizer_headers):
    event_id = create_event(app, organizer, capacity=40, seats_taken=25, waitlist_count=3, checked_in_count=7,
                            rating_sum=9, feedback_count=2)
    response = client.get(f"{URL}/{event_id}/stats", headers=organizer_headers)
    assert response.status_code == 200
    assert response.json == {"event_id": event_id, "capacity": 40, "seats_taken": 25, "seats_remaining": 15,
                             "waitlist_count": 3, "checked_in_count": 7, "cancellations": 0,
                             "average_rating": 4.5, "feedback_count": 2, "registrations_per_day": [],
                             "registrations": {"confirmed": 0, "waitlisted": 0, "offered": 0,
                                               "cancelled": 0, "expired": 0}}


def test_stats_are_for_owner_and_admin(app, client, organizer, other_organizer_headers, admin_headers):
    event_id = create_event(app, organizer)
    assert_error(client.get(f"{URL}/{event_id}/stats", headers=other_organizer_headers), 403)
    assert_error(client.get(f"{URL}/{event_id}/stats"), 401)
    assert client.get(f"{URL}/{event_id}/stats", headers=admin_headers).status_code == 200


# --- account deletion -------------------------------------------------------------------

@pytest.mark.parametrize("status", ["published", "draft"])
def test_organizer_with_live_events_cannot_delete_account(app, client, organizer, organizer_headers, status):
    create_event(app, organizer, status=status)
    assert_error(client.delete("/api/v1/auth/me", headers=organizer_headers), 409)
    with app.app_context():
        assert db.session.get(User, uuid.UUID(organizer["id"])) is not None


def test_account_deletion_takes_cancelled_events_along(app, client, organizer, organizer_headers):
    event_id = create_event(app, organizer)
    assert client.post(f"{URL}/{event_id}/cancel", headers=organizer_headers).status_code == 200
    assert client.delete("/api/v1/auth/me", headers=organizer_headers).status_code == 204
    with app.app_context():
        assert db.session.get(User, uuid.UUID(organizer["id"])) is None
    assert get_event_row(app, event_id) is None


# --- documentation --------------------------------------------------------------------

def test_openapi_documents_events_with_examples_and_errors(client):
    spec = client.get("/api/openapi.json").json
    create = spec["paths"]["/api/v1/events"]["post"]
    assert {"201", "401", "403", "422"} <= set(create["responses"])
    assert create["responses"]["201"]["content"]["application/json"]["example"]["title"]
    patch = spec["paths"]["/api/v1/events/{event_id}"]["patch"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(patch["responses"])
    params = {p["name"]: p for p in spec["paths"]["/api/v1/events"]["get"]["parameters"] if "name" in p}
    assert {"q", "title", "location", "category", "tag", "organizer", "starts_after", "starts_before",
            "include_past", "available", "status", "sort", "page", "page_size"} <= set(params)
    assert params["sort"]["schema"]["enum"] == ["starts_at", "-starts_at", "created_at", "-created_at",
                                                "popularity"]
    assert params["page_size"]["schema"]["maximum"] == 100
    ics = spec["paths"]["/api/v1/events/{event_id}/calendar.ics"]["get"]["responses"]["200"]
    assert "text/calendar" in ics["content"]
