"""Recurring series (local wall-clock time across DST) and the .ics export."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from kijani.events.models import Event
from kijani.extensions import db
from tests.factories import create_category, create_event, event_payload, in_days, iso
from tests.helpers import assert_error

URL = "/api/v1/events"
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def organizer(make_user):
    return make_user(role="organizer", username="wanjiru")


@pytest.fixture
def organizer_headers(organizer, auth_headers):
    return auth_headers(organizer)


def series_starts(app, series_id):
    """(starts_at, ends_at) of every event of a series, in date order."""
    with app.app_context():
        rows = db.session.execute(select(Event.starts_at, Event.ends_at)
                                  .where(Event.series_id == uuid.UUID(series_id))
                                  .order_by(Event.starts_at)).all()
        return [tuple(row) for row in rows]


def create_series(client, headers, **overrides):
    response = client.post(URL, json=event_payload(**overrides), headers=headers)
    assert response.status_code == 201, response.json
    return response.json


# --- recurrence -----------------------------------------------------------------------

def test_weekly_series_creates_one_event_per_occurrence(app, client, organizer_headers):
    start = in_days(7, hour=15)
    first = create_series(client, organizer_headers, starts_at=iso(start),
                          ends_at=iso(start + timedelta(hours=2)), tags=["python"],
                          recurrence={"freq": "weekly", "count": 4})
    assert first["series_id"] is not None
    rows = series_starts(app, first["series_id"])
    assert [s for s, _ in rows] == [start + timedelta(weeks=n) for n in range(4)]
    assert all(end - begin == timedelta(hours=2) for begin, end in rows)
    assert first["starts_at"] == start.isoformat()


def test_weekly_series_keeps_local_time_across_spring_dst(app, client, organizer_headers):
    # Europe/Berlin moves to summer time on Sunday 28 March 2027.
    first = create_series(client, organizer_headers, starts_at="2027-03-18T18:00:00+01:00",
                          ends_at="2027-03-18T20:00:00+01:00", timezone="Europe/Berlin",
                          recurrence={"freq": "weekly", "count": 4})
    rows = series_starts(app, first["series_id"])
    local = [start.astimezone(BERLIN) for start, _ in rows]
    assert [(t.month, t.day, t.hour, t.minute) for t in local] == [(3, 18, 18, 0), (3, 25, 18, 0),
                                                                   (4, 1, 18, 0), (4, 8, 18, 0)]
    assert [start.hour for start, _ in rows] == [17, 17, 16, 16]  # UTC moves, local time does not
    assert [end.astimezone(BERLIN).hour for _, end in rows] == [20, 20, 20, 20]


def test_weekly_series_keeps_local_time_across_autumn_dst(app, client, organizer_headers):
    # ...and back to winter time on Sunday 31 October 2027.
    first = create_series(client, organizer_headers, starts_at="2027-10-21T18:00:00+02:00",
                          timezone="Europe/Berlin", recurrence={"freq": "weekly", "count": 3})
    rows = series_starts(app, first["series_id"])
    assert [start.astimezone(BERLIN).hour for start, _ in rows] == [18, 18, 18]
    assert [start.hour for start, _ in rows] == [16, 16, 17]


def test_nairobi_series_stays_at_six_pm(app, client, organizer_headers):
    first = create_series(client, organizer_headers, starts_at="2027-03-18T18:00:00+03:00",
                          timezone="Africa/Nairobi", recurrence={"freq": "weekly", "count": 3})
    assert {start.hour for start, _ in series_starts(app, first["series_id"])} == {15}


def test_byweekday_picks_the_days(app, client, organizer_headers):
    # 2027-03-01 is a Monday: Monday and Wednesday for two weeks.
    first = create_series(client, organizer_headers, starts_at="2027-03-01T09:00:00Z",
                          recurrence={"freq": "weekly", "byweekday": ["MO", "WE"], "count": 4})
    days = [start.date().isoformat() for start, _ in series_starts(app, first["series_id"])]
    assert days == ["2027-03-01", "2027-03-03", "2027-03-08", "2027-03-10"]


def test_daily_with_interval_until(app, client, organizer_headers):
    first = create_series(client, organizer_headers, starts_at="2027-05-01T07:00:00Z",
                          recurrence={"freq": "daily", "interval": 2, "until": "2027-05-07T23:59:00Z"})
    days = [start.day for start, _ in series_starts(app, first["series_id"])]
    assert days == [1, 3, 5, 7]


def test_monthly_series(app, client, organizer_headers):
    first = create_series(client, organizer_headers, starts_at="2027-01-15T16:00:00Z",
                          recurrence={"freq": "monthly", "count": 3})
    assert [s.month for s, _ in series_starts(app, first["series_id"])] == [1, 2, 3]


@pytest.mark.parametrize("recurrence", [
    {"freq": "weekly", "count": 101},
    {"freq": "daily", "until": "2028-12-31T00:00:00Z"},
    {"freq": "weekly"},
    {"freq": "yearly", "count": 2},
    {"freq": "weekly", "count": 2, "byweekday": ["XX"]},
    {"freq": "weekly", "count": 2, "interval": 0},
    {"freq": "weekly", "until": "2027-03-01T00:00:00"},
    {"freq": "weekly", "until": "2020-01-01T00:00:00Z"},
])
def test_invalid_recurrence_is_422_and_creates_nothing(app, client, organizer_headers, recurrence):
    body = event_payload(starts_at="2027-03-18T18:00:00Z", recurrence=recurrence)
    assert_error(client.post(URL, json=body, headers=organizer_headers), 422, "recurrence")
    with app.app_context():
        assert db.session.scalars(select(Event)).all() == []


def test_exactly_100_occurrences_is_allowed(app, client, organizer_headers):
    first = create_series(client, organizer_headers, starts_at=iso(in_days(2)),
                          recurrence={"freq": "daily", "count": 100})
    assert len(series_starts(app, first["series_id"])) == 100


def test_occurrences_lists_the_other_events_of_the_series(app, client, organizer_headers):
    first = create_series(client, organizer_headers, starts_at="2027-06-01T10:00:00Z",
                          recurrence={"freq": "weekly", "count": 3})
    response = client.get(f"{URL}/{first['id']}/occurrences")
    assert response.status_code == 200
    assert [e["starts_at"] for e in response.json] == ["2027-06-08T10:00:00+00:00", "2027-06-15T10:00:00+00:00"]
    assert {e["series_id"] for e in response.json} == {first["series_id"]}


def test_one_off_event_has_no_occurrences(app, client, organizer):
    event_id = create_event(app, organizer)
    response = client.get(f"{URL}/{event_id}/occurrences")
    assert (response.status_code, response.json) == (200, [])


def test_draft_occurrences_are_hidden_from_others(app, client, organizer, organizer_headers):
    first = create_series(client, organizer_headers, starts_at="2027-06-01T10:00:00Z",
                          recurrence={"freq": "weekly", "count": 3})
    second = client.get(f"{URL}/{first['id']}/occurrences").json[0]
    client.patch(f"{URL}/{second['id']}", json={"status": "draft"}, headers=organizer_headers)
    assert len(client.get(f"{URL}/{first['id']}/occurrences").json) == 1
    assert len(client.get(f"{URL}/{first['id']}/occurrences", headers=organizer_headers).json) == 2


def test_editing_one_occurrence_leaves_the_others(app, client, organizer_headers):
    first = create_series(client, organizer_headers, starts_at="2027-06-01T10:00:00Z", title="Run Club",
                          recurrence={"freq": "weekly", "count": 2})
    client.patch(f"{URL}/{first['id']}", json={"title": "Run Club (route change)"}, headers=organizer_headers)
    assert client.get(f"{URL}/{first['id']}/occurrences").json[0]["title"] == "Run Club"


# --- calendar export ------------------------------------------------------------------

def parse_ics(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.data)


def test_ics_has_uid_times_with_tzid_and_a_vtimezone(app, client, organizer, organizer_headers):
    create_category(app, "tech", "Tech & Startups")
    event = create_series(client, organizer_headers, title="Berlin Python Night", category="tech", tags=["python"],
                          starts_at="2027-03-25T18:00:00+01:00", ends_at="2027-03-25T21:00:00+01:00",
                          timezone="Europe/Berlin", location="c-base, Rungestraße 20, Berlin",
                          description="Talks; then pizza, of course.")
    calendar = parse_ics(client.get(f"{URL}/{event['id']}/calendar.ics"))
    entry = calendar.walk("VEVENT")[0]
    assert str(entry["UID"]) == f"{event['id']}@kijani"
    assert entry["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert entry["DTSTART"].dt == datetime(2027, 3, 25, 18, 0, tzinfo=BERLIN)
    assert entry["DTEND"].dt == datetime(2027, 3, 25, 21, 0, tzinfo=BERLIN)
    assert (str(entry["SUMMARY"]), str(entry["LOCATION"])) == ("Berlin Python Night",
                                                              "c-base, Rungestraße 20, Berlin")
    assert str(entry["DESCRIPTION"]) == "Talks; then pizza, of course."
    assert str(entry["URL"]).endswith(f"/api/v1/events/{event['id']}")
    assert str(entry["STATUS"]) == "CONFIRMED"
    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/Berlin"]
    zone = calendar.timezones[0].to_tz()
    assert zone.utcoffset(datetime(2027, 3, 25, 18)) == timedelta(hours=1)
    assert zone.utcoffset(datetime(2027, 4, 1, 18)) == timedelta(hours=2)


def test_ics_of_a_cancelled_event_says_cancelled(app, client, organizer, organizer_headers):
    event_id = create_event(app, organizer, timezone="Africa/Nairobi")
    client.post(f"{URL}/{event_id}/cancel", headers=organizer_headers)
    entry = parse_ics(client.get(f"{URL}/{event_id}/calendar.ics")).walk("VEVENT")[0]
    assert str(entry["STATUS"]) == "CANCELLED"
    assert str(entry["UID"]) == f"{event_id}@kijani"


def test_ics_of_a_utc_event_uses_utc_times(app, client, organizer):
    event_id = create_event(app, organizer, starts_at=datetime(2027, 5, 1, 9, tzinfo=ZoneInfo("UTC")))
    response = client.get(f"{URL}/{event_id}/calendar.ics")
    assert b"DTSTART:20270501T090000Z" in response.data
    assert parse_ics(response).timezones == []


def test_ics_is_stable_and_supports_if_none_match(app, client, organizer):
    event_id = create_event(app, organizer)
    first = client.get(f"{URL}/{event_id}/calendar.ics")
    assert client.get(f"{URL}/{event_id}/calendar.ics").data == first.data
    assert client.get(f"{URL}/{event_id}/calendar.ics",
                      headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_ics_of_a_draft_is_404_for_others(app, client, organizer, organizer_headers):
    event_id = create_event(app, organizer, status="draft")
    assert_error(client.get(f"{URL}/{event_id}/calendar.ics"), 404)
    assert str(parse_ics(client.get(f"{URL}/{event_id}/calendar.ics", headers=organizer_headers))
               .walk("VEVENT")[0]["STATUS"]) == "TENTATIVE"
