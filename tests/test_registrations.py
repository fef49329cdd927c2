"""Registering, changing, cancelling; the waitlist, offers and idempotency."""

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from kijani.common.models import utcnow
from kijani.events.models import Event
from kijani.extensions import db
from kijani.registrations import services
from kijani.registrations.models import Registration, Ticket
from tests.factories import create_event, in_days
from tests.helpers import assert_error

CODE = re.compile(r"^KJ-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$")


@pytest.fixture
def organizer(make_user):
    return make_user(role="organizer")


@pytest.fixture
def attendee(make_user, auth_headers):
    """Make attendees: returns (user, headers)."""

    def make(**kwargs):
        user = make_user(**kwargs)
        return user, auth_headers(user)

    return make


def register(client, headers, event_id, quantity=1, **extra):
    return client.post(f"/api/v1/events/{event_id}/registrations", json={"quantity": quantity},
                       headers={**headers, **extra})


def event_row(app, event_id):
    with app.app_context():
        event = db.session.get(Event, uuid.UUID(event_id))
        db.session.expunge(event)
        return event


def statuses(app, event_id):
    """{username: (status, quantity)} of an event's registrations."""
    with app.app_context():
        rows = db.session.execute(
            select(Registration.status, Registration.quantity, Registration.user_id)
            .where(Registration.event_id == uuid.UUID(event_id))
        ).all()
        from kijani.auth.models import User

        names = dict(db.session.execute(select(User.id, User.username)).all())
        return {names[r.user_id]: (r.status, r.quantity) for r in rows}


def test_register_confirms_with_one_ticket_per_seat(client, app, organizer, attendee, mailbox):
    event_id = create_event(app, organizer, capacity=10)
    user, headers = attendee()
    response = register(client, headers, event_id, 3)
    assert response.status_code == 201
    body = response.json
    assert body["status"] == "confirmed" and body["quantity"] == 3
    assert body["waitlist_position"] is None
    assert body["event"]["id"] == event_id
    codes = [t["code"] for t in body["tickets"]]
    assert len(codes) == 3 and len(set(codes)) == 3
    assert all(CODE.match(code) for code in codes)
    event = event_row(app, event_id)
    assert (event.seats_taken, event.waitlist_count) == (3, 0)
    detail = client.get(f"/api/v1/events/{event_id}").json
    assert (detail["seats_taken"], detail["seats_remaining"]) == (3, 7)
    [mail] = mailbox.to(user["email"])
    assert mail["Subject"].startswith("You're in")
    assert codes[0] in mailbox.text(mail)


def test_full_event_waitlists_the_whole_registration(client, app, organizer, attendee):
    event_id = create_event(app, organizer, capacity=5)
    assert register(client, attendee()[1], event_id, 3).json["status"] == "confirmed"
    response = register(client, attendee()[1], event_id, 3)
    assert response.status_code == 201
    body = response.json
    assert (body["status"], body["tickets"], body["waitlist_position"]) == ("waitlisted", [], 1)
    second = register(client, attendee()[1], event_id, 1)
    # all or nothing: 2 seats are free, so a 1-seat registration is confirmed
    assert second.json["status"] == "confirmed"
    third = register(client, attendee()[1], event_id, 2).json
    assert (third["status"], third["waitlist_position"]) == ("waitlisted", 2)
    event = event_row(app, event_id)
    assert (event.seats_taken, event.waitlist_count) == (4, 2)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 4


@pytest.mark.parametrize("quantity", [0, -1, 11, "two"])
def test_quantity_out_of_range_is_422(client, app, organizer, attendee, quantity):
    event_id = create_event(app, organizer, max_tickets_per_registration=10)
    assert_error(register(client, attendee()[1], event_id, quantity), 422, "quantity")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Registration)) == 0


def test_quantity_above_event_maximum_is_422(client, app, organizer, attendee):
    event_id = create_event(app, organizer, max_tickets_per_registration=2)
    assert_error(register(client, attendee()[1], event_id, 3), 422, "quantity")


