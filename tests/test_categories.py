"""/api/v1/categories: public reads, admin-only writes, slugs and uniqueness."""

import re

import pytest
from sqlalchemy import select

from kijani.events.models import Category
from kijani.extensions import db
from tests.factories import create_category, create_event, get_event_row
from tests.helpers import assert_error

URL = "/api/v1/categories"


@pytest.fixture
def admin_headers(make_user, auth_headers):
    return auth_headers(make_user(role="admin"))


def test_list_is_public_and_sorted_by_name(app, client):
    create_category(app, "sports", "Sports & Fitness")
    create_category(app, "books", "Books & Writing")
    response = client.get(URL)
    assert response.status_code == 200
    assert [c["slug"] for c in response.json] == ["books", "sports"]
    assert set(response.json[0]) == {"id", "name", "slug", "description"}
    assert '"total": 2' in response.headers["X-Pagination"]


def test_detail_by_id_or_slug(app, client):
    category_id = create_category(app, "markets", "Markets & Food", "Fresh produce.")
    by_id = client.get(f"{URL}/{category_id}")
    by_slug = client.get(f"{URL}/markets")
    assert by_id.status_code == by_slug.status_code == 200
    assert by_id.json == by_slug.json == {"id": category_id, "name": "Markets & Food",
                                          "slug": "markets", "description": "Fresh produce."}


def test_unknown_category_is_404(client):
    assert_error(client.get(f"{URL}/nope"), 404)
    assert_error(client.get(f"{URL}/7d1e4c3a-0000-4000-8000-000000000000"), 404)


def test_detail_sends_etag_and_honours_if_none_match(app, client):
    create_category(app, "tech")
    first = client.get(f"{URL}/tech")
    assert first.headers["ETag"]
    again = client.get(f"{URL}/tech", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_admin_creates_category_with_slug_from_name(app, client, admin_headers):
    response = client.post(URL, json={"name": "  Café & Culture  "}, headers=admin_headers)
    assert response.status_code == 201
    assert response.json["name"] == "Café & Culture"
    assert response.json["slug"] == "cafe-culture"
    assert response.json["description"] == ""
    assert response.headers["Location"].endswith(f"{URL}/cafe-culture")
    with app.app_context():
        assert db.session.scalars(select(Category.slug)).all() == ["cafe-culture"]


def test_name_without_latin_letters_gets_a_neutral_slug(client, admin_headers):
    response = client.post(URL, json={"name": "ሥነ ጽሑፍ"}, headers=admin_headers)
    assert response.status_code == 201
    assert re.fullmatch(r"category-[0-9a-f]{8}", response.json["slug"])


def test_admin_may_choose_the_slug(client, admin_headers):
    response = client.post(URL, json={"name": "Tech & Startups", "slug": "tech", "description": "Builders."},
                           headers=admin_headers)
    assert response.status_code == 201
    assert (response.json["slug"], response.json["description"]) == ("tech", "Builders.")


def test_duplicate_name_is_409_case_insensitively(app, client, admin_headers):
    create_category(app, "tech", "Tech")
    body = assert_error(client.post(URL, json={"name": "TECH", "slug": "tech-2"}, headers=admin_headers), 409)
    assert "name" in body["errors"]["json"]


def test_duplicate_slug_is_409(app, client, admin_headers):
    create_category(app, "tech", "Tech")
    body = assert_error(client.post(URL, json={"name": "Technology", "slug": "tech"}, headers=admin_headers),
                        409)
    assert "slug" in body["errors"]["json"]


@pytest.mark.parametrize("body, field", [
    ({"name": "   "}, "name"),
    ({"name": "x" * 81}, "name"),
    ({"name": "Tech", "slug": "Not A Slug"}, "slug"),
    ({"name": "Tech", "id": "6f1c2a9e-3b7d-4c1e-9a55-0d2f8b7c4e11"}, "id"),
    ({}, "name"),
])
def test_invalid_category_is_422_naming_the_field(client, admin_headers, body, field):
    assert_error(client.post(URL, json=body, headers=admin_headers), 422, field)


@pytest.mark.parametrize("role", ["attendee", "organizer"])
def test_only_admins_write_categories(app, client, make_user, auth_headers, role):
    headers = auth_headers(make_user(role=role))
    create_category(app, "tech")
    assert_error(client.post(URL, json={"name": "Music"}, headers=headers), 403)
    assert_error(client.patch(f"{URL}/tech", json={"name": "Tech!"}, headers=headers), 403)
    assert_error(client.delete(f"{URL}/tech", headers=headers), 403)


def test_anonymous_write_is_401(client):
    assert_error(client.post(URL, json={"name": "Music"}), 401)


def test_rename_keeps_the_slug(app, client, admin_headers):
    create_category(app, "tech", "Tech")
    response = client.patch(f"{URL}/tech", json={"name": "Tech & Startups"}, headers=admin_headers)
    assert response.status_code == 200
    assert (response.json["name"], response.json["slug"]) == ("Tech & Startups", "tech")


def test_patch_to_a_taken_slug_is_409(app, client, admin_headers):
    create_category(app, "tech", "Tech")
    create_category(app, "music", "Music")
    assert_error(client.patch(f"{URL}/music", json={"slug": "tech"}, headers=admin_headers), 409)


def test_delete_leaves_events_uncategorised(app, client, admin_headers, make_user):
    create_category(app, "tech")
    event_id = create_event(app, make_user(role="organizer"), category="tech")
    assert client.delete(f"{URL}/tech", headers=admin_headers).status_code == 204
    assert_error(client.get(f"{URL}/tech"), 404)
    assert get_event_row(app, event_id).category_id is None
    assert client.get(f"/api/v1/events/{event_id}").json["category"] is None
