"""GET /api/v1/events: default listing, every filter and sort, search, pagination, ETag, statement counts."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from kijani.extensions import db
from tests.conftest import REDIS_URL
from tests.factories import create_category, create_event, in_days
from tests.helpers import assert_error

URL = "/api/v1/events"
NAIROBI = timezone(timedelta(hours=3))


@pytest.fixture
def organizer(make_user):
    return make_user(role="organizer", username="wanjiru")


def titles(response):
    assert response.status_code == 200, response.json
    return [event["title"] for event in response.json]


# --- default listing ------------------------------------------------------------------

def test_default_lists_upcoming_published_events_soonest_first(app, client, organizer):
    create_event(app, organizer, title="Later", starts_at=in_days(9))
    create_event(app, organizer, title="Sooner", starts_at=in_days(2))
    create_event(app, organizer, title="Past", starts_at=in_days(-2))
    create_event(app, organizer, title="Draft", status="draft")
    create_event(app, organizer, title="Cancelled", status="cancelled")
    assert titles(client.get(URL)) == ["Sooner", "Later"]


def test_include_past(app, client, organizer):
    create_event(app, organizer, title="Past", starts_at=in_days(-2))
    create_event(app, organizer, title="Upcoming", starts_at=in_days(2))
    assert titles(client.get(f"{URL}?include_past=true")) == ["Past", "Upcoming"]


def test_status_cancelled_lists_only_cancelled_events(app, client, organizer):
    create_event(app, organizer, title="On")
    create_event(app, organizer, title="Off", status="cancelled")
    assert titles(client.get(f"{URL}?status=cancelled")) == ["Off"]


def test_drafts_cannot_be_listed_publicly(client):
    assert_error(client.get(f"{URL}?status=draft"), 422, "status")


def test_list_shows_organizer_category_and_tags(app, client, organizer):
    create_category(app, "tech")
    create_event(app, organizer, category="tech", tags=["python", "async"])
    event = client.get(URL).json[0]
    assert event["organizer"] == {"id": organizer["id"], "username": "wanjiru"}
    assert (event["category"], event["tags"]) == ("tech", ["async", "python"])


# --- text search ----------------------------------------------------------------------

@pytest.mark.parametrize("q", ["python", "PYTHON", "pyth", "kilimani", "pizza"])
def test_q_searches_title_location_and_description(app, client, organizer, q):
    create_event(app, organizer, title="Python Meetup", location="iHub, Kilimani, Nairobi",
                 description="Talks and pizza afterwards.")
    create_event(app, organizer, title="Book Club", location="Accra", description="Achebe.")
    assert titles(client.get(URL, query_string={"q": q})) == ["Python Meetup"]


def test_q_needs_every_word(app, client, organizer):
    create_event(app, organizer, title="Python Meetup", location="Nairobi")
    create_event(app, organizer, title="Python Workshop", location="Lagos")
    assert titles(client.get(URL, query_string={"q": "python nairobi"})) == ["Python Meetup"]
    assert titles(client.get(URL, query_string={"q": "python kigali"})) == []


def test_q_ranks_title_matches_first(app, client, organizer):
    create_event(app, organizer, title="Data Science Night", description="Mostly python notebooks.",
                 starts_at=in_days(1))
    create_event(app, organizer, title="Python Meetup", starts_at=in_days(5))
    assert titles(client.get(URL, query_string={"q": "python"})) == ["Python Meetup", "Data Science Night"]


def test_explicit_sort_overrides_relevance(app, client, organizer):
    create_event(app, organizer, title="Data Science Night", description="Python notebooks.", starts_at=in_days(1))
    create_event(app, organizer, title="Python Meetup", starts_at=in_days(5))
    assert titles(client.get(URL, query_string={"q": "python", "sort": "starts_at"})) == [
        "Data Science Night", "Python Meetup"]


def test_q_ignores_punctuation(app, client, organizer):
    create_event(app, organizer, title="Cape Town Run Club", location="Green Point Park")
    assert titles(client.get(URL, query_string={"q": "cape-town, run!"})) == ["Cape Town Run Club"]


def test_q_without_letters_or_digits_is_422(client):
    assert_error(client.get(URL, query_string={"q": "?!"}), 422, "q")


# --- field filters --------------------------------------------------------------------

def test_title_filter_is_case_insensitive_contains(app, client, organizer):
    create_event(app, organizer, title="Sunday Football")
    create_event(app, organizer, title="Book Club")
    assert titles(client.get(f"{URL}?title=FOOT")) == ["Sunday Football"]


def test_title_filter_treats_wildcards_literally(app, client, organizer):
    create_event(app, organizer, title="100% Coding")
    create_event(app, organizer, title="1000 Coders")
    assert titles(client.get(URL, query_string={"title": "100%"})) == ["100% Coding"]


def test_location_filter(app, client, organizer):
    create_event(app, organizer, title="A", location="Kigali Convention Centre")
    create_event(app, organizer, title="B", location="Dar es Salaam")
    assert titles(client.get(f"{URL}?location=kigali")) == ["A"]


def test_category_filter(app, client, organizer):
    create_category(app, "sports")
    create_category(app, "books")
    create_event(app, organizer, title="Football", category="sports")
    create_event(app, organizer, title="Book Club", category="books")
    create_event(app, organizer, title="Uncategorised")
    assert titles(client.get(f"{URL}?category=sports")) == ["Football"]


def test_unknown_category_gives_an_empty_list(app, client, organizer):
    create_event(app, organizer)
    assert titles(client.get(f"{URL}?category=nothing-here")) == []


def test_malformed_category_is_422(client):
    assert_error(client.get(f"{URL}?category=Not%20A%20Slug"), 422, "category")


def test_tag_filter(app, client, organizer):
    create_event(app, organizer, title="Tagged", tags=["python", "beginners"])
    create_event(app, organizer, title="Other", tags=["football"])
    assert titles(client.get(f"{URL}?tag=Python")) == ["Tagged"]


def test_organizer_filter_by_username_or_id(app, client, organizer, make_user):
    create_event(app, organizer, title="Hers")
    other = make_user(role="organizer", username="kwame")
    create_event(app, other, title="His")
    assert titles(client.get(f"{URL}?organizer=Kwame")) == ["His"]
    assert titles(client.get(f"{URL}?organizer={organizer['id']}")) == ["Hers"]
    assert titles(client.get(f"{URL}?organizer=nobody")) == []


def test_malformed_organizer_is_422(client):
    assert_error(client.get(URL, query_string={"organizer": "not a name!"}), 422, "organizer")


def test_starts_after_and_before_with_offsets(app, client, organizer):
    base = in_days(20, hour=12)
    for hours in (-2, 0, 2, 4):
        create_event(app, organizer, title=f"at {hours:+d}h", starts_at=base + timedelta(hours=hours))
    after = (base - timedelta(hours=1)).astimezone(NAIROBI).isoformat()
    assert after.endswith("+03:00")
    before = (base + timedelta(hours=2)).isoformat().replace("+00:00", "Z")
    assert titles(client.get(URL, query_string={"starts_after": after, "starts_before": before})) == [
        "at +0h", "at +2h"]


def test_plain_dates_cover_whole_utc_days(app, client, organizer):
    day = in_days(40).date()
    create_event(app, organizer, title="Day before", starts_at=datetime.combine(day, datetime.min.time(), UTC)
                 - timedelta(minutes=1))
    create_event(app, organizer, title="Morning", starts_at=datetime.combine(day, datetime.min.time(), UTC))
    create_event(app, organizer, title="Night", starts_at=datetime.combine(day, datetime.max.time(), UTC))
    create_event(app, organizer, title="Day after", starts_at=datetime.combine(day + timedelta(days=1),
                                                                              datetime.min.time(), UTC))
    response = client.get(URL, query_string={"starts_after": day.isoformat(), "starts_before": day.isoformat()})
    assert titles(response) == ["Morning", "Night"]


def test_unencoded_plus_in_offset_is_understood(app, client, organizer):
    create_event(app, organizer, title="Soon", starts_at=in_days(1, hour=12))
    create_event(app, organizer, title="Just after", starts_at=in_days(1, hour=13))
    local = in_days(1, hour=12).astimezone(NAIROBI).replace(tzinfo=None)  # 15:00 in Nairobi
    raw = f"{URL}?starts_before={local.isoformat(timespec='seconds')}+03:00"  # '+' not encoded
    assert titles(client.get(raw)) == ["Soon"]


@pytest.mark.parametrize("field", ["starts_after", "starts_before"])
def test_naive_datetime_filter_is_422_asking_for_an_offset(client, field):
    body = assert_error(client.get(URL, query_string={field: "2027-03-01T10:00:00"}), 422, field)
    assert "timezone offset" in body["errors"]["query"][field][0]


@pytest.mark.parametrize("value", ["tomorrow", "2027-13-01", "2027-02-30"])
def test_unparsable_date_filter_is_422(client, value):
    assert_error(client.get(URL, query_string={"starts_after": value}), 422, "starts_after")


def test_inverted_range_is_empty(app, client, organizer):
    create_event(app, organizer)
    assert titles(client.get(URL, query_string={"starts_after": "2031-01-02", "starts_before": "2031-01-01"})) == []


def test_available_filters_on_seats_left(app, client, organizer):
    create_event(app, organizer, title="Open", capacity=10, seats_taken=9)
    create_event(app, organizer, title="Full", capacity=10, seats_taken=10)
    assert titles(client.get(f"{URL}?available=true")) == ["Open"]
    assert titles(client.get(f"{URL}?available=false")) == ["Full"]


@pytest.mark.parametrize("query", ["include_past=maybe", "available=2", "sort=title", "status=open"])
def test_bad_filter_value_is_422_naming_it(client, query):
    assert_error(client.get(f"{URL}?{query}"), 422, query.split("=")[0])


# --- sorts ----------------------------------------------------------------------------

@pytest.fixture
def three_events(app, organizer):
    """B starts first but was created last; A has the most seats taken."""
    now = datetime.now(UTC)
    create_event(app, organizer, title="A", starts_at=in_days(5), created_at=now - timedelta(days=3),
                 seats_taken=40)
    create_event(app, organizer, title="B", starts_at=in_days(1), created_at=now - timedelta(days=1),
                 seats_taken=5)
    create_event(app, organizer, title="C", starts_at=in_days(9), created_at=now - timedelta(days=2),
                 seats_taken=20)


@pytest.mark.parametrize("sort, expected", [
    ("starts_at", ["B", "A", "C"]),
    ("-starts_at", ["C", "A", "B"]),
    ("created_at", ["A", "C", "B"]),
    ("-created_at", ["B", "C", "A"]),
    ("popularity", ["A", "C", "B"]),
])
def test_sorts(client, three_events, sort, expected):
    assert titles(client.get(f"{URL}?sort={sort}")) == expected


# --- pagination, ETag, statements -------------------------------------------------------

def test_default_page_size_is_20_with_pagination_headers(app, client, organizer):
    for day in range(1, 26):
        create_event(app, organizer, title=f"Event {day:02d}", starts_at=in_days(day))
    response = client.get(URL)
    assert len(response.json) == 20
    assert json.loads(response.headers["X-Pagination"]) == {
        "total": 25, "total_pages": 2, "first_page": 1, "last_page": 2, "page": 1, "next_page": 2}
    assert 'rel="next"' in response.headers["Link"] and "page=2" in response.headers["Link"]
    second = client.get(f"{URL}?page=2")
    assert titles(second) == [f"Event {day:02d}" for day in range(21, 26)]
    assert 'rel="prev"' in second.headers["Link"]
    assert json.loads(second.headers["X-Pagination"])["previous_page"] == 1


def test_link_header_keeps_the_filters(app, client, organizer):
    for day in range(1, 4):
        create_event(app, organizer, title="Football", starts_at=in_days(day))
    link = client.get(f"{URL}?title=foot&page_size=1").headers["Link"]
    assert "title=foot" in link and "page_size=1" in link


def test_page_size_above_100_is_422(client):
    assert_error(client.get(f"{URL}?page_size=101"), 422, "page_size")


def test_page_size_100_is_allowed(client):
    assert client.get(f"{URL}?page_size=100").status_code == 200


def test_list_etag_and_304(app, client, organizer):
    create_event(app, organizer)
    first = client.get(URL)
    assert client.get(URL, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_list_etag_changes_when_an_event_changes(app, client, organizer, auth_headers):
    event_id = create_event(app, organizer)
    etag = client.get(URL).headers["ETag"]
    client.patch(f"{URL}/{event_id}", json={"title": "New name"}, headers=auth_headers(organizer))
    assert client.get(URL, headers={"If-None-Match": etag}).status_code == 200


def test_list_runs_the_same_statements_whatever_the_page_size(app, client, organizer, make_user,
                                                              count_statements):
    create_category(app, "tech")
    organizers = [organizer] + [make_user(role="organizer") for _ in range(4)]
    for number in range(110):
        create_event(app, organizers[number % 5], category="tech", tags=["a", f"t{number}"],
                     starts_at=in_days(1 + number))
    counts = {}
    for size in (5, 50, 100):
        with count_statements() as statements:
            response = client.get(f"{URL}?page_size={size}")
        assert len(response.json) == size
        counts[size] = len(statements)
    # A deep page and a filtered search run no more statements either.
    for name, query, length in (("deep", "page=21&page_size=5", 5), ("search", "q=meetup&category=tech&page=3", 20)):
        with count_statements() as statements:
            response = client.get(f"{URL}?{query}")
        assert response.status_code == 200 and len(response.json) == length, (name, response.json)
        counts[name] = len(statements)
    assert counts[5] == counts[50] == counts[100] <= 4, counts
    assert counts["deep"] <= 4 and counts["search"] <= 4, counts


def test_deep_page_lists_the_same_events_as_walking_there(app, client, organizer):
    for number in range(30):
        create_event(app, organizer, title=f"Event {number:02d}", starts_at=in_days(1 + number % 7))
    walked = [event["id"] for page in range(1, 7) for event in client.get(f"{URL}?page={page}&page_size=5").json]
    assert len(walked) == len(set(walked)) == 30
    assert [event["id"] for event in client.get(f"{URL}?page=6&page_size=5").json] == walked[25:]


def test_mine_runs_the_same_statements_whatever_the_page_size(app, client, organizer, auth_headers,
                                                              count_statements):
    headers = auth_headers(organizer)
    for number in range(30):
        create_event(app, organizer, tags=["x"], starts_at=in_days(1 + number))
    counts = []
    for size in (5, 25):
        with count_statements() as statements:
            client.get(f"{URL}/mine?page_size={size}", headers=headers)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


# --- the read cache (Redis: runs with KIJANI_TEST_ON=postgres) ------------------------

needs_redis = pytest.mark.skipif(not REDIS_URL, reason="the read cache lives in Redis")


@needs_redis
def test_a_repeated_list_is_answered_from_the_cache_without_sql(app, client, organizer, count_statements):
    create_event(app, organizer, title="Cached")
    first = client.get(URL)
    with count_statements() as statements:
        second = client.get(URL)
    assert statements == []
    assert second.json == first.json and second.headers["X-Pagination"] == first.headers["X-Pagination"]
    assert client.get(URL, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


@needs_redis
def test_a_registration_shows_in_the_list_and_detail_as_soon_as_it_returns(app, client, organizer,
                                                                           make_user, auth_headers):
    event_id = create_event(app, organizer, capacity=5)
    assert client.get(URL).json[0]["seats_taken"] == 0
    assert client.get(f"{URL}/{event_id}").json["seats_taken"] == 0
    response = client.post(f"{URL}/{event_id}/registrations", json={"quantity": 2},
                           headers=auth_headers(make_user()))
    assert response.status_code == 201, response.json
    assert client.get(URL).json[0]["seats_taken"] == 2
    assert client.get(f"{URL}/{event_id}").json["seats_remaining"] == 3


@needs_redis
def test_an_edit_or_a_renamed_organizer_is_never_served_stale(app, client, organizer, auth_headers):
    event_id = create_event(app, organizer, title="Old title")
    assert client.get(f"{URL}?q=old").json[0]["title"] == "Old title"
    client.patch(f"{URL}/{event_id}", json={"title": "New title"}, headers=auth_headers(organizer))
    assert client.get(f"{URL}?q=old").json == []
    with app.app_context():
        db.session.execute(text("UPDATE users SET username = 'renamed' WHERE username = 'wanjiru'"))
        db.session.commit()
    assert client.get(f"{URL}/{event_id}").json["organizer"]["username"] == "renamed"


@needs_redis
def test_drafts_are_not_cached_for_their_organizer(app, client, organizer, auth_headers):
    event_id = create_event(app, organizer, status="draft")
    assert client.get(f"{URL}/{event_id}").status_code == 404
    assert client.get(f"{URL}/{event_id}", headers=auth_headers(organizer)).status_code == 200
    assert client.get(f"{URL}/{event_id}").status_code == 404