def test_second_active_registration_is_409(client, app, organizer, attendee):
    event_id = create_event(app, organizer)
    _, headers = attendee()
    first = register(client, headers, event_id).json
    assert_error(register(client, headers, event_id), 409)
    client.post(f"/api/v1/registrations/{first['id']}/cancel", headers=headers)
    assert register(client, headers, event_id).status_code == 201


def test_registration_needs_a_token(client, app, organizer):
    event_id = create_event(app, organizer)
    assert_error(client.post(f"/api/v1/events/{event_id}/registrations", json={"quantity": 1}), 401)


@pytest.mark.parametrize("fields, code", [
    ({"status": "cancelled"}, 409),
    ({"status": "draft"}, 404),
    ({"starts_at": in_days(-1)}, 409),
])
def test_closed_events_refuse_registrations(client, app, organizer, attendee, fields, code):
    event_id = create_event(app, organizer, **fields)
    assert_error(register(client, attendee()[1], event_id), code)


def test_unknown_event_is_404(client, attendee):
    assert_error(register(client, attendee()[1], uuid.uuid4()), 404)


def test_privileged_fields_are_rejected(client, app, organizer, attendee):
    event_id = create_event(app, organizer)
    response = client.post(f"/api/v1/events/{event_id}/registrations",
                           json={"quantity": 1, "status": "confirmed"}, headers=attendee()[1])
    assert_error(response, 422, "status")


def test_list_own_registrations_with_filters(client, app, organizer, attendee, count_statements):
    _, headers = attendee()
    _, other_headers = attendee()
    soon = create_event(app, organizer, starts_at=in_days(2), capacity=1)
    later = create_event(app, organizer, starts_at=in_days(20))
    register(client, other_headers, soon)
    register(client, headers, soon)  # waitlisted
    register(client, headers, later)
    everything = client.get("/api/v1/registrations", headers=headers)
    assert everything.status_code == 200
    assert [r["event"]["id"] for r in everything.json] == [later, soon]
    assert everything.json[1]["waitlist_position"] == 1
    waitlisted = client.get("/api/v1/registrations?status=waitlisted", headers=headers).json
    assert [r["event"]["id"] for r in waitlisted] == [soon]
    assert client.get("/api/v1/registrations?when=past", headers=headers).json == []
    assert_error(client.get("/api/v1/registrations?when=someday", headers=headers), 422, "when")


def test_registration_list_runs_a_fixed_number_of_statements(client, app, organizer, attendee,
                                                             count_statements):
    _, headers = attendee()
    for size in (2, 12):
        for _ in range(size - (2 if size == 12 else 0)):
            register(client, headers, create_event(app, organizer, capacity=1))
        with count_statements() as statements:
            assert len(client.get("/api/v1/registrations?page_size=50", headers=headers).json) == size
        if size == 2:
            small = len(statements)
    assert len(statements) == small


def test_another_users_registration_is_404(client, app, organizer, attendee):
    event_id = create_event(app, organizer)
    _, owner = attendee()
    _, stranger = attendee()
    registration = register(client, owner, event_id).json
    for method, path in (("get", ""), ("patch", ""), ("post", "/cancel"), ("post", "/accept")):
        kwargs = {"json": {"quantity": 1}} if method == "patch" else {}
        response = getattr(client, method)(f"/api/v1/registrations/{registration['id']}{path}",
                                           headers=stranger, **kwargs)
        assert_error(response, 404)
    assert client.get(f"/api/v1/registrations/{registration['id']}", headers=owner).status_code == 200


def test_cancel_frees_seats_and_promotes_oldest_first(client, app, organizer, attendee, mailbox):
    event_id = create_event(app, organizer, capacity=4)
    _, first = attendee(username="first")
    register(client, first, event_id, 4)
    waiting = []
    for name, quantity in (("big", 3), ("small", 1), ("late", 1)):
        user, headers = attendee(username=name)
        waiting.append((user, register(client, headers, event_id, quantity).json))
    assert [w[1]["waitlist_position"] for w in waiting] == [1, 2, 3]
    registration = client.get("/api/v1/registrations", headers=first).json[0]
    response = client.post(f"/api/v1/registrations/{registration['id']}/cancel", headers=first)
    assert response.status_code == 200 and response.json["status"] == "cancelled"
    assert statuses(app, event_id) == {"first": ("cancelled", 4), "big": ("confirmed", 3),
                                       "small": ("confirmed", 1), "late": ("waitlisted", 1)}
    event = event_row(app, event_id)
    assert (event.seats_taken, event.waitlist_count) == (4, 1)
    assert any(m["Subject"].startswith("A seat opened up") for m in mailbox.to(waiting[0][0]["email"]))


def test_a_registration_that_does_not_fit_keeps_its_place(client, app, organizer, attendee):
    event_id = create_event(app, organizer, capacity=4)
    _, a = attendee(username="a")
    a_reg = register(client, a, event_id, 2).json
    register(client, attendee(username="b")[1], event_id, 2)
    _, big = attendee(username="big")
    register(client, big, event_id, 3)
    register(client, attendee(username="small")[1], event_id, 2)
    client.post(f"/api/v1/registrations/{a_reg['id']}/cancel", headers=a)
    assert statuses(app, event_id)["big"] == ("waitlisted", 3)
    assert statuses(app, event_id)["small"] == ("confirmed", 2)
    assert client.get("/api/v1/registrations", headers=big).json[0]["waitlist_position"] == 1


def test_cancel_is_idempotent(client, app, organizer, attendee):
    event_id = create_event(app, organizer, capacity=3)
    _, headers = attendee()
    registration = register(client, headers, event_id, 2).json
    first = client.post(f"/api/v1/registrations/{registration['id']}/cancel", headers=headers)
    second = client.post(f"/api/v1/registrations/{registration['id']}/cancel", headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json == second.json
    assert event_row(app, event_id).seats_taken == 0


def test_cancel_after_the_event_started_is_409(client, app, organizer, attendee):
    event_id = create_event(app, organizer)
    _, headers = attendee()
    registration = register(client, headers, event_id).json
    with app.app_context():
        db.session.execute(update(Event).values(starts_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    assert_error(client.post(f"/api/v1/registrations/{registration['id']}/cancel", headers=headers), 409)


def test_lowering_quantity_frees_seats_for_the_waitlist(client, app, organizer, attendee):
    event_id = create_event(app, organizer, capacity=4)
    _, headers = attendee(username="holder")
    registration = register(client, headers, event_id, 4).json
    register(client, attendee(username="waiting")[1], event_id, 2)
    response = client.patch(f"/api/v1/registrations/{registration['id']}", json={"quantity": 2},
                            headers=headers)
    assert response.status_code == 200
    assert response.json["quantity"] == 2 and len(response.json["tickets"]) == 2
    assert statuses(app, event_id)["waiting"] == ("confirmed", 2)
    assert event_row(app, event_id).seats_taken == 4


def test_raising_quantity_needs_free_seats(client, app, organizer, attendee):
    event_id = create_event(app, organizer, capacity=5)
    _, headers = attendee()
    registration = register(client, headers, event_id, 2).json
    register(client, attendee()[1], event_id, 2)
    grown = client.patch(f"/api/v1/registrations/{registration['id']}", json={"quantity": 3}, headers=headers)
    assert grown.status_code == 200 and len(grown.json["tickets"]) == 3
    assert_error(client.patch(f"/api/v1/registrations/{registration['id']}", json={"quantity": 4},
                              headers=headers), 409)
    assert event_row(app, event_id).seats_taken == 5


def test_checked_in_tickets_cannot_be_given_back(client, app, organizer, attendee, auth_headers):
    event_id = create_event(app, organizer, capacity=5)
    _, headers = attendee()
    registration = register(client, headers, event_id, 2).json
    for ticket in registration["tickets"]:
        client.post(f"/api/v1/events/{event_id}/check-in", json={"code": ticket["code"]},
                    headers=auth_headers(organizer))
    assert_error(client.patch(f"/api/v1/registrations/{registration['id']}", json={"quantity": 1},
                              headers=headers), 409)


def test_offers_hold_seats_until_accepted(client, app, organizer, attendee, mailbox):
    event_id = create_event(app, organizer, capacity=2, waitlist_offer_hours=2)
    _, holder = attendee()
    held = register(client, holder, event_id, 2).json
    waiting_user, waiting = attendee()
    offered = register(client, waiting, event_id, 2).json
    client.post(f"/api/v1/registrations/{held['id']}/cancel", headers=holder)
    mine = client.get(f"/api/v1/registrations/{offered['id']}", headers=waiting).json
    assert mine["status"] == "offered" and mine["tickets"] == []
    assert mine["offer_expires_at"] is not None
    assert event_row(app, event_id).seats_taken == 2
    assert any("waiting for you" in m["Subject"] for m in mailbox.to(waiting_user["email"]))
    # nobody else can take the held seats
    assert register(client, attendee()[1], event_id, 1).json["status"] == "waitlisted"
    accepted = client.post(f"/api/v1/registrations/{offered['id']}/accept", headers=waiting)
    assert accepted.status_code == 200
    assert accepted.json["status"] == "confirmed" and len(accepted.json["tickets"]) == 2
    assert_error(client.post(f"/api/v1/registrations/{offered['id']}/accept", headers=waiting), 409)


def test_expired_offer_passes_seats_to_the_next_in_line(client, app, organizer, attendee):
    event_id = create_event(app, organizer, capacity=1, waitlist_offer_hours=1)
    _, holder = attendee(username="holder")
    held = register(client, holder, event_id).json
    _, slow = attendee(username="slow")
    slow_reg = register(client, slow, event_id).json
    register(client, attendee(username="next")[1], event_id)
    client.post(f"/api/v1/registrations/{held['id']}/cancel", headers=holder)
    assert statuses(app, event_id)["slow"] == ("offered", 1)
    with app.app_context():
        db.session.execute(update(Registration).where(Registration.status == "offered")
                           .values(offer_expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert_error(client.post(f"/api/v1/registrations/{slow_reg['id']}/accept", headers=slow), 409)
    assert statuses(app, event_id)["slow"] == ("expired", 1)
    assert statuses(app, event_id)["next"] == ("offered", 1)
    assert event_row(app, event_id).seats_taken == 1


def test_sweep_expires_offers_and_promotes(client, app, organizer, attendee):
    event_id = create_event(app, organizer, capacity=1, waitlist_offer_hours=1)
    _, holder = attendee(username="holder")
    held = register(client, holder, event_id).json
    register(client, attendee(username="slow")[1], event_id)
    register(client, attendee(username="next")[1], event_id)
    client.post(f"/api/v1/registrations/{held['id']}/cancel", headers=holder)
    with app.app_context():
        db.session.execute(update(Registration).where(Registration.status == "offered")
                           .values(offer_expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        assert services.sweep_waitlists() == 1
    assert statuses(app, event_id) == {"holder": ("cancelled", 1), "slow": ("expired", 1),
                                       "next": ("offered", 1)}


def test_declining_an_offer_cancels_it(client, app, organizer, attendee):
    event_id = create_event(app, organizer, capacity=1, waitlist_offer_hours=3)
    _, holder = attendee()
    held = register(client, holder, event_id).json
    _, waiting = attendee()
    offered = register(client, waiting, event_id).json
    client.post(f"/api/v1/registrations/{held['id']}/cancel", headers=holder)
    declined = client.post(f"/api/v1/registrations/{offered['id']}/cancel", headers=waiting)
    assert declined.json["status"] == "cancelled"
    assert event_row(app, event_id).seats_taken == 0


def test_a_lost_promotion_is_repaired_by_the_sweep(client, app, organizer, attendee, monkeypatch):
    event_id = create_event(app, organizer, capacity=1)
    _, holder = attendee(username="holder")
    held = register(client, holder, event_id).json
    register(client, attendee(username="waiting")[1], event_id)
    monkeypatch.setattr(services, "schedule_promotion", lambda event: None)  # the task is lost
    client.post(f"/api/v1/registrations/{held['id']}/cancel", headers=holder)
    assert statuses(app, event_id)["waiting"] == ("waitlisted", 1)
    result = app.test_cli_runner().invoke(args=["promote-waitlist"])
    assert result.exit_code == 0, result.output
    assert "1 registration(s) promoted" in result.output
    assert statuses(app, event_id)["waiting"] == ("confirmed", 1)
    again = app.test_cli_runner().invoke(args=["promote-waitlist"])
    assert "0 registration(s) promoted" in again.output


def test_register_serves_the_waitlist_before_newcomers(client, app, organizer, attendee, monkeypatch):
    """Seats freed by a cancellation whose task has not run yet go to the waitlist first."""
    event_id = create_event(app, organizer, capacity=1)
    _, holder = attendee(username="holder")
    held = register(client, holder, event_id).json
    register(client, attendee(username="waiting")[1], event_id)
    monkeypatch.setattr(services, "schedule_promotion", lambda event: None)
    client.post(f"/api/v1/registrations/{held['id']}/cancel", headers=holder)
    newcomer = register(client, attendee(username="newcomer")[1], event_id).json
    assert newcomer["status"] == "waitlisted"
    assert statuses(app, event_id)["waiting"] == ("confirmed", 1)


def test_idempotency_key_replays_the_first_response(client, app, organizer, attendee):
    event_id = create_event(app, organizer, capacity=10)
    _, headers = attendee()
    first = register(client, headers, event_id, 2, **{"Idempotency-Key": "abc-123"})
    again = register(client, headers, event_id, 2, **{"Idempotency-Key": "abc-123"})
    assert first.status_code == again.status_code == 201
    assert first.json == again.json
    assert again.headers["Idempotent-Replayed"] == "true"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Registration)) == 1
    # another user's identical key is independent
    other = register(client, attendee()[1], event_id, 1, **{"Idempotency-Key": "abc-123"})
    assert other.status_code == 201 and other.json["id"] != first.json["id"]


def test_idempotency_key_expires_after_24_hours(client, app, organizer, attendee):
    from kijani.registrations.models import IdempotencyRecord

    event_id = create_event(app, organizer, capacity=10)
    _, headers = attendee()
    first = register(client, headers, event_id, 1, **{"Idempotency-Key": "k"}).json
    client.post(f"/api/v1/registrations/{first['id']}/cancel", headers=headers)
    with app.app_context():
        db.session.execute(update(IdempotencyRecord).values(created_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
    fresh = register(client, headers, event_id, 1, **{"Idempotency-Key": "k"})
    assert fresh.status_code == 201
    assert fresh.json["id"] != first["id"] and fresh.json["status"] == "confirmed"


def test_raising_capacity_promotes_the_waitlist(client, app, organizer, attendee, auth_headers):
    event_id = create_event(app, organizer, capacity=2)
    register(client, attendee(username="in")[1], event_id, 2)
    register(client, attendee(username="next")[1], event_id, 2)
    register(client, attendee(username="after")[1], event_id, 1)
    response = client.patch(f"/api/v1/events/{event_id}", json={"capacity": 4},
                            headers=auth_headers(organizer))
    assert response.status_code == 200
    assert statuses(app, event_id) == {"in": ("confirmed", 2), "next": ("confirmed", 2),
                                       "after": ("waitlisted", 1)}
    detail = client.get(f"/api/v1/events/{event_id}").json
    assert (detail["seats_taken"], detail["waitlist_count"], detail["is_full"]) == (4, 1, True)


def test_lowering_capacity_below_seats_taken_is_409(client, app, organizer, attendee, auth_headers):
    event_id = create_event(app, organizer, capacity=5)
    register(client, attendee()[1], event_id, 4)
    response = client.patch(f"/api/v1/events/{event_id}", json={"capacity": 3},
                            headers=auth_headers(organizer))
    assert_error(response, 409)
    assert event_row(app, event_id).capacity == 5


def test_cancelling_the_event_cancels_every_registration(client, app, organizer, attendee, auth_headers,
                                                         mailbox):
    event_id = create_event(app, organizer, capacity=2)
    user, headers = attendee(username="in")
    register(client, headers, event_id, 2)
    register(client, attendee(username="waiting")[1], event_id, 1)
    first = client.post(f"/api/v1/events/{event_id}/cancel", headers=auth_headers(organizer))
    assert first.status_code == 200 and first.json["status"] == "cancelled"
    assert statuses(app, event_id) == {"in": ("cancelled", 2), "waiting": ("cancelled", 1)}
    event = event_row(app, event_id)
    assert (event.seats_taken, event.waitlist_count) == (0, 0)
    assert len([m for m in mailbox.to(user["email"]) if m["Subject"].startswith("Cancelled")]) == 1
    again = client.post(f"/api/v1/events/{event_id}/cancel", headers=auth_headers(organizer))
    assert again.status_code == 200
    assert len([m for m in mailbox.to(user["email"]) if m["Subject"].startswith("Cancelled")]) == 1


def test_event_with_registrations_cannot_be_deleted(client, app, organizer, attendee, auth_headers):
    event_id = create_event(app, organizer)
    _, headers = attendee()
    registration = register(client, headers, event_id).json
    assert_error(client.delete(f"/api/v1/events/{event_id}", headers=auth_headers(organizer)), 409)
    client.post(f"/api/v1/registrations/{registration['id']}/cancel", headers=headers)
    assert client.delete(f"/api/v1/events/{event_id}", headers=auth_headers(organizer)).status_code == 204


def test_deleting_an_account_frees_its_seats_for_the_waitlist(client, app, organizer, attendee):
    event_id = create_event(app, organizer, capacity=2)
    _, leaving = attendee(username="leaving")
    register(client, leaving, event_id, 2)
    _, waiting = attendee(username="waiting")
    register(client, waiting, event_id, 2)
    assert client.delete("/api/v1/auth/me", headers=leaving).status_code == 204
    assert statuses(app, event_id) == {"waiting": ("confirmed", 2)}
    event = event_row(app, event_id)
    assert (event.seats_taken, event.waitlist_count) == (2, 0)


def test_offer_made_while_registering_is_announced_as_an_offer(client, app, organizer, attendee, monkeypatch):
    event_id = create_event(app, organizer, capacity=1, waitlist_offer_hours=3)
    _, holder = attendee()
    held = register(client, holder, event_id).json
    _, waiting = attendee()
    register(client, waiting, event_id)
    monkeypatch.setattr(services, "schedule_promotion", lambda event: None)  # the task is lost
    client.post(f"/api/v1/registrations/{held['id']}/cancel", headers=holder)
    register(client, attendee()[1], event_id)  # the newcomer's request promotes first
    kinds = [n["kind"] for n in client.get("/api/v1/notifications", headers=waiting).json]
    assert kinds[0] == "waitlist_offer"
    assert "registration_promoted" not in kinds


def test_raising_quantity_does_not_jump_the_waitlist(client, app, organizer, attendee, monkeypatch):
    event_id = create_event(app, organizer, capacity=3)
    _, alice = attendee(username="alice")
    alice_reg = register(client, alice, event_id, 2).json
    _, dan = attendee(username="dan")
    dan_reg = register(client, dan, event_id, 1).json
    register(client, attendee(username="bob")[1], event_id, 1)
    monkeypatch.setattr(services, "schedule_promotion", lambda event: None)
    client.patch(f"/api/v1/registrations/{alice_reg['id']}", json={"quantity": 1}, headers=alice)
    response = client.patch(f"/api/v1/registrations/{dan_reg['id']}", json={"quantity": 2}, headers=dan)
    assert_error(response, 409)
    assert statuses(app, event_id) == {"alice": ("confirmed", 1), "dan": ("confirmed", 1), "bob": ("confirmed", 1)}


def test_a_checked_in_registration_cannot_be_cancelled(client, app, organizer, attendee, auth_headers):
    event_id = create_event(app, organizer, capacity=2)
    _, headers = attendee()
    registration = register(client, headers, event_id, 2).json
    client.post(f"/api/v1/events/{event_id}/check-in", json={"code": registration["tickets"][0]["code"]},
                headers=auth_headers(organizer))
    assert_error(client.post(f"/api/v1/registrations/{registration['id']}/cancel", headers=headers), 409)
    assert event_row(app, event_id).seats_taken == 2
